"""Pattern detectors and field detection: what they find, what they leave alone, never the value."""

from __future__ import annotations

import itertools

import pytest

from pytest_agentreal.anonymise.detect import (
    Detection,
    field_kinds,
    fingerprint,
    scan_record,
    scan_text,
)


def _found(text: str) -> list[tuple[str, str]]:
    return [(d.kind, text[d.start : d.end]) for d in scan_text(text)]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("write to jane.doe@acme.io today", "email", "jane.doe@acme.io"),
        ("call +44 20 7946 0958 now", "phone", "+44 20 7946 0958"),
        ("call 020 7946 0958 now", "phone", "020 7946 0958"),
        ("call (415) 555-0132 now", "phone", "(415) 555-0132"),
        ("call 415.555.0143 now", "phone", "415.555.0143"),
        ("IBAN GB82 WEST 1234 5698 7654 32, thanks", "iban", "GB82 WEST 1234 5698 7654 32"),
        ("IBAN DE89370400440532013000.", "iban", "DE89370400440532013000"),
        ("card 4111 1111 1111 1111, exp 12/27", "card", "4111 1111 1111 1111"),
        ("amex 3714-680359-28175", "card", "3714-680359-28175"),
        ("from 81.2.69.160 again", "ip", "81.2.69.160"),
        ("from 2a00:1450:4001:81b::200e again", "ip", "2a00:1450:4001:81b::200e"),
        ("key sk-proj-Q7vX2mL9pT4kR8sW3nB6yH1cJ5dF0gA2 here", "api_key", "sk-proj-Q7vX2mL9pT4kR8sW3nB6yH1cJ5dF0gA2"),
        ("aws AKIAZ7QX4RM2PL9KD3WT here", "api_key", "AKIAZ7QX4RM2PL9KD3WT"),
        ("Authorization: Bearer abcdefghijklmnop1234", "api_key", "abcdefghijklmnop1234"),
        ("https://x.io/reset?token=7Hq2LmX9pR4vT8sK&uid=1", "url_token", "7Hq2LmX9pR4vT8sK"),
        ("https://x.io/r?u=9f8e7d6c5b4a39281706f5e4d3", "url_token", "9f8e7d6c5b4a39281706f5e4d3"),
        ("https://bob:s3cr3tpass@x.io/", "url_token", "s3cr3tpass"),
    ],
)
def test_detectors_find_personal_values_and_secrets(text: str, kind: str, value: str) -> None:
    assert (kind, value) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "order ORD-2024-000123 shipped on 2024-03-05 12:30",
        "total 1234.56 EUR, version v1.2.3.4, date 01.02.2023",
        "write to someone@example.com or help@support.test",
        "internal host 10.0.0.1 and 192.168.1.20 and 127.0.0.1",
        "the card ending 4242, ticket T-0042, uuid 123e4567-e89b-12d3-a456-426614174000",
        "https://crm.example.com/tickets/123e4567-e89b-12d3-a456-426614174000?page=2",
        "max_tokens: 512, temperature 0.2",
        "GB82 WEST 1234 5698 7654 33 is not a valid IBAN",
        "4111 1111 1111 1112 fails Luhn",
    ],
)
def test_detectors_leave_ordinary_text_alone(text: str) -> None:
    assert scan_text(text) == []


def test_detections_do_not_overlap_and_are_in_order() -> None:
    text = "mail jane@acme.io, call +44 20 7946 0958, IBAN DE89370400440532013000"
    found = scan_text(text)
    assert [d.kind for d in found] == ["email", "phone", "iban"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_a_detection_holds_no_value() -> None:
    (hit,) = scan_text("mail jane@acme.io")
    assert hit == Detection("email", 5, 17)
    assert "jane" not in repr(hit)


@pytest.mark.parametrize(
    ("path", "kinds"),
    [
        (("customer", "email"), ("email",)),
        (("contact_email",), ("email",)),
        (("mobile_phone",), ("phone",)),
        (("customer", "name"), ("name",)),
        (("product", "name"), ()),
        (("contacts", "0", "name"), ("name",)),
        (("firstName",), ("name",)),
        (("Last-Name",), ("name",)),
        (("password",), ("secret",)),
        (("headers", "Authorization"), ("secret",)),
        (("max_tokens",), ()),
        (("client_ip",), ("ip",)),
        (("ip_address",), ("ip",)),
        (("mac_address",), ()),
        (("shipping_address",), ("address",)),
        (("cc", "0"), ("email", "name")),
        (("date_of_birth",), ("dob",)),
        (("iban",), ("iban",)),
        (("card_number",), ("card",)),
        (("zip",), ("postcode",)),
        (("ssn",), ("id_number",)),
        (("subject",), ()),
    ],
)
def test_field_kinds_by_name(path: tuple[str, ...], kinds: tuple[str, ...]) -> None:
    assert field_kinds(path) == kinds


def test_scan_record_points_at_the_leaf() -> None:
    record = {"customer": {"name": "Jane Doe", "email": "jane@acme.io"}, "notes": ["call 020 7946 0958"],
              "password": "hunter2hunter2", "product": {"name": "Desk Lamp"}}  # fmt: skip
    found = {(d.pointer, d.kind) for d in scan_record(record)}
    assert found == {("/customer/name", "name"), ("/customer/email", "email"), ("/notes/0", "phone"),
                     ("/password", "secret")}  # fmt: skip
    patterns_only = {(d.pointer, d.kind) for d in scan_record(record, by_name=False)}
    assert patterns_only == {("/customer/email", "email"), ("/notes/0", "phone")}


def test_scan_record_skips_listed_pseudonyms() -> None:
    record = {"customer": {"name": "Maria Lopez", "phone": "+44 20 1234 5678"}, "body": "ring 020 1234 5678"}
    allow = {fingerprint("name", "maria"), fingerprint("name", "lopez"), fingerprint("phone", "00442012345678")}
    found = {(d.pointer, d.kind) for d in scan_record(record, allow=allow)}
    assert found == {("/body", "phone")}  # the national spelling is another value: still reported


def test_redacted_markers_are_not_reported_again() -> None:
    assert scan_text("https://x.io/reset?token=[REDACTED]&u=1 key [REDACTED]") == []
    assert scan_record({"password": "[REDACTED]"}) == []


def test_a_card_like_digit_run_inside_a_hex_token_is_not_a_card() -> None:
    from pytest_agentreal.anonymise.detect import scan_text

    # The digit run inside this trace id passes Luhn; it is still no card number.
    assert [d.kind for d in scan_text("trace 94a725b0c57864643860852bb669cb4e")] == []
    assert [d.kind for d in scan_text("card 4111 1111 1111 1111 please")] == ["card"]
