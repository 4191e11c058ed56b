"""Anonymising records: which leaf is what, then two passes (register every value, then rewrite).

Pass 1 (:meth:`Anonymiser.collect`) registers every real value of every record; then
:meth:`Anonymiser.resolve` hands out pseudonyms (order-independent, see :mod:`.pseudonyms`);
pass 2 (:meth:`Anonymiser.apply`) rewrites each record. The record is analysed the same way in both
passes, so a value found in pass 2 is always one registered in pass 1.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..pointers import generalise, join, matches
from .detect import field_kinds, scan_text
from .formats import KINDS, REDACTED, casefold, mimic_case
from .pseudonyms import PseudonymTable
from .report import Report
from .text import NAME_WORD_RE, RecordContext, Replacement, name_words, plan

Path = tuple[str, ...]
_PERSON_NAME_RE = re.compile(r"[^\W\d_][^\W\d_'’.,\- ]{0,79}")
_STRUCTURED_TYPES = (str, int, _dt.date)


@dataclass
class _Leaf:
    path: Path
    kind: str  # a kind of formats.KINDS, "secret", or "text"
    value: Any
    norm: str | None = None


@dataclass
class _Analysis:
    leaves: list[_Leaf] = field(default_factory=list)
    context: RecordContext | None = None
    keys: list[Path] = field(default_factory=list)  # dict keys that themselves look personal


class Anonymiser:
    """Anonymises JSON-like records with one :class:`PseudonymTable` (shared by every input)."""

    def __init__(self, table: PseudonymTable, *, keep: Sequence[str] = ()) -> None:
        self.table = table
        self.keep = tuple(keep)
        self._kinds: dict[Path, tuple[str, ...]] = {}
        self._pii_keys: dict[str, bool] = {}

    # ------------------------------------------------------------------ analysis

    def _field_kinds(self, path: Path) -> tuple[str, ...]:
        general = tuple("*" if t.isdigit() else t for t in path)
        kinds = self._kinds.get(general)
        if kinds is None:
            pointer = join(general)
            kept = any(matches(k, pointer) for k in self.keep)
            kinds = ("keep",) if kept else field_kinds(general)
            self._kinds[general] = kinds
        return kinds

    def _key_is_personal(self, key: str) -> bool:
        found = self._pii_keys.get(key)
        if found is None:
            found = self._pii_keys[key] = bool(scan_text(key))
        return found

    def _analyse(self, record: Any) -> _Analysis:
        analysis = _Analysis()
        leaves = analysis.leaves

        def walk(node: Any, path: Path) -> None:
            if isinstance(node, dict):
                for key, child in node.items():
                    if isinstance(key, str) and len(key) >= 6 and self._key_is_personal(key):
                        analysis.keys.append((*path, key))
                    walk(child, (*path, str(key)))
                return
            if isinstance(node, list):
                for index, child in enumerate(node):
                    walk(child, (*path, str(index)))
                return
            if node is None or isinstance(node, (bool, float)) or not path:
                return
            kinds = self._field_kinds(path)
            if kinds:
                if kinds[0] == "keep":
                    return
                leaf = self._structured(path, kinds, node)
                if leaf is not None:
                    leaves.append(leaf)
                    return
            if isinstance(node, str) and node:
                leaves.append(_Leaf(path, "text", node))

        walk(record, ())
        if any(leaf.kind == "text" for leaf in leaves) or analysis.keys:
            analysis.context = self._context(analysis)
        return analysis

    def _structured(self, path: Path, kinds: tuple[str, ...], value: Any) -> _Leaf | None:
        for kind in kinds:
            if kind == "secret":
                return _Leaf(path, "secret", value) if value != "" else None
            if not isinstance(value, _STRUCTURED_TYPES):
                return None
            if kind == "name":
                if isinstance(value, str) and _PERSON_NAME_RE.fullmatch(value.strip()):
                    return _Leaf(path, "name", value)
                continue
            if isinstance(value, _dt.date):
                if kind != "dob":
                    continue
                norm: str | None = value.isoformat()[:10]
            else:
                norm = KINDS[kind].normalise(str(value))
            if norm is not None:
                if KINDS[kind].safe(norm):
                    return None
                return _Leaf(path, kind, value, norm)
        return None

    def _context(self, analysis: _Analysis) -> RecordContext:
        context = RecordContext()
        for leaf in analysis.leaves:
            if leaf.kind == "name":
                for word in name_words(leaf.value):
                    context.add_name(word)
            elif leaf.kind == "text":
                context.add_text(leaf.value)
            elif leaf.norm is not None and isinstance(leaf.value, (str, int)):
                context.add_value(leaf.kind, str(leaf.value), leaf.norm)
        return context

    # ------------------------------------------------------------------ pass 1

    def collect(self, record: Any) -> None:
        """Pass 1: register every real value of ``record``."""
        register = self.table.register
        analysis = self._analyse(record)
        for leaf in analysis.leaves:
            if leaf.norm is not None:
                register(leaf.kind, leaf.norm)
            elif leaf.kind == "name":
                for word in name_words(leaf.value):
                    register("name", casefold(word))
            elif leaf.kind == "text" and analysis.context is not None:
                for span in plan(leaf.value, analysis.context):
                    if span.norm is not None:
                        register(span.kind, span.norm)
        if analysis.context is not None:
            for path in analysis.keys:
                for span in plan(path[-1], analysis.context):
                    if span.norm is not None:
                        register(span.kind, span.norm)

    def resolve(self) -> None:
        """Hand out pseudonyms for everything collected (between the passes)."""
        self.table.resolve()

    # ------------------------------------------------------------------ pass 2

    def apply(self, record: Any, report: Report | None = None) -> Any:
        """Pass 2: ``record`` with every personal value replaced (the input is not modified)."""
        analysis = self._analyse(record)
        replacements: dict[Path, Any] = {}
        for leaf in analysis.leaves:
            replacements[leaf.path] = self._replace(leaf, analysis.context, report)
        renamed: dict[Path, str] = {}
        if analysis.context is not None:
            for path in analysis.keys:
                renamed[path] = self._scrub(path[-1], plan(path[-1], analysis.context), None, path)
        if report is not None:
            report.records += 1
        if not replacements and not renamed:
            return record
        return _rebuild(record, (), replacements, renamed)

    def _replace(self, leaf: _Leaf, context: RecordContext | None, report: Report | None) -> Any:
        lookup = self.table.lookup
        if leaf.kind == "secret":
            self._count(report, leaf.path, "secret")
            return REDACTED
        if leaf.kind == "name":
            count = 0

            def word(match: re.Match[str]) -> str:
                nonlocal count
                text = match[0]
                if len(text) < 2 or text not in name_words(text):
                    return text
                count += 1
                return mimic_case(text, lookup("name", casefold(text)))

            new = NAME_WORD_RE.sub(word, leaf.value)
            self._count(report, leaf.path, "name", count)
            return new
        if leaf.kind == "text":
            if context is None:
                return leaf.value
            return self._scrub(leaf.value, plan(leaf.value, context), report, leaf.path)
        assert leaf.norm is not None
        spec = KINDS[leaf.kind]
        canonical = lookup(leaf.kind, leaf.norm)
        self._count(report, leaf.path, leaf.kind)
        value = leaf.value
        if isinstance(value, str):
            return spec.render(value, canonical)
        if isinstance(value, _dt.datetime):
            return _dt.datetime.combine(_dt.date.fromisoformat(canonical), value.timetz())
        if isinstance(value, _dt.date):
            return _dt.date.fromisoformat(canonical)
        rendered = spec.render(str(value), canonical)
        # An integer stays an integer when the pseudonym can be one without losing a leading zero.
        return int(rendered) if rendered.isdigit() and (rendered[0] != "0" or rendered == "0") else rendered

    def _scrub(self, text: str, spans: list[Replacement], report: Report | None, path: Path) -> str:
        if not spans:
            return text
        out: list[str] = []
        last = 0
        for span in spans:
            out.append(text[last : span.start])
            original = text[span.start : span.end]
            if span.norm is None:
                out.append(REDACTED)
            else:
                out.append(KINDS[span.kind].render(original, self.table.lookup(span.kind, span.norm)))
            self._count(report, path, span.kind)
            last = span.end
        out.append(text[last:])
        return "".join(out)

    def _count(self, report: Report | None, path: Path, kind: str, n: int = 1) -> None:
        if report is not None and n:
            report.count(generalise(join(path)), kind, n)

    # ------------------------------------------------------------------ in memory

    def anonymise_records(self, records: Iterable[Any], report: Report | None = None) -> list[Any]:
        """Both passes over records held in memory."""
        items = list(records)
        for record in items:
            self.collect(record)
        self.resolve()
        return [self.apply(record, report) for record in items]


def _rebuild(node: Any, path: Path, replacements: dict[Path, Any], renamed: dict[Path, str]) -> Any:
    if isinstance(node, dict):
        out: dict[Any, Any] = {}
        for key, child in node.items():
            child_path = (*path, str(key))
            new_key = renamed.get(child_path, key)
            if child_path in replacements:
                out[new_key] = replacements[child_path]
            else:
                out[new_key] = _rebuild(child, child_path, replacements, renamed)
        return out
    if isinstance(node, list):
        items: list[Any] = []
        for index, child in enumerate(node):
            child_path = (*path, str(index))
            items.append(replacements[child_path] if child_path in replacements
                         else _rebuild(child, child_path, replacements, renamed))  # fmt: skip
        return items
    return node
