"""Anonymising records: two passes (register every value, then rewrite), one record or many at a time.

Pass 1 (:meth:`Anonymiser.collect`) registers every real value of every record; then
:meth:`Anonymiser.resolve` hands out pseudonyms (order-independent, see :mod:`.pseudonyms`);
pass 2 (:meth:`Anonymiser.apply`) rewrites each record. The record is analysed the same way in both
passes (:mod:`.analysis`), so a value found in pass 2 is always one registered in pass 1.

Speed matters (a corpus export can have millions of rows): :meth:`Anonymiser.collect_many` and
:meth:`Anonymiser.apply_many` do the same passes for many records at once, flat ones column by
column (:mod:`.columns`, on several cores for large batches), with the same results;
:meth:`Anonymiser.anonymise_records` uses them. Records are copied only along changed paths
(:mod:`.rebuild`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import Any

from ..pointers import generalise, join
from . import columns
from .analysis import Analyser, Leaf, Path, Plan
from .composites import COMPOSITES
from .detect import scan_text
from .formats import KINDS, REDACTED
from .pause import gc_paused
from .pseudonyms import PseudonymTable
from .rebuild import rebuild
from .report import Report
from .text import RecordContext, Replacement, plan

__all__ = ["Anonymiser", "Leaf", "Path", "Plan"]


class Anonymiser:
    """Anonymises JSON-like records with one :class:`PseudonymTable` (shared by every input).

    ``keep``: JSON Pointers (``*`` = any key or index) of fields left untouched.
    ``scan``: re-scan every rewritten free text and count what still looks personal in the report
    (``report.leftovers``); structured fields need no re-scan, they are pseudonyms by construction.
    """

    def __init__(self, table: PseudonymTable, *, keep: Sequence[str] = (), scan: bool = False) -> None:
        self.table = table
        self.keep = tuple(keep)
        self.scan = scan
        self.analyser = Analyser(self.keep)
        # Pass 2 meets the values of pass 1 again: remember how each was rendered.
        self._rendered: dict[tuple[str, Any], Any] = {}
        self._pointers: dict[Path, str] = {}

    # ------------------------------------------------------------------ analysis

    def field_kinds(self, path: Path) -> tuple[str, ...]:
        """The kinds a field may hold (by its name), or ``("keep",)`` for fields left untouched."""
        return self.analyser.field_kinds(path)

    def key_is_personal(self, key: str) -> bool:
        """Whether a dict key itself looks personal (an e-mail address as a key): renamed then."""
        return self.analyser.key_is_personal(key)

    def analyse(self, record: Any) -> Plan:
        """What :meth:`collect` finds in ``record``, without registering anything."""
        return self.analyser.leaves(record)

    @staticmethod
    def _context(leaves: list[Leaf]) -> RecordContext:
        context = RecordContext()
        for _path, kind, value, norm in leaves:
            if kind in COMPOSITES:
                for start, end, piece_kind, piece_norm in norm:
                    if piece_kind == "name":
                        context.add_name(piece_norm)
                    else:
                        context.add_value(piece_kind, value[start:end], piece_norm)
            elif kind == "text":
                context.add_text(value)
            elif kind == "secret":
                if isinstance(value, str):
                    context.add_secret(value)
            elif isinstance(value, (str, int)):
                context.add_value(kind, str(value), norm)
        context.add_neighbours(value for _path, kind, value, _norm in leaves if kind == "text")
        return context

    # ------------------------------------------------------------------ pass 1

    def collect(self, record: Any) -> Plan:
        """Pass 1: register every real value of ``record``; the plan returned may be given to :meth:`apply`."""
        register = self.table.register
        leaves, keys = plan_ = self.analyser.leaves(record)
        for _path, kind, _value, norm in leaves:
            if kind in COMPOSITES:
                for _start, _end, piece_kind, piece_norm in norm:
                    register(piece_kind, piece_norm)
            elif kind != "secret" and kind != "text":
                register(kind, norm)
        self.collect_text(leaves, keys)
        return plan_

    def collect_text(self, leaves: list[Leaf], keys: list[Path]) -> None:
        """Pass 1 for a record's free text and personal-looking keys (its ``leaves`` give the context)."""
        register = self.table.register
        context: RecordContext | None = None
        for _path, kind, value, _norm in leaves:
            if kind == "text":
                if context is None:
                    context = self._context(leaves)
                for span in plan(value, context):
                    if span.norm is not None:
                        register(span.kind, span.norm)
        if keys:
            context = context or self._context(leaves)
            for path in keys:
                for span in plan(path[-1], context):
                    if span.norm is not None:
                        register(span.kind, span.norm)

    def resolve(self) -> None:
        """Hand out pseudonyms for everything collected (between the passes)."""
        self.table.resolve()

    # ------------------------------------------------------------------ pass 2

    def apply(self, record: Any, report: Report | None = None, plan_: Plan | None = None) -> Any:
        """Pass 2: ``record`` with every personal value replaced (the input is not modified).

        ``plan_`` is what :meth:`collect` returned for this very record (saves analysing it again).
        """
        leaves, keys = plan_ if plan_ is not None else self.analyser.leaves(record)
        if report is not None:
            report.records += 1
        if not leaves and not keys:
            return record
        rendered = self._rendered
        replacements: dict[Path, Any] = {}
        for path, kind, value, norm in leaves:
            if kind == "text":
                continue
            if report is not None:
                if kind in COMPOSITES:
                    for piece in norm:
                        self.count(report, path, piece[2])
                else:
                    self.count(report, path, kind)
            cache_key = (kind, value)
            new = rendered.get(cache_key, _MISSING)
            if new is _MISSING:
                new = rendered[cache_key] = self.render(kind, value, norm)
            replacements[path] = new
        texts, renamed = self.apply_text(leaves, keys, report)
        replacements.update(texts)
        return rebuild(record, replacements, renamed)

    def apply_text(
        self, leaves: list[Leaf], keys: list[Path], report: Report | None
    ) -> tuple[dict[Path, str], dict[Path, str]]:
        """Pass 2 for a record's free text and keys: ``(new texts, new key names)`` by path."""
        texts: dict[Path, str] = {}
        context: RecordContext | None = None
        for path, kind, value, _norm in leaves:
            if kind == "text":
                if context is None:
                    context = self._context(leaves)
                texts[path] = self._scrub(value, plan(value, context), report, path)
        renamed: dict[Path, str] = {}
        if keys:
            context = context or self._context(leaves)
            for path in keys:
                renamed[path] = self._scrub(path[-1], plan(path[-1], context), None, path)
        return texts, renamed

    def render(self, kind: str, value: Any, norm: Any, *, note: bool = True) -> Any:
        """A structured value's replacement (same type as ``value`` where possible).

        ``note=False``: its pseudonyms are not counted as written (the caller does it)."""
        lookup = self.table.lookup
        if kind == "secret":
            return REDACTED
        if kind in COMPOSITES:
            out: list[str] = []
            last = 0
            for start, end, piece_kind, piece_norm in norm:
                out.append(value[last:start])
                out.append(KINDS[piece_kind].render(value[start:end], lookup(piece_kind, piece_norm, note=note)))
                last = end
            out.append(value[last:])
            return "".join(out)
        spec = KINDS[kind]
        canonical = lookup(kind, norm, note=note)
        if value.__class__ is str:
            return spec.render(value, canonical)
        if isinstance(value, _dt.datetime):
            return _dt.datetime.combine(_dt.date.fromisoformat(canonical), value.timetz())
        if isinstance(value, _dt.date):
            return _dt.date.fromisoformat(canonical)
        text = spec.render(str(value), canonical)
        # An integer stays an integer when the pseudonym can be one without losing a leading zero.
        return int(text) if text.isdigit() and (text[0] != "0" or text == "0") else text

    def _scrub(self, text: str, spans: list[Replacement], report: Report | None, path: Path) -> str:
        out: list[str] = []
        last = 0
        for span in spans:
            out.append(text[last : span.start])
            if span.norm is None:
                out.append(REDACTED)
            else:
                canonical = self.table.lookup(span.kind, span.norm)
                out.append(KINDS[span.kind].render(text[span.start : span.end], canonical))
            if report is not None:
                self.count(report, path, span.kind)
            last = span.end
        out.append(text[last:])
        new = "".join(out) if spans else text
        if self.scan and report is not None:
            for hit in scan_text(new):
                if not self.table.is_pseudonym(hit.kind, new[hit.start : hit.end]):
                    report.leftover(self._pointer(path), hit.kind)
        return new

    def _pointer(self, path: Path) -> str:
        pointer = self._pointers.get(path)
        if pointer is None:
            pointer = self._pointers[path] = generalise(join(path))
        return pointer

    def count(self, report: Report, path: Path, kind: str, n: int = 1) -> None:
        """Count ``n`` replacements of ``kind`` in the field at ``path``."""
        if n:
            report.count(self._pointer(path), kind, n)

    # ------------------------------------------------------------------ many records

    def collect_many(self, records: Sequence[Any]) -> columns.Batch:
        """Pass 1 over many records at once (flat ones column by column); give the result to :meth:`apply_many`.

        Registers exactly what :meth:`collect` of each record would, so the pseudonyms are the same.
        """
        return columns.collect_many(self, records)

    def apply_many(
        self, records: Sequence[Any], report: Report | None = None, batch: columns.Batch | None = None
    ) -> list[Any]:
        """Pass 2 over many records: what :meth:`apply` of each would return.

        ``batch`` is what :meth:`collect_many` returned for these very records; without it they are
        analysed again (streaming: pass 1 and pass 2 read the input in chunks, nothing is kept).
        """
        if batch is None:
            batch = columns.collect_many(self, records, register=False)
        return columns.apply_many(self, records, report, batch)

    # ------------------------------------------------------------------ in memory

    def anonymise_records(self, records: Iterable[Any], report: Report | None = None) -> list[Any]:
        """Both passes over records held in memory."""
        items = list(records)
        # One pause of the cyclic collector for the three steps: it then runs once after them,
        # not after each (each run walks every object the steps made and keep).
        with gc_paused():
            batch = self.collect_many(items)
            # Resolving and rendering the columns of each kind go together (one fork, not two).
            rendered = columns.resolve_and_render(self, batch)
            return columns.apply_many(self, items, report, batch, rendered)


_MISSING: Any = object()
