"""Real HTTP servers on 127.0.0.1 for tests: JSON endpoints, gzip, server-sent events, LLM APIs.

Standard library only (``ThreadingHTTPServer``), one thread per connection, HTTP/1.1 with chunked
streams, so every client under test talks to a real socket. Routes:

- ``GET /json``, ``GET /crm/customers``, ``GET /crm/customers/<id>``, ``POST /crm/tickets/<id>/replies``
- ``POST /echo``: the request back as JSON (method, path, query, body)
- ``GET /gzip``: a gzip-encoded JSON body
- ``GET /status/<code>``: that status, with ``Retry-After: 7`` on 429/503
- ``GET /sse?n=N``: N events, then the stream closes
- ``GET /sse/forever``: an event every 20 ms until the server stops
- ``GET /sse/hang``: two events, then silence until the server stops
- ``GET /leak``: a secret in ``Set-Cookie``, a custom header and a nested JSON body
- ``POST /v1/chat/completions``: OpenAI-compatible, tool calls, ``stream: true``
- ``POST /v1/messages``: Anthropic-compatible, ``stream: true``

``server.requests`` lists what reached the server: ``(method, path, headers, body)``.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CUSTOMERS = [
    {"id": "C-1", "name": "Ada Lovelace", "email": "ada@example.com", "tier": "gold"},
    {"id": "C-2", "name": "Alan Turing", "email": "alan@example.com", "tier": "silver"},
]


class LocalServer(ThreadingHTTPServer):
    """The server; ``url`` is its base URL, ``stopping`` ends the never-closing streams."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, secret: str = "") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = secret
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def hits(self, path: str) -> int:
        """How many requests reached ``path`` (query string ignored)."""
        return sum(1 for _, p, _, _ in self.requests if urlsplit(p).path == path)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join(5)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server: LocalServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- plumbing -------------------------------------------------------------------------------
    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        merged = {"Content-Type": "application/json", **(headers or {})}
        for name, value in merged.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, value: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode("utf-8"), headers)

    def _stream(self, events: Iterator[bytes], content_type: str = "text/event-stream") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for event in events:
                self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _handle(self) -> None:
        body = self._body()
        self.server.requests.append((self.command, self.path, dict(self.headers.items()), body))
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        route = ROUTES.get((self.command, path))
        if route is None:
            for (method, prefix), handler in PREFIX_ROUTES.items():
                if method == self.command and path.startswith(prefix):
                    route = handler
                    break
        if route is None:
            self._json({"error": f"no route {self.command} {path}"}, 404)
            return
        route(self, path, query, body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


# -- routes -------------------------------------------------------------------------------------
Handler = _Handler


def _json_route(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    h._json({"ok": True, "path": path, "query": {k: v[0] for k, v in query.items()}})


def _echo(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    try:
        decoded: Any = json.loads(body) if body else None
    except ValueError:
        decoded = body.decode("utf-8", "replace")
    h._json({"method": h.command, "path": path, "query": {k: v[0] for k, v in query.items()}, "body": decoded})


def _gzip(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    payload = {"compressed": True, "items": list(range(20)), "note": query.get("note", [""])[0]}
    h._send(200, gzip.compress(json.dumps(payload).encode()), {"Content-Encoding": "gzip"})


def _customers(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    h._json({"data": CUSTOMERS, "total": len(CUSTOMERS)})


def _customer(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    wanted = path.rsplit("/", 1)[-1]
    for customer in CUSTOMERS:
        if customer["id"] == wanted:
            h._json(customer)
            return
    h._json({"error": "not found"}, 404)


def _reply(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    h._json({"status": "sent", "ticket": path.split("/")[3]}, 201)


def _status(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    code = int(path.rsplit("/", 1)[-1])
    headers = {"Retry-After": "7"} if code in (429, 503) else {}
    h._json({"error": {"message": f"status {code}", "type": "test"}}, code, headers)


def _sse_events(count: int) -> Iterator[bytes]:
    for index in range(count):
        yield f"id: {index}\nevent: tick\ndata: {json.dumps({'n': index})}\n\n".encode()


def _sse(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    h._stream(_sse_events(int(query.get("n", ["5"])[0])))


def _sse_forever(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    def events() -> Iterator[bytes]:
        index = 0
        while not h.server.stopping.is_set():
            yield f"data: {json.dumps({'n': index})}\n\n".encode()
            index += 1
            time.sleep(0.02)

    h._stream(events())


def _sse_hang(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    def events() -> Iterator[bytes]:
        yield from _sse_events(2)
        h.server.stopping.wait(30)

    h._stream(events())


def _leak(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    secret = h.server.secret
    payload = {"account": {"profile": {"note": f"key is {secret}", "password": "hunter2-hunter2"}}}
    raw = json.dumps(payload).encode()
    headers = {"Set-Cookie": f"session={secret}; HttpOnly", "X-Api-Key": secret, "X-Plain": "visible"}
    if query.get("gzip"):
        headers["Content-Encoding"] = "gzip"
        raw = gzip.compress(raw)
    h._send(200, raw, headers)


# -- OpenAI-compatible chat completions ---------------------------------------------------------
def _chat_plan(request: dict[str, Any]) -> dict[str, Any]:
    """What the fake model answers: a tool call while tools are unused, then text."""
    messages = request.get("messages", [])
    tools = request.get("tools") or []
    used_tool = any(m.get("role") == "tool" for m in messages)
    last = messages[-1] if messages else {}
    if tools and not used_tool:
        name = tools[0]["function"]["name"]
        arguments = json.dumps({"query": str(last.get("content", ""))[:40]})
        return {"tool": (name, arguments)}
    return {"text": f"Answer to: {str(last.get('content', ''))[:60]}"}


def _chat(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    request = json.loads(body)
    plan = _chat_plan(request)
    model = request.get("model", "gpt-test")
    base = {"id": "chatcmpl-test", "created": 1700000000, "model": model}
    if not request.get("stream"):
        if "tool" in plan:
            name, arguments = plan["tool"]
            message: dict[str, Any] = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
                ],
            }
            finish = "tool_calls"
        else:
            message, finish = {"role": "assistant", "content": plan["text"]}, "stop"
        h._json(
            {
                **base,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            }
        )
        return

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        data = {
            **base,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        return f"data: {json.dumps(data)}\n\n".encode()

    def events() -> Iterator[bytes]:
        yield chunk({"role": "assistant", "content": ""})
        if "tool" in plan:
            name, arguments = plan["tool"]
            call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": ""}}
            yield chunk({"tool_calls": [call]})
            for start in range(0, len(arguments), 8):
                piece = {"index": 0, "function": {"arguments": arguments[start : start + 8]}}
                yield chunk({"tool_calls": [piece]})
            yield chunk({}, "tool_calls")
        else:
            for word in plan["text"].split(" "):
                yield chunk({"content": word + " "})
            yield chunk({}, "stop")
        yield b"data: [DONE]\n\n"

    h._stream(events())


# -- Anthropic-compatible messages --------------------------------------------------------------
def _messages(h: Handler, path: str, query: dict[str, list[str]], body: bytes) -> None:
    request = json.loads(body)
    last = request.get("messages", [{}])[-1]
    content = last.get("content", "")
    text = f"Claude says: {content if isinstance(content, str) else 'blocks'}"
    model = request.get("model", "claude-test")
    usage = {"input_tokens": 12, "output_tokens": 6}
    if not request.get("stream"):
        h._json(
            {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": usage,
            }
        )
        return

    def event(name: str, data: dict[str, Any]) -> bytes:
        return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

    def events() -> Iterator[bytes]:
        message = {
            "id": "msg_test", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 12, "output_tokens": 1},
        }  # fmt: skip
        yield event("message_start", {"type": "message_start", "message": message})
        yield event(
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
        for word in text.split(" "):
            delta = {"type": "text_delta", "text": word + " "}
            yield event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        yield event("content_block_stop", {"type": "content_block_stop", "index": 0})
        yield event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 6},
            },
        )
        yield event("message_stop", {"type": "message_stop"})

    h._stream(events())


ROUTES = {
    ("GET", "/json"): _json_route,
    ("POST", "/echo"): _echo,
    ("PUT", "/echo"): _echo,
    ("GET", "/gzip"): _gzip,
    ("GET", "/crm/customers"): _customers,
    ("GET", "/sse"): _sse,
    ("GET", "/sse/forever"): _sse_forever,
    ("GET", "/sse/hang"): _sse_hang,
    ("GET", "/leak"): _leak,
    ("POST", "/leak"): _leak,
    ("POST", "/v1/chat/completions"): _chat,
    ("POST", "/v1/messages"): _messages,
}
PREFIX_ROUTES = {
    ("GET", "/crm/customers/"): _customer,
    ("POST", "/crm/tickets/"): _reply,
    ("GET", "/status/"): _status,
    ("POST", "/status/"): _status,
}
