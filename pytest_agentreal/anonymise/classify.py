"""What a value is, given the kinds its field's name suggests: one value, or a whole column at once.

:func:`classify` is the reference; :func:`classify_column` gives the same answer for every value of
a column, but does the common cases (a column of strings of one kind, one-word names) without a
Python-level dispatch per value.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from typing import Any

from .composites import COMPOSITES, STOPWORDS
from .formats import KINDS
from .formats.kinds import never_safe

Found = tuple[str, Any] | None
"""``(kind, norm)`` of a structured value (a composite's norm is its pieces); ``None``: not one."""
Piece = tuple[int, int, str, str]
"""``(start, end, kind, norm)`` of one piece of a composite value."""

TEXT: tuple[str, None] = ("text", None)
"""A column entry for free text: a string the field's kinds do not claim."""

KEEP: tuple[str, ...] = ("keep",)
"""The kinds of a field the user keeps as it is (``--keep``)."""

STRUCTURED_TYPES = (str, int, _dt.date)


def classify(kinds: tuple[str, ...], value: Any) -> Found:
    """``(kind, norm)`` of a value in a field whose name suggests ``kinds`` (``None``: not one)."""
    for kind in kinds:
        if kind == "secret":
            return ("secret", None) if value != "" else None
        if not isinstance(value, STRUCTURED_TYPES):
            return None
        split = COMPOSITES.get(kind)
        if split is not None:
            pieces = composite_pieces(split, value) if value.__class__ is str else ()
            if pieces:
                return (kind, pieces)
            continue
        if isinstance(value, _dt.date):
            if kind != "dob":
                continue
            norm: str | None = value.isoformat()[:10]
        else:
            norm = KINDS[kind].normalise(str(value))
        if norm is not None:
            return None if KINDS[kind].safe(norm) else (kind, norm)
    return None


def composite_pieces(split: Callable[[str], list[tuple[int, int, str]]], value: str) -> tuple[Piece, ...]:
    """The personal pieces of a composite value, each with its norm."""
    pieces = []
    for start, end, kind in split(value):
        spec = KINDS[kind]
        norm = spec.normalise(value[start:end])
        if norm is not None and not spec.safe(norm):
            pieces.append((start, end, kind, norm))
    return tuple(pieces)


def classify_column(kinds: tuple[str, ...], values: Sequence[str]) -> list[Found]:
    """``[classify(kinds, v) for v in values]`` for a column of strings, without a dispatch per value."""
    first, rest = kinds[0], kinds[1:]
    if first == "secret":
        return [("secret", None) if v != "" else None for v in values]
    fast = _FIRST_KIND.get(first)
    if fast is not None:
        return fast(kinds, values)
    if first in COMPOSITES:
        return [classify(kinds, v) for v in values]
    spec = KINDS[first]
    norms = list(map(spec.normalise, values))
    if spec.safe is never_safe and not rest:
        return [None if n is None else (first, n) for n in norms]
    safe = spec.safe
    out: list[Found] = []
    for value, norm in zip(values, norms, strict=True):
        if norm is None:
            out.append(classify(rest, value) if rest else None)
        else:
            out.append(None if safe(norm) else (first, norm))
    return out


def _names(kinds: tuple[str, ...], values: Sequence[str]) -> list[Found]:
    # One ASCII word (first_name, last_name): the word is the one piece, its lower case the norm —
    # what name_pieces and the name kind's normalise give, without calling them.
    out: list[Found] = []
    for value in values:
        if value.isalpha() and value.isascii() and len(value) >= 2:
            norm = value.lower()
            if norm not in STOPWORDS:
                out.append(("name", ((0, len(value), "name", norm),)))
                continue
        out.append(classify(kinds, value))
    return out


_FIRST_KIND: dict[str, Callable[[tuple[str, ...], Sequence[str]], list[Found]]] = {"name": _names}
"""Column classifiers for fields whose first kind is the key (same results as :func:`classify`)."""


def single_pieces(found: Sequence[Found], values: Sequence[str], kind: str) -> list[str] | None:
    """The norms when every entry is ``kind`` with one piece that is the whole value, else ``None``."""
    norms: list[str] = []
    append = norms.append
    for entry, value in zip(found, values, strict=True):
        if entry is None or entry[0] != kind:
            return None
        pieces = entry[1]
        if len(pieces) != 1 or pieces[0][0] != 0 or pieces[0][1] != len(value):
            return None
        append(pieces[0][3])
    return norms
