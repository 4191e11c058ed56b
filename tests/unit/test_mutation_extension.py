"""Users register their own operators; they then behave exactly like built-ins."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from pytest_agentreal import pointers
from pytest_agentreal.errors import ConfigError
from pytest_agentreal.mutations import registry
from pytest_agentreal.mutations.registry import (
    MutationContext,
    families,
    get_operator,
    iter_operators,
    register_operator,
)

SAMPLES: list[dict[str, Any]] = [
    {"ticket_id": "T-1", "subject": "Where is my parcel?", "customer": {"email": "a@example.org", "vip": False}},
    {"ticket_id": "T-2", "subject": "Refund please, it broke", "customer": {"email": "b@example.org", "vip": True}},
]


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the registry for one test, so registrations do not leak into other tests."""
    snapshot = {family: dict(ops) for family, ops in families().items()}
    monkeypatch.setattr(registry, "_REGISTRY", snapshot)


def _vip_targets(sample: dict[str, Any], ctx: MutationContext) -> list[str]:
    return [p for p, v in pointers.iter_leaves(sample) if isinstance(v, bool)]


def _vip_oracle(sample: dict[str, Any], target: str, ctx: MutationContext) -> str:
    return "escalate" if pointers.resolve(sample, target) is False else "safe"


@pytest.mark.usefixtures("isolated_registry")
def test_a_user_operator_behaves_like_a_built_in() -> None:
    @register_operator("account", "flip_flag", targets=_vip_targets, oracle=_vip_oracle)
    def flip_flag(sample: dict[str, Any], target: str, rng: random.Random, ctx: MutationContext) -> list[Any]:
        """A boolean flag flipped (the CRM says otherwise)."""
        return [pointers.replace(sample, target, not pointers.resolve(sample, target))]

    ctx = MutationContext(corpus="inbox", samples=SAMPLES, id_field="ticket_id")
    user, builtin = get_operator("account", "flip_flag"), get_operator("missing", "drop")
    assert user in list(iter_operators()) and "account" in families()
    assert user.key == "account.flip_flag" and user.description == "A boolean flag flipped (the CRM says otherwise)."
    for op in (user, builtin):  # the same interface, the same data types
        targets = list(op.targets(SAMPLES[0], ctx))
        assert "/customer/vip" in targets
        before = copy.deepcopy(SAMPLES[0])
        out = op.apply(SAMPLES[0], "/customer/vip", random.Random(3), ctx)
        assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], dict)
        assert SAMPLES[0] == before
        assert isinstance(op.oracle(SAMPLES[0], "/customer/vip", ctx), str)
    assert user.oracle(SAMPLES[0], "/customer/vip", ctx) == "escalate"
    assert user.oracle(SAMPLES[1], "/customer/vip", ctx) == "safe"
    assert user.apply(SAMPLES[0], "/customer/vip", random.Random(0), ctx)[0]["customer"]["vip"] is True


@pytest.mark.usefixtures("isolated_registry")
def test_a_name_is_registered_once_unless_replaced_on_purpose() -> None:
    def noop(sample: dict[str, Any], target: str, rng: random.Random, ctx: MutationContext) -> list[Any]:
        return [copy.deepcopy(sample)]

    with pytest.raises(ValueError, match=r"duplicate\.exact is already registered"):
        register_operator("duplicate", "exact")(noop)
    register_operator("duplicate", "exact", oracle="safe", replace=True)(noop)
    ctx = MutationContext(corpus="inbox", samples=SAMPLES, id_field="ticket_id")
    assert get_operator("duplicate", "exact").oracle(SAMPLES[0], "", ctx) == "safe"


def test_unknown_names_say_what_was_meant() -> None:
    with pytest.raises(ConfigError, match="did you mean 'out_of_pattern'"):
        get_operator("out_of_patern", "unicode")
    with pytest.raises(ConfigError, match="did you mean 'conflicting'"):
        get_operator("duplicate", "conflict")


def test_the_isolated_registry_did_not_leak() -> None:
    assert "account" not in families()
    assert get_operator("duplicate", "exact").oracle(SAMPLES[0], "", None) == "idempotent"  # type: ignore[arg-type]
