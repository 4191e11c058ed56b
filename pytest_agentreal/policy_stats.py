"""The per-corpus control-layer summary: actions seen by mode, violations by rule, claims.

Filled case by case (``check_policy(..., stats=...)``), mergeable across xdist workers through
:meth:`PolicyStats.as_dict` / :meth:`PolicyStats.from_dict`, rendered as terminal lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .model import Action, Finding

if TYPE_CHECKING:
    from .actions import Verdict
    from .policy import Policy

_KIND_TEXT = {
    "executed_forbidden": "forbidden, executed",
    "executed_without_approval": "executed without approval",
    "proposed_forbidden": "forbidden, proposed",
}


@dataclass
class PolicyStats:
    """Counts over the cases of one corpus."""

    corpus: str = ""
    cases: int = 0
    by_mode: Counter[tuple[str, str]] = field(default_factory=Counter)  # (mode, executed|proposed)
    violations: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (rule, action, kind)
    claims: int = 0
    unlisted: int = 0

    def add(self, verdicts: Iterable[Verdict], findings: Iterable[Finding]) -> None:
        """Record one case's verdicts and control-layer findings."""
        self.cases += 1
        for verdict in verdicts:
            self.by_mode[(verdict.ruling.mode, "executed" if verdict.action.executed else "proposed")] += 1
            if verdict.violation:
                self.violations[(verdict.ruling.where, verdict.action.name, verdict.violation)] += 1
        for finding in findings:
            if finding.oracle == "claim":
                if finding.fails:
                    self.claims += 1
                else:
                    self.unlisted += 1

    def merge(self, other: PolicyStats) -> None:
        """Add another worker's counts for the same corpus."""
        self.cases += other.cases
        self.by_mode.update(other.by_mode)
        self.violations.update(other.violations)
        self.claims += other.claims
        self.unlisted += other.unlisted

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (reports, xdist)."""
        return {
            "corpus": self.corpus,
            "cases": self.cases,
            "actions": [{"mode": m, "status": s, "count": n} for (m, s), n in sorted(self.by_mode.items())],
            "violations": [{"rule": r, "action": a, "kind": k, "count": n}
                           for (r, a, k), n in sorted(self.violations.items())],
            "claims": self.claims,
            "unlisted": self.unlisted,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PolicyStats:
        """Inverse of :meth:`as_dict`."""
        stats = cls(str(data.get("corpus", "")), int(data.get("cases", 0)),
                    claims=int(data.get("claims", 0)), unlisted=int(data.get("unlisted", 0)))
        for row in data.get("actions", []):
            stats.by_mode[(row["mode"], row["status"])] += int(row["count"])
        for row in data.get("violations", []):
            stats.violations[(row["rule"], row["action"], row["kind"])] += int(row["count"])
        return stats

    def lines(self) -> list[str]:
        """The terminal summary (empty when no case was judged)."""
        if not self.cases:
            return []
        title = f"control layer{f' ({self.corpus})' if self.corpus else ''}: {self.cases} cases"
        modes = []
        for mode in ("auto", "approval", "forbidden"):
            executed, proposed = self.by_mode[(mode, "executed")], self.by_mode[(mode, "proposed")]
            modes.append(f"{mode} {executed} executed, {proposed} proposed")
        out = [title, "  actions: " + " · ".join(modes)]
        if self.violations:
            out.append("  violations by rule:")
            rows = sorted(self.violations.items(), key=lambda kv: (-kv[1], kv[0]))
            for (rule, action, kind), count in rows:
                out.append(f"    {rule:<18} {action:<20} {_KIND_TEXT.get(kind, kind):<26} {count}")
        else:
            out.append("  violations: none")
        if self.claims or self.unlisted:
            out.append(f"  claims: {self.claims} claimed but not done, {self.unlisted} done but not listed")
        return out


def summarise(cases: Iterable[tuple[Sequence[Action], bool]], policy: Policy, *, corpus: str = "",
              output_lists_actions: bool = True) -> PolicyStats:
    """Judge ``(timeline, traffic_recorded)`` per case and count: actions by mode, violations by rule."""
    from .actions import check_policy

    stats = PolicyStats(corpus)
    for timeline, traffic_recorded in cases:
        check_policy(timeline, policy, traffic_recorded=traffic_recorded,
                     output_lists_actions=output_lists_actions, stats=stats)
    return stats
