"""Matching requests against a cassette: normalised keys, an index, and the closest-request diagnosis.

A request matches on method, URL (query parameters sorted) and body (JSON with keys sorted and the
manifest's ``match_ignore`` paths dropped). Keys index the recorded interactions, so finding a
response costs the same for a 1-interaction and a 1000-interaction cassette; recorded interactions
with the same key replay in their recorded order, each once, as in vcrpy.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..pointers import drop_paths, join

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class RequestKey:
    """What a request is matched on, normalised: ``POST``, the URL, the body."""

    method: str
    url: str
    body: str

    @property
    def line(self) -> str:
        """``POST http://...`` — the evidence line for findings."""
        return f"{self.method} {self.url}"


@functools.lru_cache(maxsize=8192)  # pure; every case of a sample requests the same URLs
def normalise_url(url: str) -> str:
    """Scheme and host lowercased, the default port dropped, query parameters sorted."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username is not None:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def normalise_body(body: str | None, content_type: str = "", ignore: Sequence[str] = ()) -> str:
    """JSON bodies with sorted keys and ignored paths dropped; form bodies sorted; text as is."""
    if not body:
        return ""
    ctype = content_type.lower()
    if "json" in ctype or body.lstrip()[:1] in ("{", "["):
        try:
            value = json.loads(body)
        except ValueError:
            pass
        else:
            if ignore:
                value = drop_paths(value, list(ignore))
            return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if "x-www-form-urlencoded" in ctype:
        return urlencode(sorted(parse_qsl(body, keep_blank_values=True)))
    return body


def json_key(value: Any, ignore: Sequence[str] = ()) -> str:
    """The normalised body of a JSON value (tool-call arguments)."""
    if ignore:
        value = drop_paths(value, list(ignore))
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Matcher:
    """Recorded request keys indexed for replay; each recorded interaction plays once, in order."""

    def __init__(self, keys: Sequence[RequestKey]) -> None:
        self.keys = list(keys)
        self._queues: dict[RequestKey, deque[int]] = {}
        for index, key in enumerate(self.keys):
            self._queues.setdefault(key, deque()).append(index)
        self._played: dict[RequestKey, int] = {}

    def take(self, key: RequestKey) -> int | None:
        """The index of the next unplayed recorded interaction with this key, or ``None``."""
        queue = self._queues.get(key)
        if not queue:
            return None
        self._played[key] = self._played.get(key, 0) + 1
        return queue.popleft()

    def diagnose(self, key: RequestKey) -> tuple[int | None, str]:
        """The closest recorded request's index and what differs (only called on a miss)."""
        played = self._played.get(key, 0)
        if played:
            return self.keys.index(key), f"recorded {played} time(s), all already replayed; this is one more"
        if not self.keys:
            return None, "the cassette has no recorded request"
        best = max(range(len(self.keys)), key=lambda i: _similarity(self.keys[i], key))
        return best, describe_difference(self.keys[best], key)


def _similarity(recorded: RequestKey, got: RequestKey) -> tuple[int, int, float]:
    body_ratio = difflib.SequenceMatcher(None, recorded.body, got.body, autojunk=False)
    return (
        int(recorded.method == got.method),
        int(urlsplit(recorded.url).path == urlsplit(got.url).path),
        # quick_ratio bounds the real ratio and is linear: enough to rank candidates.
        body_ratio.quick_ratio() + 0.01 * int(recorded.url == got.url),
    )


def describe_difference(recorded: RequestKey, got: RequestKey, limit: int = 3) -> str:
    """Which part differs — method, URL or the body's JSON paths — with both values, shortened."""
    parts = []
    if recorded.method != got.method:
        parts.append(f"method: recorded {recorded.method}, got {got.method}")
    if recorded.url != got.url:
        parts.append(f"URL: recorded {_clip(recorded.url)}, got {_clip(got.url)}")
    if recorded.body != got.body:
        parts.append(_body_difference(recorded.body, got.body, limit))
    return "; ".join(parts) or "identical"


def _body_difference(recorded: str, got: str, limit: int) -> str:
    try:
        old, new = json.loads(recorded or "null"), json.loads(got or "null")
    except ValueError:
        return f"body: {_text_difference(recorded, got)}"
    diffs = json_differences(old, new, limit=limit)
    rendered = [f"body {pointer or '/'}: {detail}" for pointer, detail in diffs]
    return "; ".join(rendered)


def json_differences(old: Any, new: Any, limit: int = 3) -> list[tuple[str, str]]:
    """Up to ``limit`` ``(JSON pointer, what differs)`` pairs between two JSON values."""
    found: list[tuple[str, str]] = []

    def walk(a: Any, b: Any, path: tuple[str, ...]) -> None:
        if len(found) >= limit or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                if key not in b:
                    found.append((join([*path, str(key)]), "recorded has it, the request does not"))
                elif key not in a:
                    found.append((join([*path, str(key)]), f"not recorded, request has {_clip(_show(b[key]))}"))
                else:
                    walk(a[key], b[key], (*path, str(key)))
                if len(found) >= limit:
                    return
            return
        if isinstance(a, list) and isinstance(b, list):
            for index in range(max(len(a), len(b))):
                if index >= len(a):
                    found.append((join([*path, str(index)]), f"not recorded, request has {_clip(_show(b[index]))}"))
                elif index >= len(b):
                    found.append((join([*path, str(index)]), "recorded has it, the request does not"))
                else:
                    walk(a[index], b[index], (*path, str(index)))
                if len(found) >= limit:
                    return
            return
        if isinstance(a, str) and isinstance(b, str):
            found.append((join(list(path)), _text_difference(a, b)))
        else:
            found.append((join(list(path)), f"recorded {_clip(_show(a))}, got {_clip(_show(b))}"))

    walk(old, new, ())
    return found


def _text_difference(old: str, new: str, context: int = 24) -> str:
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    begin = max(0, start - context)
    prefix = "…" if begin else ""
    return (
        f"recorded {prefix}{_clip(old[begin:], 2 * context + 10)!r}, "
        f"got {prefix}{_clip(new[begin:], 2 * context + 10)!r} (first difference at character {start})"
    )


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
