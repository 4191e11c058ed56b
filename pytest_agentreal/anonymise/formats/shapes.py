"""Shared helpers of the kinds: digits and letters from a digest, layouts kept, case mimicked."""

from __future__ import annotations

import hashlib
import re
import unicodedata


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text`` (for long word lists kept readable)."""
    return tuple(text.split())


def stream(digest: bytes, attempt: int) -> bytes:
    """32 pseudo-random bytes for the ``attempt``-th candidate of one keyed digest."""
    if attempt == 0:
        return digest
    return hashlib.sha256(digest + attempt.to_bytes(4, "big")).digest()


def as_int(data: bytes) -> int:
    """``data`` as a big-endian unsigned integer."""
    return int.from_bytes(data, "big")


def digit_text(data: bytes, count: int) -> str:
    """``count`` decimal digits from ``data`` (at most ~2.4 per byte)."""
    return str(as_int(data)).zfill(count)[-count:] if count else ""


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


def classes(template: str, data: bytes) -> str:
    """A string shaped like ``template``: each digit becomes a digit, each letter an upper-case letter."""
    digit_count, letter_count, runs = _shape_of(template)
    digits = digit_text(data[:24], digit_count) if digit_count <= 50 else _long_digits(data, digit_count)
    number = as_int(data[24:]) if letter_count <= 12 else as_int(hashlib.sha512(data).digest())
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
        chunks.append(digit_text(data, 70))
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


def fill(original: str, chars: str, keep_case: bool = False) -> str:
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


def collapse(text: str) -> str:
    return " ".join(casefold(text).split())


def normalise_words(text: str) -> str | None:
    collapsed = collapse(text)
    return collapsed if len(collapsed) >= 2 and any(c.isalpha() for c in collapsed) else None
