"""Client-neutral requests and answers: what every client stub hands to a case recording and back."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from .sse import is_event_stream, split_events

HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"})
"""Headers that describe the bytes on the wire, not the decoded body a cassette keeps."""

RETRYABLE = frozenset({408, 409, 429})


@dataclass
class WireRequest:
    """One HTTP request as a client was about to send it."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        """The first value of a header, or ``""``."""
        return first_header(self.headers, name)


@dataclass
class Answer:
    """What a stub gives its client: a response (event chunks for streams) or a timeout."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    chunks: list[bytes] = field(default_factory=list)
    timeout: bool = False

    @classmethod
    def build(cls, status: int, reason: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        """An answer whose body is delivered event by event for event streams, else in one chunk."""
        streamed = is_event_stream(first_header(headers, "content-type")) and not first_header(
            headers, "content-encoding"
        )
        chunks = split_events(body) if streamed else ([body] if body else [])
        return cls(status, reason, headers, body, chunks)


def first_header(headers: list[tuple[str, str]], name: str) -> str:
    """The first value of ``name`` in a header list (case-insensitive), or ``""``."""
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return ""


def decode_body(body: bytes, headers: list[tuple[str, str]]) -> tuple[bytes, bool]:
    """The body with its content-encoding undone, and whether that worked (unknown codings stay)."""
    codings = [c.strip().lower() for c in first_header(headers, "content-encoding").split(",") if c.strip()]
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                body = zlib.decompress(body, 16 + zlib.MAX_WBITS)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:
                    body = zlib.decompress(body, -zlib.MAX_WBITS)
            elif coding == "br":
                import brotli  # type: ignore[import-not-found]

                body = brotli.decompress(body)
            elif coding != "identity":
                return body, False
    except (zlib.error, ImportError, OSError, ValueError):
        return body, False
    return body, True
