"""The run report as JSON data (``--agent-report out.json``), and the writer for ``.json``/``.html``.

The report is plain JSON described by ``report/schema.json`` (versioned by ``schema_version``;
see docs/report-schema.md). It is built in two steps so that it works under pytest-xdist, where
outcomes live on the workers and only plain data reaches the controller:

1. :func:`case_entry` turns the runs of one case (one, or ``--agent-repeat K``) into a JSON-ready
   dict — on the worker, next to the outcome;
2. :func:`assemble_report` turns all entries plus :class:`RunMeta` into the report — on the
   controller. :func:`build_report` does both for outcomes at hand.

Passing cases keep their findings and actions but not their inputs, outputs and traffic, so a
report of thousands of cases stays small; failing cases keep everything a reader needs. Inputs
and outputs are anonymised corpus data and traffic is stored as recorded (already redacted), so
nothing here needs scrubbing.
"""

from __future__ import annotations

import json
import platform
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..baseline import ReleaseSummary, json_value, write_atomic
from ..errors import ConfigError
from ..model import Action, Case, Finding, Interaction, Mutation, Outcome
from ..pointers import generalise
from .passk import CaseRate, passk_table

SCHEMA_VERSION = 1
"""Bumped when a field is removed or changes meaning; new optional fields keep the version."""

STATUSES = ("passed", "failed", "error", "xfailed", "xpassed")
FAMILY_ORDER = ("original", "duplicate", "missing", "out_of_pattern", "connector_fault")
TOP_N = 5


class Ruling(Protocol):
    """What the control layer says about one action (``policy.Policy.ruling`` returns one)."""

    @property
    def mode(self) -> str: ...

    @property
    def where(self) -> str: ...


RulingFn = Callable[[str, Mapping[str, Any]], Ruling]
"""``(action name, args) → Ruling``: the corpus policy's ``ruling`` method."""


@dataclass(frozen=True)
class PolicySummary:
    """A corpus's control layer as the report shows it: the file, the default mode, each action's mode."""

    file: str | None = None
    default: str = "approval"
    modes: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"file": self.file, "default": self.default, "modes": dict(sorted(self.modes.items()))}


def default_versions() -> dict[str, str]:
    """Versions worth knowing when reading an old report: Python, the plugin, pytest, the platform."""
    from importlib import metadata

    from .. import __version__

    versions = {
        "python": platform.python_version(),
        "pytest-agentreal": __version__,
        "platform": platform.system(),
    }
    for package in ("pytest", "vcrpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


@dataclass(frozen=True)
class RunMeta:
    """What the session knows about the run as a whole; every field is optional."""

    seed: int | None = None
    corpora: Sequence[str] = ()
    record_mode: str = "none"
    started: datetime | str | None = None
    ended: datetime | str | None = None
    versions: Mapping[str, str] = field(default_factory=default_versions)
    repeat: int = 1
    min_pass: float = 1.0
    baseline: str | None = None
    """``"compare"`` (``--agent-baseline``), ``"update"`` (``--agent-update-baseline``) or ``None``."""
    policies: Mapping[str, PolicySummary] = field(default_factory=dict)
    """Per corpus name."""
    releases: Mapping[str, ReleaseSummary] = field(default_factory=dict)
    """Per corpus name: the baseline's release summary (with ``--agent-baseline``)."""


# ---------------------------------------------------------------------------------------------
# One case


def case_status(outcome: Outcome) -> str:
    """``passed``, ``failed``, ``xfailed`` or ``xpassed`` for one run (``error``: :func:`error_entry`)."""
    return _verdict(outcome.passed, quarantined=outcome.xfail is not None)


def _verdict(passed: bool, *, quarantined: bool) -> str:
    if quarantined:
        return "xpassed" if passed else "xfailed"
    return "passed" if passed else "failed"


def case_entry(
    outcomes: Sequence[Outcome],
    *,
    min_pass: float = 1.0,
    status: str | None = None,
    details: bool | None = None,
    ruling: RulingFn | None = None,
) -> dict[str, Any]:
    """The report entry of one case from its runs (all of the same case, in run order).

    The case passes when its pass rate is at least ``min_pass``. The shown run is the first
    failing one (else the last). ``status`` overrides the computed one (the plugin knows about
    xfail markers); ``details`` forces inputs, outputs and traffic in (default: only when the
    case did not pass). ``ruling`` gives each action its policy mode and rule.
    """
    if not outcomes:
        raise ValueError("case_entry needs at least one outcome")
    case = outcomes[0].case
    rate = CaseRate(case.id, case.corpus, len(outcomes), sum(o.passed for o in outcomes))
    shown = next((o for o in outcomes if not o.passed), outcomes[-1])
    if status is None:
        status = _verdict(rate.meets(min_pass), quarantined=shown.xfail is not None)
    entry = _case_head(case, status)
    findings = [f.as_dict() for f in shown.findings]
    entry.update(
        oracle=shown.oracle,
        xfail=shown.xfail,
        runs=rate.runs,
        passes=rate.passes,
        pass_rate=rate.rate,
        duration_s=sum(o.duration_s for o in outcomes) / len(outcomes),
        timed_out=shown.timed_out,
        error=None if shown.error is None else {
            "type": shown.error.type,
            "message": shown.error.message,
            "frame": shown.error.frame,
            "delivery": shown.error.delivery,
        },
        findings=findings,
        actions=[_action(a, shown.findings, ruling) for a in shown.actions],
    )
    if details if details is not None else status != "passed":
        entry.update(
            input_diff=list(shown.input_diff),
            inputs=json_value(shown.inputs),
            outputs=json_value(shown.outputs),
            traffic=[_interaction(i) for i in shown.traffic],
        )
    plain: dict[str, Any] = json_value(entry)
    return plain


def error_entry(case: Case | str, message: str, *, xfail: str | None = None) -> dict[str, Any]:
    """The entry of a case that could not be judged (``original failed``, a harness error)."""
    if isinstance(case, str):
        case = parse_case_id(case)
    entry = _case_head(case, "error")
    entry.update(message=message, xfail=xfail, runs=0, passes=0, pass_rate=None, findings=[], actions=[])
    return entry


_CASE_ID = re.compile(r"^(?P<corpus>[^/]+)/(?P<sample>.*)\[(?P<mutation>[^\[]*)\]$", re.DOTALL)


def parse_case_id(case_id: str) -> Case:
    """``corpus/sample[mutation]`` → :class:`Case` (seed 0: the id does not carry it)."""
    match = _CASE_ID.match(case_id)
    if match is None:
        raise ValueError(f"{case_id!r} is not a case id like 'corpus/sample[family.operator:target]'")
    return Case(match["corpus"], match["sample"], Mutation.parse(match["mutation"]), 0)


def _case_head(case: Case, status: str) -> dict[str, Any]:
    return {
        "id": case.id,
        "corpus": case.corpus,
        "sample_id": case.sample_id,
        "mutation": str(case.mutation),
        "family": case.mutation.family,
        "operator": case.mutation.key,
        "target": case.mutation.target,
        "seed": case.seed,
        "status": status,
    }


def _action(action: Action, findings: Sequence[Finding], ruling: RulingFn | None) -> dict[str, Any]:
    related = [i for i, f in enumerate(findings) if _concerns(f, action)]
    if any(findings[i].fails for i in related):
        verdict = "violation"
    elif related:
        verdict = "reported"
    else:
        verdict = "ok"
    mode = where = None
    if ruling is not None and action.name != "approval.granted":
        judged = ruling(action.name, action.args)
        mode, where = judged.mode, judged.where
    return {
        "seq": action.seq,
        "delivery": action.delivery,
        "source": action.source,
        "name": action.name,
        "args": json_value(action.args),
        "status": action.status,
        "evidence": action.evidence,
        "http_status": action.http_status,
        "mode": mode,
        "rule": where,
        "verdict": verdict,
        "findings": related,
    }


def _concerns(finding: Finding, action: Action) -> bool:
    """Whether a finding is about this action: its evidence names the action's evidence line."""
    if not action.evidence or not finding.evidence:
        return False
    if finding.evidence == action.evidence:
        return True
    # The evidence line must appear as a whole: ``POST /tickets/7`` is not ``POST /tickets/7/replies``.
    pattern = r"(?<![^\s(\[{,;:'\"])" + re.escape(action.evidence) + r"(?![^\s)\]},;'\"])"
    return re.search(pattern, finding.evidence) is not None


def _interaction(interaction: Interaction) -> dict[str, Any]:
    return {
        "seq": interaction.seq,
        "delivery": interaction.delivery,
        "kind": interaction.kind,
        "method": interaction.method,
        "url": interaction.url,
        "line": interaction.line,
        "status": interaction.status,
        "fault": interaction.fault,
        "error": interaction.error,
        "request": json_value(interaction.request),
        "response": json_value(interaction.response),
    }


# ---------------------------------------------------------------------------------------------
# The whole run


def build_report(
    outcomes: Sequence[Outcome], meta: RunMeta, *, ruling: Mapping[str, RulingFn] | None = None
) -> dict[str, Any]:
    """The report of a run from its outcomes (repeats grouped by case id); see :func:`assemble_report`.

    ``ruling`` maps a corpus name to its policy's ``ruling`` function.
    """
    grouped: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        grouped.setdefault(outcome.case.id, []).append(outcome)
    entries = [
        case_entry(runs, min_pass=meta.min_pass, ruling=(ruling or {}).get(runs[0].case.corpus))
        for runs in grouped.values()
    ]
    return assemble_report(entries, meta)


def assemble_report(entries: Iterable[Mapping[str, Any]], meta: RunMeta) -> dict[str, Any]:
    """The report from case entries (:func:`case_entry`, :func:`error_entry`) and the run's meta data."""
    cases = [dict(e) for e in entries]
    corpus_order = list(dict.fromkeys([*meta.corpora, *(c["corpus"] for c in cases)]))
    rank = {name: i for i, name in enumerate(corpus_order)}
    cases.sort(key=lambda c: (rank[c["corpus"]], c["id"]))
    report = {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": "pytest-agentreal", "version": meta.versions.get("pytest-agentreal", "")},
        "run": _run(meta),
        "totals": _totals(cases),
        "corpora": [_corpus(name, [c for c in cases if c["corpus"] == name], meta) for name in corpus_order],
        "cases": cases,
    }
    plain: dict[str, Any] = json_value(report)
    return plain


def _timestamp(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _run(meta: RunMeta) -> dict[str, Any]:
    duration = None
    if isinstance(meta.started, datetime) and isinstance(meta.ended, datetime):
        duration = (meta.ended - meta.started).total_seconds()
    return {
        "seed": meta.seed,
        "corpora": list(meta.corpora),
        "record_mode": meta.record_mode,
        "started": _timestamp(meta.started),
        "ended": _timestamp(meta.ended),
        "duration_s": duration,
        "repeat": meta.repeat,
        "min_pass": meta.min_pass,
        "baseline": meta.baseline,
        "versions": dict(meta.versions),
    }


def _counts(cases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    counts = Counter(c["status"] for c in cases)
    out: dict[str, Any] = {"cases": len(cases), **{s: counts[s] for s in STATUSES}}
    judged = out["passed"] + out["failed"] + out["error"]
    # Quarantined (xfail) cases are neither a pass nor a failure of the agent.
    out["pass_rate"] = out["passed"] / judged if judged else None
    return out


def _totals(cases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    totals = _counts(cases)
    findings = [f for c in cases for f in c["findings"]]
    totals["runs"] = sum(c["runs"] for c in cases)
    totals["failing_findings"] = sum(1 for f in findings if f["fails"])
    totals["reported_findings"] = sum(1 for f in findings if not f["fails"])
    return totals


def _grouped(cases: Sequence[Mapping[str, Any]], key: str, order: Sequence[str] = ()) -> list[dict[str, Any]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for case in cases:
        groups.setdefault(case[key], []).append(case)
    names = [n for n in order if n in groups] + sorted(n for n in groups if n not in order)
    return [{"key": name, **_counts(groups[name])} for name in names]


def _ranked(counter: Counter[str]) -> list[dict[str, Any]]:
    # Ties break by name, so the list is the same whatever order the cases arrived in.
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:TOP_N]
    return [{"key": key, "count": count} for key, count in ranked]


def _corpus(name: str, cases: Sequence[Mapping[str, Any]], meta: RunMeta) -> dict[str, Any]:
    operators, fields = Counter[str](), Counter[str]()
    modes, verdicts = Counter[str](), Counter[str]()
    for case in cases:
        for action in case["actions"]:
            if action["mode"] is not None:
                modes[action["mode"]] += 1
            verdicts[action["verdict"]] += 1
        if case["status"] != "failed":
            continue
        if case["family"] != "original":
            operators[case["operator"]] += 1
        for finding in case["findings"]:
            if finding["fails"] and finding["path"].startswith("/"):
                fields[generalise(finding["path"])] += 1
        if case["target"].startswith("/"):
            fields["input " + generalise(case["target"])] += 1
    rates = [CaseRate(c["id"], name, c["runs"], c["passes"]) for c in cases if c["runs"]]
    table = passk_table(name, rates)
    policy = meta.policies.get(name)
    release = meta.releases.get(name)
    return {
        "name": name,
        "totals": _counts(cases),
        "families": _grouped(cases, "family", FAMILY_ORDER),
        "operators": _grouped(cases, "operator"),
        "passk": {k: v for k, v in table.as_dict().items() if k != "corpus"},
        "top_failing": {
            "operators": _ranked(operators),
            "fields": _ranked(fields),
        },
        "actions": {"by_mode": dict(sorted(modes.items())), "by_verdict": dict(sorted(verdicts.items()))},
        "policy": policy.as_dict() if policy else None,
        "release": release.as_dict() if release else None,
    }


# ---------------------------------------------------------------------------------------------
# Schema and files


def load_schema() -> dict[str, Any]:
    """The report's JSON Schema (2020-12), read from the installed package."""
    from importlib import resources

    resource = resources.files("pytest_agentreal") / "report" / "schema.json"
    schema: dict[str, Any] = json.loads(resource.read_text(encoding="utf-8"))
    return schema


def validate_report(report: Mapping[str, Any]) -> list[str]:
    """Every way ``report`` breaks the schema, as ``/json/pointer: message`` lines (empty: valid)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(report), key=lambda e: [str(p) for p in e.absolute_path])
    return ["/" + "/".join(str(p) for p in e.absolute_path) + ": " + e.message for e in errors]


WRITERS: dict[str, Callable[[Mapping[str, Any]], str]] = {}
"""Report formats by file suffix; ``.json`` and ``.html`` are registered below."""


def _json_text(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _html_text(report: Mapping[str, Any]) -> str:
    from .html import render_html

    text: str = render_html(report)
    return text


WRITERS[".json"] = _json_text
WRITERS[".html"] = _html_text


def write_report(path: str | Path, report: Mapping[str, Any]) -> Path:
    """Write the report as JSON or as one self-contained HTML page, by the file's suffix, atomically."""
    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise ConfigError(
            path, f"unknown report format {path.suffix or '(no suffix)'!r}", key="--agent-report",
            fix="end the path with " + " or ".join(sorted(WRITERS)),
        )
    write_atomic(path, writer(report))
    return path
