"""Kinds of personal data and how each is normalised, faked and written back in the original's layout.

A :class:`Kind` has three pure functions:

- ``normalise(text)``: the canonical form of a real value (``None`` when the text is not of this
  kind). Two spellings of one value (``+44 20 7946 0958`` / ``0044 20 7946 0958``) normalise alike,
  so they get one pseudonym.
- ``generate(digest, attempt, norm)``: a canonical pseudonym drawn from the value's keyed digest;
  ``attempt`` > 0 asks for another candidate after a collision. It only sees the digest and the
  *shape* of the original (country code, length, brand), never needs the key.
- ``render(original, canonical)``: the pseudonym written in the original's layout (separators,
  grouping, letter case).

Kinds live in a registry (:data:`KINDS`, :func:`register_kind`) so that new ones need no if-chain.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from .pools import pools

EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
"""Where fake e-mail addresses live (RFC 2606: reserved, never delivered)."""

REDACTED = "[REDACTED]"
"""What secrets (API keys, tokens in URLs, passwords) become: removed, never pseudonymised."""


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of personal value (see the module docstring)."""

    name: str
    normalise: Callable[[str], str | None]
    generate: Callable[[bytes, int, str], str]
    render: Callable[[str, str], str]
    compare: Callable[[str], str] = str
    """The key two pseudonyms collide on (e.g. names ignore case); for a canonical pseudonym it
    must equal ``normalise``'s result, so that pseudonyms can be compared with real values."""
    avoid_originals: bool = True
    """Never hand out a pseudonym that equals some real value of this kind seen in the same run."""
    safe: Callable[[str], bool] = lambda norm: False
    """Values that are not personal (reserved domains, private IPs): left as they are."""
    pool: Callable[[str], tuple[str, int]] | None = None
    """For pool-drawn kinds: ``norm -> (pool name, pool size)``; with ``widen_at``, lets the table
    skip straight to the wider candidates once a pool is (nearly) used up."""
    widen_at: int = 0
    """The first attempt at which ``generate`` draws from a wider space than the pool."""


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    """Add (or replace) a kind in the registry."""
    KINDS[kind.name] = kind
    return kind


# --------------------------------------------------------------------------- helpers


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text`` (for long word lists kept readable)."""
    return tuple(text.split())


def stream(digest: bytes, attempt: int) -> bytes:
    """32 pseudo-random bytes for the ``attempt``-th candidate of one keyed digest."""
    if attempt == 0:
        return digest
    return hashlib.sha256(digest + attempt.to_bytes(4, "big")).digest()


def _number(data: bytes) -> int:
    return int.from_bytes(data, "big")


def _digits(data: bytes, count: int) -> str:
    """``count`` decimal digits from ``data`` (at most ~2.4 per byte)."""
    return str(_number(data)).zfill(count)[-count:] if count else ""


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


_CLASS_SHAPE = str.maketrans({**{d: "9" for d in "0123456789"}, **{c: "A" for c in _LETTERS + _LETTERS.lower()}})
_class_shapes: dict[str, tuple[int, int, list[tuple[str, int]]]] = {}


def _shape_of(template: str) -> tuple[int, int, list[tuple[str, int]]]:
    """``(digits, letters, runs)`` of a template's shape (``GB82WEST`` → AA99AAAA), cached."""
    shape = template.translate(_CLASS_SHAPE)
    found = _class_shapes.get(shape)
    if found is None:
        runs = [(m[0][0] if m[0][0] in "9A" else m[0], len(m[0])) for m in re.finditer(r"9+|A+|[^9A]+", shape)]
        found = (shape.count("9"), shape.count("A"), runs)
        if len(_class_shapes) < 4096:
            _class_shapes[shape] = found
    return found


def _classes(template: str, data: bytes) -> str:
    """A string shaped like ``template``: each digit becomes a digit, each letter an upper-case letter."""
    digit_count, letter_count, runs = _shape_of(template)
    digits = _digits(data[:24], digit_count) if digit_count <= 50 else _long_digits(data, digit_count)
    number = _number(data[24:]) if letter_count <= 12 else _number(hashlib.sha512(data).digest())
    letters = []
    for _ in range(letter_count):
        number, rest = divmod(number, 26)
        letters.append(_LETTERS[rest])
    letter_text = "".join(letters)
    out: list[str] = []
    d = a = 0
    for kind, length in runs:
        if kind == "9":
            out.append(digits[d : d + length])
            d += length
        elif kind == "A":
            out.append(letter_text[a : a + length])
            a += length
        else:
            out.append(kind)
    return "".join(out)


def _long_digits(data: bytes, count: int) -> str:
    chunks: list[str] = []
    while sum(len(c) for c in chunks) < count:
        data = hashlib.sha256(data).digest()
        chunks.append(_digits(data, 70))
    return "".join(chunks)[:count]


def mimic_case(original: str, replacement: str) -> str:
    """``replacement`` in the letter case of ``original`` (JANE → MARIA, jane → maria)."""
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original.islower():
        return replacement.lower()
    return replacement


_layouts: dict[str, tuple[tuple[bool, int, str], ...]] = {}


def _layout(original: str) -> tuple[tuple[bool, int, str], ...]:
    """Runs of ``original``: ``(is_alnum, length, separator text)``, cached per shape."""
    shape = original.translate(_SHAPE)
    found = _layouts.get(shape)
    if found is None:
        found = tuple(
            (m[0][0] == "a", len(m[0]), "" if m[0][0] == "a" else original[m.start() : m.end()])
            for m in _SHAPE_RUN_RE.finditer(shape)
        )
        if len(_layouts) < 4096:
            _layouts[shape] = found
    return found


class _Shape(dict[int, str]):
    """``str.translate`` table: alphanumerics become ``a``, everything else stays (cached)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        self[code] = value = "a" if char.isalnum() else char
        return value


_SHAPE = _Shape()
_SHAPE_RUN_RE = re.compile(r"a+|[^a]+")


def _fill(original: str, chars: str, keep_case: bool = False) -> str:
    """Replace the alphanumerics of ``original`` in order with ``chars`` (separators kept)."""
    if original.isalnum():
        new = chars[: len(original)] + original[len(chars) :] if len(chars) < len(original) else chars[: len(original)]
    else:
        out: list[str] = []
        index = 0
        for is_alnum, length, separator in _layout(original):
            if is_alnum:
                out.append(chars[index : index + length])
                index += length
            else:
                out.append(separator)
        new = "".join(out)
    if keep_case and not original.isupper() and any(c.islower() for c in original):
        new = "".join(n.lower() if o.islower() else n for o, n in zip(original, new, strict=False))
    return new


def casefold(text: str) -> str:
    """Case- and width-insensitive form of a word (NFKC + casefold)."""
    return unicodedata.normalize("NFKC", text).casefold()


# --------------------------------------------------------------------------- names


def _normalise_name(text: str) -> str | None:
    token = casefold(text.strip())
    return token if len(token) >= 2 and token.replace("'", "").replace("’", "").isalpha() else None


def _generate_name(digest: bytes, attempt: int, norm: str) -> str:
    p = pools()
    # The pool depends on the token only (not on where it was seen), so "jane" in a sentence and
    # "Jane" in a first-name field get the same pseudonym.
    pool = p.first_names if norm in p.first_name_set else p.last_names
    data = stream(digest, attempt)
    first = pool[_number(data[:8]) % len(pool)]
    if attempt < _NAME_WIDEN_AT:
        return first
    # Pools run out on very large corpora: double-barrelled names give len(pool)² more.
    return f"{first}-{p.last_names[_number(data[8:16]) % len(p.last_names)]}"


_NAME_WIDEN_AT = 24


def _name_pool(norm: str) -> tuple[str, int]:
    p = pools()
    return ("first", len(p.first_names)) if norm in p.first_name_set else ("last", len(p.last_names))


NAME = register_kind(
    Kind(
        "name",
        _normalise_name,
        _generate_name,
        lambda o, c: mimic_case(o, c),
        compare=casefold,
        pool=_name_pool,
        widen_at=_NAME_WIDEN_AT,
    )
)

# --------------------------------------------------------------------------- e-mail

EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)


def reserved_domain(domain: str) -> bool:
    """Whether an e-mail domain is reserved for examples (RFC 2606 / 6761), hence not personal."""
    domain = domain.lower().rstrip(".")
    return domain in EXAMPLE_DOMAINS or domain.endswith(_RESERVED_SUFFIXES)


_RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost", *("." + d for d in EXAMPLE_DOMAINS))


def _normalise_email(text: str) -> str | None:
    text = text.strip()
    return text.lower() if EMAIL_RE.fullmatch(text) else None


def _generate_email(digest: bytes, attempt: int, norm: str) -> str:
    p = pools()
    data = stream(digest, attempt)
    first = p.first_names[_number(data[:8]) % len(p.first_names)]
    local = f"{first}.{p.last_names[_number(data[8:16]) % len(p.last_names)]}"
    if attempt:
        local += str(_number(data[16:20]) % 1000)
    return f"{local.lower()}@{EXAMPLE_DOMAINS[data[20] % len(EXAMPLE_DOMAINS)]}"


EMAIL = register_kind(
    Kind(
        "email",
        _normalise_email,
        _generate_email,
        lambda o, c: c.upper() if o.isupper() else c,
        safe=lambda norm: reserved_domain(norm.rpartition("@")[2]),
    )
)

# --------------------------------------------------------------------------- phone numbers

_TWO_DIGIT_CODES = frozenset(
    words(
        "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
        "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98"
    )
)


def country_code_length(digits: str) -> int:
    """Length of the ITU country calling code at the start of an international number."""
    if digits[:1] in ("1", "7"):
        return 1
    return 2 if digits[:2] in _TWO_DIGIT_CODES else 3


_PHONE_SEPARATORS = str.maketrans("", "", " \t().+/-")


def _normalise_phone(text: str) -> str | None:
    stripped = text.strip()
    digits = stripped.translate(_PHONE_SEPARATORS)
    if not digits.isdigit() or not digits.isascii():
        return None
    # "+44…" and "0044…" are the same number: both normalise to the 00 form. So does a long
    # number written without any prefix (447700900123): national numbers have at most 10 digits
    # unless they start with the trunk 0.
    international = stripped.startswith("+") or (len(digits) >= 11 and digits[0] not in "0")
    norm = "00" + digits if international else digits
    significant = norm[2:] if norm.startswith("00") else norm
    return norm if 6 <= len(significant) <= 15 else None


def _generate_phone(digest: bytes, attempt: int, norm: str) -> str:
    if norm.startswith("00"):
        code = country_code_length(norm[2:])
        keep = 2 + code + 1  # 00, country code, first national digit (mobile vs landline)
        if norm[2 + code : 3 + code] == "0":
            keep += 1  # a written trunk prefix, e.g. +44 (0)20 …
        nanp = norm[2:3] == "1"
    elif norm.startswith("0"):
        keep, nanp = 2, False  # trunk prefix + first digit of the area code
    else:
        keep, nanp = 1, len(norm) == 10
    data = stream(digest, attempt)
    rest = list(_digits(data, len(norm) - keep))
    if nanp and len(rest) >= 3 and rest[2] in "01":
        rest[2] = str(2 + int(rest[2]) * 4 + data[31] % 4)  # NANP exchange codes start with 2-9
    return norm[:keep] + "".join(rest)


def _render_phone(original: str, canonical: str) -> str:
    count = sum(c.isdigit() for c in original)
    if count == len(canonical) and not original.strip().startswith("+"):
        return _fill(original, canonical)
    if canonical.startswith("00"):
        if count == len(canonical) - 2:  # +44 …, or 44… without a prefix
            return _fill(original, canonical[2:])
        national = national_alias(canonical)  # 020 … for +44 20 …
        if national is not None and count == len(national):
            return _fill(original, national)
    return canonical


def national_alias(norm: str) -> str | None:
    """``0`` + national digits of an international phone norm (``00442079460958`` → ``02079460958``)."""
    if not norm.startswith("00") or len(norm) < 8:
        return None
    national = norm[2 + country_code_length(norm[2:]) :]
    return national if national.startswith("0") else "0" + national


PHONE = register_kind(Kind("phone", _normalise_phone, _generate_phone, _render_phone))

# --------------------------------------------------------------------------- IBAN

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


_IBAN_DIGITS = str.maketrans({c: str(10 + i) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")})


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
    country, bban = norm[:2], _classes(norm[4:], stream(digest, attempt))
    check = 98 - iban_remainder(country + "00" + bban)
    return f"{country}{check:02d}{bban}"


IBAN = register_kind(
    Kind("iban", _normalise_iban, _generate_iban, lambda o, c: _fill(o, c, keep_case=True))
)

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
    payload = norm[:keep] + _digits(stream(digest, attempt), len(norm) - keep - 1)
    return payload + luhn_check_digit(payload)


CARD = register_kind(Kind("card", _normalise_card, _generate_card, lambda o, c: _fill(o, c)))

# --------------------------------------------------------------------------- dates of birth

MONTH_NAMES = words("january february march april may june july august september october november december")
_MONTHS = MONTH_NAMES
_ISO_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(T.*|\s+\d{1,2}:\d{2}.*)?")
_DMY_DATE = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_TEXT_DATE = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})|([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")


def _month(word: str) -> int | None:
    lowered = word.lower()
    for index, name in enumerate(_MONTHS, 1):
        if len(lowered) >= 3 and name.startswith(lowered):
            return index
    return None


def parse_date(text: str) -> tuple[_dt.date, bool] | None:
    """``(date, ambiguous)`` for the layouts dates of birth come in; ambiguous = D/M vs M/D unknown."""
    text = text.strip()
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":  # the common ISO case, fast
            return _dt.date.fromisoformat(text), False
        if m := _ISO_DATE.fullmatch(text):
            return _dt.date(int(m[1]), int(m[3]), int(m[4])), False
        if m := _DMY_DATE.fullmatch(text):
            a, b, year = int(m[1]), int(m[3]), int(m[4])
            if m[2] == "." or a > 12:
                return _dt.date(year, b, a), False
            if b > 12:
                return _dt.date(year, a, b), False
            return _dt.date(year, b, a), a != b
        if m := _TEXT_DATE.fullmatch(text):
            day_text, word, year_text = (m[1], m[2], m[3]) if m[1] else (m[5], m[4], m[6])
            month_number = _month(word)
            return (_dt.date(int(year_text), month_number, int(day_text)), False) if month_number else None
    except ValueError:
        return None
    return None


def _normalise_dob(text: str) -> str | None:
    parsed = parse_date(text)
    if parsed is None:
        return None
    date, ambiguous = parsed
    # An ambiguous D/M date must stay valid read either way, so it is a different value to fake.
    return date.isoformat() + ("~" if ambiguous else "")


def _generate_dob(digest: bytes, attempt: int, norm: str) -> str:
    base = _dt.date.fromisoformat(norm[:10])
    data = stream(digest, attempt)
    span = 365 + 120 * attempt  # the window widens only when a collision asks for it
    shift = 1 + _number(data[:8]) % span
    delta = _dt.timedelta(days=shift if data[8] & 1 else -shift)
    try:
        shifted = base + delta
    except OverflowError:  # near year 1 or 9999: shift the other way
        shifted = base - delta
    if norm.endswith("~") and shifted.day > 12:
        shifted = shifted.replace(day=1 + (shifted.day - 1) % 12)
    return shifted.isoformat()


def _pad(template: str, value: int) -> str:
    return f"{value:0{len(template)}d}" if template.startswith("0") or len(template) == 2 else str(value)


def _render_dob(original: str, canonical: str) -> str:
    if len(original) == 10 and original[4] == "-" and original[7] == "-":
        return canonical  # ISO in, ISO out
    new = _dt.date.fromisoformat(canonical)
    text = original.strip()
    if m := _ISO_DATE.fullmatch(text):
        return f"{new.year:04d}{m[2]}{_pad(m[3], new.month)}{m[2]}{_pad(m[4], new.day)}{m[5] or ''}"
    if m := _DMY_DATE.fullmatch(text):
        a, b = int(m[1]), int(m[3])
        month_first = m[2] != "." and a <= 12 < b
        first, second = (new.month, new.day) if month_first else (new.day, new.month)
        return f"{_pad(m[1], first)}{m[2]}{_pad(m[3], second)}{m[2]}{new.year:04d}"
    if m := _TEXT_DATE.fullmatch(text):
        groups = (1, 2, 3) if m[1] else (5, 4, 6)
        word = m[groups[1]]
        name = _MONTHS[new.month - 1]
        name = mimic_case(word, (name[:3] if len(word) == 3 else name).capitalize())
        values = {groups[0]: str(new.day), groups[1]: name, groups[2]: f"{new.year:04d}"}
        out, last = [], 0
        for group in sorted(values, key=m.start):
            out.append(text[last : m.start(group)] + values[group])
            last = m.end(group)
        return "".join(out) + text[last:]
    return canonical


DOB = register_kind(
    Kind(
        "dob",
        _normalise_dob,
        _generate_dob,
        _render_dob,
        avoid_originals=False,  # birthdays are shared by many people; only distinctness matters
    )
)

# --------------------------------------------------------------------------- IP addresses

_TEST_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")


def _normalise_ip(text: str) -> str | None:
    text = text.strip()
    if _ipv4_int(text) is not None:
        return text
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


_NOT_GLOBAL_V4 = tuple(
    (int(ipaddress.IPv4Network(n).network_address), int(ipaddress.IPv4Network(n).netmask))
    for n in words(
        "0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 "
        "192.0.2.0/24 192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 "
        "224.0.0.0/4 240.0.0.0/4"
    )
)


def _ipv4_int(text: str) -> int | None:
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not part.isdigit() or len(part) > 3 or (len(part) > 1 and part[0] == "0"):
            return None
        octet = int(part)
        if octet > 255:
            return None
        value = value << 8 | octet
    return value


_NOT_GLOBAL_BY_OCTET: dict[int, tuple[tuple[int, int], ...]] = {
    octet: tuple((n, m) for n, m in _NOT_GLOBAL_V4 if (octet << 24) & m == n & m & 0xFF000000)
    for octet in range(256)
}


def ip_is_personal(norm: str) -> bool:
    """Public addresses can locate a person; private, loopback and reserved ones cannot."""
    value = _ipv4_int(norm)
    if value is not None:  # the common case, without ipaddress's slower parsing
        return not any(value & mask == network for network, mask in _NOT_GLOBAL_BY_OCTET[value >> 24])
    try:
        return ipaddress.ip_address(norm).is_global
    except ValueError:
        return False


def _generate_ip(digest: bytes, attempt: int, norm: str) -> str:
    data = stream(digest, attempt)
    number = _number(data[:8])
    if ":" in norm:
        return str(ipaddress.IPv6Address((0x20010DB8 << 96) | (_number(data[8:20]))))
    # Documentation ranges first (what readers expect), then benchmarking, then the reserved /4:
    # none of them routes to anyone.
    if attempt < 4:
        return f"{_TEST_NETS[number % 3]}{1 + (number // 3) % 254}"
    # Then benchmarking (198.18.0.0/15), then the reserved 240.0.0.0/4.
    base, size = ((198 << 24 | 18 << 16), 131070) if attempt < 16 else ((240 << 24), (1 << 28) - 2)
    value = base + 1 + number % size
    return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


IP = register_kind(
    Kind(
        "ip",
        _normalise_ip,
        _generate_ip,
        lambda o, c: c,
        safe=lambda n: not ip_is_personal(n),
        pool=lambda norm: ("v6", 1 << 96) if ":" in norm else ("v4", 3 * 254),
        widen_at=4,
    )
)

# --------------------------------------------------------------------------- streets


def _collapse(text: str) -> str:
    return " ".join(casefold(text).split())


def _normalise_street(text: str) -> str | None:
    collapsed = _collapse(text)
    return collapsed if len(collapsed) >= 3 and any(c.isalpha() for c in collapsed) else None


def _city(data: bytes) -> str:
    p = pools()
    return p.last_names[_number(data[:8]) % len(p.last_names)] + p.city_suffixes[data[8] % len(p.city_suffixes)]


def _generate_street(digest: bytes, attempt: int, norm: str) -> str:
    p = pools()
    data = stream(digest, attempt)
    return (
        f"{1 + _number(data[:4]) % 999} {p.last_names[_number(data[4:12]) % len(p.last_names)]} "
        f"{p.street_suffixes[_number(data[12:16]) % len(p.street_suffixes)]}"
    )


STREET = register_kind(
    Kind("street", _normalise_street, _generate_street, lambda o, c: mimic_case(o, c), compare=casefold)
)

# --------------------------------------------------------------------------- codes, cities, usernames


def _normalise_code(text: str) -> str | None:
    compact = re.sub(r"[\s./-]", "", text).upper()
    return compact if 3 <= len(compact) <= 24 and compact.isalnum() and any(c.isdigit() for c in compact) else None


def _generate_code(digest: bytes, attempt: int, norm: str) -> str:
    return _classes(norm, stream(digest, attempt))


POSTCODE = register_kind(
    Kind("postcode", _normalise_code, _generate_code, lambda o, c: _fill(o, c, keep_case=True))
)
ID_NUMBER = register_kind(
    Kind("id_number", _normalise_code, _generate_code, lambda o, c: _fill(o, c, keep_case=True))
)


def _normalise_words(text: str) -> str | None:
    collapsed = _collapse(text)
    return collapsed if len(collapsed) >= 2 and any(c.isalpha() for c in collapsed) else None


CITY = register_kind(
    Kind(
        "city",
        _normalise_words,
        lambda digest, attempt, norm: _city(stream(digest, attempt)),
        lambda o, c: mimic_case(o, c),
        compare=casefold,
    )
)


def _generate_username(digest: bytes, attempt: int, norm: str) -> str:
    p = pools()
    data = stream(digest, attempt)
    first = p.first_names[_number(data[:8]) % len(p.first_names)].lower()
    last = p.last_names[_number(data[8:16]) % len(p.last_names)].lower()
    return f"{first}_{last}{_number(data[16:20]) % 100 if attempt else ''}"


USERNAME = register_kind(
    Kind("username", _normalise_words, _generate_username, lambda o, c: c, compare=casefold)
)
