"""Baselines: file naming and format, loading errors, comparing (drift vs reported), release summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_agentreal.baseline import (
    MAX_FINDINGS,
    BaselineStore,
    ReleaseEntry,
    json_value,
    release_entries,
    release_summary,
)
from pytest_agentreal.errors import ConfigError
from pytest_agentreal.model import Case, Finding, Mutation, Outcome

CASE = "support-inbox/T-0042[missing.drop:/customer/email]"
DECISION = ["/category", "/actions"]
OUTPUT: dict[str, Any] = {
    "category": "billing",
    "status": "resolved",
    "actions": [{"name": "refund.issue", "args": {"amount": 20}, "status": "executed"}],
    "reply": {"text": "Done.", "created_at": "2025-01-01T10:00:00Z"},
}


@pytest.fixture
def store(tmp_path: Path) -> BaselineStore:
    return BaselineStore(tmp_path / "baseline", "support-inbox")


def changed(**updates: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(OUTPUT))
    return copy | updates


# -- file names ---------------------------------------------------------------------------------


def test_path_is_readable_safe_and_stable(store: BaselineStore) -> None:
    path = store.path_for(CASE)
    assert path.parent == store.directory
    assert path.name.startswith("T-0042_missing.drop_customer_email-")
    assert path.suffix == ".json"
    assert all(c.isalnum() or c in "._-" for c in path.name)
    # The corpus prefix is optional, and the name does not depend on the store object.
    assert store.path_for("T-0042[missing.drop:/customer/email]") == path
    assert BaselineStore(store.directory, "support-inbox").path_for(CASE) == path


def test_long_ids_stay_within_file_name_limits(store: BaselineStore) -> None:
    name = store.path_for("support-inbox/T-1[missing.drop:/" + "deep/" * 100 + "x]").name
    assert len(name.encode()) <= 255


ids = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30)


@given(a=ids, b=ids)
def test_distinct_ids_get_distinct_names_even_case_insensitively(a: str, b: str) -> None:
    store = BaselineStore(Path("/nonexistent"), "c")
    if a != b:
        assert store.path_for(a).name.lower() != store.path_for(b).name.lower()


# -- writing and loading ------------------------------------------------------------------------


def test_written_file_is_reviewable_and_drops_volatile(store: BaselineStore) -> None:
    path = store.write(CASE, OUTPUT, ["/reply/created_at"], passed=True)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '\n  "case": "support-inbox/T-0042[missing.drop:/customer/email]",\n' in text
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert list(data["output"]) == sorted(data["output"])
    assert data["agentreal_baseline"] == 1 and data["corpus"] == "support-inbox" and data["passed"] is True
    assert "created_at" not in data["output"]["reply"] and "created_at" not in text
    assert store.load(CASE) == changed(reply={"text": "Done."})


def test_wildcard_volatile_paths_are_dropped(store: BaselineStore) -> None:
    output = {"items": [{"id": 1, "ts": "a"}, {"id": 2, "ts": "b"}]}
    store.write(CASE, output, ["/items/*/ts"])
    assert store.load(CASE) == {"items": [{"id": 1}, {"id": 2}]}


def test_unchanged_file_is_not_rewritten(store: BaselineStore) -> None:
    path = store.write(CASE, OUTPUT)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    store.write(CASE, dict(reversed(list(OUTPUT.items()))))  # same content, other key order
    assert path.stat().st_mtime_ns == 1_000_000_000
    store.write(CASE, changed(category="tech"))
    assert path.stat().st_mtime_ns != 1_000_000_000
    assert [p.name for p in store.directory.iterdir()] == [path.name]  # no temporary file left behind


def test_missing_baseline_loads_as_none(store: BaselineStore) -> None:
    assert store.load(CASE) is None
    assert store.load_record(CASE) is None
    assert store.records() == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(output=json_values)
def test_write_then_load_round_trips(store: BaselineStore, output: Any) -> None:
    store.write(CASE, output, passed=False)
    record = store.load_record(CASE)
    assert record is not None and record.output == output and record.passed is False
    assert store.compare(CASE, output, DECISION) == []


def test_json_value_normalises_what_json_cannot_hold() -> None:
    assert json_value({1: (1, 2), None: float("nan"), "x": float("-inf")}) == {
        "1": [1, 2],
        "null": "NaN",
        "x": "-Infinity",
    }
    assert json_value({"p": Path("a")}) == {"p": "a"}


# -- bad files -----------------------------------------------------------------------------------


def write_raw(store: BaselineStore, text: str) -> Path:
    path = store.path_for(CASE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_corrupt_file_is_an_error_naming_it(store: BaselineStore) -> None:
    path = write_raw(store, '{\n  "agentreal_baseline": 1,\n<<<<<<< HEAD\n')
    with pytest.raises(ConfigError) as info:
        store.load(CASE)
    assert info.value.file == str(path)
    assert info.value.line == 3
    assert "not valid JSON" in str(info.value) and "--agent-update-baseline" in str(info.value)


def test_file_from_another_corpus_is_an_error_naming_it(store: BaselineStore, tmp_path: Path) -> None:
    other = BaselineStore(store.directory, "billing")
    path = other.write("billing/T-0042[missing.drop:/customer/email]", OUTPUT)
    # Same local id, so the same file name: as if the folder had been copied from the other corpus.
    assert path == store.path_for(CASE)
    with pytest.raises(ConfigError, match="belongs to corpus 'billing', not 'support-inbox'") as info:
        store.compare(CASE, OUTPUT, DECISION)
    assert info.value.file == str(path) and info.value.key == "corpus"
    with pytest.raises(ConfigError, match="belongs to corpus"):
        store.records()


@pytest.mark.parametrize(
    ("content", "message", "key"),
    [
        ("[1, 2]", "not a pytest-agentreal baseline file", "agentreal_baseline"),
        ('{"agentreal_baseline": 99, "corpus": "support-inbox"}', "format 99", "agentreal_baseline"),
        ('{"agentreal_baseline": 1, "corpus": "support-inbox", "case": "x"}', "malformed", "output"),
        (
            '{"agentreal_baseline": 1, "corpus": "support-inbox", "case": "x", "output": 1, "passed": "y"}',
            "malformed",
            "passed",
        ),
    ],
)
def test_malformed_files_are_errors(store: BaselineStore, content: str, message: str, key: str) -> None:
    path = write_raw(store, content)
    with pytest.raises(ConfigError, match=message) as info:
        store.load(CASE)
    assert info.value.file == str(path) and info.value.key == key


def test_file_holding_another_case_is_an_error(store: BaselineStore) -> None:
    path = store.write("support-inbox/T-0001[original]", OUTPUT)
    store.path_for(CASE).parent.mkdir(parents=True, exist_ok=True)
    path.rename(store.path_for(CASE))
    with pytest.raises(ConfigError, match=r"holds the baseline of case 'support-inbox/T-0001\[original\]'"):
        store.load(CASE)


# -- comparing ------------------------------------------------------------------------------------


def test_equal_outputs_and_volatile_changes_give_no_findings(store: BaselineStore) -> None:
    store.write(CASE, OUTPUT, ["/reply/created_at"])
    assert store.compare(CASE, OUTPUT, DECISION, ["/reply/created_at"]) == []
    later = changed(reply={"text": "Done.", "created_at": "2031-05-05T00:00:00Z"})
    assert store.compare(CASE, later, DECISION, ["/reply/created_at"]) == []


def test_path_declared_volatile_after_writing_is_ignored(store: BaselineStore) -> None:
    store.write(CASE, OUTPUT)
    later = changed(reply={"text": "Done.", "created_at": "2031-05-05T00:00:00Z"})
    assert store.compare(CASE, later, DECISION, ["/reply/created_at"]) == []
    assert store.compare(CASE, later, DECISION) != []


def test_tuples_compare_equal_to_stored_lists(store: BaselineStore) -> None:
    store.write(CASE, {"actions": [1, 2]})
    assert store.compare(CASE, {"actions": (1, 2)}, DECISION) == []


def test_decision_change_is_failing_drift(store: BaselineStore) -> None:
    store.write(CASE, OUTPUT)
    findings = store.compare(CASE, changed(category="technical"), DECISION)
    assert len(findings) == 1
    (drift,) = findings
    assert (drift.oracle, drift.fails, drift.path) == ("drift", True, "/category")
    assert (drift.expected, drift.got) == ('"billing"', '"technical"')
    assert str(store.path_for(CASE)) in drift.evidence


def test_other_changes_are_reported_not_failed(store: BaselineStore) -> None:
    store.write(CASE, OUTPUT)
    findings = store.compare(CASE, changed(status="closed", note="new"), DECISION)
    assert [(f.oracle, f.fails, f.path) for f in findings] == [
        ("baseline", False, "/note"),
        ("baseline", False, "/status"),
    ]
    assert findings[0].expected == "<absent>" and findings[0].got == '"new"'
    assert "added" in findings[0].message and "reported, not failed" in findings[0].message


def test_nested_and_removed_decision_changes(store: BaselineStore) -> None:
    store.write(CASE, OUTPUT)
    more = changed(actions=[{"name": "refund.issue", "args": {"amount": 90}, "status": "executed"}, "x"])
    findings = store.compare(CASE, more, DECISION)
    assert [(f.oracle, f.path, f.expected, f.got) for f in findings] == [
        ("drift", "/actions/0/args/amount", "20", "90"),
        ("drift", "/actions/1", "<absent>", '"x"'),
    ]
    gone = store.compare(CASE, {k: v for k, v in OUTPUT.items() if k != "actions"}, DECISION)
    assert [(f.oracle, f.path, f.got) for f in gone] == [("drift", "/actions", "<absent>")]
    assert "removed" in gone[0].message


def test_wildcard_decision_paths(store: BaselineStore) -> None:
    store.write(CASE, OUTPUT)
    args = changed(actions=[{"name": "refund.issue", "args": {"amount": 25}, "status": "executed"}])
    name = changed(actions=[{"name": "reply.send", "args": {"amount": 20}, "status": "executed"}])
    assert [f.oracle for f in store.compare(CASE, args, ["/actions/*/name"])] == ["baseline"]
    assert [f.oracle for f in store.compare(CASE, name, ["/actions/*/name"])] == ["drift"]


def test_replaced_root_is_drift(store: BaselineStore) -> None:
    store.write(CASE, OUTPUT)
    (finding,) = store.compare(CASE, None, DECISION)
    assert finding.oracle == "drift" and finding.path == "" and finding.got == "null"


def test_missing_baseline_is_reported_not_failed(store: BaselineStore) -> None:
    (finding,) = store.compare(CASE, OUTPUT, DECISION)
    assert finding.oracle == "baseline" and not finding.fails
    assert "--agent-update-baseline" in finding.message


def test_many_differences_are_capped_with_a_count(store: BaselineStore) -> None:
    store.write(CASE, {f"k{i:03}": i for i in range(MAX_FINDINGS + 7)})
    findings = store.compare(CASE, {f"k{i:03}": -i - 1 for i in range(MAX_FINDINGS + 7)}, DECISION)
    assert len(findings) == MAX_FINDINGS + 1
    assert findings[-1].message == "... and 7 more other differences"


def test_equal_outputs_do_not_import_deepdiff(tmp_path: Path) -> None:
    script = f"""
import sys
from pathlib import Path
from pytest_agentreal.baseline import BaselineStore
store = BaselineStore(Path({str(tmp_path)!r}), "c")
store.write("c/1[original]", {{"a": [1, {{"b": 2}}], "t": 5}}, ["/t"])
assert store.compare("c/1[original]", {{"a": [1, {{"b": 2}}], "t": 6}}, ["/a"], ["/t"]) == []
print("deepdiff" in sys.modules)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# -- release summary -----------------------------------------------------------------------------


def test_release_summary_sorts_entries() -> None:
    entries = [
        ReleaseEntry("c/b", passed=False, baseline_passed=True, has_baseline=True, drift=True),
        ReleaseEntry("c/a", passed=True, baseline_passed=False, has_baseline=True),
        ReleaseEntry("c/c", passed=None, baseline_passed=True, has_baseline=True),
        ReleaseEntry("c/d", passed=False, baseline_passed=None, has_baseline=False),
        ReleaseEntry("c/e", passed=True, baseline_passed=True, has_baseline=True),
    ]
    summary = release_summary(entries)
    assert summary.as_dict() == {
        "decision_changed": ["c/b"],
        "new_failures": ["c/b"],
        "newly_passing": ["c/a"],
        "missing_from_run": ["c/c"],
        "missing_baseline": ["c/d"],
    }
    assert release_summary(entries, full_run=False).missing_from_run == []
    lines = summary.lines()
    assert "decision changed: 1" in lines and "  c/b" in lines
    assert release_summary([entries[-1]]).is_empty
    assert release_summary([entries[-1]]).lines() == ["no change since the baseline"]


def make_outcome(sample: str, *findings: Finding, corpus: str = "support-inbox") -> Outcome:
    return Outcome(case=Case.make(corpus, sample, Mutation("original"), 0), findings=list(findings))


def test_release_entries_from_outcomes_and_baseline_files(store: BaselineStore) -> None:
    store.write("support-inbox/A[original]", OUTPUT, passed=True)  # now drifts
    store.write("support-inbox/B[original]", OUTPUT, passed=False)  # now passes
    store.write("support-inbox/C[original]", OUTPUT, passed=True)  # not run
    drift = Finding("drift", "decision changed", "/category")
    outcomes = [
        make_outcome("A", drift),
        make_outcome("B"),
        make_outcome("D", Finding("escalate", "no escalation")),  # no baseline
        make_outcome("A", corpus="other"),  # another corpus: ignored
    ]
    summary = release_summary(release_entries(store, outcomes))
    assert summary.as_dict() == {
        "decision_changed": ["support-inbox/A[original]"],
        "new_failures": [],  # A fails only by drift, which has its own list
        "newly_passing": ["support-inbox/B[original]"],
        "missing_from_run": ["support-inbox/C[original]"],
        "missing_baseline": ["support-inbox/D[original]"],
    }
    verdicts = {"support-inbox/B[original]": False}
    assert release_summary(release_entries(store, outcomes, verdicts)).newly_passing == []
