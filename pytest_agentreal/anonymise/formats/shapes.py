"""Shared helpers of the kinds: digits and letters from a digest, layouts kept, case mimicked."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text`` (for long word lists kept readable)."""
    return tuple(text.split())


def stream(digest: bytes, attempt: int) -> bytes:
    """32 pseudo-random bytes for the ``attempt``-th candidate of one keyed digest."""
    if attempt == 0:
        return digest
    suffix = _ATTEMPTS[attempt] if attempt < 64 else attempt.to_bytes(4, "big")
    return _sha256(digest + suffix).digest()


_ATTEMPTS = [n.to_bytes(4, "big") for n in range(64)]
_sha256 = hashlib.sha256


def as_int(data: bytes) -> int:
    """``data`` as a big-endian unsigned integer."""
    return int.from_bytes(data, "big")


def digit_text(data: bytes, count: int) -> str:
    """``count`` decimal digits from ``data`` (at most ~2.4 per byte): the last ones of its number."""
    # The number modulo 10**count, zero-padded: the last digits without writing out all of them.
    return str(int.from_bytes(data, "big") % _POWERS[count]).zfill(count) if count else ""


_POWERS = [10**n for n in range(200)]


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


Formatter = Callable[[str], str]


def slot_formatter(parts: Iterable[tuple[str | None, int, int]]) -> Formatter:
    """A function that fills a layout from one string: each part is literal text ``(text, 0, 0)``
    or the slice ``(None, start, end)`` of its argument. Made once per layout, it costs one
    C-level ``itemgetter`` and one ``str.format`` per use instead of a loop over the parts."""
    template: list[str] = []
    slices: list[slice] = []
    for text, start, end in parts:
        if text is None:
            template.append("{}")
            slices.append(slice(start, end))
        else:
            template.append(text.replace("{", "{{").replace("}", "}}"))
    fmt = "".join(template).format
    if not slices:
        constant = fmt()
        return lambda chars: constant
    if len(slices) == 1:
        only = slices[0]
        if template == ["{}"]:
            return lambda chars: chars[only]
        return lambda chars: fmt(chars[only])
    get = itemgetter(*slices)
    return lambda chars: fmt(*get(chars))


_CLASS_SHAPE = str.maketrans({**{d: "9" for d in "0123456789"}, **{c: "A" for c in LETTERS + LETTERS.lower()}})
_ASCII_CLASS_SHAPE = bytes(range(256)).translate(
    bytes.maketrans(b"0123456789" + LETTERS.encode() + LETTERS.lower().encode(), b"9" * 10 + b"A" * 52)
)
Run = tuple[str, int, int]


class ClassPlan:
    """A template's shape (``GB82WEST`` → AA99AAAA): how many digits and letters, and where they go.

    Each run is ``("9", start, end)`` (a slice of the digits), ``("A", start, end)`` (of the
    letters), or ``(text, 0, 0)`` for characters kept as they are. ``fill(digits + letters)`` is
    the string; ``derived`` holds other formatters of the same shape (made by the kinds that need them).
    """

    __slots__ = ("derived", "digits", "fill", "letters", "runs")

    def __init__(self, digits: int, letters: int, runs: tuple[Run, ...]) -> None:
        self.digits, self.letters, self.runs = digits, letters, runs
        self.fill = slot_formatter(
            (None, start + (digits if kind == "A" else 0), end + (digits if kind == "A" else 0))
            if kind in ("9", "A")
            else (kind, 0, 0)
            for kind, start, end in runs
        )
        self.derived: dict[str, Formatter] = {}


_class_plans: dict[str | bytes, ClassPlan] = {}


def class_plan(template: str) -> ClassPlan:
    """The :class:`ClassPlan` of ``template``'s shape (cached per shape)."""
    key: str | bytes = (
        template.encode().translate(_ASCII_CLASS_SHAPE) if template.isascii() else template.translate(_CLASS_SHAPE)
    )
    found = _class_plans.get(key)
    if found is None:
        shape = key.decode() if isinstance(key, bytes) else key
        runs: list[Run] = []
        used = {"9": 0, "A": 0}
        for match in re.finditer(r"9+|A+|[^9A]+", shape):
            kind, length = match[0][0], len(match[0])
            if kind in used:
                runs.append((kind, used[kind], used[kind] + length))
                used[kind] += length
            else:
                runs.append((match[0], 0, 0))
        found = ClassPlan(used["9"], used["A"], tuple(runs))
        if len(_class_plans) < 4096:
            _class_plans[key] = found
    return found


def class_values(plan: ClassPlan, data: bytes) -> tuple[str, str]:
    """The digits and letters that :func:`classes` fills a plan with, drawn from ``data``."""
    count = plan.digits
    digits = digit_text(data[:24], count) if count <= 50 else _long_digits(data, count)
    count = plan.letters
    if not count:
        return digits, ""
    number = int.from_bytes(data[24:] if count <= 12 else hashlib.sha512(data).digest(), "big")
    return digits, letter_text(number, count)


def classes(template: str, data: bytes) -> str:
    """A string shaped like ``template``: each digit becomes a digit, each letter an upper-case letter."""
    plan = class_plan(template)
    digits, letters = class_values(plan, data)
    return plan.fill(digits + letters)


def _long_digits(data: bytes, count: int) -> str:
    chunks: list[str] = []
    while sum(len(c) for c in chunks) < count:
        data = hashlib.sha256(data).digest()
        chunks.append(digit_text(data, 70))
    return "".join(chunks)[:count]


def count_digits(text: str) -> int:
    """How many characters of ``text`` are digits (``str.isdigit``)."""
    if text.isascii():  # the common case: bytes.translate is several times faster than str's
        return len(text) - len(text.encode().translate(None, b"0123456789"))
    return sum(c.isdigit() for c in text)


def mimic_case(original: str, replacement: str) -> str:
    """``replacement`` in the letter case of ``original`` (JANE → MARIA, jane → maria)."""
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original.islower():
        return replacement.lower()
    return replacement


_layouts: dict[str | bytes, Formatter] = {}


def _layout(original: str) -> Formatter:
    """Fills ``original``'s layout (its separators kept) with alphanumerics, cached per shape."""
    ascii_ = original.isascii()
    key: str | bytes = original.encode().translate(_ASCII_SHAPE) if ascii_ else original.translate(_SHAPE)
    found = _layouts.get(key)
    if found is None:
        shape = key.decode() if isinstance(key, bytes) else key
        parts: list[tuple[str | None, int, int]] = []
        index = 0
        for match in _SHAPE_RUN_RE.finditer(shape):
            if match[0][0] == "a":
                parts.append((None, index, index + len(match[0])))
                index += len(match[0])
            else:
                parts.append((original[match.start() : match.end()], 0, 0))
        found = slot_formatter(parts)
        if len(_layouts) < 4096:
            _layouts[key] = found
    return found


def layout_of(original: str) -> Formatter:
    """The formatter :func:`fill` uses for ``original`` when it is not all alphanumerics."""
    return _layout(original)


class _Shape(dict[int, str]):
    """``str.translate`` table: alphanumerics become ``a``, everything else stays (cached)."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        self[code] = value = "a" if char.isalnum() else char
        return value


_SHAPE = _Shape()
_ASCII_SHAPE = bytes(ord("a") if chr(i).isalnum() else i for i in range(256))[:128] + bytes(range(128, 256))
_SHAPE_RUN_RE = re.compile(r"a+|[^a]+")


def fill(original: str, chars: str, keep_case: bool = False) -> str:
    """Replace the alphanumerics of ``original`` in order with ``chars`` (separators kept)."""
    if original.isalnum():
        new = chars[: len(original)] + original[len(chars) :] if len(chars) < len(original) else chars[: len(original)]
    else:
        new = _layout(original)(chars)
    if keep_case and not original.isupper() and any(c.islower() for c in original):
        new = "".join(n.lower() if o.islower() else n for o, n in zip(original, new, strict=False))
    return new


def fill_many(originals: Sequence[str], chars: Sequence[str], keep_case: bool = False) -> list[str]:
    """:func:`fill` of many ``(original, chars)`` pairs (one call for a column)."""
    out: list[str] = []
    append = out.append
    layout = _layout
    for original, new in zip(originals, chars, strict=True):
        if original.isalnum():
            size = len(original)
            new = new + original[len(new) :] if len(new) < size else new[:size]
        else:
            new = layout(original)(new)
        if keep_case and not original.isupper() and any(c.islower() for c in original):
            new = "".join(n.lower() if o.islower() else n for o, n in zip(original, new, strict=False))
        append(new)
    return out


def casefold(text: str) -> str:
    """Case- and width-insensitive form of a word (NFKC + casefold)."""
    if text.isascii():  # NFKC leaves ASCII alone, and its casefold is its lower case
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


def ascii_lines(texts: Sequence[str]) -> bytes | None:
    """The texts encoded at once, one per line (``None``: some text is not ASCII or holds a line
    break, or there is none). What a batch of short values is normalised from: a bytes method
    applied to the whole and ``split(b"\\n")`` make one step per batch of what was one per value."""
    joined = "\n".join(texts)
    if not texts or not joined.isascii() or joined.count("\n") != len(texts) - 1:
        return None
    return joined.encode()


def casefold_many(texts: Sequence[str]) -> list[str]:
    """:func:`casefold` of many texts (ASCII ones at once: their lower case)."""
    if "".join(texts).isascii():
        return list(map(str.lower, texts))
    return list(map(casefold, texts))


def collapse(text: str) -> str:
    return " ".join(casefold(text).split())


def normalise_words(text: str) -> str | None:
    collapsed = collapse(text)
    return collapsed if len(collapsed) >= 2 and any(c.isalpha() for c in collapsed) else None
