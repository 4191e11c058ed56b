"""The built-in operators, collected by their modules and registered by :mod:`.builtin`.

Family modules mark their operators with :func:`builtin`; :mod:`.builtin` then registers them with
the public :func:`~.registry.register_operator` — the same call users make — in SPEC's order.
Registering in one place keeps that order independent of which module happens to be imported
first (a test importing ``out_of_pattern`` directly must not reorder the families).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .registry import ApplyFn, OracleFn, TargetsFn


@dataclass(frozen=True)
class BuiltinOperator:
    """One built-in operator, waiting to be registered."""

    family: str
    name: str
    apply: ApplyFn
    targets: TargetsFn | None
    oracle: OracleFn | str | None
    description: str


CATALOG: dict[tuple[str, str], BuiltinOperator] = {}


def builtin(
    family: str,
    name: str,
    *,
    targets: TargetsFn | None = None,
    oracle: OracleFn | str | None = None,
    description: str = "",
) -> Callable[[ApplyFn], ApplyFn]:
    """Decorator: add ``apply`` to the catalogue of built-in operators as ``family.name``."""

    def decorator(apply: ApplyFn) -> ApplyFn:
        CATALOG[(family, name)] = BuiltinOperator(family, name, apply, targets, oracle, description)
        return apply

    return decorator
