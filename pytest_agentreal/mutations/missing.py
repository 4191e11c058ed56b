"""``missing``: a field absent (``drop``), ``null`` (``null``) or empty (``empty``).

Targets are JSON Pointers: every leaf of the sample (members of nested objects and of array items
included), or the members the manifest's ``fields:`` names (``*`` allowed). One case per field:
``/items/0/sku`` stands for ``/items/*/sku`` (see :func:`~.text.one_per_field`).

The sample id is never a target: a sample without its id is not the same sample any more (no
case id could name it, and the duplicate and baseline machinery key on it).
"""

from __future__ import annotations

import copy
import random
from typing import Any

from .. import pointers
from ..model import Sample
from .catalog import builtin
from .registry import MutationContext
from .text import is_id_path, leaves, one_per_field


def _fields(sample: Sample, ctx: MutationContext) -> list[tuple[str, Any]]:
    """``(pointer, value)`` of every member this family mutates in ``sample``, in order.

    Leaves and wildcard matches collapse to one per field; a concrete pointer the manifest names
    is kept as written.
    """
    if ctx.fields is None:
        groups = [[(leaf.pointer, leaf.value) for leaf in leaves(sample)]]
    else:
        groups = [pointers.resolve_all(sample, pattern) for pattern in ctx.fields]
    result: dict[str, Any] = {}
    for group in groups:
        usable = [(p, v) for p, v in group if p and not is_id_path(p, ctx)]
        keep = set(one_per_field([p for p, _ in usable]))
        for pointer, value in usable:
            if pointer in keep:
                result.setdefault(pointer, value)
    return list(result.items())


def _required_oracle(sample: Sample, target: str, ctx: MutationContext) -> str:
    # SPEC: a field is required when the input without it fails the input schema.
    return "escalate" if ctx.is_required(sample, target) else "safe"


def _drop_targets(sample: Sample, ctx: MutationContext) -> list[str]:
    return [p for p, _ in _fields(sample, ctx)]


def _null_targets(sample: Sample, ctx: MutationContext) -> list[str]:
    # Already null: the case would equal the original.
    return [p for p, v in _fields(sample, ctx) if v is not None]


def empty_value(value: Any) -> Any:
    """The empty value of ``value``'s type, or None when the type has none.

    Strings become ``""``, arrays ``[]``, objects ``{}``. Numbers and booleans have no empty
    form distinct from ``missing.null`` (and ``0``/``false`` are real values, covered by
    ``out_of_pattern.out_of_range``), so they get no ``empty`` case.
    """
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    return None


def _empty_targets(sample: Sample, ctx: MutationContext) -> list[str]:
    return [p for p, v in _fields(sample, ctx) if empty_value(v) is not None and empty_value(v) != v]


@builtin("missing", "drop", targets=_drop_targets, oracle=_required_oracle)
def drop(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """The field is absent (array items are spliced out)."""
    return [pointers.remove(sample, target)]


@builtin("missing", "null", targets=_null_targets, oracle=_required_oracle)
def null(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """The field is present with the value ``null``."""
    return [pointers.replace(sample, target, None)]


@builtin("missing", "empty", targets=_empty_targets, oracle=_required_oracle)
def empty(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """The field is present but empty: ``""``, ``[]`` or ``{}``."""
    value = pointers.resolve(sample, target)
    return [pointers.replace(sample, target, copy.deepcopy(empty_value(value)))]
