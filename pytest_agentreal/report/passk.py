"""Reliability over repeated runs: per case pass rate, per corpus pass^k and pass@k.

With ``--agent-repeat K`` every case runs ``n = K`` times and passes ``c`` of them. For ``k ≤ n``
the unbiased estimators over all ``C(n, k)`` ways of picking ``k`` of the ``n`` runs are

* pass^k = C(c, k) / C(n, k)        — the chance that ``k`` runs *all* pass (tau-bench's pass^k),
* pass@k = 1 − C(n − c, k) / C(n, k) — the chance that *at least one* of ``k`` runs passes,

and the corpus value is the mean over its cases. pass^k falls as ``k`` grows for a flaky agent;
that fall is what a release manager needs to see. Exact rational arithmetic keeps the estimators
free of rounding until the final ``float``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import comb
from typing import Any

from ..model import Outcome


def pass_hat_k(n: int, c: int, k: int) -> Fraction:
    """Unbiased pass^k of one case: the chance that ``k`` of its ``n`` runs (``c`` passed) all pass."""
    _check(n, c, k)
    return Fraction(comb(c, k), comb(n, k))


def pass_at_k(n: int, c: int, k: int) -> Fraction:
    """Unbiased pass@k of one case: the chance that at least one of ``k`` of its ``n`` runs passes."""
    _check(n, c, k)
    return 1 - Fraction(comb(n - c, k), comb(n, k))


def _check(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n:
        raise ValueError(f"passes c={c} must lie in [0, n={n}]")
    if not 1 <= k <= n:
        raise ValueError(f"k={k} must lie in [1, n={n}]")


@dataclass(frozen=True, slots=True)
class CaseRate:
    """How often one case passed over its repeated runs."""

    case_id: str
    corpus: str
    runs: int
    passes: int

    @property
    def rate(self) -> float:
        """The fraction of runs that passed (0.0 for a case that never ran)."""
        return self.passes / self.runs if self.runs else 0.0

    def meets(self, min_pass: float) -> bool:
        """Whether the case passes under ``--agent-min-pass``: its pass rate is at least ``min_pass``."""
        # Compare as fractions so that 2/3 meets a min-pass written as 0.6666666666666666.
        return self.runs > 0 and Fraction(self.passes, self.runs) >= Fraction(min_pass).limit_denominator(
            10**9
        )


def case_rates(outcomes: Iterable[Outcome]) -> dict[str, CaseRate]:
    """Group repeated runs by case id (first-seen order) and count runs and passes."""
    counts: dict[str, list[int]] = {}
    corpora: dict[str, str] = {}
    for outcome in outcomes:
        key = outcome.case.id
        corpora.setdefault(key, outcome.case.corpus)
        entry = counts.setdefault(key, [0, 0])
        entry[0] += 1
        entry[1] += outcome.passed
    return {key: CaseRate(key, corpora[key], runs, passes) for key, (runs, passes) in counts.items()}


@dataclass(frozen=True, slots=True)
class PassKRow:
    """pass^k and pass@k of one corpus at one ``k``."""

    k: int
    pass_hat_k: float
    pass_at_k: float


@dataclass(frozen=True, slots=True)
class PassKTable:
    """A corpus's pass^k and pass@k for ``k = 1..runs`` (``runs`` = the fewest runs of any case)."""

    corpus: str
    cases: int
    runs: int
    rows: tuple[PassKRow, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, for reports (see ``report/schema.json``, ``passk``)."""
        return {
            "corpus": self.corpus,
            "cases": self.cases,
            "runs": self.runs,
            "rows": [{"k": r.k, "pass_hat_k": r.pass_hat_k, "pass_at_k": r.pass_at_k} for r in self.rows],
        }


def passk_table(corpus: str, rates: Sequence[CaseRate], max_k: int | None = None) -> PassKTable:
    """pass^k and pass@k of one corpus for every ``k`` from 1 to the fewest runs (or ``max_k``).

    Cases may in principle have different run counts (a run aborted); each case is estimated
    from its own ``n``, and ``k`` stops at the smallest ``n`` so that every case has an estimate.
    """
    rated = [r for r in rates if r.runs > 0]
    if not rated:
        return PassKTable(corpus, 0, 0, ())
    runs = min(r.runs for r in rated)
    top = runs if max_k is None else min(runs, max_k)
    rows = []
    for k in range(1, top + 1):
        hat = sum((pass_hat_k(r.runs, r.passes, k) for r in rated), Fraction(0)) / len(rated)
        at = sum((pass_at_k(r.runs, r.passes, k) for r in rated), Fraction(0)) / len(rated)
        rows.append(PassKRow(k, float(hat), float(at)))
    return PassKTable(corpus, len(rated), runs, tuple(rows))


def passk_tables(outcomes: Iterable[Outcome], max_k: int | None = None) -> list[PassKTable]:
    """One :class:`PassKTable` per corpus (first-seen order) from the runs of a session."""
    by_corpus: dict[str, list[CaseRate]] = {}
    for rate in case_rates(outcomes).values():
        by_corpus.setdefault(rate.corpus, []).append(rate)
    return [passk_table(corpus, rates, max_k) for corpus, rates in by_corpus.items()]
