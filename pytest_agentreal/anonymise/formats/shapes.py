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
    """``count`` decimal digits from ``data`` (at most ~2.4 per byte): the last ones of its number."""
    return str(int.from_bytes(data, "big")).zfill(count)[-count:] if count else ""


LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PAIRS = tuple(a + b for b in LETTERS for a in LETTERS)  # index = first + 26 * second


def letter_text(number: int, count: int) -> str:
    """``count`` upper-case letters: the base-26 digits of ``number``, least significant first."""
    # Two letters per division: half the Python-level steps of one divmod per letter.
    out: list[str] = []
    while count >= 2:
        number, rest = divmod(number, 676)
        out.append(_PAIRS[rest])
        count -= 2
    if count:
        out.append(LETTERS[number % 26])
    return "".join(out)


_CLASS_SHAPE = str.maketrans({**{d: "9" for d in "0123456789"}, **{c: "A" for c in LETTERS + LETTERS.lower()}})
ClassPlan = tuple[int, int, tuple[tuple[str, int, int], ...]]
_class_plans: dict[str, ClassPlan] = {}


def class_plan(template: str) -> ClassPlan:
    """``(digits, letters, runs)`` of a template's shape (``GB82WEST`` → AA99AAAA), cached per shape.

    Each run is ``("9", start, end)`` (a slice of the digits), ``("A", start, end)`` (of the
    letters), or ``(text, 0, 0)`` for characters kept as they are.
    """
    shape = template.translate(_CLASS_SHAPE)
    found = _class_plans.get(shape)
    if found is None:
        runs: list[tuple[str, int, int]] = []
        used = {"9": 0, "A": 0}
        for match in re.finditer(r"9+|A+|[^9A]+", shape):
            kind, length = match[0][0], len(match[0])
            if kind in used:
                runs.append((kind, used[kind], used[kind] + length))
                used[kind] += length
            else:
                runs.append((match[0], 0, 0))
        found = (used["9"], used["A"], tuple(runs))
        if len(_class_plans) < 4096:
            _class_plans[shape] = found
    return found


def class_parts(template: str, data: bytes) -> tuple[str, str, ClassPlan]:
    """The digits and letters that :func:`classes` fills ``template``'s shape with, and the plan."""
    plan = class_plan(template)
    digit_count, letter_count, _runs = plan
    digits = digit_text(data[:24], digit_count) if digit_count <= 50 else _long_digits(data, digit_count)
    if not letter_count:
        return digits, "", plan
    number = int.from_bytes(data[24:] if letter_count <= 12 else hashlib.sha512(data).digest(), "big")
    return digits, letter_text(number, letter_count), plan


def assemble(runs: tuple[tuple[str, int, int], ...], digits: str, letters: str) -> str:
    """A :func:`class_plan`'s runs filled with ``digits`` and ``letters``."""
    if len(runs) == 1 and runs[0][0] == "9":
        return digits
    return "".join(
        [digits[start:end] if kind == "9" else letters[start:end] if kind == "A" else kind for kind, start, end in runs]
    )


def classes(template: str, data: bytes) -> str:
    """A string shaped like ``template``: each digit becomes a digit, each letter an upper-case letter."""
    digits, letters, plan = class_parts(template, data)
    return assemble(plan[2], digits, letters)


def _long_digits(data: bytes, count: int) -> str:
    chunks: list[str] = []
    while sum(len(c) for c in chunks) < count:
        data = hashlib.sha256(data).digest()
        chunks.append(digit_text(data, 70))
    return "".join(chunks)[:count]


_NO_DIGITS = str.maketrans("", "", "0123456789")


def count_digits(text: str) -> int:
    """How many characters of ``text`` are digits (``str.isdigit``)."""
    if text.isascii():  # the common case, without a Python-level loop
        return len(text) - len(text.translate(_NO_DIGITS))
    return sum(c.isdigit() for c in text)


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
