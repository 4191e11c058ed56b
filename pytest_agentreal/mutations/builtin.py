"""The built-in mutation families; importing this module registers them, in SPEC's order."""

from __future__ import annotations

from . import connector_fault, duplicate, missing, out_of_pattern, out_of_pattern_text  # noqa: F401
from .catalog import CATALOG
from .registry import register_operator

# SPEC's order: the order families and operators are listed, planned and reported in.
SPEC_ORDER: dict[str, tuple[str, ...]] = {
    "duplicate": ("exact", "near", "conflicting"),
    "missing": ("drop", "null", "empty"),
    "out_of_pattern": (
        "wrong_type",
        "out_of_range",
        "oversize",
        "unicode",
        "injection",
        "off_topic",
        "unknown_field",
    ),
    "connector_fault": (
        "http_500",
        "http_429",
        "timeout",
        "malformed_json",
        "empty_result",
        "duplicate_result",
        "missing_field",
    ),
}


def _register_all() -> None:
    ordered = [(family, name) for family, names in SPEC_ORDER.items() for name in names]
    if set(ordered) != set(CATALOG):  # a new built-in must be given its place in SPEC's order
        raise RuntimeError(f"built-in operators out of sync with SPEC_ORDER: {sorted(set(ordered) ^ set(CATALOG))}")
    for key in ordered:
        op = CATALOG[key]
        register_operator(op.family, op.name, targets=op.targets, oracle=op.oracle, description=op.description)(
            op.apply
        )


_register_all()
