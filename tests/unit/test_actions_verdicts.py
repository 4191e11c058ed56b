"""Control-layer verdicts: one table row per verdict kind, claims, and the per-corpus summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_agentreal.actions import build_timeline, check_policy, judge
from pytest_agentreal.model import Action, Finding, Interaction, InteractionKind
from pytest_agentreal.policy import Policy, load_policy, no_policy
from pytest_agentreal.policy_stats import PolicyStats, summarise

POLICY = """\
default: approval
actions:
  crm.read: {mode: auto, write: false}
  ticket.tag: auto
  reply.send: approval
  refund.issue:
    mode: auto
    when: {properties: {amount: {maximum: 50}}, required: [amount]}
    otherwise: approval
  customer.delete: forbidden
connectors:
  - {method: POST, url: "https://crm.example.com/tickets/*/replies", action: reply.send}
  - {method: POST, url: "https://payments.example.com/refunds", action: refund.issue}
  - {method: GET,  url: "https://crm.example.com/**", action: crm.read}
  - {method: POST, url: "https://crm.example.com/approvals", action: approval.granted,
     response: {properties: {status: {const: approved}}, required: [status]}}
  - {method: DELETE, url: "https://crm.example.com/customers/*", action: customer.delete}
tools:
  send_email: reply.send
"""
REFUND_RULE = "policy.yaml:6"
REFUND_URL = "POST https://payments.example.com/refunds"


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return load_policy(path)


def read(delivery: int = 0) -> tuple[str, str, Any, dict[str, Any]]:
    return ("GET", "https://crm.example.com/tickets/7", None, {"delivery": delivery})


def refund(amount: float, delivery: int = 0) -> tuple[str, str, Any, dict[str, Any]]:
    return ("POST", "https://payments.example.com/refunds", {"amount": amount}, {"delivery": delivery})


def approval(answer: str = "approved", args: dict[str, Any] | None = None, action: str = "refund.issue",
             delivery: int = 0) -> tuple[str, str, Any, dict[str, Any]]:
    body: dict[str, Any] = {"action": action}
    if args is not None:
        body["args"] = args
    return ("POST", "https://crm.example.com/approvals", body, {"response": {"status": answer}, "delivery": delivery})


def delete(status: int = 200) -> tuple[str, str, Any, dict[str, Any]]:
    return ("DELETE", "https://crm.example.com/customers/42", None, {"status": status})


def send_email() -> tuple[str, str, Any, dict[str, Any]]:
    return ("CALL", "send_email", {"to": "a@example.com"}, {})


def traffic_of(events: list[tuple[str, str, Any, dict[str, Any]]]) -> list[Interaction]:
    traffic = []
    for seq, (method, url, body, extra) in enumerate(events):
        kind: InteractionKind = "tool" if method == "CALL" else "http"
        status = extra.get("status", 200) if kind == "http" else None
        traffic.append(Interaction(seq, kind, method, url, body, status, extra.get("response"),
                                   delivery=extra.get("delivery", 0)))
    return traffic


def run(policy: Policy, events: list[Any], outputs: list[Any] | None = None, *, recorded: bool = True,
        listed: bool = True) -> list[Finding]:
    timeline = build_timeline(outputs or [{"actions": []}], traffic_of(events),
                              actions_pointer="/actions" if listed else None, policy=policy)
    return check_policy(timeline, policy, traffic_recorded=recorded, output_lists_actions=listed)


def failing(findings: list[Finding]) -> list[str]:
    return [f"{f.oracle}:{f.path}" for f in findings if f.fails]


def out(*actions: tuple[str, dict[str, Any], str]) -> list[dict[str, Any]]:
    return [{"actions": [{"name": n, "args": a, "status": s} for n, a, s in actions]}]


# (events in cassette order, outputs, expected failing findings "oracle:path")
VERDICTS = [
    pytest.param([read(), refund(50)], out(("refund.issue", {"amount": 50}, "executed")), [],
                 id="auto-within-when-boundary-50"),
    pytest.param([read(), refund(50.01)], out(("refund.issue", {"amount": 50.01}, "executed")),
                 ["policy:refund.issue"], id="over-limit-without-approval-50.01"),
    pytest.param([approval(), refund(60)], out(("refund.issue", {"amount": 60}, "executed")), [],
                 id="approval-granted-first"),
    pytest.param([refund(60), approval()], out(("refund.issue", {"amount": 60}, "executed")),
                 ["policy:refund.issue"], id="approval-after-the-action-does-not-count"),
    pytest.param([approval(), refund(60), refund(70)],
                 out(("refund.issue", {"amount": 60}, "executed"), ("refund.issue", {"amount": 70}, "executed")),
                 ["policy:refund.issue"], id="one-approval-one-execution"),
    pytest.param([approval(), approval(), refund(60), refund(70)],
                 out(("refund.issue", {"amount": 60}, "executed"), ("refund.issue", {"amount": 70}, "executed")),
                 [], id="two-approvals-two-executions"),
    pytest.param([approval("rejected"), refund(60)], out(("refund.issue", {"amount": 60}, "executed")),
                 ["policy:refund.issue"], id="rejected-approval-grants-nothing"),
    pytest.param([approval(args={"amount": 60}), refund(70)], out(("refund.issue", {"amount": 70}, "executed")),
                 ["policy:refund.issue"], id="approval-for-other-args"),
    pytest.param([approval(args={"amount": 60}), refund(60)], out(("refund.issue", {"amount": 60}, "executed")),
                 [], id="approval-for-these-args"),
    pytest.param([approval(action="reply.send"), refund(60)], out(("refund.issue", {"amount": 60}, "executed")),
                 ["policy:refund.issue"], id="approval-for-another-action"),
    pytest.param([approval(delivery=0), refund(60, delivery=1)],
                 [{"actions": []}, *out(("refund.issue", {"amount": 60}, "executed"))],
                 [], id="approval-earlier-in-the-case-carries-over-deliveries"),
    pytest.param([delete(status=500)], out(), ["policy:customer.delete"], id="executed-forbidden-even-when-it-failed"),
    pytest.param([], out(("customer.delete", {"id": 42}, "pending_approval")), ["policy:/actions/0"],
                 id="proposed-forbidden"),
    pytest.param([], out(("refund.issue", {"amount": 500}, "pending_approval")), [], id="proposed-approval-is-fine"),
    pytest.param([], out(("ticket.tag", {}, "skipped")), [], id="other-statuses-are-not-judged"),
    pytest.param([("POST", "https://mail.example.com/send", {"to": "x"}, {})], out(("mail.write", {}, "executed")),
                 ["policy:mail.write"], id="unknown-action-takes-default-approval"),
    pytest.param([send_email()], out(("reply.send", {}, "executed")), ["policy:reply.send"],
                 id="tool-call-mapped-to-an-approval-action"),
    pytest.param([approval(action="reply.send"), send_email()], out(("reply.send", {}, "executed")), [],
                 id="tool-call-after-approval"),
    pytest.param([read(), read()], out(), [], id="reads-are-auto"),
    pytest.param([], out(("refund.issue", {"amount": 10}, "executed")), ["claim:/actions/0"],
                 id="claim-executed-without-traffic"),
    pytest.param([], out(("customer.delete", {}, "executed")), ["claim:/actions/0"],
                 id="claimed-forbidden-is-a-claim-not-a-violation"),
]


@pytest.mark.parametrize(("events", "outputs", "expected"), VERDICTS)
def test_verdicts(policy: Policy, events: list[Any], outputs: list[Any], expected: list[str]) -> None:
    assert failing(run(policy, events, outputs)) == expected


def test_unapproved_refund_names_the_action_the_rule_and_the_request(policy: Policy) -> None:
    [finding] = run(policy, [read(), refund(60)], out(("refund.issue", {"amount": 60}, "executed")))
    assert finding.oracle == "policy" and finding.fails
    assert "refund.issue" in finding.message and "without an approval" in finding.message
    assert finding.expected == f"approval first ({REFUND_RULE})"
    assert finding.got == 'executed refund.issue {"amount": 60}'
    assert finding.evidence.startswith(REFUND_URL)
    assert "connectors rule policy.yaml:13" in finding.evidence
    assert f"rule {REFUND_RULE}" in finding.evidence and "otherwise: approval" in finding.evidence


@pytest.mark.parametrize(("events", "note"), [
    ([refund(60), approval()], "an approval granted after it does not count"),
    ([approval("rejected"), refund(60)], "its approval was rejected (POST https://crm.example.com/approvals)"),
    ([approval(), refund(60), refund(60)], "already used"),
    ([approval(args={"amount": 1}), refund(60)], "for other args"),
])
def test_unapproved_findings_say_why(policy: Policy, events: list[Any], note: str) -> None:
    findings = [f for f in run(policy, events, listed=False) if f.fails]
    assert len(findings) == 1 and note in findings[0].message


def test_forbidden_findings(policy: Policy) -> None:
    [executed] = run(policy, [delete(status=500)], listed=False)
    assert executed.message == "forbidden action customer.delete was executed"
    assert executed.expected == "never executed (policy.yaml:10)"
    assert executed.evidence.startswith("DELETE https://crm.example.com/customers/42 (connectors rule policy.yaml:17)")
    [proposed] = run(policy, [], out(("customer.delete", {"id": 1}, "pending_approval")))
    assert proposed.message == "forbidden action customer.delete was proposed"
    assert proposed.path == "/actions/0" and proposed.evidence.startswith("output /actions/0")
    assert proposed.got.startswith("pending_approval customer.delete")


def test_unknown_actions_cite_the_default(policy: Policy) -> None:
    [finding] = run(policy, [("POST", "https://mail.example.com/send", None, {})], listed=False)
    assert finding.expected == "approval first (policy.yaml:1)"
    assert "no connector rule; default name" in finding.evidence and "default: approval" in finding.evidence


def test_tool_violations_cite_the_tools_entry(policy: Policy) -> None:
    [finding] = run(policy, [send_email()], listed=False)
    assert finding.evidence.startswith("send_email(") and "(tools policy.yaml:19)" in finding.evidence


def test_claim_and_unlisted_findings(policy: Policy) -> None:
    findings = run(policy, [refund(10), read()], out(("reply.send", {}, "executed")))
    claim = next(f for f in findings if f.fails)
    assert claim.oracle == "claim" and claim.path == "/actions/0"
    assert "says reply.send was executed" in claim.message and claim.evidence == "output /actions/0"
    unlisted = [f for f in findings if not f.fails]
    # The refund is a write the output does not list; the read is not reported.
    assert [(f.oracle, f.path, f.evidence) for f in unlisted] == [("claim", "refund.issue", REFUND_URL)]


def test_claims_count_per_delivery_and_per_execution(policy: Policy) -> None:
    outputs = out(("refund.issue", {"amount": 5}, "executed"), ("refund.issue", {"amount": 6}, "executed"))
    assert failing(run(policy, [refund(5)], outputs)) == ["claim:/actions/1"]
    two = outputs + out(("refund.issue", {"amount": 5}, "executed"))
    assert failing(run(policy, [refund(5), refund(6), refund(5, delivery=1)], two)) == []
    assert failing(run(policy, [refund(5), refund(6), refund(5)], two)) == ["claim:/actions/0"]


def test_without_recorded_traffic_the_output_is_taken_as_given(policy: Policy) -> None:
    outputs = out(("refund.issue", {"amount": 60}, "executed"))
    assert failing(run(policy, [], outputs, recorded=False)) == ["policy:/actions/0"]
    granted = [{"actions": [{"name": "approval.granted", "args": {"action": "refund.issue"}},
                            {"name": "refund.issue", "args": {"amount": 60}}]}]
    assert failing(run(policy, [], granted, recorded=False)) == []
    # With traffic recorded an approval the output merely lists grants nothing and is itself a claim.
    assert failing(run(policy, [refund(60)], granted)) == ["policy:refund.issue", "claim:/actions/0"]


def test_no_approval_listing_means_no_unlisted_findings(policy: Policy) -> None:
    assert run(policy, [refund(10)], listed=False) == []


def test_approval_granted_is_never_judged(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text('default: forbidden\nconnectors:\n  - {method: POST, url: "https://a.example.com/ok",'
                    " action: approval.granted}\n", encoding="utf-8")
    policy = load_policy(path)
    timeline = build_timeline([], traffic_of([("POST", "https://a.example.com/ok", {"action": "x"}, {})]),
                              actions_pointer=None, policy=policy)
    assert judge(timeline, policy, traffic_recorded=True) == []
    assert check_policy(timeline, policy, traffic_recorded=True) == []


def test_without_a_policy_nothing_is_judged() -> None:
    policy = no_policy()
    timeline = build_timeline(out(("customer.delete", {}, "executed")),
                              traffic_of([delete(), refund(1000)]), actions_pointer="/actions", policy=policy)
    assert check_policy(timeline, policy, traffic_recorded=True) == []


def test_verdicts_record_grants(policy: Policy) -> None:
    timeline = build_timeline([], traffic_of([approval(), refund(60), refund(10)]), actions_pointer=None,
                              policy=policy)
    verdicts = judge(timeline, policy, traffic_recorded=True)
    assert [(v.action.name, v.ruling.mode, v.violation) for v in verdicts] == [
        ("refund.issue", "approval", None), ("refund.issue", "auto", None)]
    assert verdicts[0].grant is timeline[0]


def test_summary_counts_modes_violations_and_claims(policy: Policy) -> None:
    def timeline(events: list[Any], outputs: list[Any]) -> list[Action]:
        return build_timeline(outputs, traffic_of(events), actions_pointer="/actions", policy=policy)

    cases = [
        (timeline([read(), refund(60)], out(("refund.issue", {"amount": 60}, "executed"))), True),
        (timeline([read(), refund(70)], out(("refund.issue", {"amount": 70}, "executed"))), True),
        (timeline([], out(("customer.delete", {}, "pending_approval"), ("ticket.tag", {}, "executed"))), True),
        (timeline([], out(("refund.issue", {"amount": 1}, "executed"))), False),
    ]
    stats = summarise(cases, policy, corpus="support-inbox")
    assert stats.cases == 4 and stats.claims == 1 and stats.unlisted == 0
    assert stats.by_mode[("auto", "executed")] == 3  # two reads + the untrafficked refund of 1
    assert stats.by_mode[("approval", "executed")] == 2
    assert stats.by_mode[("forbidden", "proposed")] == 1
    assert stats.violations == {(REFUND_RULE, "refund.issue", "executed_without_approval"): 2,
                                ("policy.yaml:10", "customer.delete", "proposed_forbidden"): 1}
    lines = stats.lines()
    assert lines[0] == "control layer (support-inbox): 4 cases"
    assert "auto 3 executed, 0 proposed" in lines[1] and "forbidden 0 executed, 1 proposed" in lines[1]
    assert any(REFUND_RULE in line and "executed without approval" in line and line.endswith("2")
               for line in lines)
    assert lines[-1] == "  claims: 1 claimed but not done, 0 done but not listed"
    again = PolicyStats.from_dict(stats.as_dict())
    assert again == stats
    again.merge(stats)
    assert again.cases == 8 and again.violations[(REFUND_RULE, "refund.issue", "executed_without_approval")] == 4
    assert PolicyStats().lines() == []
