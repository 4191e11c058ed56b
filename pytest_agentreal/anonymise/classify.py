"""What a value is, given the kinds its field's name suggests: one value, or a whole column at once.

:func:`classify` is the reference; :func:`classify_column` gives the same answer for every value of
a column, but does the common cases (a column of strings of one kind, one-word names) without a
Python-level dispatch per value.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(slots=True)
class Column:
    """What each value of a column is: most often one main kind, with a few others.

    ``norms[i]`` is the norm of ``values[i]`` when it is of the main ``kind`` (a simple kind, or for
    ``"name"`` one word that is the one piece of its composite); otherwise ``others`` says what it is
    (:data:`TEXT` for free text; absent: nothing to replace).
    """

    values: Sequence[Any]
    kind: str | None
    norms: list[str | None]
    others: dict[int, tuple[str, Any]]
    _present: list[str] | None = None

    def present(self) -> list[str]:
        """The norms of the main kind's values, ``None`` left out (made once: the same list each
        time, so the table can tell it registered this very list)."""
        if self._present is None:
            norms = self.norms
            self._present = norms if None not in norms else [n for n in norms if n is not None]  # type: ignore[assignment]
        return self._present  # type: ignore[return-value]  # set just above

    def entry(self, position: int) -> Found:
        """What ``values[position]`` is, as :func:`classify` says (with :data:`TEXT` for free text)."""
        norm = self.norms[position] if self.norms else None
        if norm is None:
            return self.others.get(position)
        kind = self.kind or ""
        if kind in COMPOSITES:
            return (kind, ((0, len(self.values[position]), kind, norm),))
        return (kind, norm)


def classify_strings(kinds: tuple[str, ...], values: Sequence[str]) -> Column:
    """:func:`classify` of every value of a column of strings, without a dispatch per value.

    Non-empty strings that the kinds do not claim are :data:`TEXT`.
    """
    first, rest = kinds[0], kinds[1:]
    norms: list[str | None]
    if first == "name":
        # One ASCII word (first_name, last_name): the word is the one piece, its lower case the
        # norm — what name_pieces and the name kind's normalise give, without calling them.
        if all(map(str.isalpha, values)) and all(map(str.isascii, values)) and min(map(len, values), default=0) >= 2:
            norms = [v.lower() for v in values]
        else:
            norms = [v.lower() if v.isalpha() and v.isascii() and len(v) >= 2 else None for v in values]
        if not STOPWORDS.isdisjoint(norms):
            norms = [None if n in STOPWORDS else n for n in norms]
        return _with_others(Column(values, first, norms, {}), kinds, rest=kinds)
    if first == "secret" or first in COMPOSITES:
        return _with_others(Column(values, None, [], {}), kinds, rest=kinds)
    spec = KINDS[first]
    norms = spec.normalise_many(values) if spec.normalise_many is not None else list(map(spec.normalise, values))
    safe = spec.safe
    column = Column(values, first, norms, {})
    present = norms if None not in norms else [n for n in norms if n is not None]
    if (
        safe is not never_safe
        and (spec.may_be_safe is None or spec.may_be_safe(present))  # type: ignore[arg-type]  # no None
        and any(map(safe, present))  # type: ignore[arg-type]  # no None
    ):
        for position, norm in enumerate(norms):
            if norm is not None and safe(norm):
                # classify stops at the first kind that parses the value: a safe value is text.
                norms[position] = None
                column.others[position] = TEXT
    return _with_others(column, kinds, rest)


def _with_others(column: Column, kinds: tuple[str, ...], rest: tuple[str, ...]) -> Column:
    """Fill ``others`` for the values not of the main kind (classified by the ``rest`` of the kinds)."""
    norms, others, values = column.norms, column.others, column.values
    if norms and not others and None not in norms:  # every value of the main kind
        return column
    positions = range(len(values)) if not norms else [i for i, n in enumerate(norms) if n is None]
    for position in positions:
        if position in others:
            continue
        value = values[position]
        found = classify(rest, value) if rest else None
        if found is not None:
            others[position] = found
        elif value:
            others[position] = TEXT
    return column
