"""What a mutation changed in a sample: a short, readable diff shown beside a failing case.

``- /customer/email: 'a@x.org'`` (removed), ``+ /note: 'hello'`` (added),
``~ /body: 'Hi…' → 'Re: Hi…'`` (changed; long strings clipped around the change).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Literal

from .. import pointers
from .unicode_noise import HOMOGLYPHS

_CONTEXT = 24  # characters kept either side of a change in a long string
_MAX_VALUE = 70  # longest rendering of a removed/added value
_LOOKALIKES = {ord(ch): f"\\u{ord(ch):04x}" for ch in HOMOGLYPHS.values()}


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` is ``-`` (removed), ``+`` (added) or ``~`` (changed)."""

    kind: Literal["-", "+", "~"]
    pointer: str
    old: Any = None
    new: Any = None


def changes(original: Any, mutated: Any) -> list[Change]:
    """Every difference from ``original`` to ``mutated``, in document order.

    Objects compare key by key; arrays item by item when their lengths match, otherwise by an
    alignment (so dropping one array item is one ``-``, not a change of every later item).
    """
    found: list[Change] = []
    _walk(original, mutated, (), found)
    return found


def _same(a: Any, b: Any) -> bool:
    # ``==`` alone says {"qty": 1} == {"qty": 1.0} == {"qty": True}; a type change is a change.
    return type(a) is type(b) and a == b and _key(a) == _key(b)


def _walk(old: Any, new: Any, path: tuple[str, ...], found: list[Change]) -> None:
    if _same(old, new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in old:
            if key not in new:
                found.append(Change("-", pointers.join([*path, key]), old=old[key]))
            else:
                _walk(old[key], new[key], (*path, key), found)
        for key in new:
            if key not in old:
                found.append(Change("+", pointers.join([*path, key]), new=new[key]))
        return
    if isinstance(old, list) and isinstance(new, list):
        _walk_lists(old, new, path, found)
        return
    found.append(Change("~", pointers.join(list(path)), old=old, new=new))


def _walk_lists(old: list[Any], new: list[Any], path: tuple[str, ...], found: list[Change]) -> None:
    if len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, (*path, str(index)), found)
        return
    keys_old = [_key(item) for item in old]
    keys_new = [_key(item) for item in new]
    matcher = difflib.SequenceMatcher(a=keys_old, b=keys_new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            _walk(old[i1 + k], new[j1 + k], (*path, str(i1 + k)), found)
        for i in range(i1 + paired, i2):
            found.append(Change("-", pointers.join([*path, str(i)]), old=old[i]))
        for j in range(j1 + paired, j2):
            found.append(Change("+", pointers.join([*path, str(j)]), new=new[j]))


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str) + type(value).__name__


def _quote(text: str) -> str:
    """``repr`` that also escapes look-alike letters, so a homoglyph shows in the diff."""
    return repr(text).translate(_LOOKALIKES)


def _render(value: Any, limit: int = _MAX_VALUE) -> str:
    text = _quote(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 1]}… ({len(value) if isinstance(value, str) else len(text)} chars)"


def _clip_pair(old: str, new: str) -> tuple[str, str]:
    """Both strings clipped to the region that differs, with a little context either side."""
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1

    def clip(text: str) -> str:
        start = max(0, prefix - _CONTEXT)
        end = len(text) - max(0, suffix - _CONTEXT)
        middle = text[start:end]
        cut = len(middle) > 4 * _CONTEXT  # a long change (oversize, several edits): its start and the size
        if cut:
            middle = middle[: 3 * _CONTEXT]
        shown = ("…" if start else "") + middle + ("…" if cut or end < len(text) else "")
        rendered = _quote(shown)
        return rendered + (f" ({len(text)} chars)" if len(text) > 2 * _MAX_VALUE else "")

    return clip(old), clip(new)


def render_change(change: Change) -> str:
    """One diff line."""
    if change.kind == "-":
        return f"- {change.pointer or '/'}: {_render(change.old)}"
    if change.kind == "+":
        return f"+ {change.pointer or '/'}: {_render(change.new)}"
    if isinstance(change.old, str) and isinstance(change.new, str):
        old, new = _clip_pair(change.old, change.new)
    else:
        old, new = _render(change.old), _render(change.new)
    return f"~ {change.pointer or '/'}: {old} → {new}"


def input_diff(original: Any, mutated: Any, limit: int = 12) -> list[str]:
    """Short readable diff lines from ``original`` to ``mutated`` (at most ``limit`` + a summary).

    An empty list means the inputs are equal (``duplicate.exact``, ``connector_fault.*``).
    """
    found = changes(original, mutated)
    lines = [render_change(change) for change in found[:limit]]
    if len(found) > limit:
        lines.append(f"… and {len(found) - limit} more changes")
    return lines
