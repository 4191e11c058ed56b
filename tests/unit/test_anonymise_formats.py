"""Each kind keeps its format valid: Luhn, IBAN mod-97, country codes, layouts, reserved ranges."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import re

import pytest

from pytest_agentreal.anonymise.composites import address_pieces, name_pieces
from pytest_agentreal.anonymise.formats import (
    EXAMPLE_DOMAINS,
    KINDS,
    card_brand_prefix,
    iban_valid,
    luhn_valid,
    parse_date,
)


def _fake(kind: str, value: str, seed: str = "seed") -> str:
    spec = KINDS[kind]
    norm = spec.normalise(value)
    assert norm is not None, value
    digest = hashlib.sha256(seed.encode()).digest()
    return spec.render(value, spec.generate(digest, 0, norm))


DIGESTS = [hashlib.sha256(str(i).encode()).digest() for i in range(40)]


@pytest.mark.parametrize(
    "original",
    ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "fr14 2004 1010 0505 0001 3m02 606",
     "NL91ABNA0417164300", "MT84MALT011000012345MTLCAST001S"],
)  # fmt: skip
def test_iban_keeps_country_length_layout_and_a_valid_checksum(original: str) -> None:
    for digest in DIGESTS:
        spec = KINDS["iban"]
        fake = spec.render(original, spec.generate(digest, 0, spec.normalise(original) or ""))
        assert iban_valid(fake)
        assert fake[:2].upper() == original[:2].upper()
        assert re.sub(r"[A-Za-z0-9]", "x", fake) == re.sub(r"[A-Za-z0-9]", "x", original)
        assert fake.replace(" ", "").upper() != original.replace(" ", "").upper()


@pytest.mark.parametrize(
    ("original", "brand_digits"),
    [("4111 1111 1111 1111", "4"), ("378282246310005", "37"), ("5555-5555-5555-4444", "55"),
     ("6011111111111117", "6011"), ("2223003122003222", "2223"), ("4222222222222", "4")],
)  # fmt: skip
def test_card_keeps_brand_length_layout_and_passes_luhn(original: str, brand_digits: str) -> None:
    digits = re.sub(r"\D", "", original)
    assert card_brand_prefix(digits) == len(brand_digits)
    for digest in DIGESTS:
        spec = KINDS["card"]
        fake = spec.render(original, spec.generate(digest, 0, digits))
        fake_digits = re.sub(r"\D", "", fake)
        assert luhn_valid(fake_digits)
        assert fake_digits.startswith(brand_digits) and len(fake_digits) == len(digits)
        assert re.sub(r"\d", "9", fake) == re.sub(r"\d", "9", original)


@pytest.mark.parametrize(
    ("original", "kept"),
    [("+44 20 7946 0958", "+44 2"), ("0044 20 7946 0958", "0044 2"), ("020 7946 0958", "02"),
     ("+1 (415) 555-0132", "+1 (4"), ("+33 6 12 34 56 78", "+33 6"), ("+353 87 123 4567", "+353 8"),
     ("06.12.34.56.78", "06")],
)  # fmt: skip
def test_phone_keeps_country_code_trunk_and_layout(original: str, kept: str) -> None:
    fake = _fake("phone", original)
    assert fake.startswith(kept)
    assert re.sub(r"\d", "9", fake) == re.sub(r"\d", "9", original)
    assert re.sub(r"\D", "", fake) != re.sub(r"\D", "", original)


def test_nanp_exchange_codes_stay_valid() -> None:
    for digest in DIGESTS:
        spec = KINDS["phone"]
        fake = spec.render("(415) 555-0132", spec.generate(digest, 0, "4155550132"))
        assert fake[6] in "23456789", fake


def test_international_and_national_spellings_share_a_normal_form() -> None:
    phone = KINDS["phone"]
    assert phone.normalise("+44 20 7946 0958") == phone.normalise("0044 (20) 7946-0958")
    assert phone.normalise("call me") is None
    assert phone.normalise("12") is None


def test_email_lands_on_an_example_domain() -> None:
    for seed in map(str, range(20)):
        fake = _fake("email", "Jane.Doe@acme.io", seed)
        local, _, domain = fake.partition("@")
        assert domain in EXAMPLE_DOMAINS
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d*", local)


def test_reserved_email_domains_are_not_personal() -> None:
    email = KINDS["email"]
    assert email.safe("someone@example.com") and email.safe("a@mail.test")
    assert not email.safe("a@acme.io")


@pytest.mark.parametrize(
    ("original", "layout"),
    [("1990-04-03", r"\d{4}-\d{2}-\d{2}"), ("25/12/1985", r"\d{2}/\d{2}/\d{4}"),
     ("13.02.1979", r"\d{2}\.\d{2}\.\d{4}"), ("3 April 1990", r"\d{1,2} [A-Z][a-z]+ \d{4}"),
     ("Apr 3, 1990", r"[A-Z][a-z]{2} \d{1,2}, \d{4}"), ("1990-04-03T00:00:00Z", r"\d{4}-\d{2}-\d{2}T00:00:00Z")],
)  # fmt: skip
def test_date_of_birth_shifts_within_a_year_keeping_its_layout(original: str, layout: str) -> None:
    base = parse_date(original)
    assert base is not None
    for seed in map(str, range(20)):
        fake = _fake("dob", original, seed)
        assert re.fullmatch(layout, fake), fake
        shifted = parse_date(fake)
        assert shifted is not None
        assert 1 <= abs((shifted[0] - base[0]).days) <= 365


def test_ambiguous_day_month_dates_stay_valid_both_ways() -> None:
    for seed in map(str, range(40)):
        day, month, _year = (int(p) for p in _fake("dob", "03/04/1990", seed).split("/"))
        assert day <= 12 and month <= 12


def test_same_date_in_two_layouts_is_one_value() -> None:
    dob = KINDS["dob"]
    assert dob.normalise("23/11/1987") == dob.normalise("1987-11-23") == dob.normalise("23 November 1987")


def test_ip_pseudonyms_never_route_to_anyone() -> None:
    spec = KINDS["ip"]
    for attempt in (0, 5, 20):
        for digest in DIGESTS:
            for original in ("81.2.69.160", "2a00:1450:4001:81b::200e"):
                fake = spec.generate(digest, attempt, spec.normalise(original) or "")
                assert not ipaddress.ip_address(fake).is_global, fake


def test_private_addresses_are_not_personal() -> None:
    spec = KINDS["ip"]
    assert spec.safe("10.1.2.3") and spec.safe("127.0.0.1") and spec.safe("192.168.0.7")
    assert not spec.safe("81.2.69.160")


def test_postcode_keeps_letter_and_digit_positions() -> None:
    fake = _fake("postcode", "NW1 6XE")
    assert re.fullmatch(r"[A-Z]{2}\d \d[A-Z]{2}", fake)


def test_name_keeps_case_and_comes_from_the_pools() -> None:
    assert _fake("name", "JANE").isupper()
    assert _fake("name", "jane").islower()
    assert _fake("name", "Jane")[0].isupper()


def test_address_splits_into_street_town_and_postcode() -> None:
    text = "17 Ravensworth Gardens, Newcastle upon Tyne NE4 6XL"
    pieces = [(text[s:e], kind) for s, e, kind in address_pieces(text)]
    assert pieces == [("17 Ravensworth Gardens", "street"), ("Newcastle upon Tyne", "city"), ("NE4 6XL", "postcode")]


def test_name_pieces_skip_titles_particles_and_initials() -> None:
    text = "Dr. Jane J. van Doe"
    assert [text[s:e] for s, e, _ in name_pieces(text)] == ["Jane", "Doe"]
    assert name_pieces("Order 4471") == []


def test_parse_date_rejects_impossible_dates() -> None:
    assert parse_date("1990-02-30") is None
    assert parse_date("31/31/1990") is None
    assert parse_date("soon") is None
    assert parse_date("1990-04-03") == (dt.date(1990, 4, 3), False)
