"""The LLM example's local stand-in: OpenAI wire format (plain and streamed), its rules, the sandbox."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest

from examples.support_inbox_llm import standin_model
from examples.support_inbox_llm.prompt import render_ticket
from examples.support_inbox_llm.standin_server import ORDERS, StandinServer, completion, completion_chunks
from examples.support_inbox_llm.tools import TOOLS

ROOT = Path(__file__).resolve().parents[2]
TICKET = {"ticket_id": "T-0101", "channel": "email", "subject": "Kettle broken - refund please",
          "customer": {"id": "C-2041", "language": "en"},
          "order": {"id": "ORD-20101", "total": 34.9, "currency": "EUR",
                    "items": [{"sku": "K", "qty": 1, "price": 34.9}]}}  # fmt: skip


def user(text: str, **fields: Any) -> dict[str, Any]:
    return {"role": "user", "content": render_ticket({**TICKET, **fields}, text)}


def request(*messages: dict[str, Any], tools: bool = True) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "triage"}, *messages],
            **({"tools": TOOLS} if tools else {})}  # fmt: skip


def answered(step: standin_model.Step, results: list[Any]) -> list[dict[str, Any]]:
    """The assistant message of ``step`` and one tool message per call with the given results."""
    calls = [{"id": f"call_{i}", "type": "function",
              "function": {"name": c.name, "arguments": json.dumps(c.arguments)}} for i, c in enumerate(step.calls)]
    tool_messages = [{"role": "tool", "tool_call_id": f"call_{i}", "content": json.dumps(r)}
                     for i, r in enumerate(results)]
    return [{"role": "assistant", "content": None, "tool_calls": calls}, *tool_messages]  # fmt: skip


@pytest.fixture(scope="module")
def server() -> Iterator[StandinServer]:
    with StandinServer() as running:
        yield running


# -- the rules ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Please refund my kettle", "refund"),
        ("Wo bleibt meine Bestellung?", "shipping"),
        ("Could you write me a short poem about autumn?", "off_topic"),
        ("Welche drei Aktien soll ich kaufen?", "off_topic"),
        ("Under Article 17 GDPR delete my account", "account_deletion"),
        ("This is a formal complaint, I will file a chargeback", "complaint"),
        ("Are the mugs dishwasher safe?", "product_question"),
        ("Mein Gutschein geht nicht", "general"),
        ("Hello??", "unknown"),
    ],
)
def test_classify_by_first_matching_keyword(text: str, category: str) -> None:
    assert standin_model.classify(text.casefold()) == category


def test_refund_plan_looks_up_then_refunds_tags_replies_and_finishes() -> None:
    first = standin_model.decide(request(user("Please refund the kettle.")))
    assert [c.name for c in first.calls] == ["lookup_order"], "no finish while a lookup may change the plan"
    assert first.calls[0].arguments == {"order_id": "ORD-20101"}
    history = [user("Please refund the kettle."), *answered(first, [{"id": "ORD-20101", **ORDERS["ORD-20101"]}])]
    second = standin_model.decide(request(*history))
    assert [c.name for c in second.calls] == ["issue_refund", "tag_ticket", "send_reply", "finish_triage"]
    assert second.calls[0].arguments["amount"] == 34.9
    assert "refunding 34.90 EUR for order ORD-20101" in second.calls[2].arguments["text"]
    assert second.calls[3].arguments == {"category": "refund", "priority": "normal", "summary": "refund ticket T-0101"}
    history += answered(second, [{}, {}, {}, {"status": "recorded"}])
    assert [c.name for c in standin_model.decide(request(*history)).calls] == ["finish_triage"]


def test_a_tool_error_gets_an_escalation_and_the_finish() -> None:
    first = standin_model.decide(request(user("Please refund the kettle.")))
    history = [user("Please refund the kettle."), *answered(first, [{"error": "GET /crm/orders/ORD-20101: timed out"}])]
    second = standin_model.decide(request(*history))
    assert [c.name for c in second.calls] == ["escalate_to_human", "finish_triage"]
    assert second.calls[0].arguments["team"] == "support"
    assert "lookup_order failed: GET /crm/orders/ORD-20101: timed out" in second.calls[0].arguments["reason"]


def test_language_comes_from_the_ticket_or_its_words() -> None:
    german = standin_model.read_ticket(render_ticket({**TICKET, "customer": {"id": "C-1"}},
                                                     "Ich habe das nicht bekommen, bitte prüfen Sie das"))
    assert german.language == "de" and german.order_id == "ORD-20101" and german.ticket_id == "T-0101"
    english = standin_model.read_ticket(render_ticket({**TICKET, "order": None}, "Where is it?"))
    assert english.language == "en" and english.order_id is None


def test_no_tools_offered_means_a_plain_answer() -> None:
    step = standin_model.decide(request(user("Please refund the kettle."), tools=False))
    assert step.calls == [] and json.loads(step.content or "")["category"] == "refund"


def test_same_request_same_bytes_and_stream_carries_the_same_message() -> None:
    body = request(user("Please refund the kettle."))
    assert completion(body) == completion(json.loads(json.dumps(body)))
    chunks = list(completion_chunks({**body, "stream_options": {"include_usage": True}}))
    arguments = "".join(tc["function"].get("arguments", "") for c in chunks for ch in c["choices"]
                        for tc in ch["delta"].get("tool_calls", []))  # fmt: skip
    whole = completion(body)["choices"][0]["message"]["tool_calls"][0]
    assert arguments == whole["function"]["arguments"]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"


# -- over the wire, with the official SDK -------------------------------------------------------
def test_openai_sdk_gets_tool_calls_plain_and_streamed(server: StandinServer) -> None:
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-test-0123456789", max_retries=0)
    body = request(user("Please refund the kettle."))
    plain = client.chat.completions.create(**body)
    call = plain.choices[0].message.tool_calls[0]
    assert plain.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "lookup_order" and json.loads(call.function.arguments) == {"order_id": "ORD-20101"}
    with client.chat.completions.create(**body, stream=True) as stream:
        chunks = list(stream)
    streamed = "".join(tc.function.arguments or "" for c in chunks for ch in c.choices
                       for tc in ch.delta.tool_calls or [] if tc.function is not None)  # fmt: skip
    assert streamed == call.function.arguments
    assert chunks[-1].choices[0].finish_reason == "tool_calls" and len(chunks) >= 3
    client.close()


def test_missing_api_key_is_401_like_the_real_api(server: StandinServer) -> None:
    response = httpx2.post(server.url + "/v1/chat/completions", json=request(user("hi")))
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


def test_sandbox_orders_refunds_tags_and_drafts(server: StandinServer) -> None:
    with httpx2.Client(base_url=server.url) as http:
        order = http.get("/crm/orders/ORD-20104").json()
        assert order["refundable"] == 129.0 and order["customer_id"] == "C-0884"
        assert http.get("/crm/orders/ORD-99999").status_code == 404
        ok = http.post("/payments/refunds", json={"order_id": "ORD-20101", "amount": 34.9})
        assert ok.status_code == 201 and ok.json()["status"] == "succeeded"
        assert http.post("/payments/refunds", json={"order_id": "ORD-20101", "amount": 35}).status_code == 422
        assert http.post("/crm/tickets/T-0101/tags", json={"tags": ["refund"]}).status_code == 201
        assert http.post("/crm/tickets/T-0101/tags", json={"tags": "refund"}).status_code == 422
        first = http.post("/crm/tickets/T-0101/drafts", json={"text": "Hello"}).json()
        assert first == http.post("/crm/tickets/T-0101/drafts", json={"text": "Hello"}).json(), "stateless"
        assert http.post("/crm/tickets/T-0101/drafts", json={"text": " "}).status_code == 422
        approval = http.post("/crm/approvals", json={"action": "refund.issue", "args": {"amount": 129.0}})
        assert approval.status_code == 202 and approval.json()["status"] == "pending", "never self-approved"


def test_serves_the_local_machine_only() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        StandinServer(host="0.0.0.0")


def test_runs_as_a_module_on_the_given_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.support_inbox_llm.standin_server", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner
        for _ in range(50):
            try:
                assert httpx2.get(f"http://127.0.0.1:{port}/health").json()["status"] == "ok"
                break
            except httpx2.ConnectError:
                time.sleep(0.1)
        else:
            pytest.fail("the stand-in did not answer")
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
