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

from .classify import KEEP, TEXT, Column, classify, classify_strings
from .composites import COMPOSITES
from .formats import KINDS, REDACTED
from .pause import gc_paused

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
    columns: list[Column | None] = field(default_factory=list)
    """Per column, what each value is (``None``: a column with nothing to replace)."""
    texts: dict[int, list[Leaf]] = field(default_factory=dict)
    """Position in ``rows`` → the leaves of a record with free text (its text is scrubbed per record)."""


@dataclass
class Batch:
    """What :func:`collect_many` found: groups of flat records, and the plans of the other records."""

    size: int
    groups: list[Group]
    plans: dict[int, Plan]


def collect_many(anonymiser: Anonymiser, records: Sequence[Any], *, register: bool = True) -> Batch:
    """Pass 1 over ``records`` (see :meth:`~.engine.Anonymiser.collect_many`).

    ``register=False``: only analyse them (pass 2 of a stream, whose values pass 1 registered).
    """
    with gc_paused():
        return _collect_many(anonymiser, records, register)


def _collect_many(anonymiser: Anonymiser, records: Sequence[Any], register: bool) -> Batch:
    analyse = anonymiser.collect if register else anonymiser.analyse
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
            plans[index] = analyse(record)
    groups: list[Group] = []
    for keys, rows in shapes.items():
        if all(k.__class__ is str for k in keys) and not any(anonymiser.key_is_personal(k) for k in keys):
            flat = _split_nested(records, rows)
            for index in sorted(set(rows) - set(flat)):
                plans[index] = analyse(records[index])
            if flat:
                groups.append(_collect_group(anonymiser, records, Group(keys, flat), register))
        else:
            for index in rows:
                plans[index] = analyse(records[index])
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


def _classified(anonymiser: Anonymiser, key: str, values: tuple[Any, ...]) -> Column | None:
    """What each value of one column is; ``None`` when nothing in it is personal or free text."""
    kinds = anonymiser.field_kinds((key,))
    if kinds is KEEP:
        return None
    if set(map(type, values)) == {str}:
        if kinds:
            return classify_strings(kinds, values)
        texts = {i: TEXT for i, v in enumerate(values) if v}
        return Column(values, None, [], texts) if texts else None
    others: dict[int, tuple[str, Any]] = {}
    for position, value in enumerate(values):
        if value.__class__ in _SKIPPED:
            continue
        found = classify(kinds, value) if kinds else None
        if found is not None:
            others[position] = found
        elif value.__class__ is str and value:
            others[position] = TEXT  # a string its field's kinds do not claim is free text
    return Column(values, None, [], others) if others else None


def _collect_group(anonymiser: Anonymiser, records: Sequence[Any], group: Group, register: bool) -> Group:
    table = anonymiser.table
    columns = _columns(records, group)
    norms: dict[str, list[str]] = {}
    text_rows: set[int] = set()
    for key, values in zip(group.keys, columns, strict=True):
        column = _classified(anonymiser, key, values)
        group.columns.append(column)
        if column is None:
            continue
        if column.kind is not None:
            norms.setdefault(column.kind, []).extend(filter(None, column.norms))
        for position, (kind, norm) in column.others.items():
            if kind in COMPOSITES:
                for piece in norm:
                    norms.setdefault(piece[2], []).append(piece[3])
            elif kind == "text":
                text_rows.add(position)
            elif kind != "secret":
                norms.setdefault(kind, []).append(norm)
    if register:
        for kind, kind_norms in norms.items():
            table.register_many(kind, kind_norms)
    paths: list[Path] = [(key,) for key in group.keys]
    for position in sorted(text_rows):
        leaves = [
            (path, entry[0], column.values[position], entry[1])
            for path, column in zip(paths, group.columns, strict=True)
            if column is not None and (entry := column.entry(position)) is not None
        ]
        group.texts[position] = leaves
        if register:
            anonymiser.collect_text(leaves, [])
    return group


def apply_many(anonymiser: Anonymiser, records: Sequence[Any], report: Report | None, batch: Batch) -> list[Any]:
    """Pass 2 over ``records`` (see :meth:`~.engine.Anonymiser.apply_many`)."""
    with gc_paused():
        return _apply_many(anonymiser, records, report, batch)


def _apply_many(anonymiser: Anonymiser, records: Sequence[Any], report: Report | None, batch: Batch) -> list[Any]:
    out: list[Any] = [None] * batch.size
    for index, plan_ in batch.plans.items():
        out[index] = anonymiser.apply(records[index], report, plan_)
    for group in batch.groups:
        columns = _columns(records, group)
        new_columns: list[Sequence[Any]] = []
        for key, values, column in zip(group.keys, columns, group.columns, strict=True):
            new_columns.append(values if column is None else _render_column(anonymiser, key, column, report))
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


def _render_column(anonymiser: Anonymiser, key: str, column: Column, report: Report | None) -> list[Any]:
    """The column with its structured values replaced (free text is left for the per-record pass)."""
    table = anonymiser.table
    path: Path = (key,)
    values, kind, norms = column.values, column.kind, column.norms
    counts: Counter[str] = Counter()
    new: list[Any]
    if kind is not None:
        # The main kind: looked up and rendered for the whole column at once.
        render = KINDS[kind].render
        if None not in norms:
            new = list(map(render, values, table.lookup_many(kind, norms)))  # type: ignore[arg-type]
            counts[kind] = len(new)
        else:
            present = [n for n in norms if n is not None]
            pseudonyms = iter(table.lookup_many(kind, present))
            new = [v if n is None else render(v, next(pseudonyms)) for v, n in zip(values, norms, strict=True)]
            counts[kind] = len(present)
    else:
        new = list(values)
    # Strings of simple kinds, and composites of one whole-value piece, are looked up per kind at once.
    buckets: dict[str, tuple[list[int], list[str]]] = {}
    for position, (kind, norm) in column.others.items():
        if kind == "text":
            continue
        if kind == "secret":
            new[position] = REDACTED
            counts["secret"] += 1
            continue
        value = values[position]
        if value.__class__ is str:
            if kind not in COMPOSITES:
                bucket = buckets.setdefault(kind, ([], []))
                bucket[0].append(position)
                bucket[1].append(norm)
                continue
            if len(norm) == 1 and norm[0][0] == 0 and norm[0][1] == len(value):
                bucket = buckets.setdefault(norm[0][2], ([], []))
                bucket[0].append(position)
                bucket[1].append(norm[0][3])
                continue
        if kind in COMPOSITES:
            counts.update(piece[2] for piece in norm)
        else:
            counts[kind] += 1
        new[position] = anonymiser.render(kind, value, norm)
    for kind, (positions, kind_norms) in buckets.items():
        render = KINDS[kind].render
        for position, pseudonym in zip(positions, table.lookup_many(kind, kind_norms), strict=True):
            new[position] = render(values[position], pseudonym)
        counts[kind] += len(positions)
    if report is not None:
        for kind, n in counts.items():
            anonymiser.count(report, path, kind, n)
    return new
