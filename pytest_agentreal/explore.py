"""Explore mode: hypothesis searches combinations of operators from real samples for a failure.

Planned cases apply one operator each. Production inputs are often wrong in several ways at once,
so ``--agent-explore N`` lets hypothesis pick a real sample and a short chain of operators (with
their targets), runs the agent, and — when a chain fails — shrinks it to the smallest failing one
(fewer operators, earlier samples) and prints it with the command that reproduces it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import Case, Mutation, Outcome, Sample, derive_seed
from .mutations.registry import Operator

if TYPE_CHECKING:
    from .runner import CorpusRun

# Pairs and connector faults change how a case is delivered, not what one input looks like; they
# do not chain.
_NOT_CHAINABLE = frozenset({"duplicate", "connector_fault"})


@dataclass(frozen=True)
class Step:
    """One operator applied at one of its targets (chosen by ``pick`` modulo the target count)."""

    operator: Operator
    pick: int


@dataclass
class ExploreResult:
    """What the search found: the minimal failing chain, if any."""

    examples: int = 0
    failing: Outcome | None = None
    chain: list[str] = field(default_factory=list)
    sample_id: str = ""


def chainable_operators(run: CorpusRun) -> list[Operator]:
    """The operators explore mode may chain, in registry order."""
    return [op for op in run.operators(None) if op.family not in _NOT_CHAINABLE]


def apply_chain(run: CorpusRun, sample: Sample, steps: list[Step], seed: int) -> tuple[Sample, list[str], str]:
    """Apply ``steps`` in order; returns the input, the applied step names, and the oracle to judge."""
    current = sample
    applied: list[str] = []
    oracle = "safe"
    for index, step in enumerate(steps):
        targets = list(step.operator.targets(current, run.context))
        if not targets:
            continue
        target = targets[step.pick % len(targets)]
        rng = random.Random(derive_seed(seed, "explore", str(index), step.operator.key, target))
        if step.operator.oracle(current, target, run.context) == "escalate":
            oracle = "escalate"
        current = step.operator.apply(current, target, rng, run.context)[-1]
        applied.append(str(Mutation(step.operator.family, step.operator.name, target)))
    return current, applied, oracle


def explore(run: CorpusRun, agent: Any, examples: int, seed: int) -> ExploreResult:
    """Search ``examples`` chains; return the minimal failing one (hypothesis shrinks it)."""
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    operators = chainable_operators(run)
    result = ExploreResult()
    if not operators or not run.corpus.samples:
        return result
    sample_index = st.integers(0, len(run.corpus.samples) - 1)
    steps = st.lists(st.builds(Step, st.sampled_from(operators), st.integers(0, 1 << 16)), min_size=1, max_size=3)

    def run_chain(chain: tuple[int, list[Step]]) -> Outcome | None:
        index, chosen = chain
        sample_id = run.corpus.ids[index]
        mutated, applied, oracle = apply_chain(run, run.corpus.samples[index], chosen, seed)
        if not applied:
            return None
        mutation = Mutation("explore", "chain", "+".join(applied))
        case = Case.make(run.name, sample_id, mutation, seed)
        return run.run(case, agent, read_only=True, inputs=[mutated], oracle=oracle)

    def fails(chain: tuple[int, list[Step]]) -> bool:
        result.examples += 1
        outcome = run_chain(chain)
        return outcome is not None and not outcome.passed

    config = settings(max_examples=examples, database=None, deadline=None,
                      phases=[Phase.generate, Phase.shrink],
                      suppress_health_check=list(HealthCheck))
    try:
        minimal = find(st.tuples(sample_index, steps), fails, settings=config,
                       random=random.Random(derive_seed(seed, "explore", run.name)))
    except NoSuchExample:
        return result
    result.failing = run_chain(minimal)
    if result.failing is not None:
        result.chain = result.failing.case.mutation.target.split("+")
        result.sample_id = result.failing.case.sample_id
    return result
