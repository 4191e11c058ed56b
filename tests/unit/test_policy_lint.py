"""``lint_policy``: every load error at once, and the mistakes that load fine."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pytest_agentreal.policy_lint import LintIssue, lint_policy


def lint(tmp_path: Path, text: str) -> list[LintIssue]:
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return lint_policy(path)


def summary(issues: list[LintIssue]) -> list[tuple[int | None, str, str | None]]:
    return [(i.line, i.severity, i.key) for i in issues]


def test_clean_policy_has_no_issues(tmp_path: Path) -> None:
    assert lint(tmp_path, """\
        default: approval
        actions:
          crm.read: {mode: auto, write: false}
          refund.issue:
            mode: auto
            when: {properties: {amount: {type: number, maximum: 50}}, required: [amount]}
            otherwise: approval
        connectors:
          - {method: POST, url: "https://payments.example.com/refunds", action: refund.issue}
          - {method: GET, url: "https://crm.example.com/**", action: crm.read}
          - {method: POST, url: "https://crm.example.com/approvals", action: approval.granted,
             response: {properties: {status: {const: approved}}, required: [status]}}
        """) == []


def test_every_load_error_is_reported_at_once_in_line_order(tmp_path: Path) -> None:
    issues = lint(tmp_path, """\
        default: approval
        actions:
          a: sometimes
          b: {mode: auto, wen: {}}
        connectors:
          - {method: GTE, url: "https://x.example.com/", action: a}
        tool: {}
        """)
    errors = [i for i in issues if i.severity == "error"]
    assert summary(errors) == [(3, "error", "actions.a"), (4, "error", "actions.b.wen"),
                               (6, "error", "connectors[0].method"), (7, "error", "tool")]
    assert errors[1].fix == "did you mean 'when'?" and errors[3].fix == "did you mean 'tools'?"


def test_a_yaml_error_is_the_only_issue(tmp_path: Path) -> None:
    [issue] = lint(tmp_path, "actions:\n  a: [\n")
    assert issue.severity == "error" and issue.line == 3 and "YAML syntax error" in issue.message


def test_shadowed_connector_rules(tmp_path: Path) -> None:
    issues = lint(tmp_path, """\
        actions:
          crm.read: {mode: auto, write: false}
          ticket.get: auto
          ticket.reply: approval
        connectors:
          - {method: GET, url: "https://crm.example.com/**", action: crm.read}
          - {method: GET, url: "https://crm.example.com/tickets/*", action: ticket.get}
          - {method: POST, url: "https://crm.example.com/tickets/*", action: ticket.reply}
          - {method: [GET, POST], url: "https://crm.example.com/tickets/*", action: ticket.get}
          - {method: "*", url: "https://crm.example.com/tickets/*", action: ticket.reply, query: {a: b}}
          - {method: POST, url: "https://crm.example.com/approvals", action: approval.granted}
        """)
    shadowed = [i for i in issues if "never matches" in i.message]
    # Rule 7 (GET) is shadowed by the GET ** rule; rule 8 (POST) is not; rule 9 (GET+POST) is not wholly
    # shadowed by either alone; rule 10 (any method) is not covered by the single-method rules.
    assert [(i.line, i.key) for i in shadowed] == [(7, "connectors[1]")]
    assert shadowed[0].severity == "warning"
    assert "policy.yaml:6" in shadowed[0].message and "GET https://crm.example.com/**" in shadowed[0].message
    assert shadowed[0].fix == "move it above policy.yaml:6 or narrow that rule"


def test_query_rules_shadowing(tmp_path: Path) -> None:
    issues = lint(tmp_path, """\
        actions:
          open.list: auto
          all.list: auto
        connectors:
          - {method: GET, url: "https://crm.example.com/tickets", action: all.list}
          - {method: GET, url: "https://crm.example.com/tickets", query: {status: open}, action: open.list}
          - {method: GET, url: "https://crm.example.com/t", query: {status: open}, action: open.list}
          - {method: GET, url: "https://crm.example.com/t", query: {status: open, page: "2"}, action: all.list}
        """)
    assert [i.line for i in issues if "never matches" in i.message] == [6, 8]


def test_action_names_missing_from_actions_and_the_reverse(tmp_path: Path) -> None:
    issues = lint(tmp_path, """\
        actions:
          refund.issue: auto
          ticket.tag: auto
        connectors:
          - {method: POST, url: "https://payments.example.com/refunds", action: refund.isue}
        tools:
          send_email: reply.send
        """)
    by_key = {i.key: i for i in issues}
    typo = by_key["connectors[0].action"]
    assert typo.line == 5 and typo.severity == "warning" and typo.fix == "did you mean 'refund.issue'?"
    assert "takes default: approval" in typo.message
    tool = by_key["tools.send_email"]
    assert tool.line == 7 and tool.fix == "add reply.send under actions:"
    unused = by_key["actions.refund.issue"]
    assert unused.severity == "info" and unused.fix == "did you mean 'refund.isue'?"
    assert by_key["actions.ticket.tag"].severity == "info"


def test_when_with_optional_properties_and_useless_response(tmp_path: Path) -> None:
    issues = lint(tmp_path, """\
        actions:
          refund.issue:
            mode: auto
            when: {properties: {amount: {maximum: 50}}}
            otherwise: approval
        connectors:
          - {method: POST, url: "https://payments.example.com/refunds", action: refund.issue,
             response: {required: [id]}}
          - {method: POST, url: "https://crm.example.com/approvals", action: approval.granted}
        tools:
          lookup: {action: refund.issue, response: {}}
        """)
    by_key = {i.key: i for i in issues}
    when = by_key["actions.refund.issue.when"]
    assert when.line == 4 and when.fix == "add required: [amount]" and "get mode auto" in when.message
    assert by_key["connectors[0].response"].line == 8 and by_key["connectors[0].response"].fix == "remove it"
    assert by_key["tools.lookup.response"].line == 11
    untyped = by_key["actions.refund.issue.when.properties.amount"]
    assert untyped.line == 4 and untyped.fix == "add type: number" and "string amount" in untyped.message


def test_approval_actions_without_any_way_to_grant(tmp_path: Path) -> None:
    issues = lint(tmp_path, """\
        actions:
          reply.send: approval
        tools:
          send_email: reply.send
        """)
    [issue] = [i for i in issues if "approval.granted" in i.message]
    assert issue.severity == "warning" and issue.line == 1 and issue.key == "actions"
    assert "action: approval.granted" in (issue.fix or "")


def test_render_names_file_line_severity_key_and_fix(tmp_path: Path) -> None:
    [issue] = lint(tmp_path, "defualt: approval\n")
    assert issue.render() == (f"{tmp_path / 'policy.yaml'}:1: error: key 'defualt': unknown key 'defualt' "
                              "(did you mean 'default'?)")
