"""Interception of urllib3 (and so ``requests``) at ``HTTPConnectionPool._make_request``.

That is the one place where a request is complete and the response not yet read, below retries and
redirects, so each attempt is recorded as the server saw it. Outside a case the original runs.
"""

from __future__ import annotations

import contextlib
import functools
import io
import time
from collections.abc import Callable
from http.client import HTTPMessage, parse_headers
from typing import Any

from . import active
from .recording import Pending
from .wire import Answer, WireRequest, first_header

_UNSET: Any = object()


def patch() -> None:
    """Wrap ``urllib3.connectionpool.HTTPConnectionPool._make_request``, once."""
    from urllib3 import connectionpool

    pool_cls = connectionpool.HTTPConnectionPool
    if getattr(pool_cls._make_request, "__agentreal__", False):
        return
    pool_cls._make_request = _stub(pool_cls._make_request)  # type: ignore[method-assign]


class _Chunks:
    """A response body read chunk by chunk (one server-sent event per read at most)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = [c for c in chunks if c]
        self._current = b""

    def _fill(self) -> None:
        if not self._current and self._chunks:
            self._current = self._chunks.pop(0)

    def read(self, amt: int | None = None) -> bytes:
        if amt is None or amt < 0:
            data = self._current + b"".join(self._chunks)
            self._current, self._chunks = b"", []
            return data
        self._fill()
        data, self._current = self._current[:amt], self._current[amt:]
        return data

    def read1(self, amt: int = -1) -> bytes:
        return self.read(amt if amt and amt > 0 else None) if amt != -1 else self._read_one()

    def _read_one(self) -> bytes:
        self._fill()
        data, self._current = self._current, b""
        return data

    def isclosed(self) -> bool:
        return not self._current and not self._chunks

    @property
    def closed(self) -> bool:
        return self.isclosed()

    def close(self) -> None:
        self._current, self._chunks = b"", []

    def readable(self) -> bool:
        return True

    def flush(self) -> None:
        pass


class _Original:
    """What ``requests`` reads cookies from: ``msg`` with the response headers."""

    def __init__(self, headers: list[tuple[str, str]], body: _Chunks) -> None:
        raw = "".join(f"{k}: {v}\r\n" for k, v in headers).encode("latin-1", "replace") + b"\r\n"
        self.msg: HTTPMessage = parse_headers(io.BytesIO(raw))
        self._body = body

    def isclosed(self) -> bool:
        return self._body.isclosed()

    def close(self) -> None:
        self._body.close()


def _url(pool: Any, url: str) -> str:
    if "://" in url:
        return url
    default = {"http": 80, "https": 443}.get(pool.scheme)
    host = f"[{pool.host}]" if ":" in pool.host else pool.host
    port = "" if pool.port in (None, default) else f":{pool.port}"
    return f"{pool.scheme}://{host}{port}{url}"


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body)


def _response(pool: Any, answer: Answer, method: str, url: str, retries: Any, preload: bool, decode: bool) -> Any:
    from urllib3._collections import HTTPHeaderDict
    from urllib3.response import HTTPResponse

    body = _Chunks(answer.chunks)
    return HTTPResponse(
        body=body,  # type: ignore[arg-type]
        headers=HTTPHeaderDict(answer.headers),
        status=answer.status,
        version=11,
        version_string="HTTP/1.1",
        reason=answer.reason,
        preload_content=preload,
        decode_content=decode,
        original_response=_Original(answer.headers, body),  # type: ignore[arg-type]
        pool=pool,
        connection=None,
        retries=retries,
        enforce_content_length=False,
        request_method=method,
        request_url=url,
    )


def _stub(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def _make_request(self: Any, conn: Any, method: str, url: str, body: Any = None, headers: Any = None,
                      retries: Any = None, timeout: Any = _UNSET, chunked: bool = False,
                      response_conn: Any = None, preload_content: bool = True, decode_content: bool = True,
                      enforce_content_length: bool = True) -> Any:  # fmt: skip
        from urllib3.util.timeout import _DEFAULT_TIMEOUT

        if timeout is _UNSET:
            timeout = _DEFAULT_TIMEOUT
        recording = active.current()
        if recording is None:
            return original(
                self, conn, method, url, body=body, headers=headers, retries=retries, timeout=timeout,
                chunked=chunked, response_conn=response_conn, preload_content=preload_content,
                decode_content=decode_content, enforce_content_length=enforce_content_length,
            )  # fmt: skip
        from urllib3.exceptions import ReadTimeoutError

        data = _body_bytes(body)
        full_url = _url(self, url)
        decision = recording.begin(WireRequest(method, full_url, list((headers or {}).items()), data))
        if not isinstance(decision, Pending):
            if response_conn is not None:
                self._put_conn(response_conn)  # nothing was sent on it: back to the pool
            if decision.timeout:
                raise ReadTimeoutError(self, url, "Read timed out. (replayed by pytest-agentreal)")
            return _response(self, decision, method, full_url, retries, preload_content, decode_content)
        try:
            real = original(
                self, conn, method, url, body=data, headers=headers, retries=retries, timeout=timeout,
                chunked=chunked, response_conn=response_conn, preload_content=False, decode_content=False,
                enforce_content_length=enforce_content_length,
            )  # fmt: skip
            raw, truncated = _read(real, conn, decision)
        except BaseException as error:
            decision.failed(error)
            raise
        real_headers = list(real.headers.items())
        answer = decision.done(real.status, real.reason or "", real_headers, raw, truncated)
        return _response(self, answer, method, full_url, retries, preload_content, decode_content)

    _make_request.__agentreal__ = True  # type: ignore[attr-defined]
    return _make_request


def _read(real: Any, conn: Any, pending: Pending) -> tuple[bytes, bool]:
    if first_header(list(real.headers.items()), "content-length"):
        data = real.read(decode_content=False)
        real.release_conn()
        return data, False
    # No length: possibly a stream that never ends. Bound it by keeping each socket read within
    # what is left of the time budget.
    end = time.monotonic() + pending.stream_seconds
    sock = getattr(conn, "sock", None)
    original_timeout = sock.gettimeout() if sock is not None else None
    parts: list[bytes] = []
    truncated = False
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                truncated = True
                break
            if sock is not None:
                sock.settimeout(left if original_timeout is None else min(left, original_timeout))
            try:
                chunk = real.read1(65536, decode_content=False)
            except Exception as error:  # urllib3 wraps the socket timeout in its own ReadTimeoutError
                if "timed out" in str(error).lower() and time.monotonic() >= end - 0.05:
                    truncated = True
                    break
                raise
            if not chunk:
                break
            parts.append(chunk)
    finally:
        if truncated:
            with contextlib.suppress(Exception):
                real.close()
            with contextlib.suppress(Exception):
                conn.close()
        elif sock is not None:
            with contextlib.suppress(OSError):
                sock.settimeout(original_timeout)
        with contextlib.suppress(Exception):
            real.release_conn()
    return b"".join(parts), truncated
