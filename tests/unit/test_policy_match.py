"""Connector rules: URL glob semantics, query rules, args, default names, reads and writes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_agentreal.policy import Policy, default_action_name, load_policy, no_policy, request_args
from pytest_agentreal.urlglob import GlobError, UrlGlob

POLICY = """\
actions:
  crm.read: {mode: auto, write: false}
  reply.send: approval
  refund.issue: auto
  ticket.list: auto
connectors:
  - {method: POST, url: "https://crm.example.com/tickets/{ticket_id}/replies", action: reply.send}
  - {method: POST, url: "https://payments.example.com/refunds", action: refund.issue}
  - {method: GET, url: "https://crm.example.com/tickets", query: {status: open}, action: ticket.list}
  - {method: GET,  url: "https://crm.example.com/**", action: crm.read}
tools:
  send_email: reply.send
"""


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return load_policy(path)


GLOBS = [
    # glob, url, matches
    ("https://crm.example.com/tickets/*/replies", "https://crm.example.com/tickets/7/replies", True),
    ("https://crm.example.com/tickets/*/replies", "https://crm.example.com/tickets/7/8/replies", False),
    ("https://crm.example.com/tickets/*/replies", "https://crm.example.com/tickets/replies", False),
    ("https://crm.example.com/tickets/*", "https://crm.example.com/tickets/", True),  # empty segment
    ("https://crm.example.com/tickets/T-*", "https://crm.example.com/tickets/T-42", True),
    ("https://crm.example.com/tickets/T-*", "https://crm.example.com/tickets/X-42", False),
    ("https://crm.example.com/**", "https://crm.example.com", True),
    ("https://crm.example.com/**", "https://crm.example.com/", True),
    ("https://crm.example.com/**", "https://crm.example.com/a/b/c", True),
    ("https://crm.example.com/a/**/z", "https://crm.example.com/a/z", True),
    ("https://crm.example.com/a/**/z", "https://crm.example.com/a/b/c/z", True),
    ("https://crm.example.com/a/**/z", "https://crm.example.com/a/b/c/y", False),
    ("https://crm.example.com/x", "https://crm.example.com/x?page=2", True),  # query ignored
    ("https://crm.example.com/x", "https://crm.example.com/x#frag", True),
    ("https://crm.example.com/x", "http://crm.example.com/x", False),  # scheme literal
    ("https://crm.example.com/x", "HTTPS://CRM.Example.com/x", True),  # case-insensitive scheme and host
    ("https://crm.example.com/x", "https://crm.example.com/X", False),  # path is case-sensitive
    ("https://crm.example.com/x", "https://crm.example.com:443/x", True),  # default port
    ("https://crm.example.com/x", "https://crm.example.com:8443/x", False),
    ("https://crm.example.com/x", "https://crm.example.org/x", False),
    ("https://crm.example.com/x", "https://evil.com/crm.example.com/x", False),
    ("https://*.example.com/x", "https://crm.example.com/x", True),
    ("https://*.example.com/x", "https://a.b.example.com/x", False),  # * is one host label
    ("https://**.example.com/x", "https://a.b.example.com/x", True),
    ("http://127.0.0.1:*/v1/**", "http://127.0.0.1:54321/v1/chat/completions", True),
    ("http://127.0.0.1:8000/v1/**", "http://127.0.0.1:8001/v1/chat", False),
    ("https://crm.example.com/a b/*", "https://crm.example.com/a%20b/c", True),  # percent-decoded
    ("https://crm.example.com/files/*", "https://crm.example.com/files/a%2Fb", True),  # %2F stays in segment
]


@pytest.mark.parametrize(("glob", "url", "matches"), GLOBS)
def test_url_glob_semantics(glob: str, url: str, matches: bool) -> None:
    assert (UrlGlob.compile(glob).match(url) is not None) is matches


def test_glob_captures_wildcards_and_named_segments() -> None:
    found = UrlGlob.compile("https://crm.example.com/tickets/{ticket_id}/notes/*/**").match(
        "https://crm.example.com/tickets/7/notes/n1/a/b")
    assert found is not None
    assert found.captures == ("7", "n1", "a/b")
    assert found.named == {"ticket_id": "7"}


@pytest.mark.parametrize("glob", ["https://x.example.com/a**", "https://x.example.com/{a", "nohost", "https://"])
def test_bad_globs_raise_with_a_fix(glob: str) -> None:
    with pytest.raises(GlobError) as info:
        UrlGlob.compile(glob)
    assert info.value.fix


SEGMENT = st.text(alphabet="abcxyz019-_.~", min_size=1, max_size=6)


@given(prefix=st.lists(SEGMENT, max_size=3), rest=st.lists(SEGMENT, max_size=4))
def test_star_stays_in_one_segment_and_double_star_crosses_segments(prefix: list[str], rest: list[str]) -> None:
    base = "https://h.example.com/" + "/".join(prefix)
    sep = "/" if prefix else ""
    url = base + sep + "/".join(rest)
    star = UrlGlob.compile(base + sep + "*")
    deep = UrlGlob.compile(base + sep + "**")
    # An empty rest leaves one empty trailing segment ("/a/"), which `*` matches too.
    assert (star.match(url) is not None) is (len(rest) <= 1)
    assert deep.match(url) is not None
    stars = UrlGlob.compile(base + sep + "/".join(["*"] * len(rest))) if rest else None
    if stars is not None:
        assert stars.match(url) is not None
        assert stars.match(url + "/extra") is None


GLOB_TOKENS = st.sampled_from(["a", "b", "*", "**", "a*", "*b", "{x}"])


@given(a=st.lists(GLOB_TOKENS, max_size=4), b=st.lists(GLOB_TOKENS, max_size=4),
       path=st.lists(st.sampled_from(["a", "b", "ab", "ba", "c", ""]), max_size=5))
def test_covers_is_sound(a: list[str], b: list[str], path: list[str]) -> None:
    """If A covers B, every URL B matches is matched by A (lint's shadowing never lies)."""
    glob_a = UrlGlob.compile("https://h.example.com/" + "/".join(a))
    glob_b = UrlGlob.compile("https://h.example.com/" + "/".join(b))
    url = "https://h.example.com/" + "/".join(path)
    if glob_a.covers(glob_b) and glob_b.match(url) is not None:
        assert glob_a.match(url) is not None


def test_covers_recognises_common_shadowing() -> None:
    broad = UrlGlob.compile("https://crm.example.com/**")
    narrow = UrlGlob.compile("https://crm.example.com/tickets/*/replies")
    assert broad.covers(narrow) and not narrow.covers(broad)
    assert UrlGlob.compile("https://crm.example.com/tickets/*").covers(
        UrlGlob.compile("https://crm.example.com/tickets/T-*"))
    assert not UrlGlob.compile("https://crm.example.com/**").covers(
        UrlGlob.compile("https://payments.example.com/refunds"))


def test_first_matching_rule_wins_with_args_from_body_query_and_path(policy: Policy) -> None:
    found = policy.match_request("POST", "https://crm.example.com/tickets/T-7/replies?lang=en",
                                 {"text": "Hello", "lang": "fr"})
    assert found is not None and found.action == "reply.send"
    assert found.rule.where == "policy.yaml:7"
    assert found.args == {"lang": "fr", "ticket_id": "T-7", "text": "Hello"}  # body wins over query
    assert found.captures == ("T-7",)
    assert policy.action_for_request("GET", "https://crm.example.com/tickets/T-7/replies") == "crm.read"


def test_method_is_part_of_the_rule(policy: Policy) -> None:
    assert policy.match_request("GET", "https://payments.example.com/refunds") is None
    assert policy.action_for_request("post", "https://payments.example.com/refunds") == "refund.issue"


def test_query_is_ignored_unless_the_rule_names_it(policy: Policy) -> None:
    assert policy.action_for_request("GET", "https://crm.example.com/tickets?status=open&page=2") == "ticket.list"
    assert policy.action_for_request("GET", "https://crm.example.com/tickets?status=closed") == "crm.read"
    assert policy.action_for_request("GET", "https://crm.example.com/tickets") == "crm.read"


@pytest.mark.parametrize(("body", "args"), [
    ({"amount": 60}, {"amount": 60}),
    ('{"amount": 60}', {"amount": 60}),
    (b'{"amount": 60}', {"amount": 60}),
    ("amount=6000&currency=eur", {"amount": "6000", "currency": "eur"}),  # form-encoded (Stripe-like)
    ([1, 2], {"body": [1, 2]}),
    ("plain words", {"body": "plain words"}),
    (None, {}),
    ("", {}),
])
def test_request_args_decode_json_and_form_bodies(body: object, args: dict[str, object]) -> None:
    assert request_args("https://payments.example.com/refunds", body) == args


def test_repeated_query_parameters_become_lists() -> None:
    assert request_args("https://x.example.com/?tag=a&tag=b&one=1", None) == {"tag": ["a", "b"], "one": "1"}


@pytest.mark.parametrize(("method", "url", "name"), [
    ("GET", "https://crm.example.com/tickets/7", "crm.read"),
    ("HEAD", "https://crm.example.com/", "crm.read"),
    ("POST", "https://crm.example.com/tickets", "crm.write"),
    ("DELETE", "https://www.shop.example.com/orders/1", "shop.write"),
    ("POST", "https://api.openai.com/v1/chat/completions", "openai.write"),
    ("GET", "https://api.stripe.com/v1/charges", "stripe.read"),
    ("PUT", "http://127.0.0.1:8000/crm/tickets", "127_0_0_1_8000.write"),
    ("GET", "http://localhost/x", "localhost.read"),
])
def test_default_names_of_unmapped_traffic(method: str, url: str, name: str) -> None:
    assert default_action_name(method, url) == name


def test_unmapped_traffic_and_tools(policy: Policy) -> None:
    assert policy.action_for_request("POST", "https://mail.example.com/send") == "mail.write"
    assert policy.action_for_tool("send_email") == "reply.send"
    assert policy.action_for_tool("lookup_order") == "lookup_order"


def test_reads_and_writes(policy: Policy) -> None:
    assert policy.is_write("crm.read") is False  # write: false
    assert policy.is_write("crm.read", "POST") is False  # the rule wins over the method
    assert policy.is_write("refund.issue") is True  # named without write: false
    assert policy.is_write("refund.issue", "GET") is True
    assert policy.is_write("mail.read", "GET") is False  # not named: by method
    assert policy.is_write("mail.write", "POST") is True
    assert policy.is_write("lookup_order") is True  # no method known: a write
    assert policy.is_write("approval.granted", "POST") is False  # a control event


@pytest.mark.parametrize(("method", "write"), [("GET", False), ("HEAD", False), ("OPTIONS", False),
                                               ("POST", True), ("PUT", True), ("PATCH", True), ("DELETE", True)])
def test_without_a_policy_methods_decide_and_other_actions_write(method: str, write: bool) -> None:
    policy = no_policy()
    assert policy.is_write(policy.action_for_request(method, "https://crm.example.com/x"), method) is write
    assert policy.is_write("send_email") is True


def test_when_and_otherwise_at_the_boundary(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent("""\
        default: forbidden
        actions:
          refund.issue:
            mode: auto
            when: {properties: {amount: {maximum: 50}}, required: [amount]}
            otherwise: approval
          gift.send:
            mode: auto
            when: {properties: {value: {maximum: 10}}, required: [value]}
        """), encoding="utf-8")
    policy = load_policy(path)
    assert policy.ruling("refund.issue", {"amount": 50}).mode == "auto"
    assert policy.ruling("refund.issue", {"amount": 50.0}).mode == "auto"
    over = policy.ruling("refund.issue", {"amount": 50.01})
    assert over.mode == "approval" and over.where == "policy.yaml:3" and "otherwise: approval" in over.reason
    assert policy.ruling("refund.issue", {}).mode == "approval"  # required amount is missing
    assert policy.ruling("gift.send", {"value": 11}).mode == "forbidden"  # no otherwise: the default
    unknown = policy.ruling("customer.delete", {})
    assert unknown.mode == "forbidden" and unknown.where == "policy.yaml:1"
