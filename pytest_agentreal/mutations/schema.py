"""Reading an input schema's numeric bounds at a JSON Pointer (for ``out_of_range``).

Only what is needed to find ``minimum``/``maximum`` of a member: ``properties``,
``patternProperties``, ``additionalProperties``, ``items``/``prefixItems``, local ``$ref``, and the
branches of ``allOf``/``anyOf``/``oneOf``. No validation happens here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .. import pointers

_BOUND_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _deref(node: Any, root: Mapping[str, Any], depth: int = 0) -> Any:
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and depth < 20:
        ref = node["$ref"]
        if not ref.startswith("#"):
            return node  # remote refs are out of scope: no bounds rather than a network call
        node = pointers.resolve(root, ref[1:])
        depth += 1
    return node if isinstance(node, Mapping) else {}


def _variants(node: Mapping[str, Any], root: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = [node]
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(key, ()) or ():
            found.extend(_variants(_deref(branch, root), root))
    return found


def _children(node: Mapping[str, Any], token: str, root: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Any] = []
    for variant in _variants(node, root):
        props = variant.get("properties") or {}
        if token in props:
            found.append(props[token])
        for pattern, sub in (variant.get("patternProperties") or {}).items():
            if re.search(pattern, token):
                found.append(sub)
        if isinstance(variant.get("additionalProperties"), Mapping) and token not in props:
            found.append(variant["additionalProperties"])
        if token.isdigit():
            prefix = variant.get("prefixItems") or []
            if int(token) < len(prefix):
                found.append(prefix[int(token)])
            elif isinstance(variant.get("items"), Mapping):
                found.append(variant["items"])
    return [_deref(child, root) for child in found]


def numeric_bounds(schema: Mapping[str, Any] | None, pointer: str) -> dict[str, float]:
    """The numeric bounds the schema puts on the member at ``pointer`` (empty when none)."""
    if not schema:
        return {}
    nodes = [_deref(schema, schema)]
    for token in pointers.parse(pointer):
        nodes = [child for node in nodes for child in _children(node, token, schema)]
    bounds: dict[str, float] = {}
    for node in nodes:
        for variant in _variants(node, schema):
            for key in _BOUND_KEYS:
                value = variant.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    bounds.setdefault(key, value)
    return bounds
