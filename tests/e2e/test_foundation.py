"""End to end: `pytest --agent-corpus DIR` collects cases, runs the agent, reports every finding."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_corpora import SAMPLES, manifest_text

MakeCorpus = Callable[..., Path]


def test_passing_corpus_runs_one_item_per_original(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus()
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([
        "agentreal: seed mini=0 (reproduce with --agent-seed), record mode none",
        "*mini/T-1?original? PASSED*",
        "*mini/T-3?original? PASSED*",
    ])
    result.stdout.fnmatch_lines(["*corpus mini*", "*original*3*0*0*"])


def test_crash_and_schema_invalid_output_are_exactly_two_failures(
    pytester: pytest.Pytester, make_corpus: MakeCorpus
) -> None:
    agent = '''
    class Agent:
        def __call__(self, ticket):
            if ticket["ticket_id"] == "T-1":
                return self.lookup(ticket)
            if ticket["ticket_id"] == "T-2":
                return {"ticket_id": "T-2", "status": "maybe", "category": "x", "actions": []}
            return {"ticket_id": ticket["ticket_id"], "status": "done", "category": "x", "actions": []}

        def lookup(self, ticket):
            return ticket["order"]["id"]
    '''
    make_corpus(agent_code=agent)
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*mini/T-1[[]original[]]: 1 finding(s)*",
        "*safe*an output*KeyError: 'order'*the agent raised an exception*",
        "*evidence: corpus/mini_agent.py:* in lookup: return ticket?\"order\"?[[]\"id\"[]]*",
    ])
    result.stdout.fnmatch_lines([
        "*mini/T-2[[]original[]]: 1 finding(s)*",
        "*schema*/status*valid against*\"maybe\"*'maybe' is not one of*",
    ])
    # No pytest traceback for agent failures: the findings table is the report.
    assert "Traceback" not in result.stdout.str()


def test_k_selects_cases_by_id(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus()
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "-k", "mini/T-2", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*mini/T-2?original? PASSED*"])


def test_timeout_is_a_finding(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    agent = '''
    import time
    def Agent(ticket):
        if ticket["ticket_id"] == "T-3":
            time.sleep(5)
        return {"ticket_id": ticket["ticket_id"], "status": "done", "category": "x", "actions": []}
    '''
    make_corpus(agent_code=agent, timeout=0.3)
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*T-3*", "*did not return within 0.3 s*"])


def test_async_pydantic_dataclass_and_json_string_outputs(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    agent = '''
    import dataclasses, json
    import pydantic

    class Out(pydantic.BaseModel):
        ticket_id: str
        status: str
        category: str
        actions: list

    @dataclasses.dataclass
    class DOut:
        ticket_id: str
        status: str
        category: str
        actions: list

    async def Agent(ticket):
        tid = ticket["ticket_id"]
        if tid == "T-1":
            return Out(ticket_id=tid, status="done", category="a", actions=[])
        if tid == "T-2":
            return DOut(ticket_id=tid, status="done", category="b", actions=[])
        return json.dumps({"ticket_id": tid, "status": "done", "category": "c", "actions": []})
    '''
    make_corpus(agent_code=agent)
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none")
    result.assert_outcomes(passed=3)


def test_conftest_agent_fixture_overrides_manifest_agent(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code="def Agent(ticket):\n    raise RuntimeError('manifest agent must not run')\n")
    pytester.makeconftest('''
        import pytest

        @pytest.fixture
        def category():
            return "from-fixture"

        @pytest.fixture
        def agent(category):
            def run(ticket):
                return {"ticket_id": ticket["ticket_id"], "status": "done", "category": category, "actions": []}
            return run
    ''')
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none")
    result.assert_outcomes(passed=3)


_STATUS_LINE = re.compile(
    r"(PASSED|FAILED|ERROR)\b.*?(corpus/corpus\.yaml::\S+)|(corpus/corpus\.yaml::\S+) (PASSED|FAILED|ERROR)"
)


def _statuses(result: pytest.RunResult) -> dict[str, str]:
    """Case node id → PASSED/FAILED, from plain or xdist verbose output."""
    found = {}
    for line in result.stdout.lines:
        match = _STATUS_LINE.search(line)
        if match and not line.startswith(("FAILED", "ERROR")):
            node, status = (match[2], match[1]) if match[2] else (match[3], match[4])
            found[node] = status
    return found


def test_same_ids_and_results_under_xdist(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus()
    collected = pytester.runpytest("--agent-corpus", "corpus", "--collect-only", "-q")
    ids = sorted(line for line in collected.stdout.lines if line.startswith("corpus/corpus.yaml::"))
    assert len(ids) >= 3 * 15, collected.stdout.str()
    plain = _statuses(pytester.runpytest_subprocess("--agent-corpus", "corpus", "-v"))
    dist = _statuses(pytester.runpytest_subprocess("--agent-corpus", "corpus", "-n", "2", "-v"))
    assert sorted(plain) == ids
    assert dist == plain


def test_marker_parametrizes_a_users_own_test(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus("data/mini")
    pytester.makepyfile(test_agent='''
        import pytest

        @pytest.mark.agent_corpus("data/mini", mutations="none")
        def test_each_case(agent_case, agent):
            outcome = agent_case.run(agent)
            assert outcome.output["ticket_id"] == agent_case.case.sample_id
            outcome.check()
    ''')
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_each_case?mini/T-1?original?? PASSED*"])


def test_marker_check_raises_with_all_findings(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus("data/mini")
    pytester.makepyfile(test_agent='''
        import pytest

        @pytest.mark.agent_corpus("data/mini", mutations="none")
        def test_each_case(agent_case):
            agent_case.run(lambda t: {"ticket_id": 1, "status": "nope", "category": "x", "actions": []}).check()
    ''')
    result = pytester.runpytest()
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*2 finding(s)*", "*schema*/status*", "*schema*/ticket_id*"])


def test_corpora_alone_without_test_paths_and_both_with_paths(
    pytester: pytest.Pytester, make_corpus: MakeCorpus
) -> None:
    make_corpus()
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_plain.py").write_text("def test_plain():\n    pass\n")
    alone = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none")
    alone.assert_outcomes(passed=3)
    both = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "tests")
    both.assert_outcomes(passed=4)


def test_ini_agent_corpus_adds_corpora_to_a_normal_run(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus()
    pytester.makeini("[pytest]\nagent_corpus = corpus\nagent_mutations = none\n")
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=4)


# --- bad input: a clear error before any agent runs ------------------------------------------


def _usage_error(result: pytest.RunResult, *patterns: str) -> None:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str() + result.stderr.str()
    result.stderr.fnmatch_lines([f"*{p}*" for p in patterns])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_missing_manifest(pytester: pytest.Pytester) -> None:
    (pytester.path / "empty").mkdir()
    _usage_error(pytester.runpytest("--agent-corpus", "empty"), "empty/corpus.yaml: no corpus.yaml*")


def test_missing_samples_file(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(manifest=manifest_text(samples="samples.jsnl"))
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "corpus.yaml: key 'samples': samples file *samples.jsnl does not exist (files here: *samples.jsonl)")


def test_unknown_key_suggests_the_right_one(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(output_shema="output.json")
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "corpus.yaml:*: key 'output_shema': unknown key (did you mean 'output_schema'?)")


def test_wrong_type_for_a_key(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(timeout="soon")
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "corpus.yaml:*: key 'timeout': must be a positive number of seconds*")


def test_pointer_that_cannot_resolve(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(escalation={"path": "/stauts", "in": ["escalated"]})
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "*key 'escalation': '/stauts' cannot resolve*(did you mean 'status'?)")


def test_pointer_syntax(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(decision=["category"])
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "*key 'decision': 'category' is not a JSON Pointer (write it as '/category')")


def test_duplicate_ids_name_both_rows(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(samples=[*SAMPLES, {**SAMPLES[0], "body": "again"}])
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "*key 'id': duplicate id 'T-1' at samples.jsonl row 1 and samples.jsonl row 4*")


def test_empty_samples_file(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(samples="")
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "*samples.jsonl: key 'samples': the samples file is empty*")


def test_unreadable_samples_line(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(samples=json.dumps(SAMPLES[0]) + "\n{not json\n")
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"), "*samples.jsonl:2: line is not valid JSON*")


def test_sample_failing_input_schema_names_id_and_path(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(samples=[*SAMPLES[:2], {**SAMPLES[2], "customer": {"email": 7}}])
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "*original sample 'T-3' (samples.jsonl row 3) fails the input schema at '/customer/email'*")


def test_agent_module_that_does_not_import(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent="nowhere.agent:handle")
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "*key 'agent': cannot import module 'nowhere.agent' (no module named 'nowhere')*")


def test_agent_attribute_that_does_not_exist(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent="mini_agent:Agnet")
    _usage_error(pytester.runpytest("--agent-corpus", "corpus"),
                 "*key 'agent': module 'mini_agent' has no attribute 'Agnet' (did you mean 'Agent'?)")


def test_module_scoped_autouse_fixtures_of_other_plugins_work(
    pytester: pytest.Pytester, make_corpus: MakeCorpus
) -> None:
    # Plugins such as pytest-recording define module-scoped autouse fixtures; cases must accept them.
    make_corpus()
    pytester.makeconftest('''
        import pytest

        @pytest.fixture(scope="module", autouse=True)
        def per_module(request):
            assert request.module.__file__.endswith("corpus.yaml")
            yield
    ''')
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none")
    result.assert_outcomes(passed=3)


def test_seed_is_printed_and_last_reuses_it(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus()
    first = pytester.runpytest("--agent-corpus", "corpus", "--agent-seed", "7", "--collect-only")
    first.stdout.fnmatch_lines(["agentreal: seed mini=7*"])
    again = pytester.runpytest("--agent-corpus", "corpus", "--agent-seed", "last", "--collect-only")
    again.stdout.fnmatch_lines(["agentreal: seed mini=7*"])
    assert [line for line in first.stdout.lines if "::" in line or "<" in line] == [
        line for line in again.stdout.lines if "::" in line or "<" in line]


def test_repeat_writes_pass_rates_into_junit_properties(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code='''
        def Agent(ticket):
            return {"ticket_id": ticket["ticket_id"], "status": "done", "category": "c", "actions": []}
    ''')
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "--agent-repeat", "3",
                                "--junitxml", "out.xml")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*corpus mini: 3 case(s) x 3 runs; k=1: pass^k 1.000 pass@k 1.000*"])
    xml = (pytester.path / "out.xml").read_text()
    assert xml.count('name="agentreal_pass_rate" value="1.0"') == 3
    assert xml.count('name="agentreal_runs" value="3"') == 3


FLAKY = """
import itertools

_calls = itertools.count(1)


def Agent(ticket):
    # Every third call fails: with three runs per case, each case passes two runs of three.
    status = "x" if next(_calls) % 3 == 0 else "done"
    return {"ticket_id": ticket["ticket_id"], "status": status, "category": "c", "actions": []}
"""


def test_flaky_agent_gives_pass_hat_k_and_pass_at_k(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=FLAKY)
    strict = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "--agent-repeat", "3")
    strict.assert_outcomes(failed=3)
    strict.stdout.fnmatch_lines([
        "*repeat*passed 67% of 3 runs*",
        "*corpus mini: 3 case(s) x 3 runs; k=1: pass^k 0.667 pass@k 0.667, k=2: pass^k 0.333 pass@k 1.000, "
        "k=3: pass^k 0.000 pass@k 1.000*",
    ])
    lenient = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "none", "--agent-repeat", "3",
                                 "--agent-min-pass", "0.6")
    lenient.assert_outcomes(passed=3)
