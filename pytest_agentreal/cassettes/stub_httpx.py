"""Interception of httpx and httpx2 (the openai and anthropic SDKs use httpx2) at the transport.

Only the network transports are patched; in-process ASGI/WSGI/mock transports reach no network.
Outside a case every call goes straight to the original method.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType
from typing import Any

from . import active
from .recording import Pending
from .wire import Answer, WireRequest, first_header

_READ_CHUNK_TIMEOUT_SLACK = 0.05


def patch(module: ModuleType) -> None:
    """Wrap ``module.HTTPTransport.handle_request`` and its async twin, once."""
    sync_cls, async_cls = module.HTTPTransport, module.AsyncHTTPTransport
    if getattr(sync_cls.handle_request, "__agentreal__", False):
        return
    sync_cls.handle_request = _sync_stub(module, sync_cls.handle_request)
    async_cls.handle_async_request = _async_stub(module, async_cls.handle_async_request)


def _stream_class(module: ModuleType) -> type:
    cached = getattr(module, "__agentreal_stream__", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]

    class ChunkStream(module.SyncByteStream, module.AsyncByteStream):  # type: ignore[misc,name-defined]
        """Replays a body chunk by chunk (one server-sent event per chunk), sync or async."""

        def __init__(self, chunks: list[bytes]) -> None:
            self._chunks = chunks

        def __iter__(self) -> Iterator[bytes]:
            yield from self._chunks

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in self._chunks:
                yield chunk

    module.__agentreal_stream__ = ChunkStream  # type: ignore[attr-defined]
    return ChunkStream


def _wire(request: Any, body: bytes) -> WireRequest:
    return WireRequest(request.method, str(request.url), list(request.headers.multi_items()), body)


def _answer(module: ModuleType, request: Any, answer: Answer) -> Any:
    if answer.timeout:
        raise module.ReadTimeout("timed out (replayed by pytest-agentreal)", request=request)
    extensions = {"http_version": b"HTTP/1.1"}
    if answer.reason:
        extensions["reason_phrase"] = answer.reason.encode("ascii", "replace")
    return module.Response(
        answer.status,
        headers=answer.headers,
        stream=_stream_class(module)(answer.chunks),
        extensions=extensions,
        request=request,
    )


def _bounded(response: Any) -> bool:
    # Streams without a length may never end (server-sent events, long polls): bound their recording.
    return not first_header(list(response.headers.multi_items()), "content-length")


class _Deadline:
    """Keeps each read's timeout within what is left of the recording's time budget."""

    def __init__(self, request: Any, seconds: float) -> None:
        self.request = request
        self.end = time.monotonic() + seconds
        self.original = dict(request.extensions.get("timeout") or {})

    def before_read(self) -> bool:
        left = self.end - time.monotonic()
        if left <= 0:
            return False
        read = self.original.get("read")
        limit = left if read is None else min(read, left)
        # httpcore reads the timeout from the request's extensions at every receive.
        self.request.extensions["timeout"] = {**self.original, "read": max(limit, 0.001)}
        return True

    def expired(self) -> bool:
        return time.monotonic() >= self.end - _READ_CHUNK_TIMEOUT_SLACK

    def restore(self) -> None:
        self.request.extensions["timeout"] = self.original


def _sync_stub(module: ModuleType, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def handle_request(self: Any, request: Any) -> Any:
        recording = active.current()
        if recording is None:
            return original(self, request)
        body = b"".join(request.stream)
        request.stream = module.ByteStream(body)
        decision = recording.begin(_wire(request, body))
        if not isinstance(decision, Pending):
            return _answer(module, request, decision)
        try:
            response = original(self, request)
            raw, truncated = _read_sync(module, request, response, decision)
        except BaseException as error:
            decision.failed(error)
            raise
        headers = list(response.headers.multi_items())
        answer = decision.done(response.status_code, response.reason_phrase, headers, raw, truncated)
        return _answer(module, request, answer)

    handle_request.__agentreal__ = True  # type: ignore[attr-defined]
    return handle_request


def _read_sync(module: ModuleType, request: Any, response: Any, pending: Pending) -> tuple[bytes, bool]:
    if not _bounded(response):
        try:
            return b"".join(response.stream), False
        finally:
            response.close()
    deadline = _Deadline(request, pending.stream_seconds)
    parts: list[bytes] = []
    truncated = False
    iterator = iter(response.stream)
    try:
        while True:
            if not deadline.before_read():
                truncated = True
                break
            try:
                parts.append(next(iterator))
            except StopIteration:
                break
            except module.ReadTimeout:
                if not deadline.expired():
                    raise
                truncated = True
                break
    finally:
        deadline.restore()
        with contextlib.suppress(Exception):
            response.close()
    return b"".join(parts), truncated


def _async_stub(module: ModuleType, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def handle_async_request(self: Any, request: Any) -> Any:
        recording = active.current()
        if recording is None:
            return await original(self, request)
        body = b"".join([part async for part in request.stream])
        request.stream = module.ByteStream(body)
        decision = recording.begin(_wire(request, body))
        if not isinstance(decision, Pending):
            return _answer(module, request, decision)
        try:
            response = await original(self, request)
            raw, truncated = await _read_async(module, request, response, decision)
        except BaseException as error:
            decision.failed(error)
            raise
        headers = list(response.headers.multi_items())
        answer = decision.done(response.status_code, response.reason_phrase, headers, raw, truncated)
        return _answer(module, request, answer)

    handle_async_request.__agentreal__ = True  # type: ignore[attr-defined]
    return handle_async_request


async def _read_async(module: ModuleType, request: Any, response: Any, pending: Pending) -> tuple[bytes, bool]:
    if not _bounded(response):
        try:
            return b"".join([part async for part in response.stream]), False
        finally:
            await response.aclose()
    deadline = _Deadline(request, pending.stream_seconds)
    parts: list[bytes] = []
    truncated = False
    iterator = response.stream.__aiter__()
    try:
        while True:
            if not deadline.before_read():
                truncated = True
                break
            try:
                parts.append(await iterator.__anext__())
            except StopAsyncIteration:
                break
            except module.ReadTimeout:
                if not deadline.expired():
                    raise
                truncated = True
                break
    finally:
        deadline.restore()
        with contextlib.suppress(Exception):
            await response.aclose()
    return b"".join(parts), truncated
