"""The JSON report: schema conformance, counts, repeats, details, action verdicts, writing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from pytest_agentreal.baseline import ReleaseSummary
from pytest_agentreal.errors import ConfigError
from pytest_agentreal.model import Action, Case, Finding, Interaction, Mutation, Outcome
from pytest_agentreal.report.demo import demo_meta, demo_outcomes, demo_report
from pytest_agentreal.report.json_report import (
    SCHEMA_VERSION,
    PolicySummary,
    RunMeta,
    assemble_report,
    build_report,
    case_entry,
    error_entry,
    load_schema,
    parse_case_id,
    validate_report,
    write_report,
)
from pytest_agentreal.report.passk import passk_tables

META = RunMeta(seed=7, corpora=("inbox",), versions={"pytest-agentreal": "0.1.0"})


def make(sample: str, mutation: str = "original", *findings: Finding, corpus: str = "inbox", **kw: Any) -> Outcome:
    return Outcome(Case.make(corpus, sample, Mutation.parse(mutation), 0), findings=list(findings), **kw)


FAIL = Finding("escalate", "did not escalate", "/status", "escalated", '"resolved"')


def test_schema_is_package_data_and_a_valid_2020_12_schema() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION, "description": "Version of this schema."}


def test_demo_report_conforms_to_its_schema() -> None:
    report = demo_report()
    assert validate_report(report) == []
    Draft202012Validator(load_schema()).validate(report)  # the same check, straight from jsonschema
    assert report["schema_version"] == 1
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def test_schema_rejects_what_it_should() -> None:
    report = demo_report()
    report["cases"][0]["status"] = "green"
    del report["run"]["seed"]
    report["corpora"][0]["passk"]["rows"][0]["pass_hat_k"] = 1.5
    errors = validate_report(report)
    assert any(e.startswith("/cases/0/status:") for e in errors)
    assert any(e.startswith("/run:") and "'seed' is a required property" in e for e in errors)
    assert any(e.startswith("/corpora/0/passk/rows/0/pass_hat_k:") for e in errors)


def test_totals_and_groups_match_the_cases() -> None:
    outcomes = [
        make("A"),
        make("A", "missing.drop:/email", FAIL),
        make("B", "missing.drop:/email"),
        make("B", "out_of_pattern.oversize:/body", FAIL, xfail="known"),
        make("C", "duplicate.exact", FAIL),
    ]
    report = build_report(outcomes, META)
    assert validate_report(report) == []
    assert Counter(c["status"] for c in report["cases"]) == {"passed": 2, "failed": 2, "xfailed": 1}
    totals = report["totals"]
    assert (totals["cases"], totals["passed"], totals["failed"], totals["xfailed"]) == (5, 2, 2, 1)
    assert totals["pass_rate"] == pytest.approx(2 / 4)  # the quarantined case counts for neither side
    assert (totals["failing_findings"], totals["runs"]) == (3, 5)
    (corpus,) = report["corpora"]
    families = {g["key"]: g for g in corpus["families"]}
    assert [g["key"] for g in corpus["families"]] == ["original", "duplicate", "missing", "out_of_pattern"]
    missing = families["missing"]
    assert (missing["passed"], missing["failed"], missing["pass_rate"]) == (1, 1, 0.5)
    assert families["out_of_pattern"]["pass_rate"] is None
    assert {g["key"] for g in corpus["operators"]} == {
        "original", "missing.drop", "out_of_pattern.oversize", "duplicate.exact",
    }
    assert corpus["top_failing"]["operators"] == [
        {"key": "duplicate.exact", "count": 1},
        {"key": "missing.drop", "count": 1},
    ]
    assert {"key": "/status", "count": 2} in corpus["top_failing"]["fields"]
    assert {"key": "input /email", "count": 1} in corpus["top_failing"]["fields"]


def test_repeats_give_pass_rates_statuses_by_min_pass_and_passk() -> None:
    runs = [make("A"), make("A", "original", FAIL), make("A"), make("B"), make("B"), make("B")]
    strict = build_report(runs, META)
    lenient = build_report(runs, RunMeta(corpora=("inbox",), min_pass=0.6, repeat=3))
    a_strict, b_strict = strict["cases"]
    assert (a_strict["runs"], a_strict["passes"], a_strict["pass_rate"]) == (3, 2, pytest.approx(2 / 3))
    assert a_strict["status"] == "failed" and b_strict["status"] == "passed"
    assert lenient["cases"][0]["status"] == "passed"
    # The failing run is the one shown.
    assert a_strict["findings"] == [FAIL.as_dict()]
    (table,) = passk_tables(runs)
    assert strict["corpora"][0]["passk"] == {k: v for k, v in table.as_dict().items() if k != "corpus"}
    assert [r["pass_hat_k"] for r in strict["corpora"][0]["passk"]["rows"]] == pytest.approx([5 / 6, 2 / 3, 1 / 2])


def test_details_only_for_cases_that_did_not_pass() -> None:
    traffic = [Interaction(0, "http", "GET", "https://crm.example.com/t/1", None, 200, {"ok": True})]
    passing = case_entry([make("A", inputs=[{"x": 1}], outputs=[{"y": 2}], traffic=traffic)])
    failing = case_entry([make("A", "original", FAIL, inputs=[{"x": 1}], outputs=[{"y": 2}], traffic=traffic,
                               input_diff=["- x"])])
    assert "inputs" not in passing and "traffic" not in passing and "outputs" not in passing
    assert failing["inputs"] == [{"x": 1}] and failing["outputs"] == [{"y": 2}]
    assert failing["input_diff"] == ["- x"]
    assert failing["traffic"][0]["line"] == "GET https://crm.example.com/t/1"
    assert failing["traffic"][0]["response"] == {"ok": True}
    assert "inputs" in case_entry([make("A", inputs=[{"x": 1}])], details=True)


def test_actions_get_policy_modes_and_verdicts_from_findings() -> None:
    replies = "POST https://crm.example.com/tickets/7/replies"
    ticket = "POST https://crm.example.com/tickets/7"
    actions = [
        Action("reply.send", {"to": "a"}, "executed", "traffic", replies, 0),
        Action("ticket.update", {}, "executed", "traffic", ticket, 1),
        Action("refund.issue", {"amount": 90}, "pending_approval", "output", "output /actions/0", 2),
    ]
    findings = [
        Finding("policy", "approval needed", "reply.send", evidence=f"{replies} (policy.yaml:5 reply.send: approval)"),
        Finding("claim", "not in output", "ticket.update", evidence=ticket, fails=False),
    ]

    class Ruling:
        def __init__(self, mode: str, where: str) -> None:
            self.mode, self.where = mode, where

    def ruling(name: str, args: Any) -> Ruling:
        return Ruling("approval" if name != "ticket.update" else "auto", f"policy.yaml:{len(name)}")

    entry = case_entry([make("A", "original", *findings, actions=actions)], ruling=ruling)
    verdicts = [(a["name"], a["verdict"], a["findings"], a["mode"]) for a in entry["actions"]]
    # ``POST …/tickets/7`` is not the evidence ``POST …/tickets/7/replies``: only whole lines count.
    assert verdicts == [
        ("reply.send", "violation", [0], "approval"),
        ("ticket.update", "reported", [1], "auto"),
        ("refund.issue", "ok", [], "approval"),
    ]
    assert entry["actions"][0]["rule"] == "policy.yaml:10"
    assert case_entry([make("A", actions=actions)])["actions"][0]["mode"] is None


def test_error_entries_and_case_id_parsing() -> None:
    entry = error_entry("inbox/T-1[out_of_pattern.unicode:/body]", "original failed: inbox/T-1[original]")
    assert (entry["corpus"], entry["sample_id"], entry["family"], entry["operator"], entry["target"]) == (
        "inbox", "T-1", "out_of_pattern", "out_of_pattern.unicode", "/body",
    )
    report = assemble_report([entry], META)
    assert validate_report(report) == []
    assert report["totals"]["error"] == 1 and report["totals"]["pass_rate"] == 0.0
    assert parse_case_id("c/S[x]/y[original]").sample_id == "S[x]/y"
    with pytest.raises(ValueError, match="not a case id"):
        parse_case_id("no-brackets")


def test_cases_are_ordered_by_corpus_then_id_whatever_the_arrival_order() -> None:
    meta = RunMeta(corpora=("b-corpus", "a-corpus"))
    outcomes = [make("2", corpus="a-corpus"), make("1", corpus="b-corpus"), make("1", corpus="a-corpus")]
    ids = [c["id"] for c in build_report(outcomes, meta)["cases"]]
    assert ids == ["b-corpus/1[original]", "a-corpus/1[original]", "a-corpus/2[original]"]
    assert ids == [c["id"] for c in build_report(outcomes[::-1], meta)["cases"]]


def test_run_meta_policy_and_release_are_reported() -> None:
    from datetime import datetime, timezone

    meta = RunMeta(
        seed=3, corpora=("inbox",), record_mode="none", repeat=2, min_pass=0.5, baseline="compare",
        started=datetime(2025, 1, 1, tzinfo=timezone.utc), ended=datetime(2025, 1, 1, 0, 1, tzinfo=timezone.utc),
        policies={"inbox": PolicySummary("policy.yaml", "approval", {"crm.read": "auto"})},
        releases={"inbox": ReleaseSummary(decision_changed=["inbox/A[original]"])},
    )
    report = build_report([make("A"), make("A")], meta)
    assert validate_report(report) == []
    assert report["run"]["seed"] == 3 and report["run"]["duration_s"] == 60.0
    assert report["run"]["started"] == "2025-01-01T00:00:00+00:00"
    assert {"python", "pytest-agentreal"} <= set(report["run"]["versions"])
    corpus = report["corpora"][0]
    assert corpus["policy"] == {"file": "policy.yaml", "default": "approval", "modes": {"crm.read": "auto"}}
    assert corpus["release"]["decision_changed"] == ["inbox/A[original]"]


def test_values_json_cannot_hold_still_give_valid_json(tmp_path: Path) -> None:
    outcome = make("A", "original", FAIL, outputs=[{"score": float("nan"), "when": (1, 2), 3: "x"}])
    report = build_report([outcome], META)
    assert report["cases"][0]["outputs"] == [{"score": "NaN", "when": [1, 2], "3": "x"}]
    path = write_report(tmp_path / "r.json", report)
    assert json.loads(path.read_text(encoding="utf-8")) == report


def test_write_report_picks_the_format_by_suffix(tmp_path: Path) -> None:
    report = demo_report()
    as_json = write_report(tmp_path / "out" / "report.json", report)
    as_html = write_report(tmp_path / "out" / "report.HTML", report)
    assert json.loads(as_json.read_text(encoding="utf-8")) == report
    assert as_html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.HTML", "report.json"]
    with pytest.raises(ConfigError, match=r"unknown report format '\.xml'") as info:
        write_report(tmp_path / "report.xml", report)
    assert info.value.fix is not None and ".html" in info.value.fix and ".json" in info.value.fix


def test_demo_data_is_deterministic() -> None:
    assert demo_report() == demo_report()
    assert len(demo_outcomes(2)) == 2 * len(demo_outcomes(1))
    assert demo_meta().corpora == ("support-inbox", "billing")
