"""Many records at once: flat records (one level of keys) are anonymised column by column.

Exports are mostly flat (CSV rows, JSON lines of one object): records with the same keys form a
group, each key a column, and a column's values are classified, registered, looked up and rendered
together — the same work as the record-by-record passes of :class:`~.engine.Anonymiser`, with the
same results, but with one dispatch per column instead of one per value. Records that are not flat
(nested objects, lists, personal-looking keys) go through the record-by-record passes; so does the
free text of a flat record, with the record's structured values (found column-wise) as its context.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .classify import KEEP, TEXT, Found, classify, classify_column, single_pieces
from .composites import COMPOSITES
from .formats import KINDS, REDACTED

if TYPE_CHECKING:
    from .engine import Anonymiser, Leaf, Path, Plan
    from .report import Report

_SKIPPED = (type(None), bool, float)
_NESTED = (dict, list)


@dataclass
class Group:
    """Flat records with the same keys, in the same order."""

    keys: tuple[str, ...]
    rows: list[int]
    """Indices of the group's records in the batch."""
    found: list[list[Found] | None] = field(default_factory=list)
    """Per column, what each value is (``None``: a column with nothing to replace)."""
    texts: dict[int, list[Leaf]] = field(default_factory=dict)
    """Position in ``rows`` → the leaves of a record with free text (its text is scrubbed per record)."""


@dataclass
class Batch:
    """What :func:`collect_many` found: groups of flat records, and the plans of the other records."""

    size: int
    groups: list[Group]
    plans: dict[int, Plan]


def collect_many(anonymiser: Anonymiser, records: Sequence[Any]) -> Batch:
    """Pass 1 over ``records`` (see :meth:`~.engine.Anonymiser.collect_many`)."""
    shapes: dict[tuple[Any, ...], list[int]] = {}
    plans: dict[int, Plan] = {}
    for index, record in enumerate(records):
        if record.__class__ is dict and record:
            keys = tuple(record)
            rows = shapes.get(keys)
            if rows is None:
                shapes[keys] = [index]
            else:
                rows.append(index)
        else:
            plans[index] = anonymiser.collect(record)
    groups: list[Group] = []
    for keys, rows in shapes.items():
        if all(k.__class__ is str for k in keys) and not any(anonymiser.key_is_personal(k) for k in keys):
            flat = _split_nested(records, rows)
            for index in sorted(set(rows) - set(flat)):
                plans[index] = anonymiser.collect(records[index])
            if flat:
                groups.append(_collect_group(anonymiser, records, Group(keys, flat)))
        else:
            for index in rows:
                plans[index] = anonymiser.collect(records[index])
    return Batch(len(records), groups, plans)


def _split_nested(records: Sequence[Any], rows: list[int]) -> list[int]:
    """The rows whose values are all scalars."""
    columns = list(zip(*[records[i].values() for i in rows], strict=True))
    nested: set[int] = set()
    for column in columns:
        types = set(map(type, column))
        if dict in types or list in types:
            nested.update(rows[p] for p, v in enumerate(column) if v.__class__ in _NESTED)
    return [i for i in rows if i not in nested] if nested else rows


def _columns(records: Sequence[Any], group: Group) -> list[tuple[Any, ...]]:
    return list(zip(*[records[i].values() for i in group.rows], strict=True))


def _classified(anonymiser: Anonymiser, key: str, column: tuple[Any, ...]) -> list[Found] | None:
    """What each value of one column is; ``None`` when nothing in it is personal or free text."""
    kinds = anonymiser.field_kinds((key,))
    if kinds is KEEP:
        return None
    types = set(map(type, column))
    found: list[Found]
    if types == {str}:
        if not kinds:
            return [TEXT if v else None for v in column] if any(column) else None
        found = classify_column(kinds, column)
        # A string its field's kinds do not claim is free text (scrubbed like any other).
        return [f if f is not None else TEXT if v else None for f, v in zip(found, column, strict=True)]
    found = []
    for value in column:
        if value.__class__ in _SKIPPED:
            found.append(None)
            continue
        entry = classify(kinds, value) if kinds else None
        found.append(entry if entry is not None else TEXT if value.__class__ is str and value else None)
    return found if any(f is not None for f in found) else None


def _collect_group(anonymiser: Anonymiser, records: Sequence[Any], group: Group) -> Group:
    table = anonymiser.table
    columns = _columns(records, group)
    norms: dict[str, list[str]] = {}
    text_rows: set[int] = set()
    for key, column in zip(group.keys, columns, strict=True):
        found = _classified(anonymiser, key, column)
        group.found.append(found)
        if found is None:
            continue
        for position, entry in enumerate(found):
            if entry is None:
                continue
            kind, norm = entry
            if kind in COMPOSITES:
                for piece in norm:
                    norms.setdefault(piece[2], []).append(piece[3])
            elif kind == "text":
                text_rows.add(position)
            elif kind != "secret":
                norms.setdefault(kind, []).append(norm)
    for kind, values in norms.items():
        table.register_many(kind, values)
    paths: list[Path] = [(key,) for key in group.keys]
    for position in sorted(text_rows):
        leaves = [
            (path, entry[0], column[position], entry[1])
            for path, found, column in zip(paths, group.found, columns, strict=True)
            if found is not None and (entry := found[position]) is not None
        ]
        group.texts[position] = leaves
        anonymiser.collect_text(leaves, [])
    return group


def apply_many(anonymiser: Anonymiser, records: Sequence[Any], report: Report | None, batch: Batch) -> list[Any]:
    """Pass 2 over ``records`` (see :meth:`~.engine.Anonymiser.apply_many`)."""
    out: list[Any] = [None] * batch.size
    for index, plan_ in batch.plans.items():
        out[index] = anonymiser.apply(records[index], report, plan_)
    for group in batch.groups:
        columns = _columns(records, group)
        new_columns: list[Sequence[Any]] = []
        for key, column, found in zip(group.keys, columns, group.found, strict=True):
            new_columns.append(column if found is None else _render_column(anonymiser, key, column, found, report))
        if group.texts:
            index_of = {key: i for i, key in enumerate(group.keys)}
            for position, leaves in group.texts.items():
                texts, _ = anonymiser.apply_text(leaves, [], report)
                for path, text in texts.items():
                    new_columns[index_of[path[0]]][position] = text  # type: ignore[index]
        if report is not None:
            report.records += len(group.rows)
        keys = group.keys
        for index, row in zip(group.rows, zip(*new_columns, strict=True), strict=True):
            out[index] = dict(zip(keys, row, strict=True))
    return out


def _render_column(
    anonymiser: Anonymiser, key: str, column: tuple[Any, ...], found: list[Found], report: Report | None
) -> list[Any]:
    """The column with its structured values replaced (free text is left for the per-record pass)."""
    table = anonymiser.table
    path: Path = (key,)
    first = found[0]
    kind = first[0] if first is not None else ""
    spec = KINDS.get(kind) if kind not in COMPOSITES else None  # "name" is both: a composite here
    if spec is not None and all(f is not None and f[0] == kind for f in found) and set(map(type, column)) == {str}:
        # One simple kind, all strings: look up and render the whole column at once.
        canonical = table.lookup_many(kind, [f[1] for f in found])  # type: ignore[index]
        if report is not None:
            anonymiser.count(report, path, kind, len(column))
        return list(map(spec.render, column, canonical))
    if kind in COMPOSITES and (norms := single_pieces(found, column, kind)) is not None:
        # Composites of one piece each (one-word names): the piece is the value.
        piece_kind = first[1][0][2]  # type: ignore[index]
        if all(f[1][0][2] == piece_kind for f in found):  # type: ignore[index]
            canonical = table.lookup_many(piece_kind, norms)
            if report is not None:
                anonymiser.count(report, path, piece_kind, len(column))
            return list(map(KINDS[piece_kind].render, column, canonical))
    counts: Counter[str] = Counter()
    new = list(column)
    for position, entry in enumerate(found):
        if entry is None or entry[0] == "text":
            continue
        kind, norm = entry
        value = column[position]
        if kind == "secret":
            new[position] = REDACTED
            counts["secret"] += 1
            continue
        if kind in COMPOSITES:
            counts.update(piece[2] for piece in norm)
        else:
            counts[kind] += 1
        new[position] = anonymiser.render(kind, value, norm)
    if report is not None:
        for kind, n in counts.items():
            anonymiser.count(report, path, kind, n)
    return new
