"""IBANs (country, length and a valid mod-97 checksum kept) and payment cards (brand, length, Luhn)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .kinds import Kind, register_kind
from .shapes import (
    _PAIRS,
    _POWERS,
    LETTERS,
    ClassPlan,
    ascii_lines,
    class_plan,
    class_values,
    fill,
    fill_many,
    letter_text,
    stream,
)

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


# A list indexed by code point is ~2x faster to translate with than a dict; characters outside it
# (and every character that is neither a digit nor an upper-case letter) stay as they are.
_IBAN_DIGITS = [chr(i) for i in range(128)]
for _index, _letter in enumerate(LETTERS):
    _IBAN_DIGITS[ord(_letter)] = str(10 + _index)


def iban_remainder(compact: str) -> int:
    """ISO 13616 mod-97 remainder of a compact IBAN (1 means valid)."""
    return int((compact[4:] + compact[:4]).translate(_IBAN_DIGITS)) % 97


def iban_valid(text: str) -> bool:
    """Whether ``text`` is an IBAN of the right length for its country with a valid checksum."""
    compact = re.sub(r"\s", "", text).upper()
    return (
        IBAN_LENGTHS.get(compact[:2]) == len(compact)
        and compact[2:4].isdigit()
        and compact.isalnum()
        and iban_remainder(compact) == 1
    )


_IBAN_RE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_IBAN_SEPARATORS = str.maketrans("", "", " \t-")


def _normalise_iban(text: str) -> str | None:
    if text.isascii():  # bytes: the same steps, several times faster
        packed = text.encode().translate(None, b" \t-").upper()
        return packed.decode() if _IBAN_BYTES_RE.fullmatch(packed) else None
    compact = text.translate(_IBAN_SEPARATORS).upper()
    return compact if _IBAN_RE.fullmatch(compact) else None


_IBAN_BYTES_RE = re.compile(_IBAN_RE.pattern.encode())


def _normalise_ibans(texts: Sequence[str]) -> list[str | None]:
    """:func:`_normalise_iban` of many texts (ASCII ones encoded, compacted and upper-cased at once)."""
    lines = ascii_lines(texts)
    if lines is None:
        return list(map(_normalise_iban, texts))
    packed = lines.translate(None, b" \t-").upper().split(b"\n")
    match = _IBAN_BYTES_RE.fullmatch
    return [p.decode() if match(p) else None for p in packed]


def _generate_iban(digest: bytes, attempt: int, norm: str) -> str:
    data = digest if attempt == 0 else stream(digest, attempt)
    bban = norm[4:]
    # The two common shapes, recognised without working out the shape (class_plan) each time.
    if bban.isdigit():
        make = _COMMON_MAKERS.get(("9", len(bban)))
    elif bban[4:].isdigit() and bban[:4].isalpha() and len(bban) > 4:
        make = _COMMON_MAKERS.get(("A", len(bban)))
    else:
        make = None
    if make is None:
        make = _maker(bban)
        if len(bban) <= 30 and (bban.isdigit() or (bban[4:].isdigit() and bban[:4].isalpha() and len(bban) > 4)):
            _COMMON_MAKERS["9" if bban.isdigit() else "A", len(bban)] = make
    return make(norm[:2], data)


_COMMON_MAKERS: dict[tuple[str, int], Callable[[str, bytes], str]] = {}


def _maker(bban: str) -> Callable[[str, bytes], str]:
    plan = class_plan(bban)
    make = _IBAN_MAKERS.get(plan)
    if make is None:
        make = _iban_maker(plan)
        if len(_IBAN_MAKERS) < 4096:  # as many as class_plan keeps
            _IBAN_MAKERS[plan] = make
    return make


_IBAN_MAKERS: dict[ClassPlan, Callable[[str, bytes], str]] = {}


def _iban_maker(plan: ClassPlan) -> Callable[[str, bytes], str]:
    """``(country, data) -> IBAN`` for one BBAN shape: what :func:`class_values`, the layout and
    the check digits give, with everything that depends on the shape alone done once."""
    count, letter_count = plan.digits, plan.letters
    if count > 50 or letter_count > 12:

        def slow(country: str, data: bytes) -> str:
            return _with_check(country, plan, *class_values(plan, data))

        return slow
    power = 10**count
    if plan.runs == (("9", 0, count),):  # digits only (DE, ES, …): the check from the number itself

        def digits_only(country: str, data: bytes) -> str:
            number = int.from_bytes(data[:24], "big") % power
            check = 98 - (number * 1_000_000 + _head_number(country)) % 97
            return country + str(check).zfill(2) + str(number).zfill(count)

        return digits_only
    if plan.runs == (("A", 0, 4), ("9", 0, count)):  # a bank code, then digits (GB, NL, …)
        shift = 10 ** (count + 6)
        codes = _PAIR_CODES

        def bank_then_digits(country: str, data: bytes) -> str:
            number = int.from_bytes(data[:24], "big") % power
            letters = int.from_bytes(data[24:], "big")
            low, high = letters % 676, letters // 676 % 676  # the two pairs letter_text gives
            value = (codes[low] * 10_000 + codes[high]) * shift + number * 1_000_000 + _head_number(country)
            return country + str(98 - value % 97).zfill(2) + _PAIRS[low] + _PAIRS[high] + str(number).zfill(count)

        return bank_then_digits

    def with_letters(country: str, data: bytes) -> str:
        digits = str(int.from_bytes(data[:24], "big") % power).zfill(count) if count else ""
        return _with_check(country, plan, digits, letter_text(int.from_bytes(data[24:], "big"), letter_count))

    return with_letters


_PAIR_CODES = tuple((10 + a) * 100 + 10 + b for b in range(26) for a in range(26))
"""The check-digit number of each letter pair of :data:`_PAIRS` (A=10 … Z=35, two digits each)."""


def _head_number(country: str) -> int:
    number = _HEAD_NUMBERS.get(country)
    if number is None:
        number = _HEAD_NUMBERS[country] = int(_head(country))
    return number


_HEAD_NUMBERS: dict[str, int] = {}


def _with_check(country: str, plan: ClassPlan, digits: str, letters: str) -> str:
    bban = plan.fill(digits + letters)
    return f"{country}{98 - int(bban.translate(_IBAN_DIGITS) + _head(country)) % 97:02d}{bban}"


def _head(country: str) -> str:
    head = _HEADS.get(country)
    if head is None:
        head = _HEADS[country] = (country + "00").translate(_IBAN_DIGITS)
    return head


_HEADS: dict[str, str] = {}


IBAN = register_kind(
    Kind(
        "iban",
        _normalise_iban,
        _generate_iban,
        lambda o, c: fill(o, c, keep_case=True),
        cost=1.25,
        normalise_many=_normalise_ibans,
        render_many=lambda o, c: fill_many(o, c, keep_case=True),
    )
)

# --------------------------------------------------------------------------- payment cards

_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


_DOUBLE_BYTES = bytes.maketrans(b"0123456789", "".join(str(d) for d in _DOUBLED).encode())


def _luhn_sum(digits: str, double_last: bool) -> int:
    # Digit sums without a Python loop: double every other digit by translation, then sum the bytes.
    backwards = digits.encode("ascii")[::-1]
    doubled, kept = (backwards[0::2], backwards[1::2]) if double_last else (backwards[1::2], backwards[0::2])
    return sum(doubled.translate(_DOUBLE_BYTES)) + sum(kept) - 48 * len(backwards)


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn check."""
    return digits.isdigit() and digits.isascii() and _luhn_sum(digits, False) % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit that makes ``payload + digit`` pass Luhn."""
    return str(-_luhn_sum(payload, True) % 10)


def card_brand_prefix(digits: str) -> int:
    """How many leading digits name the card's brand (kept so Visa stays Visa, Amex stays Amex)."""
    if digits.startswith(("6011", "35")) or (digits[:1] == "2" and "2221" <= digits[:4] <= "2720"):
        return 4
    if digits.startswith(("30", "64")):
        return 3
    if digits[:2] in {"34", "37", "36", "38", "50", "51", "52", "53", "54", "55", "56", "57", "58", "62", "65"}:
        return 2
    return 1


def _normalise_card(text: str) -> str | None:
    stripped = text.strip()
    if not stripped.isascii():  # only ASCII separators are dropped, so the digits would not be ASCII
        return None
    digits = stripped.encode().translate(None, b" -")
    return digits.decode() if 12 <= len(digits) <= 19 and digits.isdigit() else None


def _normalise_cards(texts: Sequence[str]) -> list[str | None]:
    """:func:`_normalise_card` of many texts: those of digits, spaces and dashes only at once (their
    spaces and dashes dropped from all of them together), the others one by one."""
    lines = ascii_lines(texts)
    if lines is None:
        return list(map(_normalise_card, texts))
    packed = lines.translate(None, b" -").split(b"\n")
    pairs = zip(packed, texts, strict=True)
    return [p.decode() if 12 <= len(p) <= 19 and p.isdigit() else _normalise_card(t) for p, t in pairs]


def _generate_card(digest: bytes, attempt: int, norm: str) -> str:
    head = norm[:4]
    keep = _BRAND_PREFIXES.get(head)
    if keep is None:  # the brand is in the first 4 digits: looked at once per prefix (at most 10⁴)
        keep = _BRAND_PREFIXES[head] = card_brand_prefix(head)
    count = len(norm) - keep - 1
    data = digest if attempt == 0 else stream(digest, attempt)
    payload = norm[:keep] + str(int.from_bytes(data, "big") % _POWERS[count]).zfill(count)  # digit_text
    # Luhn: double every other digit from the right by translation, then sum the bytes.
    backwards = payload.encode()[::-1]
    check = sum(backwards[0::2].translate(_DOUBLE_BYTES)) + sum(backwards[1::2]) - 48 * len(backwards)
    return f"{payload}{-check % 10}"


_BRAND_PREFIXES: dict[str, int] = {}


CARD = register_kind(
    Kind(
        "card",
        _normalise_card,
        _generate_card,
        lambda o, c: fill(o, c),
        render_many=fill_many,
        normalise_many=_normalise_cards,
    )
)
