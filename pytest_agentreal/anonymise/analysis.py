"""Which leaf of a record is what: its field's kinds (by name), then its value's kind.

An :class:`Analyser` walks a record once and returns its :data:`Plan`: the leaves worth a look
(``(path, kind, value, norm)``) and the dict keys that themselves look personal. It remembers what
it learnt per field path and per distinct value, because pass 2 meets the values of pass 1 again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..pointers import join, matches
from .classify import KEEP as _KEEP
from .classify import classify
from .detect import field_kinds, scan_text

Path = tuple[str, ...]
Leaf = tuple[Path, str, Any, Any]
"""``(path, kind, value, norm)``: kind is a :data:`KINDS` name, ``"secret"`` or ``"text"``, or a
composite (``"name"``, ``"address"``) whose norm is a tuple of ``(start, end, kind, norm)`` pieces."""
Plan = tuple[list[Leaf], list[Path]]
"""What the analysis found in a record: its leaves and its personal-looking keys."""

_SKIPPED = (type(None), bool, float)
_MISSING: Any = object()


class Analyser:
    """The leaves of records, with ``keep`` (JSON Pointers, ``*`` = any key or index) left alone."""

    def __init__(self, keep: Sequence[str] = ()) -> None:
        self.keep = tuple(keep)
        self._kinds: dict[Path, tuple[str, ...]] = {}
        self._pii_keys: dict[str, bool] = {}
        self._classified: dict[tuple[str, ...], dict[Any, tuple[str, Any] | None]] = {}
        self._paths: dict[str, Path] = {}  # top-level key → its path, made once

    def field_kinds(self, path: Path) -> tuple[str, ...]:
        """The kinds a field may hold (by its name), or ``("keep",)`` for fields left untouched."""
        kinds = self._kinds.get(path)
        return kinds if kinds is not None else self._field_kinds(path)

    def _field_kinds(self, path: Path) -> tuple[str, ...]:
        general = tuple("*" if t.isdigit() else t for t in path)
        pointer = join(general)
        if any(matches(k, pointer) for k in self.keep):
            kinds = self._kinds[path] = _KEEP
        else:
            kinds = self._kinds[path] = field_kinds(general)
        return kinds

    def _add_leaf(self, path: Path, child: Any, leaves: list[Leaf]) -> None:
        """Classify one scalar leaf by its field's kinds (cached per field and value) and record it.

        Shared by the flat fast path and the general walk, so both see a leaf the same way.
        """
        kinds = self._kinds.get(path)
        if kinds is None:
            kinds = self._field_kinds(path)
        if kinds:
            if kinds is _KEEP:
                return
            seen = self._classified.get(kinds)
            if seen is None:
                seen = self._classified[kinds] = {}
            found = seen.get(child, _MISSING)
            if found is _MISSING:
                found = seen[child] = classify(kinds, child)
            if found is not None:
                leaves.append((path, found[0], child, found[1]))
                return
        if child.__class__ is str and child:
            leaves.append((path, "text", child, None))

    def leaves(self, record: Any) -> Plan:
        """Every leaf worth a look, and the dict keys that themselves look personal."""
        if record.__class__ is dict:
            flat = self._flat_leaves(record)
            if flat is not None:
                return flat
        return self._walk(record)

    def _flat_leaves(self, record: dict[Any, Any]) -> Plan | None:
        """:meth:`_walk` of a record without nested values (``None`` when it has some), in one loop."""
        leaves: list[Leaf] = []
        keys: list[Path] = []
        personal_keys, paths = self._pii_keys, self._paths
        for key, child in record.items():
            cls = child.__class__
            if cls is dict or cls is list or key.__class__ is not str:
                return None
            if len(key) >= 6:
                personal = personal_keys.get(key)
                if personal is None:
                    personal = self.key_is_personal(key)
                if personal:
                    keys.append((key,))
            if cls in _SKIPPED:
                continue
            path = paths.get(key)
            if path is None:
                path = paths[key] = (key,)
            self._add_leaf(path, child, leaves)
        return leaves, keys

    def _walk(self, record: Any) -> Plan:
        leaves: list[Leaf] = []
        keys: list[Path] = []
        personal_keys = self._pii_keys

        def walk(node: Any, path: Path) -> None:
            pairs: Iterable[tuple[Any, Any]]
            if node.__class__ is dict:
                pairs = node.items()
                is_dict = True
            else:
                pairs = enumerate(node)
                is_dict = False
            for key, child in pairs:
                if is_dict and key.__class__ is str and len(key) >= 6:
                    personal = personal_keys.get(key)
                    if personal is None:
                        personal = self.key_is_personal(key)
                    if personal:
                        keys.append((*path, key))
                token = key if key.__class__ is str else str(key)
                cls = child.__class__
                if cls is dict or cls is list:
                    walk(child, (*path, token))
                    continue
                if cls in _SKIPPED:
                    continue
                self._add_leaf((*path, token), child, leaves)

        if record.__class__ is dict or record.__class__ is list:
            walk(record, ())
        return leaves, keys

    def key_is_personal(self, key: str) -> bool:
        """Whether a dict key itself looks personal (an e-mail address as a key): renamed then."""
        found = self._pii_keys.get(key)
        if found is None:
            found = self._pii_keys[key] = bool(scan_text(key))
        return found
