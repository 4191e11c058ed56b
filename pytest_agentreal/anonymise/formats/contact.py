"""E-mail addresses (on reserved example domains) and phone numbers (country and layout kept)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..pools import pools
from .kinds import Kind, register_kind
from .shapes import _POWERS, Formatter, as_int, ascii_lines, count_digits, digit_text, fill, layout_of, stream, words

EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")
"""Where fake e-mail addresses live (RFC 2606: reserved, never delivered)."""

EMAIL_RE = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)


def reserved_domain(domain: str) -> bool:
    """Whether an e-mail domain is reserved for examples (RFC 2606 / 6761), hence not personal."""
    domain = domain.lower().rstrip(".")
    return domain in EXAMPLE_DOMAINS or domain.endswith(_RESERVED_SUFFIXES)


_RESERVED_SUFFIXES = (".example", ".test", ".invalid", ".localhost", *("." + d for d in EXAMPLE_DOMAINS))
_RESERVED_MARKS = ("example", ".test", ".invalid", ".localhost")
"""Every reserved domain holds one of these (lower case)."""


def _may_have_reserved_domains(norms: Sequence[str]) -> bool:
    """Whether some e-mail norm (lower case) may be on a reserved domain: one look at all of them."""
    joined = "\n".join(norms)
    return any(mark in joined for mark in _RESERVED_MARKS)


def _normalise_email(text: str) -> str | None:
    text = text.strip()
    return text.lower() if EMAIL_RE.fullmatch(text) else None


def _normalise_emails(texts: Sequence[str]) -> list[str | None]:
    """:func:`_normalise_email` of many texts (one that matches as it is has nothing to strip)."""
    match = EMAIL_RE.fullmatch
    return [t.lower() if match(t) else _normalise_email(t) for t in texts]


def _generate_email(digest: bytes, attempt: int, norm: str) -> str:
    if attempt == 0:  # the common case, inlined: first.last@example.x in lower case
        firsts, lasts = _lower_pools()
        first = firsts[int.from_bytes(digest[:8], "big") % len(firsts)]
        last = lasts[int.from_bytes(digest[8:16], "big") % len(lasts)]
        return f"{first}.{last}@{EXAMPLE_DOMAINS[digest[20] % len(EXAMPLE_DOMAINS)]}"
    p = pools()
    data = stream(digest, attempt)
    first = p.first_names[as_int(data[:8]) % len(p.first_names)]
    local = f"{first}.{p.last_names[as_int(data[8:16]) % len(p.last_names)]}"
    if attempt:
        local += str(as_int(data[16:20]) % 1000)
    return f"{local.lower()}@{EXAMPLE_DOMAINS[data[20] % len(EXAMPLE_DOMAINS)]}"


def _generate_emails(digests: Sequence[bytes], starts: Sequence[int] | None, norms: Sequence[str]) -> list[str]:
    """:func:`_generate_email` of many values (the first draw inlined: e-mails start there)."""
    if starts is not None and any(starts):
        return list(map(_generate_email, digests, starts, norms))
    firsts, lasts = _lower_pools()
    n_firsts, n_lasts, domains, number = len(firsts), len(lasts), EXAMPLE_DOMAINS, int.from_bytes
    return [
        f"{firsts[number(d[:8], 'big') % n_firsts]}.{lasts[number(d[8:16], 'big') % n_lasts]}@{domains[d[20] % 3]}"
        for d in digests
    ]


_lower: list[tuple[tuple[str, ...], tuple[str, ...]]] = []


def _lower_pools() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """First and last names in lower case (the pools are ASCII: lower case of the joined local
    part is the joined lower cases)."""
    if not _lower:
        p = pools()
        _lower.append((tuple(n.lower() for n in p.first_names), tuple(n.lower() for n in p.last_names)))
    return _lower[0]


def _email_name_words(pseudonym: str) -> list[str]:
    """``first.last[NNN]@example.x`` → ``["first", "last"]``."""
    return pseudonym.partition("@")[0].rstrip("0123456789").split(".")


EMAIL = register_kind(
    Kind(
        "email",
        _normalise_email,
        _generate_email,
        lambda o, c: c.upper() if o.isupper() else c,
        safe=lambda norm: reserved_domain(norm.rpartition("@")[2]),
        may_be_safe=_may_have_reserved_domains,
        cost=0.85,
        normalise_many=_normalise_emails,
        name_words=_email_name_words,
        generate_many=_generate_emails,
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


def _normalise_phone(text: str) -> str | None:
    stripped = text.strip()
    if not stripped.isascii():  # only ASCII separators are dropped, so the digits would not be ASCII
        return None
    packed = stripped.encode().translate(None, b" \t().+/-")
    if not packed.isdigit():
        return None
    digits = packed.decode()
    # "+44…" and "0044…" are the same number: both normalise to the 00 form. So does a long
    # number written without any prefix (447700900123): national numbers have at most 10 digits
    # unless they start with the trunk 0.
    international = stripped.startswith("+") or (len(digits) >= 11 and digits[0] not in "0")
    norm = "00" + digits if international else digits
    significant = norm[2:] if norm.startswith("00") else norm
    return norm if 6 <= len(significant) <= 15 else None


def _normalise_phones(texts: Sequence[str]) -> list[str | None]:
    """:func:`_normalise_phone` of many texts: those of digits and separators only at once (their
    separators dropped from all of them together), the others one by one."""
    lines = ascii_lines(texts)
    if lines is None:
        return list(map(_normalise_phone, texts))
    out: list[str | None] = []
    append = out.append
    for packed, text in zip(lines.translate(None, b" \t().+/-").split(b"\n"), texts, strict=True):
        if not packed.isdigit():
            append(_normalise_phone(text))
            continue
        # Only digits and separators: stripping the text drops nothing but spaces and tabs.
        digits = packed.decode()
        count = len(digits)
        head = text[0] if text[0] not in " \t" else text.lstrip(" \t")[:1]
        if head == "+" or (count >= 11 and digits[0] != "0"):
            append("00" + digits if 6 <= count <= 15 else None)
        else:
            significant = count - 2 if digits.startswith("00") else count
            append(digits if 6 <= significant <= 15 else None)
    return out


def _generate_phone(digest: bytes, attempt: int, norm: str) -> str:
    keep, nanp = _phone_shape(norm)
    data = digest if attempt == 0 else stream(digest, attempt)
    rest = digit_text(data, len(norm) - keep)
    if nanp and len(rest) >= 3 and rest[2] in "01":
        rest = f"{rest[:2]}{2 + int(rest[2]) * 4 + data[31] % 4}{rest[3:]}"  # NANP exchange codes start with 2-9
    return norm[:keep] + rest


def _generate_phones(digests: Sequence[bytes], starts: Sequence[int] | None, norms: Sequence[str]) -> list[str]:
    """:func:`_generate_phone` of many values (the first draw inlined)."""
    if starts is not None and any(starts):
        return list(map(_generate_phone, digests, starts, norms))
    out: list[str] = []
    append = out.append
    shapes, powers, number = _PHONE_SHAPES, _POWERS, int.from_bytes
    for digest, norm in zip(digests, norms, strict=True):
        keep, nanp = shapes.get((norm[:6], len(norm))) or _phone_shape(norm)
        count = len(norm) - keep
        if not count or nanp:  # as digit_text and the NANP rule have it
            append(_generate_phone(digest, 0, norm))
            continue
        append(norm[:keep] + str(number(digest, "big") % powers[count]).zfill(count))
    return out


def _phone_shape(norm: str) -> tuple[int, bool]:
    """``(digits kept, NANP number)`` of a phone norm: they depend on its first 6 digits and length."""
    key = (norm[:6], len(norm))
    shape = _PHONE_SHAPES.get(key)
    if shape is None:
        if norm.startswith("00"):
            code = country_code_length(norm[2:])
            keep = 2 + code + 1  # 00, country code, first national digit (mobile vs landline)
            if norm[2 + code : 3 + code] == "0":
                keep += 1  # a written trunk prefix, e.g. +44 (0)20 …
            shape = (keep, norm[2:3] == "1")
        elif norm.startswith("0"):
            shape = (2, False)  # trunk prefix + first digit of the area code
        else:
            shape = (1, len(norm) == 10)
        if len(_PHONE_SHAPES) < 1 << 16:
            _PHONE_SHAPES[key] = shape
    return shape


_PHONE_SHAPES: dict[tuple[str, int], tuple[int, bool]] = {}


def _render_phone(original: str, canonical: str) -> str:
    count = count_digits(original)
    if count == len(canonical) and not original.strip().startswith("+"):
        return fill(original, canonical)
    if canonical.startswith("00"):
        if count == len(canonical) - 2:  # +44 …, or 44… without a prefix
            return fill(original, canonical[2:])
        national = national_alias(canonical)  # 020 … for +44 20 …
        if national is not None and count == len(national):
            return fill(original, national)
    return canonical


def _render_phones(originals: Sequence[str], canonicals: Sequence[str]) -> list[str]:
    """:func:`_render_phone` of many values: what it works out from the original alone (digit
    count, leading ``+``, layout) is looked up by the original's shape (its digits masked)."""
    out: list[str] = []
    append = out.append
    shapes = _PHONE_LAYOUTS
    for original, canonical in zip(originals, canonicals, strict=True):
        shape = shapes.get(original.encode().translate(_DIGIT_MASK)) if original.isascii() else None
        if shape is None:
            shape = _phone_layout(original)
            if shape is None:
                append(_render_phone(original, canonical))
                continue
        count, plus, length, layout = shape
        if count == len(canonical) and not plus:
            chars = canonical
        elif canonical.startswith("00"):
            if count == len(canonical) - 2:
                chars = canonical[2:]
            else:
                national = national_alias(canonical)
                if national is None or count != len(national):
                    append(canonical)
                    continue
                chars = national
        else:
            append(canonical)
            continue
        if layout is not None:
            append(layout(chars))
        elif len(chars) < length:  # digits only: fill's own way
            append(chars + original[len(chars) :])
        else:
            append(chars[:length])
    return out


_DIGIT_MASK = bytes(ord("#") if chr(i).isdigit() else i for i in range(128)) + bytes(range(128, 256))
_PhoneLayout = tuple[int, bool, int, Formatter | None]
_PHONE_LAYOUTS: dict[bytes, _PhoneLayout] = {}


def _phone_layout(original: str) -> _PhoneLayout | None:
    """``(digits, starts with +, length, layout or None for digits only)`` of an ASCII original
    without other letters or digits than ASCII digits (cached by its shape); else ``None``."""
    if not original.isascii():
        return None
    key = original.encode().translate(_DIGIT_MASK)
    if any(c.isalnum() for c in key.decode()):  # letters: not a shape of digits
        return None
    count = key.count(b"#")
    layout = None if original.isalnum() else layout_of(original)
    shape = (count, original.strip().startswith("+"), len(original), layout)
    if len(_PHONE_LAYOUTS) < 4096:
        _PHONE_LAYOUTS[key] = shape
    return shape


def national_alias(norm: str) -> str | None:
    """``0`` + national digits of an international phone norm (``00442079460958`` → ``02079460958``)."""
    if not norm.startswith("00") or len(norm) < 8:
        return None
    national = norm[2 + country_code_length(norm[2:]) :]
    return national if national.startswith("0") else "0" + national


PHONE = register_kind(
    Kind(
        "phone",
        _normalise_phone,
        _generate_phone,
        _render_phone,
        cost=0.8,
        render_many=_render_phones,
        normalise_many=_normalise_phones,
        generate_many=_generate_phones,
    )
)
