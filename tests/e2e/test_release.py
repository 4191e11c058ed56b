"""End to end: baselines across releases, and the JSON/HTML reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

MakeCorpus = Callable[..., Path]

AGENT = """
import os

CHANGED = set(os.environ.get("CHANGED_TICKETS", "").split(","))


def Agent(ticket):
    tid = ticket["ticket_id"]
    category = "new-rules" if tid in CHANGED else "general"
    return {"ticket_id": tid, "status": "done", "category": category, "actions": []}
"""


def test_update_then_compare_shows_exactly_the_two_drifts(
    pytester: pytest.Pytester, make_corpus: MakeCorpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_corpus(agent_code=AGENT)
    updated = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none",
                                 "--agent-update-baseline")
    updated.assert_outcomes(passed=3)
    files = sorted(p.name for p in (pytester.path / "corpus" / "baseline").glob("*.json"))
    assert len(files) == 3
    same = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "--agent-baseline")
    same.assert_outcomes(passed=3)
    same.stdout.fnmatch_lines(["*release summary (mini*", "*no change since the baseline*"])

    monkeypatch.setenv("CHANGED_TICKETS", "T-1,T-3")
    changed = pytester.runpytest_subprocess("--agent-corpus", "corpus", "--agent-mutations", "none",
                                            "--agent-baseline")
    changed.assert_outcomes(passed=1, failed=2)
    changed.stdout.fnmatch_lines([
        "*mini/T-1[[]original[]]: 1 finding(s)*",
        "*drift*/category*\"general\"*\"new-rules\"*",
    ])
    changed.stdout.fnmatch_lines(["*decision changed: 2*", "*mini/T-1[[]original[]]*", "*mini/T-3[[]original[]]*"])


def test_corrupt_baseline_file_is_a_clear_error(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=AGENT)
    pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "--agent-update-baseline")
    victim = sorted((pytester.path / "corpus" / "baseline").glob("*.json"))[0]
    victim.write_text(victim.read_text()[:20])
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "--agent-baseline")
    assert result.ret != 0
    assert victim.name in result.stdout.str() + result.stderr.str()


def test_json_report_validates_against_its_schema(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    from pytest_agentreal.report.json_report import validate_report

    make_corpus()
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-report", "out/report.json", "-n", "2")
    outcomes = result.parseoutcomes()
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    assert validate_report(report) == []
    assert len(report["cases"]) == outcomes.get("passed", 0) + outcomes.get("failed", 0)
    failing = [c for c in report["cases"] if c["status"] == "failed"]
    assert len(failing) == outcomes.get("failed", 0) and all(c["findings"] for c in failing)
    result.stdout.fnmatch_lines(["*report written to out/report.json*"])


def test_html_report_is_self_contained(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus()
    pytester.runpytest("--agent-corpus", "corpus", "--agent-report", "report.html")
    page = (pytester.path / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    assert "mini/T-1[duplicate.conflicting]" in page
    for remote in ("http://", "https://", "src=\"//"):
        assert remote not in page.replace("https://json-schema.org", "").replace("http://www.w3.org", "")
