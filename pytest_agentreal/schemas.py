"""JSON Schema loading and compiled validators (draft 2020-12 unless the schema says otherwise).

Validators are compiled once per corpus and reused for every case: building a validator costs far
more than running one, and a corpus of 100k cases must not pay it per case.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .pointers import join


@dataclass(frozen=True)
class SchemaViolation:
    """One validation error: where in the instance, and what is wrong."""

    pointer: str
    message: str
    schema_path: str


class CompiledSchema:
    """A JSON Schema compiled once; ``is_valid`` is the fast path, ``violations`` the diagnosis."""

    def __init__(self, schema: Mapping[str, Any], source: str | Path | None = None) -> None:
        from jsonschema import Draft202012Validator, FormatChecker, validators
        from jsonschema.exceptions import SchemaError

        self.schema = schema
        self.source = str(source) if source is not None else None
        cls = validators.validator_for(schema, default=Draft202012Validator)
        try:
            cls.check_schema(dict(schema))
        except SchemaError as exc:
            where = "/" + "/".join(str(p) for p in exc.path) if exc.path else "(root)"
            raise ConfigError(
                source,
                f"not a valid JSON Schema at {where}: {exc.message}",
                fix="see https://json-schema.org/draft/2020-12 for the keyword's form",
            ) from None
        self._validator = cls(schema, format_checker=FormatChecker())
        self._fast = _fast_validator(schema) if cls is Draft202012Validator else None

    def is_valid(self, instance: Any) -> bool:
        """Whether ``instance`` validates."""
        # The compiled (Rust) validator answers "valid" in a few µs where jsonschema takes
        # ~100 µs; only its "valid" is trusted, and only for plain JSON, so every answer is
        # the one jsonschema gives (see _fast_validator for the schemas it is used on).
        if self._fast is not None and _plain_json(instance):
            try:
                if self._fast.is_valid(instance):
                    return True
            except (ValueError, TypeError, OverflowError):
                pass
        return bool(self._validator.is_valid(instance))

    def violations(self, instance: Any, limit: int = 20) -> list[SchemaViolation]:
        """Every violation (most specific first), at most ``limit``."""
        from jsonschema.exceptions import relevance

        errors = sorted(self._validator.iter_errors(instance), key=relevance)
        result = []
        for error in errors[:limit]:
            result.append(
                SchemaViolation(
                    pointer=join([str(p) for p in error.absolute_path]),
                    message=error.message,
                    schema_path="/".join(str(p) for p in error.absolute_schema_path),
                )
            )
        return result


# Keywords whose meaning depends on the implementation: formats (jsonschema checks only those
# whose libraries are installed) and regular expressions (Python's `re` against Rust's engine).
_IMPLEMENTATION_DEFINED = frozenset({"format", "pattern", "patternProperties", "$dynamicRef", "$recursiveRef"})
# Integers beyond what a double holds exactly may compare differently against bounds.
_EXACT_INT = 2**53


def _fast_validator(schema: Mapping[str, Any]) -> Any:
    """A jsonschema-rs validator (draft 2020-12) when installed and the schema uses no keyword
    whose meaning differs between implementations; else ``None`` (jsonschema alone)."""
    if _uses_keywords(schema, _IMPLEMENTATION_DEFINED):
        return None
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        return jsonschema_rs.Draft202012Validator(dict(schema))
    except Exception:  # a schema it cannot compile (remote $ref, ...): jsonschema handles it
        return None


def _uses_keywords(schema: Any, keywords: frozenset[str]) -> bool:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if any(key in keywords for key in node):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _plain_json(value: Any) -> bool:
    """Whether ``value`` holds only JSON types (exactly; no tuples, subclasses, huge integers)."""
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            for key in node:
                if type(key) is not str:
                    return False
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind is int:
            if not -_EXACT_INT < node < _EXACT_INT:
                return False
        elif kind is float:
            if node != node or node in (float("inf"), float("-inf")):
                return False
        elif kind is not str and kind is not bool and node is not None:
            return False
    return True


def load_schema_file(path: Path, *, manifest: Path, key: str) -> CompiledSchema:
    """Read and compile a schema file referenced by ``key`` of ``manifest``."""
    if not path.is_file():
        raise ConfigError(
            manifest, f"schema file {path} does not exist", key=key, fix="fix the path (relative to corpus.yaml)"
        )
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise ConfigError(path, f"cannot parse schema: {exc}", line=line, fix="the file must be JSON") from None
    except Exception as exc:  # yaml.YAMLError without importing yaml eagerly
        raise ConfigError(path, f"cannot parse schema: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(path, "a JSON Schema must be an object", fix='start with {"type": "object", ...}')
    return CompiledSchema(data, path)


def schema_allows_pointer(schema: Mapping[str, Any], tokens: tuple[str, ...]) -> tuple[bool, list[str]]:
    """Whether an output pointer can exist under ``schema``; with the valid names where it stops.

    Only ``properties``, ``items``, ``prefixItems`` and ``additionalProperties`` are followed; any
    composition keyword (``$ref``, ``anyOf``...) makes the answer "allowed", since a static walk
    cannot decide it and a false alarm would block a valid manifest.
    """
    node: Any = schema
    for token in tokens:
        if not isinstance(node, Mapping):
            return True, []
        if any(k in node for k in ("$ref", "anyOf", "oneOf", "allOf", "if", "$dynamicRef")):
            return True, []
        props = node.get("properties")
        if isinstance(props, Mapping) and token in props:
            node = props[token]
            continue
        if token == "*" or token.isdigit():
            items = node.get("items")
            if isinstance(items, Mapping):
                node = items
                continue
        additional = node.get("additionalProperties", True)
        if isinstance(props, Mapping) and additional is False:
            return False, sorted(props)
        if isinstance(additional, Mapping):
            node = additional
            continue
        return True, []
    return True, []
