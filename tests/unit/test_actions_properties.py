"""Properties of the verdicts over generated cassettes: order is the evidence, one approval = one execution."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pytest_agentreal.actions import EXECUTED_WITHOUT_APPROVAL, build_timeline, check_policy, judge
from pytest_agentreal.model import Action, Finding, Interaction
from pytest_agentreal.policy import Policy, load_policy

POLICY = """\
default: approval
actions:
  crm.read: {mode: auto, write: false}
  refund.issue:
    mode: auto
    when: {properties: {amount: {type: number, maximum: 50}}, required: [amount]}
    otherwise: approval
  customer.delete: forbidden
connectors:
  - {method: POST, url: "https://payments.example.com/refunds", action: refund.issue}
  - {method: GET,  url: "https://crm.example.com/**", action: crm.read}
  - {method: POST, url: "https://crm.example.com/approvals", action: approval.granted,
     response: {properties: {status: {const: approved}}, required: [status]}}
  - {method: DELETE, url: "https://crm.example.com/customers/*", action: customer.delete}
"""

EVENTS: dict[str, tuple[str, str, Any, Any]] = {
    "read": ("GET", "https://crm.example.com/tickets/1", None, None),
    "small": ("POST", "https://payments.example.com/refunds", {"amount": 50}, None),
    "big": ("POST", "https://payments.example.com/refunds", {"amount": 50.01}, None),
    "grant": ("POST", "https://crm.example.com/approvals", {"action": "refund.issue"}, {"status": "approved"}),
    "reject": ("POST", "https://crm.example.com/approvals", {"action": "refund.issue"}, {"status": "rejected"}),
    "delete": ("DELETE", "https://crm.example.com/customers/9", None, None),
}
EVENT_NAMES = st.lists(st.sampled_from(sorted(EVENTS)), max_size=12)


def _policy() -> Policy:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.yaml"
        path.write_text(POLICY, encoding="utf-8")
        return load_policy(path)


POLICY_OBJ = _policy()


def timeline_of(names: list[str]) -> list[Action]:
    traffic = [Interaction(seq, "http", EVENTS[n][0], EVENTS[n][1], EVENTS[n][2], 200, EVENTS[n][3])
               for seq, n in enumerate(names)]
    return build_timeline([], traffic, actions_pointer=None, policy=POLICY_OBJ)


def findings_of(names: list[str]) -> list[Finding]:
    return check_policy(timeline_of(names), POLICY_OBJ, traffic_recorded=True, output_lists_actions=False)


def unapproved(names: list[str]) -> int:
    verdicts = judge(timeline_of(names), POLICY_OBJ, traffic_recorded=True)
    return sum(v.violation == EXECUTED_WITHOUT_APPROVAL for v in verdicts)


@given(EVENT_NAMES, st.lists(st.sampled_from(["grant", "reject"]), min_size=1, max_size=3))
def test_approvals_after_everything_change_nothing(names: list[str], late: list[str]) -> None:
    before = [(f.message, f.evidence) for f in findings_of(names)]
    after = [(f.message, f.evidence) for f in findings_of(names + late)]
    # Notes may now say "an approval granted after it does not count"; the violations are the same.
    assert [m.split(":")[0] for m, _ in after] == [m.split(":")[0] for m, _ in before]
    assert [e for _, e in after] == [e for _, e in before]


@given(EVENT_NAMES)
def test_one_more_early_approval_removes_exactly_one_unapproved_execution(names: list[str]) -> None:
    count = unapproved(names)
    assert unapproved(["grant", *names]) == max(count - 1, 0)
    assert unapproved(["reject", *names]) == count  # a rejected approval grants nothing


@given(EVENT_NAMES)
def test_violations_are_exactly_the_big_refunds_without_a_spare_grant_and_the_deletes(names: list[str]) -> None:
    spare, expected = 0, 0
    for name in names:
        if name == "grant":
            spare += 1
        elif name == "big":
            if spare:
                spare -= 1
            else:
                expected += 1
    findings = findings_of(names)
    assert sum("without an approval" in f.message for f in findings) == expected
    assert sum("customer.delete was executed" in f.message for f in findings) == names.count("delete")
    assert all(f.fails and f.oracle == "policy" for f in findings)
