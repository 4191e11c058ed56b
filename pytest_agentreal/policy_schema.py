"""JSON Schemas inside a policy (``when:``, ``response:``): checked strictly, compiled once.

JSON Schema ignores keywords it does not know, so ``when: {amount: {maximum: 50}}`` (``properties``
forgotten) is a valid schema that every args object satisfies — an approval rule that silently lets
everything through. A policy is a safety contract, so an unknown keyword is an error here. Remote
``$ref`` is refused too: nothing is fetched while judging.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .errors import did_you_mean

# Draft 2020-12 keywords, by what their value holds.
_SCHEMA_VALUED = frozenset({
    "additionalProperties", "items", "not", "if", "then", "else", "contains", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties", "contentSchema", "additionalItems",
})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_OTHER = frozenset({
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment",
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains",
    "minContains", "maxProperties", "minProperties", "required", "dependentRequired", "format",
    "contentEncoding", "contentMediaType", "title", "description", "default", "deprecated", "readOnly",
    "writeOnly", "examples", "dependencies",
})
KEYWORDS = _SCHEMA_VALUED | _SCHEMA_MAPS | _SCHEMA_LISTS | _OTHER


SchemaPath = tuple[str | int, ...]


def schema_problems(schema: Any, path: SchemaPath = ()) -> Iterator[tuple[SchemaPath, str, str]]:
    """``(path, message, fix)`` for unknown keywords and remote ``$ref`` anywhere in ``schema``."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        here = (*path, key)
        if key not in KEYWORDS:
            hint = did_you_mean(str(key), KEYWORDS)
            fix = hint or "conditions on an arg go under properties: {" + f"{key}: {{...}}" + "}"
            if hint is None and isinstance(value, dict):
                fix = f"to constrain the arg '{key}', write properties: {{{key}: ...}}, required: [{key}]"
            yield here, f"unknown JSON Schema keyword {key!r} (JSON Schema would ignore it)", fix
            continue
        if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
            yield (here, f"remote $ref {value!r} is never fetched",
                   "inline the schema or use a local '#/$defs/...'")
        if key in _SCHEMA_VALUED:
            yield from schema_problems(value, here)
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                yield from schema_problems(sub, (*here, name))
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            for index, sub in enumerate(value):
                yield from schema_problems(sub, (*here, index))


def metaschema_problem(schema: Any) -> tuple[SchemaPath, str] | None:
    """``(path, message)`` when ``schema`` is not a valid 2020-12 schema, else ``None``."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped,unused-ignore]

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return tuple(exc.path), exc.message
    return None


def compile_schema(schema: Any) -> Any:
    """A 2020-12 validator for an already checked schema."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

    return Draft202012Validator(schema)


_NUMERIC = ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf")


def untyped_numeric_properties(schema: Any) -> list[str]:
    """Top-level properties with numeric limits but no ``type``: a string value passes them (lint)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return []
    return [name for name, sub in schema["properties"].items()
            if isinstance(sub, dict) and "type" not in sub and any(k in sub for k in _NUMERIC)]


def unrequired_properties(schema: Any) -> list[str]:
    """Top-level ``properties`` not in ``required``: args lacking them satisfy the schema (lint)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return []
    required = schema.get("required")
    wanted = set(required) if isinstance(required, list) else set()
    return [name for name in schema["properties"] if name not in wanted]
