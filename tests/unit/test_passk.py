"""pass^k / pass@k: the unbiased estimators against brute-force enumeration of run subsets."""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import combinations, pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_agentreal.model import Case, Finding, Mutation, Outcome
from pytest_agentreal.report.passk import (
    CaseRate,
    case_rates,
    pass_at_k,
    pass_hat_k,
    passk_table,
    passk_tables,
)


def brute(runs: list[bool], k: int) -> tuple[Fraction, Fraction]:
    """Enumerate every k-subset of the runs: the share where all pass, and where any passes."""
    subsets = list(combinations(runs, k))
    all_pass = Fraction(sum(all(s) for s in subsets), len(subsets))
    any_pass = Fraction(sum(any(s) for s in subsets), len(subsets))
    return all_pass, any_pass


run_lists = st.lists(st.booleans(), min_size=1, max_size=9)


@given(runs=run_lists, data=st.data())
def test_case_estimators_equal_enumeration(runs: list[bool], data: st.DataObject) -> None:
    k = data.draw(st.integers(1, len(runs)))
    all_pass, any_pass = brute(runs, k)
    assert pass_hat_k(len(runs), sum(runs), k) == all_pass
    assert pass_at_k(len(runs), sum(runs), k) == any_pass


@given(cases=st.lists(run_lists, min_size=1, max_size=6))
def test_corpus_table_is_mean_of_enumerations(cases: list[list[bool]]) -> None:
    rates = [CaseRate(f"c/{i}", "c", len(r), sum(r)) for i, r in enumerate(cases)]
    table = passk_table("c", rates)
    fewest = min(len(r) for r in cases)
    assert [row.k for row in table.rows] == list(range(1, fewest + 1))
    for row in table.rows:
        hats, ats = zip(*(brute(r, row.k) for r in cases), strict=True)
        assert row.pass_hat_k == pytest.approx(float(sum(hats) / len(cases)))
        assert row.pass_at_k == pytest.approx(float(sum(ats) / len(cases)))
    # pass^1 and pass@1 are both the mean pass rate.
    mean_rate = sum(Fraction(sum(r), len(r)) for r in cases) / len(cases)
    assert table.rows[0].pass_hat_k == pytest.approx(float(mean_rate))
    assert table.rows[0].pass_at_k == pytest.approx(float(mean_rate))


@given(cases=st.lists(run_lists, min_size=1, max_size=6))
def test_pass_hat_k_falls_and_pass_at_k_rises_with_k(cases: list[list[bool]]) -> None:
    rows = passk_table("c", [CaseRate(str(i), "c", len(r), sum(r)) for i, r in enumerate(cases)]).rows
    for before, after in pairwise(rows):
        assert after.pass_hat_k <= before.pass_hat_k + 1e-12
        assert after.pass_at_k >= before.pass_at_k - 1e-12
    for row in rows:
        assert row.pass_hat_k <= row.pass_at_k + 1e-12


def test_known_values() -> None:
    # 3 runs, 2 passed: any 2 of 3 runs all pass in 1 of 3 ways; at least one passes in all 3.
    assert pass_hat_k(3, 2, 2) == Fraction(1, 3)
    assert pass_at_k(3, 2, 2) == 1
    assert pass_hat_k(3, 2, 3) == 0
    assert pass_at_k(3, 0, 3) == 0


@pytest.mark.parametrize(("n", "c", "k"), [(3, 4, 1), (3, -1, 1), (3, 1, 0), (3, 1, 4)])
def test_out_of_range_arguments_are_refused(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match="must lie in"):
        pass_hat_k(n, c, k)


def outcome(corpus: str, sample: str, passed: bool) -> Outcome:
    case = Case.make(corpus, sample, Mutation("missing", "drop", "/email"), 0)
    findings = [] if passed else [Finding("escalate", "did not escalate")]
    return Outcome(case=case, findings=findings)


def test_flaky_agent_failing_one_run_in_three() -> None:
    # A seeded flaky agent: each of 12 cases runs 3 times and fails exactly one run, at a seeded position.
    rng = random.Random(7)
    outcomes = []
    for i in range(12):
        bad = rng.randrange(3)
        outcomes += [outcome("inbox", f"T-{i}", run != bad) for run in range(3)]
    rates = case_rates(outcomes)
    assert len(rates) == 12
    assert all(r.runs == 3 and r.passes == 2 and r.rate == pytest.approx(2 / 3) for r in rates.values())
    (table,) = passk_tables(outcomes)
    assert (table.corpus, table.cases, table.runs) == ("inbox", 12, 3)
    hats = [row.pass_hat_k for row in table.rows]
    ats = [row.pass_at_k for row in table.rows]
    assert hats == pytest.approx([2 / 3, 1 / 3, 0.0])
    assert ats == pytest.approx([2 / 3, 1.0, 1.0])


def test_tables_are_per_corpus_and_rates_meet_min_pass() -> None:
    outcomes = [outcome("a", "1", True), outcome("a", "1", False), outcome("b", "1", True)]
    tables = {t.corpus: t for t in passk_tables(outcomes)}
    assert tables["a"].rows[0].pass_hat_k == pytest.approx(0.5)
    assert tables["b"].rows[0].pass_hat_k == 1.0
    assert tables["a"].as_dict()["rows"][1] == {"k": 2, "pass_hat_k": 0.0, "pass_at_k": 1.0}
    rate = case_rates(outcomes)[outcomes[0].case.id]
    assert rate.meets(0.5) and not rate.meets(0.51)
    assert CaseRate("x", "a", 3, 2).meets(2 / 3)
    assert not CaseRate("x", "a", 0, 0).meets(0.0)


def test_empty_corpus_has_an_empty_table() -> None:
    assert passk_table("a", []).rows == ()
    assert passk_table("a", [CaseRate("x", "a", 4, 1)], max_k=2).rows[-1].k == 2
