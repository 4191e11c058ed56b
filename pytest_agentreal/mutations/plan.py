"""Plan a corpus's cases: which samples, which mutations, in a stable order. Pure and seeded.

The same corpus, selection and seed give the same cases with the same ids on every machine and
every xdist worker: nothing here depends on hash order, time, or the process.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ConfigError, unknown_name_fix
from ..manifest import Expectation
from ..model import ORIGINAL, ORIGINAL_MUTATION, Case, Mutation, Sample, derive_seed
from .registry import MutationContext, Operator, families


@dataclass(frozen=True)
class Selection:
    """Which cases to run: mutation keys, a deterministic sample subset, a shard."""

    mutations: frozenset[str] | None = None  # "family" or "family.operator"; None = all; empty = originals only
    sample: int | None = None
    shard: tuple[int, int] | None = None  # (index 1-based, count)


def parse_mutation_list(text: str, *, source: str = "--agent-mutations") -> frozenset[str]:
    """``missing,duplicate.exact`` → keys; ``none`` → empty (originals only). Names are checked."""
    text = text.strip()
    if text in ("", "none"):
        return frozenset()
    if text == "all":
        return frozenset(families())
    keys = frozenset(part.strip() for part in text.split(",") if part.strip())
    fams = families()
    for key in keys:
        family, _, operator = key.partition(".")
        if family == ORIGINAL:
            continue
        if family not in fams:
            raise ConfigError(None, f"{source}: unknown mutation family '{family}'",
                              fix=unknown_name_fix(family, fams))
        if operator and operator not in fams[family]:
            raise ConfigError(None, f"{source}: unknown operator '{key}'",
                              fix=unknown_name_fix(operator, fams[family]))
    return keys


def intersect(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """Intersect two mutation selections (None = everything); ``missing`` ∩ ``missing.drop`` = drop."""
    if a is None:
        return b
    if b is None:
        return a
    result = set()
    for x in a:
        for y in b:
            if x == y or y.startswith(x + "."):
                result.add(y)
            elif x.startswith(y + "."):
                result.add(x)
    return frozenset(result)


def _selected(op: Operator, keys: frozenset[str] | None) -> bool:
    return keys is None or op.family in keys or op.key in keys


def operators_for(ctx: MutationContext, manifest_mutations: dict[str, object] | None,
                  keys: frozenset[str] | None) -> list[Operator]:
    """The operators a run uses, in registry order, given the manifest's list and the selection."""
    chosen = []
    for family, ops in families().items():
        for op in ops.values():
            if manifest_mutations is not None:
                selection = manifest_mutations.get(family)
                if selection is None:
                    continue
                names = getattr(selection, "operators", None)
                if names is not None and op.name not in names:
                    continue
            if _selected(op, keys):
                chosen.append(op)
    return chosen


def plan_sample(corpus_name: str, sample_id: str, sample: Sample, operators: Sequence[Operator],
                ctx: MutationContext, corpus_seed: int) -> list[Case]:
    """Every case of one sample: the original first, then each operator's targets in order."""
    cases = [Case.make(corpus_name, sample_id, ORIGINAL_MUTATION, corpus_seed)]
    for op in operators:
        seen: set[str] = set()
        for target in op.targets(sample, ctx):
            if target in seen:
                continue
            seen.add(target)
            cases.append(Case.make(corpus_name, sample_id, Mutation(op.family, op.name, target), corpus_seed))
    return cases


def choose_samples(ids: Sequence[str], count: int, seed: int) -> list[int]:
    """``count`` sample indices chosen for the seed, spread over the corpus (one per stratum)."""
    total = len(ids)
    if count >= total:
        return list(range(total))
    rng = random.Random(derive_seed(seed, "agent-sample", str(total)))
    chosen = []
    for stratum in range(count):
        start = stratum * total // count
        end = (stratum + 1) * total // count
        chosen.append(rng.randrange(start, end))
    return chosen


def shard_groups(weights: Sequence[int], index: int, count: int) -> list[int]:
    """Indices of the groups shard ``index`` (1-based) of ``count`` runs: disjoint, complete, balanced.

    Longest-processing-time greedy over the groups in a fixed order, so every job of a CI matrix
    computes the same partition without talking to the others.
    """
    loads = [0] * count
    owner = [0] * len(weights)
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    for group in order:
        target = min(range(count), key=lambda s: (loads[s], s))
        owner[group] = target
        loads[target] += max(weights[group], 1)
    return [g for g in range(len(weights)) if owner[g] == index - 1]


def expectation_for(case: Case, expect: dict[str, Expectation]) -> Expectation | None:
    """The most specific ``expect:`` entry for a case: ``fam.op:/ptr`` > ``fam.op`` > ``fam``."""
    if not expect:
        return None
    from ..pointers import matches

    mutation = case.mutation
    best: tuple[tuple[int, int], Expectation] | None = None
    for key, value in expect.items():
        head, _, target = key.partition(":")
        family, _, operator = head.partition(".")
        if family != mutation.family:
            continue
        if operator and operator not in ("*", mutation.operator):
            continue
        target_score = 0
        if target:
            if target.startswith("/") and mutation.target.startswith("/"):
                if not matches(target, mutation.target):
                    continue
            elif target != mutation.target:
                continue
            # A concrete pointer is more specific than one with `*`.
            target_score = 1 if "*" in target else 2
        score = (target_score, 1 if operator and operator != "*" else 0)
        if best is None or score > best[0]:
            best = (score, value)
    return best[1] if best else None
