"""JSON Pointers (RFC 6901) over plain JSON-like data, plus the ``*`` wildcard SPEC allows.

Case ids, findings, ``expect:`` keys, ``decision``/``volatile``/``match_ignore`` paths all speak
JSON Pointer, so this is the one place that parses, resolves and edits them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any, Final


class _Missing:
    """Marks a pointer that does not resolve (distinct from a JSON ``null``)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


class PointerError(ValueError):
    """A string that is not a JSON Pointer."""


def parse(pointer: str) -> tuple[str, ...]:
    """Split a JSON Pointer into unescaped reference tokens (``""`` is the whole document)."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise PointerError(f"JSON Pointer {pointer!r} must start with '/' (e.g. '/customer/email')")
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


def escape(token: str) -> str:
    """Escape one reference token (``~`` and ``/``)."""
    return token.replace("~", "~0").replace("/", "~1")


def join(tokens: tuple[str, ...] | list[str]) -> str:
    """Build a pointer from reference tokens."""
    return "".join("/" + escape(str(t)) for t in tokens)


def _step(node: Any, token: str) -> Any:
    if isinstance(node, dict):
        return node.get(token, MISSING)
    if isinstance(node, list):
        if token.isdigit() and (token == "0" or not token.startswith("0")):
            index = int(token)
            if index < len(node):
                return node[index]
        return MISSING
    return MISSING


def resolve(document: Any, pointer: str | tuple[str, ...]) -> Any:
    """The value at ``pointer``, or :data:`MISSING` when any step does not exist."""
    tokens = parse(pointer) if isinstance(pointer, str) else pointer
    node = document
    for token in tokens:
        node = _step(node, token)
        if node is MISSING:
            return MISSING
    return node


def resolve_all(document: Any, pointer: str) -> list[tuple[str, Any]]:
    """All ``(concrete pointer, value)`` pairs matched by a pointer that may contain ``*`` tokens."""
    results: list[tuple[str, Any]] = []

    def walk(node: Any, rest: tuple[str, ...], done: tuple[str, ...]) -> None:
        if not rest:
            results.append((join(done), node))
            return
        head, tail = rest[0], rest[1:]
        if head == "*":
            if isinstance(node, dict):
                for key, child in node.items():
                    walk(child, tail, (*done, str(key)))
            elif isinstance(node, list):
                for index, child in enumerate(node):
                    walk(child, tail, (*done, str(index)))
            return
        child = _step(node, head)
        if child is not MISSING:
            walk(child, tail, (*done, head))

    walk(document, parse(pointer), ())
    return results


def exists(document: Any, pointer: str) -> bool:
    """Whether ``pointer`` resolves in ``document`` (wildcards: whether any match)."""
    if "*" in parse(pointer):
        return bool(resolve_all(document, pointer))
    return resolve(document, pointer) is not MISSING


def matches(pattern: str, pointer: str) -> bool:
    """Whether a concrete ``pointer`` is matched by ``pattern`` (``*`` = any one token)."""
    want, got = parse(pattern), parse(pointer)
    return len(want) == len(got) and all(w in ("*", g) for w, g in zip(want, got, strict=True))


def _parent(document: Any, tokens: tuple[str, ...]) -> Any:
    if not tokens:
        raise PointerError("the whole document has no parent")
    parent = resolve(document, tokens[:-1])
    if parent is MISSING or not isinstance(parent, (dict, list)):
        raise PointerError(f"{join(list(tokens[:-1]))!r} is not an object or array")
    return parent


def remove(document: Any, pointer: str) -> Any:
    """A deep copy of ``document`` without the member at ``pointer`` (array items are spliced out)."""
    tokens = parse(pointer)
    result = copy.deepcopy(document)
    parent = _parent(result, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PointerError(f"{pointer!r} does not exist")
        del parent[last]
    else:
        index = int(last)
        if index >= len(parent):
            raise PointerError(f"{pointer!r} does not exist")
        del parent[index]
    return result


def replace(document: Any, pointer: str, value: Any) -> Any:
    """A deep copy of ``document`` with ``pointer`` set to ``value`` (the parent must exist)."""
    tokens = parse(pointer)
    if not tokens:
        return copy.deepcopy(value)
    result = copy.deepcopy(document)
    parent = _parent(result, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    else:
        index = int(last)
        if index == len(parent):
            parent.append(value)
        else:
            parent[index] = value
    return result


def iter_leaves(document: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every leaf ``(pointer, value)``: scalars, and empty objects or arrays, depth first in order."""
    if isinstance(document, dict) and document:
        for key, child in document.items():
            yield from iter_leaves(child, (*prefix, str(key)))
    elif isinstance(document, list) and document:
        for index, child in enumerate(document):
            yield from iter_leaves(child, (*prefix, str(index)))
    elif prefix:
        yield join(prefix), document


def iter_members(document: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every member ``(pointer, value)`` below the root, containers and leaves, in document order."""
    if isinstance(document, dict):
        for key, child in document.items():
            path = (*prefix, str(key))
            yield join(path), child
            yield from iter_members(child, path)
    elif isinstance(document, list):
        for index, child in enumerate(document):
            path = (*prefix, str(index))
            yield join(path), child
            yield from iter_members(child, path)


def generalise(pointer: str) -> str:
    """Replace array indices with ``*`` (``/items/3/sku`` → ``/items/*/sku``), for grouping fields."""
    return join(["*" if t.isdigit() else t for t in parse(pointer)])


def drop_paths(document: Any, pointers: list[str] | tuple[str, ...]) -> Any:
    """A copy of ``document`` without any member matched by ``pointers`` (wildcards allowed)."""
    if not pointers:
        return document
    result = copy.deepcopy(document)
    for pointer in pointers:
        # Remove deepest/last first so array indices of earlier matches stay valid.
        for concrete, _ in sorted(resolve_all(result, pointer), key=lambda m: _sort_key(m[0]), reverse=True):
            tokens = parse(concrete)
            if not tokens:
                continue
            parent = resolve(result, tokens[:-1])
            if isinstance(parent, dict):
                parent.pop(tokens[-1], None)
            elif isinstance(parent, list):
                del parent[int(tokens[-1])]
    return result


def _sort_key(pointer: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(t)) if t.isdigit() else (1, t) for t in parse(pointer))
