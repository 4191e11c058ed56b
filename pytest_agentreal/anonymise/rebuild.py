"""Copies of records with some values replaced (and some keys renamed), sharing what did not change."""

from __future__ import annotations

from typing import Any

Path = tuple[str, ...]


def rebuild(record: Any, replacements: dict[Path, Any], renamed: dict[Path, str]) -> Any:
    """A copy of ``record`` with ``replacements`` set; containers are copied only along their paths."""
    root = record.copy()
    copies: dict[Path, Any] = {(): root}
    for path, value in replacements.items():
        parent = _copied(record, path[:-1], copies)
        parent[path[-1] if parent.__class__ is dict else int(path[-1])] = value
    for path, new_key in sorted(renamed.items(), key=lambda item: -len(item[0])):
        parent = _copied(record, path[:-1], copies)
        # Keep the key order: rebuild the dict with the one key renamed.
        items = list(parent.items())
        parent.clear()
        parent.update((new_key if k == path[-1] else k, v) for k, v in items)
    return root


def _copied(record: Any, path: Path, copies: dict[Path, Any]) -> Any:
    found = copies.get(path)
    if found is not None:
        return found
    parent = _copied(record, path[:-1], copies)
    token = path[-1]
    key: Any = token if parent.__class__ is dict else int(token)
    child = parent[key].copy()
    parent[key] = child
    copies[path] = child
    return child
