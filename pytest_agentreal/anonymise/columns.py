"""Many records at once: flat records (one level of keys) are anonymised column by column.

Exports are mostly flat (CSV rows, JSON lines of one object): records with the same keys form a
group, each key a column, and a column's values are classified, registered, looked up and rendered
together — the same work as the record-by-record passes of :class:`~.engine.Anonymiser`, with the
same results, but with one dispatch per column instead of one per value. Records that are not flat
(nested objects, lists, personal-looking keys) go through the record-by-record passes; so does the
free text of a flat record, with the record's structured values (found column-wise) as its context.

Large batches use the machine's cores (:mod:`.parallel`): columns are classified and rendered in
forked processes, and :func:`resolve_and_render` resolves each kind together with rendering its
columns. Only pure work is shared, so the results are the same in one process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import is_, itemgetter
from typing import TYPE_CHECKING, Any, Literal

from .classify import KEEP, TEXT, Column, classify, classify_strings
from .composites import COMPOSITES
from .formats import KINDS, REDACTED, Kind
from .parallel import MAX_SHARED, in_child, split_map, strings
from .pause import gc_paused
from .pseudonyms import Unresolved
from .resolve import Settled

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
    values: list[list[Any]] = field(default_factory=list)
    """Per column, its values (in the order of ``rows``)."""


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
    unsorted = records
    first = tuple(records[0]) if records and records[0].__class__ is dict else ()
    if first and set(map(type, records)) == {dict} and all(map(first.__eq__, map(tuple, records))):
        shapes[first] = list(range(len(records)))  # an export's usual shape: one set of keys (found in C)
        unsorted = ()
    for index, record in enumerate(unsorted):
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
            groups.append(Group(keys, rows, values=_columns(records, rows, keys)))
        else:
            for index in rows:
                plans[index] = analyse(records[index])
    # Records with nested values (found while classifying) go through the record-by-record pass.
    for index in _classify_groups(anonymiser, records, groups):
        plans[index] = analyse(records[index])
    for group in groups:
        _collect_group(anonymiser, group, register)
    return Batch(len(records), groups, plans)


def _classify_groups(anonymiser: Anonymiser, records: Sequence[Any], groups: list[Group]) -> list[int]:
    """Fill every group's columns; the columns are classified on several cores at once, in pieces
    (what a value is depends on it alone): the processes end their share at about the same time.

    Returns the records with nested values (objects, lists), left out of their groups (a group
    left without records is removed)."""
    minimum = _minimum(len(records))
    columns = sum(len(group.keys) for group in groups)
    # Pieces only while the tasks stay few enough to be shared (very wide records: one per column).
    pieces = max(1, min(_PIECES, MAX_SHARED // max(columns, 1))) if minimum is None else 1
    tasks: list[_Piece] = []
    for group in groups:
        for key, values in zip(group.keys, group.values, strict=True):
            kinds = anonymiser.field_kinds((key,))
            step = -(-len(values) // pieces)
            tasks.extend((key, kinds, values, start, start + step) for start in range(0, len(values), step))
    weights = [0.0 if kinds is KEEP else float(end - start) for _key, kinds, _values, start, end in tasks]
    # Only what the column is travels back, not its values (the parent has them).
    found = split_map(_classified_piece, tasks, weights, minimum=minimum)
    position = 0
    nested: list[int] = []
    for number, group in enumerate(groups):
        entries: list[_Classified | _Nested] = []
        for key, column_values in zip(group.keys, group.values, strict=True):
            count = 0
            while position + count < len(tasks) and tasks[position + count][2] is column_values:
                count += 1
            entry = _joined(found[position : position + count], tasks[position : position + count])
            if entry is False:  # pieces of different makes (mixed types): the column at once
                entry = _classified((key, tasks[position][1], column_values))
            entries.append(entry)
            position += count
        if any(isinstance(entry, _Nested) for entry in entries):
            # Nested values somewhere (rare): those records leave, the rest is classified again.
            flat, _ = _split_nested(records, group.rows, group.keys)
            nested.extend(sorted(set(group.rows) - set(flat)))
            groups[number] = Group(group.keys, flat, values=_columns(records, flat, group.keys)) if flat else group
            if flat:
                _classify_groups(anonymiser, records, [groups[number]])
            continue
        for column_values, entry in zip(group.values, entries, strict=True):
            if entry is None:
                group.columns.append(None)
            else:
                norms = entry[1]  # type: ignore[index]  # no _Nested here
                if isinstance(norms, _SameAsValues):
                    norms = list(column_values)
                group.columns.append(Column(column_values, entry[0], norms, entry[2]))  # type: ignore[index]
    groups[:] = [group for group in groups if group.columns]
    return nested


_PIECES = 4
"""Pieces each column is classified in when the work is shared among processes."""

_Piece = tuple[str, tuple[str, ...], Sequence[Any], int, int]
"""``(key, kinds, values, start, end)``: ``values[start:end]`` of one column to classify."""
_Classified = tuple[str | None, "list[str | None] | _SameAsValues", dict[int, tuple[str, Any]]] | None
"""``(main kind, norms, others)`` of a column (see :func:`_classified`)."""


def _classified_piece(task: _Piece) -> _Classified | _Nested:
    key, kinds, values, start, end = task
    return _classified((key, kinds, values[start:end] if start or end < len(values) else values))


def _joined(
    found: Sequence[_Classified | _Nested], pieces: Sequence[_Piece]
) -> _Classified | _Nested | Literal[False]:
    """The classification of a whole column from that of its pieces; ``False``: they do not join
    (one piece of the column's main kind, another of mixed types)."""
    if len(found) == 1:
        return found[0]
    present = [entry for entry in found if entry is not None]
    if not all(isinstance(entry, tuple) for entry in present):
        return _NESTED_VALUES
    entries: list[_Classified] = found  # type: ignore[assignment]  # none is _Nested
    if not present:
        return None
    kinds = {entry[0] for entry in present}  # type: ignore[index]  # none is _Nested
    if len(kinds) != 1 or (None not in kinds and len(present) != len(found)):
        return False
    norms: list[str | None] = []
    others: dict[int, tuple[str, Any]] = {}
    for entry, (_key, _kinds, values, start, end) in zip(entries, pieces, strict=True):
        if entry is None:
            continue
        if isinstance(entry[1], _SameAsValues):
            norms.extend(values[start:end])
        else:
            norms.extend(entry[1])
        others.update({start + position: what for position, what in entry[2].items()})
    return next(iter(kinds)), norms, others


class _SameAsValues:
    """What a child sends for a column whose norms equal its values (pickled by name: the same
    object in every process)."""

    def __reduce__(self) -> str:
        return "_SAME_AS_VALUES"


_SAME_AS_VALUES = _SameAsValues()


class _Nested:
    """What a piece of a column with nested values (objects, lists) classifies as."""

    def __reduce__(self) -> str:
        return "_NESTED_VALUES"


_NESTED_VALUES = _Nested()


_PARALLEL_ROWS = 16_384
"""Smaller batches stay in one process: a streamed file's chunks (4,096 records) would each pay
for a fork (and a copy of every page the two processes touch) for little work."""


def _minimum(rows: int) -> float | None:
    return None if rows >= _PARALLEL_ROWS else float("inf")


def _split_nested(
    records: Sequence[Any], rows: list[int], keys: tuple[str, ...]
) -> tuple[list[int], list[list[Any]]]:
    """The rows whose values are all scalars, and their columns (empty when some rows were not)."""
    columns = _columns(records, rows, keys)
    nested: set[int] = set()
    for column in columns:
        types = set(map(type, column))
        if dict in types or list in types:
            nested.update(rows[p] for p, v in enumerate(column) if v.__class__ in _NESTED)
    return ([i for i in rows if i not in nested], []) if nested else (rows, columns)


def _columns(records: Sequence[Any], rows: list[int], keys: tuple[str, ...]) -> list[list[Any]]:
    """The values of each key in the records at ``rows`` (one C-level pass per key: faster than
    transposing the records' values, which makes a tuple per record)."""
    selected = records if len(rows) == len(records) else [records[i] for i in rows]  # rows are in order
    return [list(map(itemgetter(key), selected)) for key in keys]


def _classified(
    task: tuple[str, tuple[str, ...], Sequence[Any]],
) -> _Classified | _Nested:
    """What each value of one column is: ``(main kind, norms, others)`` of its :class:`Column`
    (norms: :data:`_SAME_AS_VALUES` when they are the values); ``None`` when nothing in it is
    personal or free text; :data:`_NESTED_VALUES` when some value is an object or a list."""
    _key, kinds, values = task
    types = set(map(type, values))
    if dict in types or list in types:
        return _NESTED_VALUES
    if kinds is KEEP:
        return None
    if types == {str}:
        if kinds:
            column = classify_strings(kinds, values)
            if not in_child():
                return column.kind, column.norms, column.others
            # Norms that are the values themselves (compact IBANs, ISO dates, …) need not travel.
            norms = _SAME_AS_VALUES if column.norms == values else strings(column.norms)
            return column.kind, norms, column.others
        texts = {i: TEXT for i, v in enumerate(values) if v}
        return (None, [], texts) if texts else None
    others: dict[int, tuple[str, Any]] = {}
    for position, value in enumerate(values):
        if value.__class__ in _SKIPPED:
            continue
        found = classify(kinds, value) if kinds else None
        if found is not None:
            others[position] = found
        elif value.__class__ is str and value:
            others[position] = TEXT  # a string its field's kinds do not claim is free text
    return (None, [], others) if others else None


def _collect_group(anonymiser: Anonymiser, group: Group, register: bool) -> None:
    """Register a classified group's values, and note (and collect) its records with free text."""
    table = anonymiser.table
    text_rows: set[int] = set()
    for column in group.columns:
        if column is None:
            continue
        if column.kind is not None and register:
            table.register_many(column.kind, column.present())
        others: dict[str, list[str]] = {}
        for position, (kind, norm) in column.others.items():
            if kind in COMPOSITES:
                for piece in norm:
                    others.setdefault(piece[2], []).append(piece[3])
            elif kind == "text":
                text_rows.add(position)
            elif kind != "secret":
                others.setdefault(kind, []).append(norm)
        if register:
            for kind, kind_norms in others.items():
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


Rendered = tuple[list[Any], Counter[str]]
"""A column with its structured values replaced, and how many of each kind."""


def resolve_and_render(anonymiser: Anonymiser, batch: Batch) -> dict[int, Rendered]:
    """Resolve the table, and render the columns of one kind (free text aside) with it, kind by kind on
    several cores at once (what :meth:`~.engine.Anonymiser.resolve` and :func:`apply_many` do,
    with one fork instead of two). Returns the rendered columns by ``id`` of their :class:`Column`."""
    table = anonymiser.table
    by_kind: dict[str, list[Column]] = {}
    rows = 0
    for group in batch.groups:
        rows += len(group.rows)
        for column in group.columns:
            # Free text among them is scrubbed later, per record: their own kind is all they need.
            if column is not None and column.kind is not None and all(e[0] == "text" for e in column.others.values()):
                by_kind.setdefault(column.kind, []).append(column)
    pending = table.pending()
    kinds = list(dict.fromkeys([*pending, *by_kind]))
    weights = [
        pending.get(k, 0) * KINDS[k].cost + _RENDER_COST * sum(len(c.values) for c in by_kind.get(k, ())) for k in kinds
    ]

    def task(kind: str) -> tuple[Settled | None, list[Rendered | _Slice | None], bool]:
        columns = by_kind.get(kind, [])
        # Here for real, or in a child for its own lookups. Columns of new values only, in the
        # order they were registered, get their pseudonyms as they are (no lookups).
        settled, aligned = table.resolve_aligned(kind, [c.present() for c in columns])
        out: list[Rendered | _Slice | None] = []
        render_many = _render_many(KINDS[kind])
        start = 0
        for index, column in enumerate(columns):
            if aligned is not None:
                complete = len(column.values) == len(aligned[index])
                values = column.values if complete else _of_main_kind(column)
                new = render_many(values, aligned[index])
                counts = Counter({kind: len(new)})
                if in_child() and all(map(is_, new, aligned[index])):
                    # Written as canonical (most layouts): the pseudonyms travel once, in settled.
                    out.append(_Slice(start, start + len(new), counts))
                else:
                    out.append((strings(new) if in_child() else new, counts))  # spread below
                start += len(new)
                continue
            try:
                with table.frozen():
                    new, counts = _render_column((anonymiser, column))
                out.append((strings(new) if in_child() else new, counts))
            except Unresolved:  # not resolved with its kind: rendered with the others, later
                out.append(None)
        return settled, out, not in_child()

    with gc_paused():
        results = split_map(task, kinds, weights, minimum=_minimum(rows))
        for settled, _, applied in results:
            if settled is not None and not applied:
                table.apply_settled(settled)
    table.resolve()  # whatever else waits (nothing, when every kind was pending above)
    out: dict[int, Rendered] = {}
    for kind, (settled, rendered, _) in zip(kinds, results, strict=True):
        for column, done in zip(by_kind.get(kind, ()), rendered, strict=True):
            if isinstance(done, _Slice):
                new = settled.pseudonyms[done.start : done.end]  # type: ignore[union-attr]
                out[id(column)] = _spread(column, new, done.counts)
            elif done is not None:
                out[id(column)] = _spread(column, *done)
    return out


@dataclass(frozen=True)
class _Slice:
    """A rendered column that is its kind's pseudonyms ``[start:end]`` as they were resolved
    (for its values of the main kind only, when others are among them)."""

    start: int
    end: int
    counts: Counter[str]


def _of_main_kind(column: Column) -> list[Any]:
    """The column's values of its main kind (those with a norm)."""
    return [value for value, norm in zip(column.values, column.norms, strict=True) if norm is not None]


def _spread(column: Column, new: list[Any], counts: Counter[str]) -> Rendered:
    """A column rendered from ``new``: the replacements of its values of the main kind, in order
    (the others, free text, stay as they are here)."""
    if len(new) == len(column.values):
        return new, counts
    replacements = iter(new)
    pairs = zip(column.values, column.norms, strict=True)
    return [value if norm is None else next(replacements) for value, norm in pairs], counts


_RENDER_COST = 0.3
"""Work of rendering a value relative to resolving one (a hint for sharing work)."""


def apply_many(
    anonymiser: Anonymiser,
    records: Sequence[Any],
    report: Report | None,
    batch: Batch,
    rendered: dict[int, Rendered] | None = None,
) -> list[Any]:
    """Pass 2 over ``records`` (see :meth:`~.engine.Anonymiser.apply_many`); ``rendered``: the
    columns :func:`resolve_and_render` rendered already."""
    with gc_paused():
        return _apply_many(anonymiser, records, report, batch, rendered or {})


def _apply_many(
    anonymiser: Anonymiser, records: Sequence[Any], report: Report | None, batch: Batch, done: dict[int, Rendered]
) -> list[Any]:
    out: list[Any] = [None] * batch.size
    for index, plan_ in batch.plans.items():
        out[index] = anonymiser.apply(records[index], report, plan_)
    table = anonymiser.table
    present = [column for group in batch.groups for column in group.columns if column is not None]
    tasks = [(anonymiser, column) for column in present if id(column) not in done]
    weights = [float(len(column.values)) for _, column in tasks]
    try:
        # Rendering is pure once every value is resolved: columns on several cores at once.
        with table.frozen():
            rendered = split_map(_render_column, tasks, weights, minimum=_minimum(len(records)))
    except Unresolved:  # a value pass 1 did not register: one by one, resolving on demand
        rendered = [_render_column(task) for task in tasks]
    done = {**done, **{id(task[1]): result for task, result in zip(tasks, rendered, strict=True)}}
    for finished in present:
        for kind, norms in _looked_up(finished):
            table.note_emitted(kind, norms)
    for group in batch.groups:
        new_columns: list[Sequence[Any]] = []
        for key, values, column in zip(group.keys, group.values, group.columns, strict=True):
            if column is None:
                new_columns.append(values)
                continue
            new, counts = done[id(column)]
            new_columns.append(new)
            if report is not None:
                for kind, n in counts.items():
                    anonymiser.count(report, (key,), kind, n)
        if group.texts:
            index_of = {key: i for i, key in enumerate(group.keys)}
            for position, leaves in group.texts.items():
                texts, _ = anonymiser.apply_text(leaves, [], report)
                for path, text in texts.items():
                    new_columns[index_of[path[0]]][position] = text  # type: ignore[index]
        if report is not None:
            report.records += len(group.rows)
        made = map(_row_maker(group.keys), *new_columns)
        if len(group.rows) == batch.size:  # every record is in this group: they are the output
            return list(made)
        for index, row in zip(group.rows, made, strict=True):
            out[index] = row
    return out


def _row_maker(keys: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """``(v0, v1, …) -> {keys[0]: v0, keys[1]: v1, …}``: one dict display per row (~40% faster
    than ``dict(zip(keys, row))``, and no tuple per row)."""
    return _row_maker_of_width(len(keys))(*keys)


@lru_cache(maxsize=64)
def _row_maker_of_width(width: int) -> Callable[..., Callable[..., dict[str, Any]]]:
    # The code is made of numbered names only: the keys are arguments, never part of it.
    values = ", ".join(f"v{i}" for i in range(width))
    body = ", ".join(f"k{i}: v{i}" for i in range(width))
    keys = ", ".join(f"k{i}" for i in range(width))
    namespace: dict[str, Any] = {}
    exec(f"def make({keys}):\n    def row({values}):\n        return {{{body}}}\n    return row", namespace)
    return namespace["make"]  # type: ignore[no-any-return]


def _render_column(task: tuple[Anonymiser, Column]) -> tuple[list[Any], Counter[str]]:
    """The column with its structured values replaced (free text is left for the per-record pass),
    and how many of each kind. Pure: nothing is noted as written (see :func:`_looked_up`)."""
    anonymiser, column = task
    lookup_many = anonymiser.table.lookup_many
    values, kind, norms = column.values, column.kind, column.norms
    counts: Counter[str] = Counter()
    new: list[Any]
    if kind is not None:
        # The main kind: looked up and rendered for the whole column at once.
        render = KINDS[kind].render
        if None not in norms:
            new = _render_many(KINDS[kind])(values, lookup_many(kind, norms, note=False))  # type: ignore[arg-type]
            counts[kind] = len(new)
        else:
            present = column.present()
            pseudonyms = iter(lookup_many(kind, present, note=False))
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
        new[position] = anonymiser.render(kind, value, norm, note=False)
    for kind, (positions, kind_norms) in buckets.items():
        render = KINDS[kind].render
        for position, pseudonym in zip(positions, lookup_many(kind, kind_norms, note=False), strict=True):
            new[position] = render(values[position], pseudonym)
        counts[kind] += len(positions)
    return new, counts


def _render_many(spec: Kind) -> Callable[[Sequence[str], Sequence[str]], list[str]]:
    """``render`` of a column's strings and their pseudonyms, at once where the kind can."""
    if spec.render_many is not None:
        return spec.render_many
    render = spec.render
    return lambda values, pseudonyms: list(map(render, values, pseudonyms))


def _looked_up(column: Column) -> list[tuple[str, Sequence[str]]]:
    """``(kind, norms)`` that :func:`_render_column` looked up for ``column`` (noted as written)."""
    out: list[tuple[str, Sequence[str]]] = []
    if column.kind is not None:
        out.append((column.kind, column.present()))
    for kind, norm in column.others.values():
        if kind in COMPOSITES:
            out.extend((piece[2], (piece[3],)) for piece in norm)
        elif kind != "text" and kind != "secret":
            out.append((kind, (norm,)))
    return out
