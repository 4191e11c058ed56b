"""Terminal text: a failing case's findings, and the per-corpus summary matrix.

Plain functions from outcomes to lines of text; the pytest adapter decides where they go.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..model import Outcome, findings_table
from ..pointers import generalise


def format_failure(outcome: Outcome, *, max_output_chars: int = 600) -> str:
    """Everything a reader needs to see why a case failed, at once."""
    case = outcome.case
    lines = [f"{case.id}: {len(outcome.failures)} finding(s), oracle '{outcome.oracle}'"]
    lines += ["  " + row for row in findings_table(outcome.findings)]
    if outcome.input_diff:
        lines.append("  input changed from the original:")
        lines += ["    " + row for row in outcome.input_diff]
    if outcome.output is not None:
        text = json.dumps(outcome.output, ensure_ascii=False, sort_keys=True, default=str)
        if len(text) > max_output_chars:
            text = text[: max_output_chars - 1] + "…"
        lines.append(f"  output: {text}")
    if outcome.traffic:
        lines.append(f"  traffic: {len(outcome.traffic)} interaction(s)")
        for interaction in outcome.traffic[:8]:
            status = interaction.status if interaction.status is not None else (interaction.error or "-")
            fault = f"  [fault: {interaction.fault}]" if interaction.fault else ""
            lines.append(f"    {interaction.line} -> {status}{fault}")
    if case.mutation.family != "explore":
        lines.append(f"  reproduce: pytest -k '{case.id}'  (seed {case.seed})")
    return "\n".join(lines)


@dataclass
class FamilyCounts:
    """Case counts of one mutation family."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    xfailed: int = 0

    @property
    def total(self) -> int:
        """All cases counted."""
        return self.passed + self.failed + self.errors + self.xfailed


@dataclass
class CorpusTally:
    """What the summary shows for one corpus."""

    families: dict[str, FamilyCounts] = field(default_factory=lambda: defaultdict(FamilyCounts))
    failing_operators: Counter[str] = field(default_factory=Counter)
    failing_fields: Counter[str] = field(default_factory=Counter)

    def add(self, family: str, outcome_kind: str, outcome: Outcome | None = None) -> None:
        """Count one case: ``passed``, ``failed``, ``errors`` or ``xfailed``."""
        counts = self.families[family]
        setattr(counts, outcome_kind, getattr(counts, outcome_kind) + 1)
        if outcome_kind == "failed" and outcome is not None:
            mutation = outcome.case.mutation
            if not mutation.is_original:
                self.failing_operators[mutation.key] += 1
            for finding in outcome.failures:
                if finding.path.startswith("/"):
                    self.failing_fields[generalise(finding.path)] += 1
            if mutation.target.startswith("/"):
                self.failing_fields[f"input {generalise(mutation.target)}"] += 1


def summary_lines(tallies: dict[str, CorpusTally], family_order: Sequence[str] = ()) -> list[str]:
    """The matrix family × passed / failed / errors per corpus, plus what fails most."""
    lines: list[str] = []
    for corpus, tally in tallies.items():
        order = [f for f in ("original", *family_order) if f in tally.families]
        order += sorted(f for f in tally.families if f not in order)
        width = max([len("family"), *map(len, order)])
        lines.append(f"corpus {corpus}")
        lines.append(f"  {'family'.ljust(width)}  {'passed':>7} {'failed':>7} {'errors':>7} {'xfailed':>8}")
        total = FamilyCounts()
        for family in order:
            c = tally.families[family]
            total.passed += c.passed
            total.failed += c.failed
            total.errors += c.errors
            total.xfailed += c.xfailed
            lines.append(f"  {family.ljust(width)}  {c.passed:>7} {c.failed:>7} {c.errors:>7} {c.xfailed:>8}")
        lines.append(f"  {'total'.ljust(width)}  {total.passed:>7} {total.failed:>7} {total.errors:>7}"
                     f" {total.xfailed:>8}")
        if tally.failing_operators:
            top = ", ".join(f"{k} ({v})" for k, v in tally.failing_operators.most_common(5))
            lines.append(f"  most failing operators: {top}")
        if tally.failing_fields:
            top = ", ".join(f"{k} ({v})" for k, v in tally.failing_fields.most_common(5))
            lines.append(f"  most failing fields: {top}")
    return lines


def family_of(case_id: str) -> str:
    """The mutation family in a case id (``…[missing.drop:/x]`` → ``missing``)."""
    inner = case_id.rsplit("[", 1)[-1].rstrip("]")
    return inner.split(":", 1)[0].split(".", 1)[0]


def iter_failure_texts(outcomes: Iterable[Outcome]) -> Iterable[str]:
    """``format_failure`` for each failing outcome."""
    for outcome in outcomes:
        if not outcome.passed:
            yield format_failure(outcome)
