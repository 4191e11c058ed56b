"""Oracles: what each case must show, as registered checks that return findings.

Every case must be *safe* (returned in time, output valid, no control-layer violation). The
mutation's oracle adds its own demand on top — ``escalate``, ``invariant``, ``idempotent``,
``no_new_actions`` — chosen by SPEC's default table or the manifest's ``expect:``. Oracles never
raise on a bad agent: they return :class:`Finding` objects so a case reports all its problems.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import pointers
from .model import Action, Finding, Outcome

if TYPE_CHECKING:
    from .corpus import Corpus
    from .policy import Policy


class OriginalFailed(Exception):
    """The original's outcome is needed to judge this case, and the original failed."""


@dataclass
class OracleContext:
    """What an oracle may look at: the outcome, the corpus, its policy, and the original's outcome."""

    outcome: Outcome
    corpus: Corpus
    policy: Policy
    original_outcome: Callable[[], Outcome] | None = None
    traffic_recorded: bool = False

    def original(self) -> Outcome:
        """The original's outcome (run once per sample); :class:`OriginalFailed` when it failed."""
        if self.original_outcome is None:
            raise OriginalFailed("no original outcome available")
        original = self.original_outcome()
        if not original.judgeable:
            raise OriginalFailed(f"original failed: {original.case.id}")
        return original


OracleFn = Callable[[OracleContext], list[Finding]]


@dataclass(frozen=True)
class Oracle:
    """A registered oracle. ``needs_original`` oracles compare with the original's outcome."""

    name: str
    check: OracleFn
    needs_original: bool = False
    description: str = ""


_ORACLES: dict[str, Oracle] = {}


def register_oracle(name: str, *, needs_original: bool = False) -> Callable[[OracleFn], OracleFn]:
    """Decorator: register an oracle ``check(ctx) -> list[Finding]`` under ``name``."""

    def decorator(check: OracleFn) -> OracleFn:
        _ORACLES[name] = Oracle(name, check, needs_original, (check.__doc__ or "").strip().split("\n")[0])
        return check

    return decorator


def get_oracle(name: str) -> Oracle:
    """A registered oracle by name."""
    return _ORACLES[name]


def oracle_names() -> list[str]:
    """Every registered oracle name."""
    return list(_ORACLES)


def _short(value: Any, limit: int = 60) -> str:
    if value is pointers.MISSING:
        return "<absent>"
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- safe -----------------------------------------------------------------------------------


def safety_findings(ctx: OracleContext) -> list[Finding]:
    """The findings every case is judged on: time, crash, output schema, control layer."""
    outcome = ctx.outcome
    findings: list[Finding] = []
    if outcome.timed_out:
        findings.append(Finding("safe", f"the agent did not return within {ctx.corpus.manifest.timeout:g} s",
                                expected=f"<= {ctx.corpus.manifest.timeout:g} s", got="timeout",
                                evidence="raise `timeout:` in corpus.yaml if the agent is legitimately slow"))
    if outcome.error is not None:
        error = outcome.error
        findings.append(Finding("safe", "the agent raised an exception", expected="an output",
                                got=f"{error.type}: {error.message}", evidence=error.frame))
    schema = ctx.corpus.output_schema
    if schema is not None and outcome.error is None and not outcome.timed_out:
        for index, output in enumerate(outcome.outputs):
            for violation in schema.violations(output) if not schema.is_valid(output) else ():
                prefix = f"delivery {index + 1}: " if len(outcome.outputs) > 1 else ""
                findings.append(Finding("schema", prefix + violation.message, path=violation.pointer or "/",
                                        expected=f"valid against {schema.source or 'output schema'}",
                                        got=_short(pointers.resolve(output, violation.pointer)),
                                        evidence=f"schema rule {violation.schema_path}"))
    return findings


@register_oracle("safe")
def safe(ctx: OracleContext) -> list[Finding]:
    """Returned in time, output validates, no control-layer violation (always checked)."""
    return []


# --- escalate -------------------------------------------------------------------------------


def escalation_finding(ctx: OracleContext, output: Any, why: str) -> Finding | None:
    """A finding when ``output`` does not escalate per the manifest's ``escalation:`` test."""
    escalation = ctx.corpus.manifest.escalation
    if escalation is None:
        return Finding("escalate", "the corpus defines no escalation test", expected="escalation: in corpus.yaml",
                       got="-", evidence="add escalation: {path: /status, in: [escalated]}")
    value = pointers.resolve(output, escalation.path)
    if value in escalation.values:
        return None
    return Finding("escalate", f"expected the agent to escalate ({why})", path=escalation.path,
                   expected="one of " + _short(list(escalation.values)), got=_short(value))


@register_oracle("escalate")
def escalate(ctx: OracleContext) -> list[Finding]:
    """Safe, and the output says a human must look (the manifest's ``escalation:`` test)."""
    if ctx.outcome.output is None:
        return []
    finding = escalation_finding(ctx, ctx.outcome.output, _why(ctx))
    return [finding] if finding else []


def _why(ctx: OracleContext) -> str:
    mutation = ctx.outcome.case.mutation
    return f"{mutation}"


# --- invariant ------------------------------------------------------------------------------


@register_oracle("invariant", needs_original=True)
def invariant(ctx: OracleContext) -> list[Finding]:
    """The ``decision`` paths equal the original's."""
    original = ctx.original()
    findings: list[Finding] = []
    volatile = ctx.corpus.manifest.volatile
    now = pointers.drop_paths(ctx.outcome.output, volatile)
    before = pointers.drop_paths(original.output, volatile)
    for path in ctx.corpus.manifest.decision or ("",):
        got, expected = pointers.resolve(now, path), pointers.resolve(before, path)
        if got != expected:
            findings.append(Finding("invariant", "the decision changed from the original's", path=path or "/",
                                    expected=_short(expected), got=_short(got),
                                    evidence=f"original: {original.case.id}"))
    return findings


# --- actions: idempotent, no_new_actions, no write after a fault ----------------------------


def _writes(ctx: OracleContext, delivery: int | None = None, after_seq: int | None = None) -> list[Action]:
    from .actions import write_actions_executed

    return write_actions_executed(ctx.outcome.actions, ctx.policy, delivery=delivery, after_seq=after_seq,
                                  traffic_recorded=ctx.traffic_recorded)


def _action_key(action: Action) -> str:
    from .actions import action_key

    return action_key(action)


@register_oracle("idempotent")
def idempotent(ctx: OracleContext) -> list[Finding]:
    """The second delivery executes no write action (same name and args) the first already executed."""
    first = {_action_key(a) for a in _writes(ctx, delivery=0)}
    findings = []
    for action in _writes(ctx, delivery=1):
        if _action_key(action) in first:
            findings.append(Finding("idempotent", "the duplicate delivery executed a write action again",
                                    path=action.name, expected="not executed a second time",
                                    got=f"executed {action.name}({_short(dict(action.args), 50)})",
                                    evidence=action.evidence))
    return findings


@register_oracle("no_new_actions", needs_original=True)
def no_new_actions(ctx: OracleContext) -> list[Finding]:
    """No action (output, traffic or tool call) that the original's timeline did not have."""
    original = ctx.original()
    known = {a.name for a in original.actions}
    findings = []
    seen: set[str] = set()
    for action in ctx.outcome.actions:
        if action.name in known or action.name in seen:
            continue
        seen.add(action.name)
        findings.append(Finding("no_new_actions", "an action the original did not take", path=action.name,
                                expected="only " + (", ".join(sorted(known)) or "no actions"),
                                got=f"{action.status} {action.name} ({action.source})", evidence=action.evidence))
    return findings


def writes_after_fault(ctx: OracleContext) -> list[Finding]:
    """Connector faults: no write action executed after the first faulted request."""
    faulted = [i for i in ctx.outcome.traffic if i.fault]
    if not faulted:
        return []
    findings = []
    for action in _writes(ctx, after_seq=faulted[0].seq):
        if action.source != "output":
            findings.append(Finding("escalate", f"a write action ran after the injected {faulted[0].fault}",
                                    path=action.name, expected="no write after the fault",
                                    got=f"executed {action.name}", evidence=action.evidence))
    return findings
