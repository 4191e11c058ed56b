"""IBANs (country, length and a valid mod-97 checksum kept) and payment cards (brand, length, Luhn)."""

from __future__ import annotations

import re

from .kinds import Kind, register_kind
from .shapes import LETTERS, assemble, class_parts, digit_text, fill, stream

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
    compact = text.translate(_IBAN_SEPARATORS).upper()
    return compact if _IBAN_RE.fullmatch(compact) else None


def _generate_iban(digest: bytes, attempt: int, norm: str) -> str:
    country = norm[:2]
    digits, letters, (_, _, runs) = class_parts(norm[4:], stream(digest, attempt))
    bban = assemble(runs, digits, letters)
    # The check digits need the BBAN as a number (letters A=10 … Z=35): only the letters need
    # translating, then they go where the plan puts them, two digits wide.
    numeric = assemble(_code_runs(runs), digits, letters.translate(_IBAN_DIGITS)) if letters else bban
    head = _HEADS.get(country)
    if head is None:
        head = _HEADS[country] = (country + "00").translate(_IBAN_DIGITS)
    check = 98 - int(numeric + head) % 97
    return f"{country}{check:02d}{bban}"


_HEADS: dict[str, str] = {}
_code_runs_cache: dict[tuple[tuple[str, int, int], ...], tuple[tuple[str, int, int], ...]] = {}


def _code_runs(runs: tuple[tuple[str, int, int], ...]) -> tuple[tuple[str, int, int], ...]:
    """The runs of a class plan with each letter two characters wide (for the letters' codes)."""
    found = _code_runs_cache.get(runs)
    if found is None:
        found = tuple((k, 2 * a, 2 * b) if k == "A" else (k, a, b) for k, a, b in runs)
        if len(_code_runs_cache) < 4096:
            _code_runs_cache[runs] = found
    return found


IBAN = register_kind(Kind("iban", _normalise_iban, _generate_iban, lambda o, c: fill(o, c, keep_case=True)))

# --------------------------------------------------------------------------- payment cards

_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


_DOUBLE_DIGITS = str.maketrans("0123456789", "".join(str(d) for d in _DOUBLED))


def _luhn_sum(digits: str, double_last: bool) -> int:
    # Digit sums without a Python loop: double every other digit by translation, then sum the bytes.
    backwards = digits[::-1]
    doubled, kept = (backwards[0::2], backwards[1::2]) if double_last else (backwards[1::2], backwards[0::2])
    text = doubled.translate(_DOUBLE_DIGITS) + kept
    return sum(text.encode("ascii")) - 48 * len(text)


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


_CARD_SEPARATORS = str.maketrans("", "", " -")


def _normalise_card(text: str) -> str | None:
    digits = text.strip().translate(_CARD_SEPARATORS)
    return digits if 12 <= len(digits) <= 19 and digits.isdigit() and digits.isascii() else None


def _generate_card(digest: bytes, attempt: int, norm: str) -> str:
    keep = card_brand_prefix(norm)
    payload = norm[:keep] + digit_text(stream(digest, attempt), len(norm) - keep - 1)
    return payload + luhn_check_digit(payload)


CARD = register_kind(Kind("card", _normalise_card, _generate_card, lambda o, c: fill(o, c)))
