"""vcrpy's own stubs for the clients we do not stub ourselves (``http.client``/``urllib``, aiohttp,
tornado, boto3, httplib2), talking to the active case recording through a proxy cassette.

httpx, httpx2 and urllib3 have dedicated stubs (event-by-event streams, bounded recording, each
client's own timeout), so vcrpy's patchers for them are skipped. vcrpy's patchers replace classes,
so they are switched on only while a case runs: outside a case those clients are left untouched.
"""

from __future__ import annotations

import threading
from typing import Any

from . import active
from .recording import Pending
from .wire import Answer, WireRequest

_DECISION = "_agentreal_decision"


class ProxyCassette:
    """What vcrpy's stubs call a cassette: every question goes to the active case recording."""

    _path = "pytest-agentreal"
    custom_patches: tuple[Any, ...] = ()
    skip_patchers = ("requests", "urllib3", "httpx", "httpx2")
    write_protected = False  # a refused request has already raised in can_play_response_for

    def _decide(self, request: Any) -> Answer | Pending | None:
        if _DECISION in request.__dict__:  # vcrpy may ask twice (connect, then getresponse)
            decision: Answer | Pending | None = request.__dict__[_DECISION]
            return decision
        recording = active.current()
        if recording is None:
            decision = None
        else:
            body = request.body
            if hasattr(body, "read"):
                body = request.body_bytes
            data = body if isinstance(body, bytes) else (body or "").encode("utf-8")
            headers = [(str(k), _header_value(v)) for k, v in request.headers.items()]
            decision = recording.begin(WireRequest(request.method, request.uri, headers, data))
        request.__dict__[_DECISION] = decision
        return decision

    def can_play_response_for(self, request: Any) -> bool:
        return isinstance(self._decide(request), Answer)

    def play_response(self, request: Any) -> dict[str, Any]:
        answer = self._decide(request)
        assert isinstance(answer, Answer)
        if answer.timeout:
            raise TimeoutError("timed out (replayed by pytest-agentreal)")
        headers: dict[str, list[str]] = {}
        for name, value in answer.headers:
            headers.setdefault(name, []).append(value)
        return {
            "status": {"code": answer.status, "message": answer.reason},
            "headers": headers,
            "body": {"string": answer.body},
        }

    def filter_request(self, request: Any) -> Any:
        return request

    def find_requests_with_most_matches(self, request: Any) -> list[Any]:
        return []

    def append(self, request: Any, response: dict[str, Any]) -> None:
        pending = self._decide(request)
        if not isinstance(pending, Pending):
            return
        headers = [(name, str(v)) for name, values in response["headers"].items() for v in values]
        body = response["body"]["string"] or b""
        answer = pending.done(int(response["status"]["code"]), str(response["status"].get("message") or ""), headers,
                              body if isinstance(body, bytes) else body.encode("utf-8"))  # fmt: skip
        # vcrpy hands this same dict to the client next: let an injected fault reach it too.
        response["headers"] = {}
        for name, value in answer.headers:
            response["headers"].setdefault(name, []).append(value)
        response["body"]["string"] = answer.body


def _header_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_header_value(v) for v in value)
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


_lock = threading.Lock()
_patchers: list[Any] | None = None


def _build() -> list[Any]:
    global _patchers
    with _lock:
        if _patchers is None:
            from vcr.patch import CassettePatcherBuilder

            _patchers = [p for p in CassettePatcherBuilder(ProxyCassette()).build() if p is not None]
        return _patchers


def start() -> None:
    """Switch vcrpy's patchers on for the case that starts now."""
    for patcher in _build():
        patcher.start()


def stop() -> None:
    """Switch them off again (in reverse order, as mock.patch expects)."""
    for patcher in reversed(_build()):
        patcher.stop()
