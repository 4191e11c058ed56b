"""Scale features change how cases are grouped and where they run, never which cases run or how they end.

Shards, ``--agent-granularity sample``, pytest-xdist and lean items must give the same cases with the
same verdicts and findings as one plain run; a sample's cases stay together (one shard, one worker).
The performance shortcuts (compiled validators, memoised policy matches) must answer exactly as the
slow path does. No timing here: the numbers live in ``bench/``.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from pytest_agentreal.policy import load_policy
from pytest_agentreal.schemas import CompiledSchema

SAMPLES = [
    {"ticket_id": f"T-{i}", "body": body, "customer": {"email": f"c{i}@example.com", "phone": f"+44 20 {i:04d}"},
     "amount": 10 * i}
    for i, body in enumerate(
        ["Please refund my order", "Where is my parcel?", "Invoice is wrong", "refund the kettle",
         "parcel arrived damaged", "wrong invoice address", "refund twice please"], start=1)
]

INPUT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["ticket_id", "body", "customer"],
    "properties": {
        "ticket_id": {"type": "string"},
        "body": {"type": "string", "minLength": 1},
        "customer": {"type": "object", "required": ["email"],
                     "properties": {"email": {"type": "string"}, "phone": {"type": "string"}}},
        "amount": {"type": "number", "minimum": 0},
    },
}

OUTPUT_SCHEMA = {
    "type": "object",
    "required": ["ticket_id", "status", "category", "actions"],
    "additionalProperties": False,
    "properties": {
        "ticket_id": {"type": "string"},
        "status": {"enum": ["done", "escalated"]},
        "category": {"type": "string"},
        "actions": {"type": "array"},
    },
}

# Decent on most cases, with planted defects so that verdicts differ between cases: it crashes on a
# null phone, tags a duplicate again when the body mentions "twice", and ignores an off-topic body.
AGENT = '''
class Agent:
    def __init__(self):
        self.done = set()

    def __call__(self, ticket):
        tid = str(ticket.get("ticket_id"))
        customer = ticket.get("customer") if isinstance(ticket.get("customer"), dict) else {}
        body = ticket.get("body")
        if "phone" in customer and customer["phone"] is None:
            raise ValueError("phone is None")
        if not isinstance(body, str) or not body.strip() or not customer.get("email"):
            return {"ticket_id": tid, "status": "escalated", "category": "unknown", "actions": []}
        text = body.lower()
        category = "refund" if "refund" in text else ("parcel" if "parcel" in text else "other")
        again = tid in self.done and "twice" not in text
        self.done.add(tid)
        status = "skipped" if again else "executed"
        return {"ticket_id": tid, "status": "done", "category": category,
                "actions": [{"name": "ticket.tag", "args": {"tag": category}, "status": status}]}
'''


@pytest.fixture
def corpus(pytester: pytest.Pytester) -> Path:
    """A small corpus with an imperfect agent, in the pytester directory."""
    root = pytester.path / "corpus"
    root.mkdir()
    (root / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in SAMPLES))
    (root / "input.json").write_text(json.dumps(INPUT_SCHEMA))
    (root / "output.json").write_text(json.dumps(OUTPUT_SCHEMA))
    (root / "scale_agent.py").write_text(AGENT)
    (root / "corpus.yaml").write_text(textwrap.dedent("""\
        name: mini
        samples: samples.jsonl
        id: ticket_id
        agent: scale_agent:Agent
        input_schema: input.json
        output_schema: output.json
        actions: /actions
        escalation: {path: /status, in: [escalated]}
        decision: [/category, /actions]
        """))
    return root


def _verdicts(pytester: pytest.Pytester, *args: str) -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
    """Case id → (status, sorted (oracle, path) of its findings), from the run's JSON report."""
    report = pytester.path / f"report-{len(list(pytester.path.glob('report-*.json')))}.json"
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-report", str(report), "-p", "no:randomly", *args)
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stdout.str()
    cases = json.loads(report.read_text())["cases"]
    return {c["id"]: (c["status"], tuple(sorted((f["oracle"], f["path"]) for f in c["findings"]))) for c in cases}


def _collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = pytester.runpytest("--agent-corpus", "corpus", "--collect-only", "-q", *args)
    return [line.split("::", 1)[1] for line in result.stdout.lines if line.startswith("corpus/corpus.yaml::")]


def _sample(case_id: str) -> str:
    return case_id.split("[", 1)[0]


def test_the_planted_defects_make_verdicts_differ(pytester: pytest.Pytester, corpus: Path) -> None:
    # Guard for the comparisons below: they would prove little if every case passed.
    statuses = {status for status, _ in _verdicts(pytester).values()}
    assert {"passed", "failed"} <= statuses


def test_shards_partition_the_cases_and_keep_samples_together(pytester: pytest.Pytester, corpus: Path) -> None:
    everything = _collected(pytester)
    shards = [_collected(pytester, "--agent-shard", f"{i}/3") for i in (1, 2, 3)]
    flat = [case for shard in shards for case in shard]
    assert sorted(flat) == sorted(everything)  # complete, and disjoint (no duplicates)
    assert len(flat) == len(set(flat))
    owners: dict[str, set[int]] = defaultdict(set)
    for index, shard in enumerate(shards):
        for case in shard:
            owners[_sample(case)].add(index)
    assert all(len(owner) == 1 for owner in owners.values()), owners
    assert all(shards), "every shard of 7 samples in 3 jobs gets work"


def test_shards_give_the_same_verdicts_as_one_run(pytester: pytest.Pytester, corpus: Path) -> None:
    whole = _verdicts(pytester)
    merged: dict[str, Any] = {}
    for i in (1, 2, 3):
        part = _verdicts(pytester, "--agent-shard", f"{i}/3")
        assert not set(part) & set(merged)
        merged.update(part)
    assert merged == whole


def test_sample_granularity_gives_the_same_verdicts(pytester: pytest.Pytester, corpus: Path) -> None:
    assert _verdicts(pytester, "--agent-granularity", "sample") == _verdicts(pytester)


def test_sample_granularity_reports_each_failing_case_by_its_own_id(pytester: pytest.Pytester, corpus: Path) -> None:
    failing = sorted(i for i, (status, _) in _verdicts(pytester).items() if status == "failed")
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-granularity", "sample", "-p", "no:randomly")
    text = result.stdout.str()
    reported = sorted(set(re.findall(r"^(mini/T-\d+\[[^\]]*\]): \d+ finding", text, re.M)))
    assert reported == failing
    # One item per sample, and the summary still counts cases.
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == len(SAMPLES)
    total = re.search(r"^\s+total\s+(\d+)\s+(\d+)", text, re.M)
    assert total is not None and int(total.group(2)) == len(failing)


@pytest.mark.parametrize("granularity", ["case", "sample"])
def test_xdist_gives_the_same_verdicts(pytester: pytest.Pytester, corpus: Path, granularity: str) -> None:
    plain = _verdicts(pytester, "--agent-granularity", granularity)
    assert _verdicts(pytester, "--agent-granularity", granularity, "-n", "2") == plain


def test_xdist_with_shards_gives_the_same_verdicts(pytester: pytest.Pytester, corpus: Path) -> None:
    plain = _verdicts(pytester, "--agent-shard", "2/2")
    assert _verdicts(pytester, "--agent-shard", "2/2", "-n", "2") == plain


def test_xdist_keeps_each_sample_on_one_worker(pytester: pytest.Pytester, corpus: Path) -> None:
    result = pytester.runpytest("--agent-corpus", "corpus", "-n", "2", "-v", "-p", "no:randomly")
    workers: dict[str, set[str]] = defaultdict(set)
    for line in result.stdout.lines:
        match = re.match(r"\[(gw\d+)\].*corpus/corpus\.yaml::(\S+)", line)
        if match:
            workers[_sample(match.group(2))].add(match.group(1))
    assert len(workers) == len(SAMPLES)
    assert all(len(names) == 1 for names in workers.values()), dict(workers)
    assert len(set().union(*workers.values())) == 2, "both workers got samples"


def test_lean_items_and_a_conftest_agent_give_the_same_verdicts(pytester: pytest.Pytester, corpus: Path) -> None:
    lean = _verdicts(pytester)
    # Overriding `agent` turns the lean path off: pytest's fixture machinery builds every item.
    pytester.makeconftest("""
        import pytest
        from scale_agent import Agent

        @pytest.fixture
        def agent():
            return Agent
    """)
    pytester.syspathinsert(corpus)
    assert _verdicts(pytester) == lean


def test_autouse_fixtures_still_run_on_lean_items(pytester: pytest.Pytester, corpus: Path) -> None:
    pytester.makeconftest("""
        import pytest

        CALLS = []

        @pytest.fixture(autouse=True)
        def count_items(request):
            CALLS.append(request.node.nodeid)
            yield

        def pytest_sessionfinish(session):
            print(f"autouse ran {len(CALLS)} times")
    """)
    collected = _collected(pytester, "--agent-mutations", "none")
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "-s", "-p", "no:randomly")
    result.stdout.fnmatch_lines([f"*autouse ran {len(collected)} times*"])


# --- the fast paths answer as the slow ones ---------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["a", "b", "n", "s"]), inner,
                                                                max_size=4),
    max_leaves=12,
)

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"a": {"type": "integer", "maximum": 3}, "b": {"type": "array"}},
     "required": ["a"]},
    {"type": "object", "properties": {"n": {"type": ["number", "null"], "minimum": 0}},
     "additionalProperties": {"type": "string", "maxLength": 2}},
    {"anyOf": [{"type": "array", "items": {"type": "boolean"}}, {"enum": [1, "x", None]}]},
    {"type": "object", "properties": {"s": {"type": "string", "format": "email", "pattern": "^[a-z]"}}},
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(SCHEMAS))), JSON)
def test_compiled_schema_answers_as_jsonschema(which: int, instance: Any) -> None:
    schema = SCHEMAS[which]
    reference = Draft202012Validator(schema, format_checker=FormatChecker())
    assert CompiledSchema(schema).is_valid(instance) == reference.is_valid(instance)


def test_non_json_values_are_judged_by_jsonschema() -> None:
    # A tuple is no JSON array to jsonschema, whatever a faster validator might think.
    schema = CompiledSchema({"type": "array"})
    assert schema.is_valid([1, 2]) and not schema.is_valid((1, 2))
    assert not CompiledSchema({"type": "integer", "maximum": 2**60}).is_valid(2**60 + 1)


def test_memoised_policy_matches_hand_out_fresh_args(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent("""\
        default: approval
        actions: {ticket.tag: auto}
        connectors:
          - {method: POST, url: "https://crm.example.com/tickets/{ticket}/tags", action: ticket.tag}
        """))
    policy = load_policy(path)
    url = "https://crm.example.com/tickets/T-1/tags?x=1"
    first = policy.match_request("POST", url, '{"tag": "a"}')
    assert first is not None
    first.args["tag"] = "changed"
    second = policy.match_request("post", url, '{"tag": "b"}')
    assert second is not None and second.args == {"x": "1", "ticket": "T-1", "tag": "b"}
    assert policy.match_request("GET", url) is None and policy.match_request("GET", url) is None


HEADERS = st.dictionaries(st.sampled_from(["content-type", "Set-Cookie", "x-id"]),
                          st.lists(st.text(max_size=4), max_size=2) | st.text(max_size=3) | st.integers(0, 9),
                          max_size=3) | st.none()
INTERACTIONS = st.fixed_dictionaries({
    "request": st.fixed_dictionaries({
        "method": st.sampled_from(["GET", "POST"]), "uri": st.just("http://127.0.0.1/x"),
        "body": st.none() | st.text(max_size=5) | st.binary(max_size=3), "headers": HEADERS}),
    "response": st.fixed_dictionaries({
        "status": st.fixed_dictionaries({"code": st.integers(100, 599) | st.booleans(),
                                         "message": st.none() | st.text(max_size=3)}),
        "headers": HEADERS,
        "body": st.fixed_dictionaries({"string": st.none() | st.text(max_size=5) | st.binary(max_size=3)})}),
})


@settings(max_examples=300, deadline=None)
@given(INTERACTIONS)
def test_fast_cassette_validation_equals_the_checked_one(item: dict[str, Any]) -> None:
    from pytest_agentreal.cassettes import store
    from pytest_agentreal.errors import CassetteError

    def fail(where: str, message: str) -> CassetteError:
        return CassetteError(Path("c.json"), f"{where}: {message}")

    def checked(value: dict[str, Any]) -> Any:
        fast, store._plain_interaction = store._plain_interaction, lambda _: None  # type: ignore[assignment]
        try:
            return store._interaction(fail, "interactions[0]", value)
        except CassetteError as error:
            return str(error)
        finally:
            store._plain_interaction = fast

    try:
        got: Any = store._interaction(fail, "interactions[0]", item)
    except CassetteError as error:
        got = str(error)
    assert got == checked(item)
