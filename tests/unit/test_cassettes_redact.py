"""Redaction rules exactly as the SPEC lists them, and the properties replay relies on."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal.cassettes.redact import PLACEHOLDER, SECRET_KEYS, Redactor, header_is_secret

SECRET = "s3cr3t-Value/with+chars="
redactor = Redactor({"API_TOKEN": SECRET})


def test_headers_are_kept_by_allowlist_and_credentials_never() -> None:
    headers = {
        "Authorization": ["Bearer x"],
        "Cookie": ["a=b"],
        "Set-Cookie": ["c=d"],
        "x-api-key": ["k"],
        "api-key": ["k"],
        "OpenAI-Organization": ["org-1"],
        "anthropic-organization-id": ["o"],
        "X-Custom": ["kept only when allowed"],
        "Content-Type": ["application/json"],
        "Retry-After": ["3"],
        "x-ratelimit-remaining-requests": ["99"],
    }
    kept, _ = redactor.headers(headers)
    assert set(kept) == {"Content-Type", "Retry-After", "x-ratelimit-remaining-requests"}
    allowing = Redactor({}, allow_headers=["x-custom", "authorization", "x-session-token"])
    kept, _ = allowing.headers({**headers, "X-Session-Token": ["t"]})
    assert "X-Custom" in kept and "Authorization" not in kept and "X-Session-Token" not in kept
    assert header_is_secret("Proxy-Authorization") and not header_is_secret("content-type")


def test_secret_keys_are_exact_and_case_insensitive_at_any_depth() -> None:
    document = {
        "Authorization": "Bearer a",
        "API_KEY": "b",
        "nested": [{"apikey": "c", "x-api-key": "d", "deeper": {"Access_Token": "e", "refresh_token": "f"}}],
        "client_secret": "g",
        "password": "h",
        "secret": {"inner": "object values go whole"},
        "token": "i",
        "max_tokens": 100,
        "input_tokens": 7,
        "tokens": ["not", "a", "secret", "key"],
        "password_hint": "kept",
        "empty": {"token": None, "password": ""},
    }
    redacted, count = redactor.json(document)
    assert count == 10
    flat = json.dumps(redacted)
    for value in ("Bearer a", '"b"', '"c"', '"d"', '"e"', '"f"', '"g"', '"h"', "object values", '"i"'):
        assert value not in flat
    assert redacted["max_tokens"] == 100 and redacted["input_tokens"] == 7 and redacted["tokens"][0] == "not"
    assert redacted["password_hint"] == "kept"
    assert redacted["empty"] == {"token": None, "password": ""}, "nothing to hide in an empty value"
    assert {"authorization", "api_key", "token", "password"} <= SECRET_KEYS and "max_tokens" not in SECRET_KEYS


def test_query_parameters_and_userinfo() -> None:
    url, count = redactor.url("https://u:pw@api.example.com/v1/x?Token=abc&q=a+b&access_token=z&page=2")
    assert (
        url
        == f"https://u:{PLACEHOLDER}@api.example.com/v1/x?Token={PLACEHOLDER}&q=a+b&access_token={PLACEHOLDER}&page=2"
    )
    assert count == 3
    assert redactor.url(url) == (url, 0)


def test_env_values_in_plain_base64_and_url_encoded_form() -> None:
    from urllib.parse import quote, quote_plus

    raw = SECRET.encode()
    texts = [
        f"key={SECRET};",
        f"q={quote(SECRET, safe='')}",
        f"q={quote_plus(SECRET)}",
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        base64.b64encode(b"user:" + raw).decode(),  # inside a longer blob, at another alignment
        base64.b64encode(b"xy" + raw + b"tail").decode(),
    ]
    for text in texts:
        out, count = redactor.text(text)
        assert count >= 1, text
        assert "REDACTED-API_TOKEN" in out
        assert redactor.find(out) == [], (text, out)
    assert redactor.find(f"..{SECRET}..") == ["API_TOKEN"]


def test_bodies_by_content_type() -> None:
    sse = 'event: x\ndata: {"token": "t1", "text": "ok"}\n\ndata: [DONE]\n\n'
    out, count = redactor.body(sse, "text/event-stream")
    assert count == 1 and '"token":"REDACTED"' in out and out.endswith("data: [DONE]\n\n")
    form, count = redactor.body(
        "grant_type=refresh&refresh_token=r1&client_secret=c1", "application/x-www-form-urlencoded"
    )
    assert form == "grant_type=refresh&refresh_token=REDACTED&client_secret=REDACTED" and count == 2
    nested = json.dumps({"tool_calls": [{"function": {"arguments": json.dumps({"password": "p", "city": "Oslo"})}}]})
    out, count = redactor.body(nested, "application/json")
    arguments = json.loads(json.loads(out)["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"password": PLACEHOLDER, "city": "Oslo"} and count == 1
    untouched = '{"a":  1}'
    assert redactor.body(untouched, "application/json") == (untouched, 0), "unchanged bodies keep their bytes"


json_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
json_values = st.recursive(
    json_leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["a", "token", "Password", "max_tokens", "x"]) | st.text(max_size=4), inner, max_size=3
        )
    ),
    max_leaves=10,
)


@given(json_values)
def test_redaction_is_idempotent(value: Any) -> None:
    once, _ = redactor.json(value)
    twice, count = redactor.json(once)
    assert twice == once and count == 0


@settings(max_examples=60)
@given(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=24),
    st.text(max_size=10),
    st.text(max_size=10),
    st.integers(0, 2),
)
def test_no_spelling_of_a_secret_survives(secret: str, before: str, after: str, pad: int) -> None:
    from urllib.parse import quote

    guard = Redactor({"S": secret})
    raw = secret.encode()
    carriers = [
        before + secret + after,
        before + quote(secret, safe="") + after,
        base64.b64encode(b"p" * pad + raw).decode(),
        json.dumps({"k": [before, {"v": before + secret + after}]}),
    ]
    for carrier in carriers:
        out, _ = guard.body(carrier, "application/json")
        assert secret not in out
        assert quote(secret, safe="") not in out
        core = base64.b64encode(b"p" * pad + raw).decode()[4:-4]
        assert len(core) < 8 or core not in out
