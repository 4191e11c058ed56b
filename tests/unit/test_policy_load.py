"""policy.yaml loading: the SPEC example, line numbers of every rule, and every malformed input."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_agentreal.errors import ConfigError
from pytest_agentreal.policy import load_policy, no_policy, parse_policy

SPEC_POLICY = """\
default: approval            # mode of an action that the policy does not name
actions:
  crm.read: {mode: auto, write: false}
  ticket.tag: auto
  reply.send: approval
  refund.issue:
    mode: auto
    when: {properties: {amount: {maximum: 50}}}
    otherwise: approval
  customer.delete: forbidden
connectors:
  - {method: POST, url: "https://crm.example.com/tickets/*/replies", action: reply.send}
  - {method: POST, url: "https://payments.example.com/refunds", action: refund.issue}
  - {method: GET,  url: "https://crm.example.com/**", action: crm.read}
  - {method: POST, url: "https://crm.example.com/approvals", action: approval.granted,
     response: {properties: {status: {const: approved}}, required: [status]}}
tools:
  send_email: reply.send
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_spec_example_loads_with_the_line_of_every_rule(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, SPEC_POLICY))
    assert policy.enabled and policy.default == "approval" and policy.default_where == "policy.yaml:1"
    assert {n: r.where for n, r in policy.actions.items()} == {
        "crm.read": "policy.yaml:3", "ticket.tag": "policy.yaml:4", "reply.send": "policy.yaml:5",
        "refund.issue": "policy.yaml:6", "customer.delete": "policy.yaml:10",
    }
    assert [(r.where, r.action) for r in policy.connectors] == [
        ("policy.yaml:12", "reply.send"), ("policy.yaml:13", "refund.issue"),
        ("policy.yaml:14", "crm.read"), ("policy.yaml:15", "approval.granted"),
    ]
    refund = policy.actions["refund.issue"]
    assert refund.mode == "auto" and refund.otherwise == "approval" and refund.when is not None
    assert refund.when.where == "policy.yaml:8"
    assert policy.actions["crm.read"].write is False
    assert policy.tools["send_email"].action == "reply.send" and policy.tools["send_email"].where == "policy.yaml:18"
    assert policy.connectors[3].response is not None


def test_defaults_of_a_minimal_and_an_empty_policy(tmp_path: Path) -> None:
    minimal = load_policy(write(tmp_path, "actions: {ticket.tag: auto}\n"))
    assert minimal.default == "approval" and minimal.default_where == ""
    assert minimal.ruling("unknown.thing", {}).where == "policy.yaml"
    empty = load_policy(write(tmp_path, "# nothing yet\n"))
    assert empty.enabled and not empty.actions and not empty.connectors and empty.default == "approval"


def test_forbidden_default_and_method_lists(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, """\
        default: forbidden
        connectors:
          - {method: [post, PUT], url: "https://a.example.com/x", action: a.x}
          - {method: "*", url: "https://a.example.com/y", action: a.y}
        """))
    assert policy.default == "forbidden"
    assert policy.connectors[0].methods == frozenset({"POST", "PUT"})
    assert policy.connectors[1].methods is None


def test_no_policy_judges_nothing() -> None:
    policy = no_policy()
    assert not policy.enabled and policy.file is None


# (policy text, line, key, words in the message, words in the fix)
MALFORMED = [
    pytest.param("actions:\n  a: auto\n   b: [\n", 3, None, "YAML syntax error", "indentation", id="yaml-syntax"),
    pytest.param("default: !!python/object/apply:os.system ['echo pwned']\n", 1, None, "tag not allowed",
                 "plain data", id="python-tag"),
    pytest.param("actions: {}\n---\nactions: {}\n", 2, None, "YAML syntax error", None, id="two-documents"),
    pytest.param("- default: approval\n", 1, None, "must be a mapping", "default: approval", id="top-list"),
    pytest.param("default: approval\ndefualt: approval\n", 2, "defualt", "unknown key", "did you mean 'default'?",
                 id="unknown-top-key"),
    pytest.param("actions:\n  a: auto\n  a: forbidden\n", 3, "actions.a", "duplicate key", "merge",
                 id="duplicate-key"),
    pytest.param("default: auto\n", 1, "default", "approval or forbidden", "mode: auto", id="default-auto"),
    pytest.param("default: forbiden\n", 1, "default", "unknown mode", "did you mean 'forbidden'?",
                 id="default-typo"),
    pytest.param("actions:\n  refund.issue: aprove\n", 2, "actions.refund.issue", "unknown mode 'aprove'",
                 "did you mean 'approval'?", id="unknown-mode"),
    pytest.param("actions:\n  refund.issue: {mode: Auto}\n", 2, "actions.refund.issue.mode", "unknown mode",
                 "did you mean 'auto'?", id="mode-case"),
    pytest.param("actions:\n  a:\n    mode: auto\n    wen: {}\n", 4, "actions.a.wen", "unknown key 'wen'",
                 "did you mean 'when'?", id="unknown-action-key"),
    pytest.param("actions:\n  a: {write: false}\n", 2, "actions.a", "missing mode", "add mode: auto",
                 id="missing-mode"),
    pytest.param("actions:\n  a: [auto]\n", 2, "actions.a", "must be a mode or a mapping", "mode: auto",
                 id="action-list"),
    pytest.param("actions:\n  a:\n    mode: auto\n    when: amount < 50\n", 4, "actions.a.when",
                 "must be a JSON Schema object", "never evaluated", id="when-expression"),
    pytest.param("actions:\n  a:\n    mode: auto\n    when:\n      properties:\n        amount:\n"
                 "          maximum: '50'\n", 7, "actions.a.when.properties.amount.maximum",
                 "not a valid JSON Schema (2020-12)", "json-schema.org", id="when-invalid-schema"),
    pytest.param("actions:\n  a:\n    mode: auto\n    when:\n      amount: {maximum: 50}\n", 5,
                 "actions.a.when.amount", "unknown JSON Schema keyword 'amount'", "properties: {amount",
                 id="when-forgot-properties"),
    pytest.param("actions:\n  a:\n    mode: auto\n    when: {properties: {amount: {maximun: 50}}}\n", 4,
                 "actions.a.when.properties.amount.maximun", "unknown JSON Schema keyword",
                 "did you mean 'maximum'?", id="when-keyword-typo"),
    pytest.param("actions:\n  a:\n    mode: auto\n    when: {$ref: 'https://example.com/s.json'}\n", 4,
                 "actions.a.when.$ref", "remote $ref", "inline", id="when-remote-ref"),
    pytest.param("actions:\n  a:\n    mode: auto\n    otherwise: approval\n", 4, "actions.a.otherwise",
                 "otherwise: without when:", "add when:", id="otherwise-without-when"),
    pytest.param("actions:\n  a:\n    mode: auto\n    when: {}\n    otherwise: nope\n", 5,
                 "actions.a.otherwise", "unknown mode 'nope'", "valid: approval, auto, forbidden",
                 id="otherwise-unknown"),
    pytest.param("actions:\n  a: {mode: auto, write: 'no'}\n", 2, "actions.a.write", "true or false",
                 "write: false", id="write-not-bool"),
    pytest.param("actions:\n  approval.granted: auto\n", 2, "actions.approval.granted", "control event",
                 "connectors:", id="approval-event-in-actions"),
    pytest.param("actions: [a, b]\n", 1, "actions", "must be a mapping", None, id="actions-list"),
    pytest.param("connectors: {a: b}\n", 1, "connectors", "must be a list", None, id="connectors-mapping"),
    pytest.param("connectors:\n  - GET https://x.example.com\n", 2, "connectors[0]", "must be a mapping",
                 "method: GET", id="connector-string"),
    pytest.param("connectors:\n  - {method: GET, action: a}\n", 2, "connectors[0].url", "missing url",
                 "method, url and action", id="connector-missing-url"),
    pytest.param("connectors:\n  - {url: 'https://x.example.com/', action: a}\n", 2, "connectors[0].method",
                 "missing method", "method, url and action", id="connector-missing-method"),
    pytest.param("connectors:\n  - {method: GET, url: 'https://x.example.com/', action: ''}\n", 2,
                 "connectors[0].action", "non-empty string", "refund.issue", id="connector-empty-action"),
    pytest.param("connectors:\n  - method: PSOT\n    url: https://x.example.com/\n    action: a\n", 2,
                 "connectors[0].method", "unknown HTTP method", "did you mean 'POST'?", id="bad-method"),
    pytest.param("connectors:\n  - {method: GET, urls: 'https://x.example.com/', url: 'https://x.example.com/',"
                 " action: a}\n", 2, "connectors[0].urls", "unknown key 'urls'", "did you mean 'url'?",
                 id="connector-unknown-key"),
    pytest.param("connectors:\n  - method: GET\n    url: crm.example.com/x\n    action: a\n", 3,
                 "connectors[0].url", "scheme and host", "https://crm.example.com", id="glob-no-scheme"),
    pytest.param("connectors:\n  - method: GET\n    url: ftp://crm.example.com/x\n    action: a\n", 3,
                 "connectors[0].url", "not http or https", "https://", id="glob-scheme"),
    pytest.param("connectors:\n  - method: GET\n    url: https://crm.example.com/a**b\n    action: a\n", 3,
                 "connectors[0].url", "'**' inside", "whole segment", id="glob-double-star-in-segment"),
    pytest.param("connectors:\n  - method: GET\n    url: https://crm.example.com/x?status=open\n    action: a\n",
                 3, "connectors[0].url", "query or fragment", "query:", id="glob-query"),
    pytest.param("connectors:\n  - method: GET\n    url: https://crm.example.com/{id/x\n    action: a\n", 3,
                 "connectors[0].url", "braces", "{ticket_id}", id="glob-brace"),
    pytest.param("connectors:\n  - method: GET\n    url: https://crm.example.com:http/x\n    action: a\n", 3,
                 "connectors[0].url", "port", "127.0.0.1:8000", id="glob-port"),
    pytest.param("connectors:\n  - method: GET\n    url: https:///x\n    action: a\n", 3,
                 "connectors[0].url", "no host", "https://", id="glob-no-host"),
    pytest.param("connectors:\n  - {method: GET, url: 'https://x.example.com/', action: a, query: open}\n", 2,
                 "connectors[0].query", "mapping of parameter", "query: {status: open", id="query-string"),
    pytest.param("connectors:\n  - method: GET\n    url: https://x.example.com/\n    action: a\n    query:\n"
                 "      status: [open]\n", 6, "connectors[0].query.status", "'*' = any value", "status: open",
                 id="query-list-value"),
    pytest.param("connectors:\n  - method: POST\n    url: https://x.example.com/approvals\n"
                 "    action: approval.granted\n    response: {required: status}\n", 5,
                 "connectors[0].response.required", "not a valid JSON Schema", None, id="response-invalid"),
    pytest.param("tools:\n  send_email: [reply.send]\n", 2, "tools.send_email", "non-empty string",
                 "refund.issue", id="tool-not-string"),
    pytest.param("tools:\n  send_email: {action: reply.send, respons: {}}\n", 2, "tools.send_email.respons",
                 "unknown key", "did you mean 'response'?", id="tool-unknown-key"),
]


@pytest.mark.parametrize(("text", "line", "key", "message", "fix"), MALFORMED)
def test_every_malformed_policy_names_file_line_key_and_fix(
    tmp_path: Path, text: str, line: int, key: str | None, message: str, fix: str | None
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    error = info.value
    assert error.file == str(path)
    assert error.line == line, error.render()
    assert error.key == key, error.render()
    assert message in error.message, error.render()
    if fix is not None:
        assert error.fix is not None and fix in error.fix, error.render()
    assert str(path) in str(error) and f":{line}" in str(error)


def test_no_code_runs_from_a_policy(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(tmp_path, f"default: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path "
                           f"['{marker}']]\n")
    with pytest.raises(ConfigError):
        load_policy(path)
    assert not marker.exists()


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found") as info:
        load_policy(tmp_path / "policy.yaml")
    assert info.value.fix is not None and "policy:" in info.value.fix


def test_collect_mode_reports_every_problem_and_keeps_the_good_parts(tmp_path: Path) -> None:
    path = write(tmp_path, """\
        default: approval
        actions:
          good: auto
          bad: sometimes
          worse: {mode: auto, when: {amount: {maximum: 5}}}
        connectors:
          - {method: GET, url: "https://crm.example.com/**", action: good}
          - {method: GTE, url: "https://crm.example.com/**", action: good}
        extra: 1
        """)
    policy, problems = parse_policy(path, collect=True)
    assert sorted((p.line, p.key) for p in problems) == [
        (4, "actions.bad"), (5, "actions.worse.when.amount"), (8, "connectors[1].method"), (9, "extra"),
    ]
    assert set(policy.actions) == {"good"}
    assert [r.where for r in policy.connectors] == ["policy.yaml:7"]


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, """\
        actions:
          base: &base {mode: auto, write: false}
          crm.read: {<<: *base, mode: approval}
        """))
    assert policy.actions["crm.read"].mode == "approval" and policy.actions["crm.read"].write is False
