"""Matching: normalised keys, an index that replays in recorded order, and a diagnosis on a miss."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pytest_agentreal.cassettes.match import (
    Matcher,
    RequestKey,
    describe_difference,
    json_differences,
    normalise_body,
    normalise_url,
)


def key(method: str, url: str, body: Any = None, ignore: tuple[str, ...] = ()) -> RequestKey:
    text = json.dumps(body) if body is not None else ""
    return RequestKey(method, normalise_url(url), normalise_body(text, "application/json", ignore))


def test_urls_normalise_host_port_and_query_order() -> None:
    assert normalise_url("HTTPS://API.Example.com:443/v1/x?b=2&a=1#frag") == "https://api.example.com/v1/x?a=1&b=2"
    assert normalise_url("http://h:8080") == "http://h:8080/"
    assert normalise_url("http://h/p?a=1") != normalise_url("http://h/p?a=2")


def test_bodies_ignore_key_order_and_match_ignore_paths() -> None:
    a = {"model": "m", "metadata": {"request_id": "r-1"}, "messages": [{"role": "user", "content": "hi"}]}
    b = {"messages": [{"content": "hi", "role": "user"}], "metadata": {"request_id": "r-2"}, "model": "m"}
    assert key("POST", "http://h/x", a) != key("POST", "http://h/x", b)
    ignore = ("/metadata/request_id",)
    assert key("POST", "http://h/x", a, ignore) == key("POST", "http://h/x", b, ignore)
    assert normalise_body("a=1&b=2", "application/x-www-form-urlencoded") == normalise_body(
        "b=2&a=1", "application/x-www-form-urlencoded"
    )
    assert normalise_body("not json {", "application/json") == "not json {"


@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=6))
def test_key_order_never_matters(body: dict[str, int]) -> None:
    reversed_body = dict(reversed(list(body.items())))
    assert key("POST", "http://h/", body) == key("POST", "http://h/", reversed_body)


def test_index_replays_same_key_interactions_in_order_once_each() -> None:
    same = key("GET", "http://h/a")
    other = key("GET", "http://h/b")
    matcher = Matcher([same, other, same])
    assert [matcher.take(same), matcher.take(other), matcher.take(same), matcher.take(same)] == [0, 1, 2, None]
    index, why = matcher.diagnose(same)
    assert index == 0 and "recorded 2 time(s), all already replayed" in why


def test_diagnosis_names_the_closest_request_and_the_json_path() -> None:
    recorded = [
        key("GET", "http://h/customers/1"),
        key(
            "POST", "http://h/v1/chat", {"model": "m", "messages": [{"role": "user", "content": "Where is my order?"}]}
        ),
        key("POST", "http://h/v1/chat", {"model": "m", "messages": [{"role": "user", "content": "Refund please"}]}),
    ]
    matcher = Matcher(recorded)
    edited = key(
        "POST", "http://h/v1/chat", {"model": "m", "messages": [{"role": "user", "content": "Where is my parcel?"}]}
    )
    assert matcher.take(edited) is None
    index, why = matcher.diagnose(edited)
    assert index == 1
    assert why.startswith("body /messages/0/content: recorded ")
    assert "'Where is my order?'" in why and "'Where is my parcel?'" in why
    assert matcher.diagnose(key("DELETE", "http://h/customers/1"))[0] == 0
    assert "method: recorded GET, got DELETE" in describe_difference(recorded[0], key("DELETE", "http://h/customers/1"))
    assert "URL: recorded" in describe_difference(recorded[0], key("GET", "http://h/customers/2"))
    assert Matcher([]).diagnose(edited) == (None, "the cassette has no recorded request")


def test_json_differences_lists_missing_extra_and_changed_members() -> None:
    old = {"a": 1, "b": [1, 2], "c": {"d": "x"}}
    new = {"a": 2, "b": [1], "c": {"d": "x", "e": True}}
    assert json_differences(old, new, limit=5) == [
        ("/a", "recorded 1, got 2"),
        ("/b/1", "recorded has it, the request does not"),
        ("/c/e", "not recorded, request has true"),
    ]
