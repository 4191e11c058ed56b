"""A local stand-in for the OpenAI chat-completions API and the shop's CRM and payments sandbox.

**A stand-in, not a model.** ``POST /v1/chat/completions`` speaks the OpenAI wire format (plain
JSON, and server-sent events with ``stream: true``, tool calls included) so that the official
``openai`` SDK talks to it exactly as to the real API; its answers come from the fixed keyword
rules in :mod:`standin_model`. The example's cassettes were recorded against it, so anyone can
re-record them offline and get the same bytes. To record against the real API instead, point
``AGENTREAL_LLM_BASE_URL`` at it and set ``OPENAI_API_KEY`` (see the example's README).

Sandbox routes (what the agent's tools call; answers are stateless and deterministic):

- ``GET  /crm/orders/<id>`` — the order (status, refundable amount, shipment), 404 when unknown
- ``POST /crm/tickets/<id>/tags`` — tags a ticket
- ``POST /crm/tickets/<id>/drafts`` — stores a reply draft for a person to send
- ``POST /crm/tickets/<id>/replies`` — sends a reply (the example agent never calls it on its own)
- ``POST /payments/refunds`` — refunds up to the order's refundable amount, 422 beyond it
- ``POST /crm/approvals`` — always ``pending``: people approve in the helpdesk, not whoever asks
- ``GET  /health``

Run it with ``python -m examples.support_inbox_llm.standin_server --port 8765`` (it binds
127.0.0.1 only), or in tests: ``with StandinServer() as server: server.url``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import standin_model

DEFAULT_PORT = 8765
CREATED = 1741600000  # a fixed timestamp: re-recording a cassette must not change its bytes
MODEL = "standin-1"
PIECE = 160  # characters per streamed delta

# The sandbox's orders: one per sample ticket that has an order (fixtures/support_inbox_llm).
ORDERS: dict[str, dict[str, Any]] = {
    "ORD-20101": {"customer_id": "C-2041", "status": "delivered", "total": 34.9, "refundable": 34.9,
                  "currency": "EUR", "shipment": {"carrier": "DHL", "tracking": "00340434161094015101",
                                                  "status": "delivered", "eta": "2025-02-28"}},
    "ORD-20102": {"customer_id": "C-1177", "status": "shipped", "total": 62.4, "refundable": 62.4,
                  "currency": "EUR", "shipment": {"carrier": "DHL", "tracking": "00340434161094015102",
                                                  "status": "announced", "eta": "2025-03-12"}},
    "ORD-20104": {"customer_id": "C-0884", "status": "delivered", "total": 129.0, "refundable": 129.0,
                  "currency": "EUR", "shipment": {"carrier": "UPS", "tracking": "1Z999AA10123456784",
                                                  "status": "delivered", "eta": "2025-03-08"}},
    "ORD-20106": {"customer_id": "C-4402", "status": "processing", "total": 27.5, "refundable": 27.5,
                  "currency": "EUR", "shipment": {"carrier": "DHL", "tracking": None, "status": "not_shipped",
                                                  "eta": "2025-03-13"}},
    "ORD-20107": {"customer_id": "C-5120", "status": "delivered", "total": 258.0, "refundable": 258.0,
                  "currency": "GBP", "shipment": {"carrier": "DPD", "tracking": "15501234567890",
                                                  "status": "delivered", "eta": "2025-03-05"}},
    "ORD-20108": {"customer_id": "C-0231", "status": "delivered", "total": 41.8, "refundable": 41.8,
                  "currency": "EUR", "shipment": {"carrier": "DHL", "tracking": "00340434161094015108",
                                                  "status": "delivered", "eta": "2025-03-01"}},
    "ORD-20109": {"customer_id": "C-6618", "status": "delivered", "total": 18.6, "refundable": 18.6,
                  "currency": "EUR", "shipment": {"carrier": "Hermes", "tracking": "H1001234567890109",
                                                  "status": "delivered", "eta": "2025-03-09"}},
    "ORD-20110": {"customer_id": "C-7004", "status": "shipped", "total": 46.2, "refundable": 46.2,
                  "currency": "EUR", "shipment": {"carrier": "DPD", "tracking": "JJD000390007712",
                                                  "status": "label_created", "eta": "2025-03-14"}},
    "ORD-20112": {"customer_id": "C-9021", "status": "delivered", "total": 88.65, "refundable": 88.65,
                  "currency": "EUR", "shipment": {"carrier": "Hermes", "tracking": "H1001234567890112",
                                                  "status": "delivered", "eta": "2025-03-10"}},
}  # fmt: skip


def _compact(value: Any) -> str:
    """JSON without spaces: every byte of an answer ends up in a cassette."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _digest(*parts: Any, size: int = 6) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).hexdigest()


# -- chat completions ---------------------------------------------------------------------------
def _tokens(value: Any) -> int:
    """A rough token count (4 characters a token): the stand-in's usage numbers."""
    return max(1, len(json.dumps(value, ensure_ascii=False)) // 4)


def completion(request: dict[str, Any]) -> dict[str, Any]:
    """The non-streamed ``chat.completion`` for ``request``."""
    step = standin_model.decide(request)
    message: dict[str, Any] = {"role": "assistant", "content": step.content, "refusal": None}
    if step.calls:
        message["tool_calls"] = [
            {"id": standin_model.call_id(call, request), "type": "function",
             "function": {"name": call.name, "arguments": _compact(call.arguments)}}
            for call in step.calls
        ]  # fmt: skip
    prompt, answer = _tokens(request.get("messages")), _tokens(message)
    return {
        "id": "chatcmpl-" + _digest(request.get("messages"), request.get("tools"), size=12),
        "object": "chat.completion",
        "created": CREATED,
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": "tool_calls" if step.calls else "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": answer, "total_tokens": prompt + answer},
    }  # fmt: skip


def completion_chunks(request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects of a streamed answer, as the real API sends them."""
    whole = completion(request)
    base = {"id": whole["id"], "object": "chat.completion.chunk", "created": CREATED, "model": MODEL}
    message = whole["choices"][0]["message"]

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    # Pieces of up to PIECE characters: the SDK must join them, yet the cassettes stay small.
    yield chunk({"role": "assistant", "content": ""})
    for index, call in enumerate(message.get("tool_calls") or []):
        arguments = call["function"]["arguments"]
        head = {"index": index, "id": call["id"], "type": "function",
                "function": {"name": call["function"]["name"], "arguments": arguments[:PIECE]}}
        yield chunk({"tool_calls": [head]})
        for start in range(PIECE, len(arguments), PIECE):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[start:start + PIECE]}}]})
    content = message.get("content") or ""
    for start in range(0, len(content), PIECE):
        yield chunk({"content": content[start:start + PIECE]})
    yield chunk({}, whole["choices"][0]["finish_reason"])
    if (request.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": whole["usage"]}


# -- the HTTP server ----------------------------------------------------------------------------
Route = Callable[["_Handler", re.Match[str], Any], None]


class StandinServer(ThreadingHTTPServer):
    """The stand-in on 127.0.0.1; ``with StandinServer(port=0) as server:`` serves in a thread."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the stand-in serves the local machine only (127.0.0.1)")
        super().__init__((host, port), _Handler)
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client dropping its keep-alive connection is normal, not worth a traceback.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def __enter__(self) -> StandinServer:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: StandinServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: recording runs print their own progress

    def _read(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, status: int, value: Any) -> None:
        body = _compact(value).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        self._json(status, {"error": {"message": message, "type": kind, "param": None, "code": None}})

    def _events(self, chunks: Iterator[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        events = [f"data: {_compact(c)}\n\n".encode() for c in chunks]
        events.append(b"data: [DONE]\n\n")
        for event in events:
            self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _handle(self) -> None:
        raw = self._read()
        path = urlsplit(self.path).path
        self.server.requests.append((self.command, path))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._error(400, "the body is not valid JSON")
            return
        for (method, pattern), route in ROUTES:
            match = pattern.fullmatch(path)
            if match and method == self.command:
                route(self, match, body)
                return
        self._error(404, f"no route {self.command} {path}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


# -- routes -------------------------------------------------------------------------------------
def _chat(h: _Handler, match: re.Match[str], body: Any) -> None:
    auth = h.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or len(auth) <= len("Bearer "):
        h._error(401, "missing API key (Authorization: Bearer ...)", "authentication_error")
        return
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list) or not body.get("model"):
        h._error(400, "'model' and 'messages' are required")
        return
    if body.get("stream"):
        h._events(completion_chunks(body))
    else:
        h._json(200, completion(body))


def _order(h: _Handler, match: re.Match[str], body: Any) -> None:
    order = ORDERS.get(match["order"])
    if order is None:
        h._json(404, {"error": f"order {match['order']} not found"})
        return
    h._json(200, {"id": match["order"], **order})


def _tags(h: _Handler, match: re.Match[str], body: Any) -> None:
    tags = body.get("tags") if isinstance(body, dict) else None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        h._json(422, {"error": "tags must be a list of strings"})
        return
    h._json(201, {"ticket_id": match["ticket"], "tags": tags})


def _draft(h: _Handler, match: re.Match[str], body: Any) -> None:
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
        h._json(422, {"error": "a draft needs a text"})
        return
    h._json(201, {"id": "DR-" + _digest(match["ticket"], body), "ticket_id": match["ticket"], "status": "draft"})


def _reply(h: _Handler, match: re.Match[str], body: Any) -> None:
    h._json(201, {"id": "RP-" + _digest(match["ticket"], body), "ticket_id": match["ticket"], "status": "sent"})


def _refund(h: _Handler, match: re.Match[str], body: Any) -> None:
    if not isinstance(body, dict):
        h._json(422, {"error": "a refund needs order_id and amount"})
        return
    order = ORDERS.get(str(body.get("order_id")))
    amount = body.get("amount")
    if order is None:
        h._json(404, {"error": f"order {body.get('order_id')} not found"})
        return
    if not isinstance(amount, (int, float)) or isinstance(amount, bool) or not 0 < amount <= order["refundable"]:
        h._json(422, {"error": f"amount must be between 0 and {order['refundable']}"})
        return
    h._json(201, {"id": "RF-" + _digest(body), "order_id": body["order_id"], "amount": amount,
                  "currency": order["currency"], "status": "succeeded"})


def _approval(h: _Handler, match: re.Match[str], body: Any) -> None:
    # Approvals are given by people in the helpdesk, never by whoever asks for one.
    h._json(202, {"id": "AP-" + _digest(body), "status": "pending"})


def _health(h: _Handler, match: re.Match[str], body: Any) -> None:
    h._json(200, {"status": "ok", "model": MODEL})


ROUTES: list[tuple[tuple[str, re.Pattern[str]], Route]] = [
    (("POST", re.compile(r"/v1/chat/completions")), _chat),
    (("GET", re.compile(r"/crm/orders/(?P<order>[^/]+)")), _order),
    (("POST", re.compile(r"/crm/tickets/(?P<ticket>[^/]+)/tags")), _tags),
    (("POST", re.compile(r"/crm/tickets/(?P<ticket>[^/]+)/drafts")), _draft),
    (("POST", re.compile(r"/crm/tickets/(?P<ticket>[^/]+)/replies")), _reply),
    (("POST", re.compile(r"/payments/refunds")), _refund),
    (("POST", re.compile(r"/crm/approvals")), _approval),
    (("GET", re.compile(r"/health")), _health),
]


def main(argv: list[str] | None = None) -> None:
    """``python -m examples.support_inbox_llm.standin_server [--port 8765]``: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    args = parser.parse_args(argv)
    server = StandinServer(port=args.port)
    print(f"stand-in OpenAI-compatible API and sandbox on {server.url} (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
