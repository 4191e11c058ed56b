"""Action extraction: one ordered timeline per case from traffic, tool calls and the output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_agentreal.actions import (
    REJECTED,
    action_key,
    action_pointer,
    action_request,
    build_timeline,
    connector_actions,
    executed_actions,
    is_write_action,
    output_actions,
    proposed_actions,
    write_actions_executed,
)
from pytest_agentreal.model import EXECUTED, PROPOSED, Interaction
from pytest_agentreal.policy import Policy, load_policy, no_policy

POLICY = """\
default: approval
actions:
  crm.read: {mode: auto, write: false}
  reply.send: approval
  refund.issue: auto
connectors:
  - {method: POST, url: "https://crm.example.com/tickets/{ticket_id}/replies", action: reply.send}
  - {method: POST, url: "https://payments.example.com/refunds", action: refund.issue}
  - {method: GET,  url: "https://crm.example.com/**", action: crm.read}
  - {method: POST, url: "https://crm.example.com/approvals", action: approval.granted,
     response: {properties: {status: {const: approved}}, required: [status]}}
tools:
  send_email: reply.send
  ask_manager: {action: approval.granted, response: {const: "yes"}}
"""


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return load_policy(path)


def http(seq: int, method: str, url: str, body: Any = None, *, status: int | None = 200, response: Any = None,
         delivery: int = 0, fault: str | None = None, error: str | None = None) -> Interaction:
    return Interaction(seq, "http", method, url, body, status, response, fault, delivery, error)


def tool(seq: int, name: str, args: Any = None, *, response: Any = None, delivery: int = 0,
         error: str | None = None) -> Interaction:
    return Interaction(seq, "tool", "CALL", name, args, None, response, None, delivery, error)


def test_traffic_tools_and_output_merge_in_order_per_delivery(policy: Policy) -> None:
    traffic = [
        http(3, "POST", "https://payments.example.com/refunds", {"amount": 5}, delivery=1),
        http(0, "GET", "https://crm.example.com/tickets/7"),
        tool(1, "send_email", {"to": "a@example.com"}),
        http(2, "GET", "https://crm.example.com/tickets/7", delivery=1),
    ]
    outputs = [
        {"actions": [{"name": "reply.send", "args": {"to": "a@example.com"}, "status": "executed"}]},
        {"actions": [{"name": "refund.issue", "args": {"amount": 5}},
                     {"name": "customer.delete", "status": "pending_approval"}]},
    ]
    timeline = build_timeline(outputs, traffic, actions_pointer="/actions", policy=policy)
    assert [(a.name, a.source, a.delivery, a.seq) for a in timeline] == [
        ("crm.read", "traffic", 0, 0),
        ("reply.send", "tool", 0, 1),
        ("reply.send", "output", 0, 1),  # output actions carry the seq of the last interaction before them
        ("crm.read", "traffic", 1, 2),
        ("refund.issue", "traffic", 1, 3),
        ("refund.issue", "output", 1, 3),
        ("customer.delete", "output", 1, 3),
    ]
    assert timeline[0].evidence == "GET https://crm.example.com/tickets/7"
    assert timeline[1].evidence.startswith("send_email(") and timeline[1].args == {"to": "a@example.com"}
    assert timeline[2].evidence == "output /actions/0"
    assert [a.status for a in timeline] == [EXECUTED] * 6 + [PROPOSED]
    assert timeline[5].args == {"amount": 5} and timeline[6].args == {}


def test_output_actions_before_any_traffic_have_seq_minus_one(policy: Policy) -> None:
    timeline = build_timeline([{"actions": [{"name": "ticket.tag"}]}], [], actions_pointer="/actions",
                              policy=policy)
    assert [(a.name, a.seq, a.status) for a in timeline] == [("ticket.tag", -1, EXECUTED)]


def test_no_actions_pointer_means_no_output_actions(policy: Policy) -> None:
    timeline = build_timeline([{"actions": [{"name": "ticket.tag"}]}],
                              [http(0, "GET", "https://crm.example.com/x")], actions_pointer=None, policy=policy)
    assert [a.source for a in timeline] == ["traffic"]


@pytest.mark.parametrize(("output", "names"), [
    ({"actions": "refund"}, []),
    ({}, []),
    (None, []),
    ({"actions": [{"name": 3}, "refund.issue", {"args": {}}, {"name": "ok"}]}, ["ok"]),
])
def test_malformed_output_action_lists_yield_only_well_formed_entries(output: Any, names: list[str]) -> None:
    assert [a.name for a in output_actions(output, "/actions")] == names


def test_output_action_args_and_pointer() -> None:
    [action] = output_actions({"result": {"done": [{"name": "x", "args": [1, 2]}]}}, "/result/done", delivery=1)
    assert action.args == {"args": [1, 2]} and action.delivery == 1
    assert action_pointer(action) == "/result/done/0"
    assert action_request(action) is None


def test_request_args_come_from_the_matching_rule(policy: Policy) -> None:
    [action] = build_timeline([], [http(0, "POST", "https://crm.example.com/tickets/T-9/replies",
                                        '{"text": "hi"}')], actions_pointer=None, policy=policy)
    assert action.name == "reply.send" and action.args == {"ticket_id": "T-9", "text": "hi"}
    assert action_request(action) == ("POST", "https://crm.example.com/tickets/T-9/replies")
    assert action_pointer(action) is None


APPROVE = {"action": "refund.issue", "args": {"amount": 60}}


@pytest.mark.parametrize(("interaction", "status"), [
    (http(0, "POST", "https://crm.example.com/approvals", APPROVE, response={"status": "approved"}), EXECUTED),
    (http(0, "POST", "https://crm.example.com/approvals", APPROVE, response='{"status": "approved"}'), EXECUTED),
    (http(0, "POST", "https://crm.example.com/approvals", APPROVE, response={"status": "rejected"}), REJECTED),
    (http(0, "POST", "https://crm.example.com/approvals", APPROVE, response={}), REJECTED),
    (http(0, "POST", "https://crm.example.com/approvals", APPROVE, status=500,
          response={"status": "approved"}), REJECTED),
    (http(0, "POST", "https://crm.example.com/approvals", APPROVE, status=None, error="timeout"), REJECTED),
    (http(0, "POST", "https://crm.example.com/approvals", APPROVE, response={"status": "approved"},
          fault="http_500"), REJECTED),
    (tool(0, "ask_manager", APPROVE, response="yes"), EXECUTED),
    (tool(0, "ask_manager", APPROVE, response="no"), REJECTED),
    (tool(0, "ask_manager", APPROVE, response="yes", error="ConnectionError"), REJECTED),
])
def test_approval_events_are_rejected_unless_answered_and_accepted(
    policy: Policy, interaction: Interaction, status: str
) -> None:
    [action] = build_timeline([], [interaction], actions_pointer=None, policy=policy)
    assert action.name == "approval.granted" and action.status == status
    assert action.args["action"] == "refund.issue"


def test_a_failed_write_still_counts_as_executed(policy: Policy) -> None:
    [action] = build_timeline([], [http(0, "DELETE", "https://crm.example.com/customers/1", status=500)],
                              actions_pointer=None, policy=policy)
    assert action.executed and action.http_status == 500 and action.name == "crm.write"


def test_write_helpers_for_oracles(policy: Policy) -> None:
    traffic = [
        http(0, "GET", "https://crm.example.com/tickets/7"),
        http(1, "POST", "https://payments.example.com/refunds", {"amount": 5}),
        http(2, "POST", "https://crm.example.com/approvals", APPROVE, response={"status": "approved"}),
        http(3, "GET", "https://crm.example.com/tickets/7", delivery=1, fault="http_500", status=500),
        http(4, "POST", "https://payments.example.com/refunds", {"amount": 5}, delivery=1),
        http(5, "POST", "https://mail.example.com/send", {"to": "x"}, delivery=1),
    ]
    outputs = [{"actions": [{"name": "refund.issue", "args": {"amount": 5}}]},
               {"actions": [{"name": "reply.send", "status": "pending_approval"}]}]
    timeline = build_timeline(outputs, traffic, actions_pointer="/actions", policy=policy)
    writes = write_actions_executed(timeline, policy)
    assert [(a.name, a.seq) for a in writes] == [("refund.issue", 1), ("refund.issue", 4), ("mail.write", 5)]
    assert [a.seq for a in write_actions_executed(timeline, policy, delivery=1)] == [4, 5]
    assert [a.seq for a in write_actions_executed(timeline, policy, after_seq=4)] == [5]
    # Without recorded traffic the output's statuses are taken as given.
    said = build_timeline(outputs, [], actions_pointer="/actions", policy=policy)
    assert [(a.source, a.name) for a in write_actions_executed(said, policy)] == [("output", "refund.issue")]
    assert write_actions_executed(said, policy, traffic_recorded=True) == []
    assert [a.name for a in proposed_actions(timeline)] == ["reply.send"]
    assert proposed_actions(timeline, delivery=0) == []
    assert action_key(writes[0]) == action_key(writes[1]) == 'refund.issue {"amount":5}'
    assert [a.source for a in executed_actions(timeline)] == ["traffic"] * 6
    assert not is_write_action(timeline[0], policy)


def test_connector_actions_are_the_fault_targets(policy: Policy) -> None:
    traffic = [
        http(0, "GET", "https://crm.example.com/tickets/7"),
        http(1, "GET", "https://orders.example.com/o/1"),
        http(2, "POST", "https://payments.example.com/refunds", {"amount": 5}),
        tool(3, "send_email", {}),
        http(4, "GET", "https://crm.example.com/tickets/8"),
    ]
    assert connector_actions(traffic, policy) == ["crm.read", "orders.read"]
    assert connector_actions(traffic, policy, reads_only=False) == ["crm.read", "orders.read", "refund.issue"]
    assert connector_actions(traffic, no_policy()) == ["crm.read", "orders.read"]


def test_without_a_policy_get_is_a_read_and_tools_write() -> None:
    policy = no_policy()
    timeline = build_timeline([], [http(0, "GET", "https://crm.example.com/x"),
                                   http(1, "PATCH", "https://crm.example.com/x"), tool(2, "send_email", {})],
                              actions_pointer=None, policy=policy)
    assert [a.name for a in write_actions_executed(timeline, policy)] == ["crm.write", "send_email"]
