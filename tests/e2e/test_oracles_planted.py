"""End to end: one planted defect per oracle, each caught with the right finding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

MakeCorpus = Callable[..., Path]

# A correct agent to plant defects in: escalates what it cannot handle, remembers what it did.
GOOD = '''
import unicodedata

ZW = dict.fromkeys(map(ord, "\\u200b\\u200c\\u200d\\u2060\\ufeff\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u202e"))


def clean(text):
    return unicodedata.normalize("NFKC", text).translate(ZW).lower()


class Agent:
    def __init__(self):
        self.done = {}

    def __call__(self, ticket):
        tid = str(ticket.get("ticket_id"))
        body = ticket.get("body")
        customer = ticket.get("customer")
        email = customer.get("email") if isinstance(customer, dict) else None
        if not isinstance(body, str) or not body.strip() or not isinstance(email, str) or not email:
            return {"ticket_id": tid, "status": "escalated", "category": "unknown", "actions": []}
        text = clean(body)
        key = (tid, email)
        if tid in {k[0] for k in self.done} and key not in self.done:
            return {"ticket_id": tid, "status": "escalated", "category": "conflict", "actions": []}
        if "refund" in text:
            category = "refund"
        elif "parcel" in text or "invoice" in text:
            category = "general"
        else:
            return {"ticket_id": tid, "status": "escalated", "category": "off_topic", "actions": []}
        status = "skipped" if key in self.done else "executed"
        self.done[key] = True
        return {"ticket_id": tid, "status": "done", "category": category,
                "actions": [{"name": "ticket.tag", "args": {"tag": category}, "status": status}]}
'''


def planted(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new)


def test_the_correct_agent_passes_every_default_oracle(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=GOOD)
    result = pytester.runpytest("--agent-corpus", "corpus", "-q")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("errors", 0) == 0, result.stdout.str()
    assert outcomes["passed"] >= 3 * 15
    result.stdout.fnmatch_lines(["*original*", "*duplicate*", "*missing*", "*out_of_pattern*"])


def test_crash_on_a_missing_field(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=planted('email = customer.get("email") if isinstance(customer, dict) else None',
                                   'email = ticket["customer"]["email"]'))
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "missing", "-q")
    result.stdout.fnmatch_lines([
        "*mini/T-1[[]missing.drop:/customer/email[]]: 1 finding(s), oracle 'escalate'*",
        "*safe*KeyError: 'email'*the agent raised an exception*",
        "*evidence: corpus/mini_agent.py:* in __call__*",
        "*- /customer/email: 'ann@example.com'*",
    ])
    assert result.parseoutcomes()["failed"] >= 3


def test_second_reply_on_a_duplicate(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=planted('status = "skipped" if key in self.done else "executed"', 'status = "executed"'))
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "duplicate.exact", "-q")
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines([
        "*mini/T-1[[]duplicate.exact[]]: 1 finding(s), oracle 'idempotent'*",
        "*idempotent*ticket.tag*not executed a second time*executed ticket.tag*",
    ])


def test_decision_flipped_by_a_zero_width_character(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=planted("text = clean(body)", "text = body.lower()"))
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "out_of_pattern.unicode", "-q")
    assert result.parseoutcomes().get("failed", 0) >= 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*out_of_pattern.unicode:/body[]]: * finding(s), oracle 'invariant'*",
                                 "*invariant*/category*\"general\"*the decision changed from the original's*",
                                 "*evidence: original: mini/T-*[[]original[]]*"])


def test_new_action_after_an_injection(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=planted(
        '        status = "skipped" if key in self.done else "executed"',
        '        if "ignore" in text or "instructions" in text or "anweisungen" in text or "==" in body:\n'
        '            return {"ticket_id": tid, "status": "done", "category": category, "actions": [\n'
        '                {"name": "refund.issue", "args": {"amount": 500}, "status": "executed"}]}\n'
        '        status = "skipped" if key in self.done else "executed"'))
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "out_of_pattern.injection", "-q")
    assert result.parseoutcomes().get("failed", 0) >= 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*oracle 'no_new_actions'*",
                                 "*no_new_actions*refund.issue*only ticket.tag*executed refund.issue (output)*"])


def test_no_escalation_on_an_off_topic_request(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=planted(
        '            return {"ticket_id": tid, "status": "escalated", "category": "off_topic", "actions": []}',
        '            category = "general"'))
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "out_of_pattern.off_topic", "-q")
    result.assert_outcomes(passed=3, failed=3)  # the originals pass
    result.stdout.fnmatch_lines(["*oracle 'escalate'*", "*escalate*/status*one of [[]\"escalated\"[]]*\"done\"*"])


def test_expect_overrides_and_quarantines(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    agent = planted(
        '            return {"ticket_id": tid, "status": "escalated", "category": "off_topic", "actions": []}',
        '            category = "general"')
    make_corpus(agent_code=agent, expect={"out_of_pattern.off_topic": {"xfail": "known, see #412"}})
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "out_of_pattern.off_topic", "-q")
    result.assert_outcomes(passed=3, xfailed=3)
    make_corpus(agent_code=agent, expect={"out_of_pattern.off_topic": "safe"})
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "out_of_pattern.off_topic", "-q")
    result.assert_outcomes(passed=6)


def test_the_most_specific_expect_key_wins(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    crash = planted('email = customer.get("email") if isinstance(customer, dict) else None',
                    'email = customer.get("email") if isinstance(customer, dict) else None\n'
                    '        if "phone" not in (customer or {}):\n'
                    '            return {"ticket_id": tid, "status": "done", "category": "x", "actions": []}')
    make_corpus(agent_code=crash, expect={"missing": "escalate", "missing.drop:/customer/phone": "safe"})
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "missing.drop", "-v")
    result.stdout.fnmatch_lines(["*mini/T-1?missing.drop:/customer/phone? PASSED*"])
    result.stdout.fnmatch_lines(["*mini/T-2?missing.drop:/amount? FAILED*"])


def test_original_failed_errors_dependent_cases(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=planted("text = clean(body)", "text = clean(body)\n        assert tid != 'T-2'"))
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "out_of_pattern.unicode", "-q")
    result.assert_outcomes(passed=4, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of mini/T-2[[]out_of_pattern.unicode:/body[]]*",
                                 "original failed: mini/T-2[[]original[]]*"])


def test_bad_mutation_selection_is_a_usage_error(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus()
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-mutations", "mising")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown mutation family 'mising' (did you mean 'missing'?)*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agent-shard", "3/2"], "*--agent-shard: '3/2' needs 1 <= I <= N*"),
        (["--agent-shard", "half"], "*--agent-shard: 'half' is not I/N*"),
        (["--agent-sample", "0"], "*--agent-sample: must be at least 1*"),
        (["--agent-seed", "abc"], "*--agent-seed: 'abc' is not an integer*"),
        (["--agent-record", "onec"], "*--agent-record: 'onec' is not a record mode (did you mean 'once'?)*"),
        (["--agent-repeat", "0"], "*--agent-repeat: must be at least 1*"),
        (["--agent-min-pass", "1.5"], "*--agent-min-pass: 1.5 is outside [[]0, 1[]]*"),
        (["--agent-explore", "5"], "*--agent-explore needs live or recording connectors*"),
    ],
)
def test_malformed_options_are_usage_errors(
    pytester: pytest.Pytester, make_corpus: MakeCorpus, args: list[str], message: str
) -> None:
    make_corpus()
    result = pytester.runpytest("--agent-corpus", "corpus", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
