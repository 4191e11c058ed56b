"""The agent's tools: their JSON Schemas for the model, and the CRM/payments sandbox they call.

The tools reach the shop's systems over HTTP (``httpx2``, the client the ``openai`` SDK uses too),
so every call is connector traffic that the cassettes record and the policy judges: a tag is
``POST /crm/tickets/<id>/tags`` (``ticket.tag``), a refund ``POST /payments/refunds``
(``refund.issue``). A failing call raises :class:`ToolFailed` with a short, stable message (it goes
back to the model and so into the recorded requests: nothing in it may change between runs).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx2

DEFAULT_SANDBOX_URL = "http://127.0.0.1:8765"


def _function(name: str, description: str, properties: dict[str, Any]) -> dict[str, Any]:
    # Short on purpose: the tool list travels with every LLM request, and so into every cassette.
    return {"type": "function", "function": {
        "name": name, "description": description,
        "parameters": {"type": "object", "properties": properties, "required": sorted(properties)},
    }}  # fmt: skip


_STR: dict[str, Any] = {"type": "string"}
CATEGORIES = ("refund", "shipping", "address_change", "account_deletion", "invoice", "complaint",
              "product_question", "general", "off_topic", "unknown")  # fmt: skip
PRIORITIES = ("low", "normal", "high", "urgent")

TOOLS: list[dict[str, Any]] = [
    _function("lookup_order", "Order status, refundable amount, shipment.", {"order_id": _STR}),
    _function("tag_ticket", "Tag the ticket.", {"ticket_id": _STR, "tags": {"type": "array", "items": _STR}}),
    _function("issue_refund", "Refund an order.",
              {"order_id": _STR, "amount": {"type": "number"}, "currency": _STR, "reason": _STR}),
    _function("send_reply", "Reply to the customer (a person reviews it first).",
              {"ticket_id": _STR, "language": {"enum": ["en", "de"]}, "text": _STR}),
    _function("escalate_to_human", "Hand the ticket to a team.", {"ticket_id": _STR, "team": _STR, "reason": _STR}),
    _function("finish_triage", "The triage result; call it last.",
              {"category": {"enum": list(CATEGORIES)}, "priority": {"enum": list(PRIORITIES)}, "summary": _STR}),
]  # fmt: skip
TOOL_NAMES = frozenset(tool["function"]["name"] for tool in TOOLS)


class ToolFailed(Exception):
    """A sandbox call failed (status, timeout, unreadable answer); the message is stable across runs."""


class Sandbox:
    """The CRM and payments sandbox over HTTP; ``with Sandbox(url) as sandbox:`` closes the client."""

    def __init__(self, base_url: str = DEFAULT_SANDBOX_URL, timeout: float = 10.0) -> None:
        self._client = httpx2.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def order(self, order_id: str) -> dict[str, Any]:
        """``GET /crm/orders/<id>``."""
        return self._call("GET", f"/crm/orders/{quote(order_id, safe='')}")

    def tag(self, ticket_id: str, tags: list[str]) -> dict[str, Any]:
        """``POST /crm/tickets/<id>/tags``."""
        return self._call("POST", f"/crm/tickets/{quote(ticket_id, safe='')}/tags", {"tags": tags})

    def draft(self, ticket_id: str, language: str, text: str) -> dict[str, Any]:
        """``POST /crm/tickets/<id>/drafts``: a reply that waits for a person to send it."""
        body = {"language": language, "text": text}
        return self._call("POST", f"/crm/tickets/{quote(ticket_id, safe='')}/drafts", body)

    def refund(self, ticket_id: str, order_id: str, amount: float, currency: str, reason: str) -> dict[str, Any]:
        """``POST /payments/refunds``."""
        body = {"ticket_id": ticket_id, "order_id": order_id, "amount": amount, "currency": currency,
                "reason": reason}  # fmt: skip
        return self._call("POST", "/payments/refunds", body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = self._client.request(method, path, json=body)
        except httpx2.TimeoutException:
            raise ToolFailed(f"{method} {path}: timed out") from None
        except httpx2.HTTPError as error:
            raise ToolFailed(f"{method} {path}: {type(error).__name__}") from None
        if response.status_code >= 400:
            raise ToolFailed(f"{method} {path}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise ToolFailed(f"{method} {path}: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise ToolFailed(f"{method} {path}: unexpected answer")
        return answer
