"""The mutation registry: operators register by family and name, built-ins and users' alike.

An operator is three pure functions:

* ``targets(sample, ctx)`` — where it applies to this sample (JSON Pointers, connector actions,
  or ``[""]`` for the sample as a whole); one case per target.
* ``apply(sample, target, rng, ctx)`` — the inputs to deliver, in order: one input for most
  operators, ``[original, duplicate]`` for duplicate pairs.
* ``oracle(sample, target, ctx)`` — the default oracle name for that case (SPEC's table).

Users register their own with :func:`register_operator` (in a conftest or a module named by the
``agentreal.mutations`` entry point group); they then behave exactly like built-ins.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, unknown_name_fix
from ..model import Sample

ApplyFn = Callable[[Sample, str, random.Random, "MutationContext"], list[Sample]]
TargetsFn = Callable[[Sample, "MutationContext"], Sequence[str]]
OracleFn = Callable[[Sample, str, "MutationContext"], str]


@dataclass
class MutationContext:
    """What operators may know about the corpus besides the sample they mutate.

    Values come from the corpus itself where possible (other samples' values, its languages), so
    cases look like production, not like fuzzing noise.
    """

    corpus: str
    samples: Sequence[Sample]
    id_field: str
    input_schema: Mapping[str, Any] | None = None
    # Whether the input with this pointer removed fails the input schema (SPEC: "required").
    is_required: Callable[[Sample, str], bool] = lambda sample, pointer: False
    # Which members ``missing`` operates on: ``None`` = every leaf (manifest ``fields:`` narrows it).
    fields: Sequence[str] | None = None
    # Connector actions the original's recorded traffic reads, per sample id (connector faults).
    connector_reads: Callable[[str], Sequence[str]] = lambda sample_id: ()
    # Per-family options from the manifest (``{operators: [...], fields: [...]}`` forms).
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def other_samples(self, sample: Sample) -> list[Sample]:
        """Every sample but ``sample`` (by id), in corpus order."""
        own = sample.get(self.id_field)
        return [s for s in self.samples if s.get(self.id_field) != own]


def _whole_sample(sample: Sample, ctx: MutationContext) -> Sequence[str]:
    return ("",)


def _always_safe(sample: Sample, target: str, ctx: MutationContext) -> str:
    return "safe"


@dataclass(frozen=True)
class Operator:
    """A registered mutation operator (see module docstring)."""

    family: str
    name: str
    apply: ApplyFn
    targets: TargetsFn = _whole_sample
    oracle: OracleFn = _always_safe
    description: str = ""

    @property
    def key(self) -> str:
        """``family.name``."""
        return f"{self.family}.{self.name}"


_REGISTRY: dict[str, dict[str, Operator]] = {}
_plugins_loaded = False


def register_operator(
    family: str,
    name: str,
    *,
    targets: TargetsFn | None = None,
    oracle: OracleFn | str | None = None,
    description: str = "",
    replace: bool = False,
) -> Callable[[ApplyFn], ApplyFn]:
    """Decorator: register ``apply`` as operator ``family.name``.

    ``oracle`` may be an oracle name (``"escalate"``) or a function of ``(sample, target, ctx)``.
    Registering a name twice is an error unless ``replace=True`` (so a typo does not silently
    shadow a built-in).
    """
    if not family.isidentifier() or not name.isidentifier():
        raise ValueError(f"operator names must be identifiers, got {family!r}.{name!r}")

    def decorator(apply: ApplyFn) -> ApplyFn:
        # Built-ins first, so user families list after them and `replace=True` replaces a loaded one.
        _ensure_loaded()
        ops = _REGISTRY.setdefault(family, {})
        if name in ops and not replace:
            raise ValueError(f"mutation operator {family}.{name} is already registered")
        oracle_fn: OracleFn
        if oracle is None:
            oracle_fn = _always_safe
        elif isinstance(oracle, str):
            fixed = oracle
            oracle_fn = lambda sample, target, ctx: fixed  # noqa: E731
        else:
            oracle_fn = oracle
        ops[name] = Operator(
            family=family,
            name=name,
            apply=apply,
            targets=targets or _whole_sample,
            oracle=oracle_fn,
            description=description or (apply.__doc__ or "").strip().split("\n")[0],
        )
        return apply

    return decorator


def _ensure_loaded() -> None:
    """Import the built-in families and the ``agentreal.mutations`` entry points, once."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points

    from . import builtin  # noqa: F401  (registers the built-in families)

    for entry in entry_points(group="agentreal.mutations"):
        entry.load()


def families() -> dict[str, dict[str, Operator]]:
    """Every registered family → operators, in registration order."""
    _ensure_loaded()
    return _REGISTRY


def iter_operators() -> Iterator[Operator]:
    """Every registered operator, families and operators in registration order."""
    for ops in families().values():
        yield from ops.values()


def get_operator(family: str, name: str, *, source: str | None = None) -> Operator:
    """Look an operator up, or raise a :class:`ConfigError` with the nearest valid name."""
    fams = families()
    if family not in fams:
        raise ConfigError(
            source, f"unknown mutation family '{family}'", key="mutations", fix=unknown_name_fix(family, fams)
        )
    ops = fams[family]
    if name not in ops:
        raise ConfigError(
            source,
            f"unknown operator '{name}' in family '{family}'",
            key=f"mutations.{family}",
            fix=unknown_name_fix(name, ops),
        )
    return ops[name]
