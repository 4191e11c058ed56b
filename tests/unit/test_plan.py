"""Planning is pure and seeded: shards partition, samples spread, selections intersect."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal.manifest import Expectation
from pytest_agentreal.model import Case, Mutation
from pytest_agentreal.mutations.plan import choose_samples, expectation_for, intersect, shard_groups


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 80), min_size=0, max_size=60), st.integers(1, 9))
def test_shards_are_disjoint_complete_and_balanced(weights: list[int], count: int) -> None:
    shards = [shard_groups(weights, index, count) for index in range(1, count + 1)]
    flat = sorted(g for shard in shards for g in shard)
    assert flat == list(range(len(weights)))  # complete and disjoint
    loads = [sum(weights[g] for g in shard) for shard in shards]
    if weights:
        # LPT greedy: no shard exceeds the lightest by more than the heaviest single group.
        assert max(loads) - min(loads) <= max(weights)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 300), st.integers(1, 50), st.integers(0, 10**9))
def test_sample_choice_is_deterministic_spread_and_unique(total: int, count: int, seed: int) -> None:
    ids = [f"T-{i}" for i in range(total)]
    chosen = choose_samples(ids, count, seed)
    assert chosen == choose_samples(ids, count, seed)
    assert len(chosen) == min(count, total) == len(set(chosen))
    if count < total:
        # One per stratum: the i-th choice lies in the i-th slice of the corpus.
        for stratum, index in enumerate(chosen):
            assert stratum * total // count <= index < (stratum + 1) * total // count


def test_mutation_selections_intersect() -> None:
    assert intersect(None, frozenset({"missing"})) == frozenset({"missing"})
    assert intersect(frozenset({"missing"}), frozenset({"missing.drop", "duplicate"})) == frozenset({"missing.drop"})
    assert intersect(frozenset({"missing.drop"}), frozenset({"missing"})) == frozenset({"missing.drop"})
    assert intersect(frozenset({"missing"}), frozenset({"duplicate"})) == frozenset()


def test_most_specific_expectation_wins() -> None:
    expect = {
        "missing": Expectation(oracle="escalate"),
        "missing.drop": Expectation(oracle="safe"),
        "missing.drop:/customer/*": Expectation(xfail="known"),
        "missing.drop:/customer/phone": Expectation(oracle="safe"),
    }

    def case(target: str, operator: str = "drop") -> Case:
        return Case("c", "T-1", Mutation("missing", operator, target), 0)

    assert expectation_for(case("/customer/phone"), expect) == Expectation(oracle="safe")
    assert expectation_for(case("/customer/email"), expect) == Expectation(xfail="known")
    assert expectation_for(case("/body"), expect) == Expectation(oracle="safe")
    assert expectation_for(case("/body", "null"), expect) == Expectation(oracle="escalate")
    assert expectation_for(Case("c", "T-1", Mutation("duplicate", "exact"), 0), expect) is None


def test_case_ids_and_seeds_are_stable() -> None:
    case = Case.make("support-inbox", "T-0042", Mutation("missing", "drop", "/customer/email"), 0)
    assert case.id == "support-inbox/T-0042[missing.drop:/customer/email]"
    # A fixed value: the seed must not depend on the process (hash salt) or the machine.
    assert case.seed == Case.make("support-inbox", "T-0042", Mutation.parse("missing.drop:/customer/email"), 0).seed
    assert case.seed != Case.make("support-inbox", "T-0042", case.mutation, 1).seed
    assert Mutation.parse(str(case.mutation)) == case.mutation
    assert str(Mutation.parse("connector_fault.http_500:crm.read")) == "connector_fault.http_500:crm.read"
