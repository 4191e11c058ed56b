"""Keep secrets out of cassettes: headers by allowlist, secret JSON keys, query parameters and values.

Everything recorded passes through one :class:`Redactor` before it is kept in memory, so findings,
reports and cassette files only ever see redacted traffic. Incoming requests pass through the same
redactor before matching, which is why every step is idempotent: redacting twice changes nothing.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

PLACEHOLDER = "REDACTED"
"""What a secret JSON key's or query parameter's value becomes."""

SECRET_KEYS = frozenset(
    {
        "authorization",
        "api_key",
        "apikey",
        "x-api-key",
        "access_token",
        "refresh_token",
        "client_secret",
        "password",
        "secret",
        "token",
    }
)
"""JSON keys and query parameters that name secrets, compared case-insensitively and exactly
(``max_tokens`` and ``input_tokens`` are not secrets)."""

# Headers that change on every recording (date, request ids, timings) are not kept either: a
# re-recording of the same traffic must give the same file, so cassette diffs in review show
# only what really changed.
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "accept",
        "user-agent",
        "location",
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
        "etag",
        "last-modified",
        "cache-control",
        "link",
        "vary",
        "allow",
        "content-language",
        "content-disposition",
        "openai-version",
        "anthropic-version",
        "mcp-protocol-version",
        "x-agentreal-fault",
    }
)
KEPT_HEADER_PREFIXES = ("x-ratelimit-", "anthropic-ratelimit-")
_NEVER_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "cookie2"})
_NEVER_HEADER_PARTS = (
    "api-key", "api_key", "apikey", "token", "secret", "password", "organization", "auth",
    "session", "credential", "signature", "cookie",
)  # fmt: skip


def header_is_secret(name: str) -> bool:
    """Whether a header may carry a credential and so is never kept, even when allowlisted."""
    lowered = name.lower()
    return lowered in _NEVER_HEADERS or any(part in lowered for part in _NEVER_HEADER_PARTS)


class Redactor:
    """Redacts one corpus's secrets: ``secrets`` maps env var names to their (>= 8 char) values."""

    def __init__(self, secrets: Mapping[str, str] | None = None, allow_headers: Iterable[str] = ()) -> None:
        self.names = tuple(sorted((secrets or {}).keys()))
        self._allow = frozenset(h.lower() for h in allow_headers)
        plain: list[tuple[str, str]] = []
        fragments: list[tuple[str, str]] = []
        for name, value in (secrets or {}).items():
            for needle in _plain_forms(value):
                plain.append((needle, name))
            for needle in _base64_fragments(value.encode("utf-8")):
                fragments.append((needle, name))
        self._owner = {needle: name for needle, name in plain + fragments}
        self._plain_re = _alternation(n for n, _ in plain)
        # A base64 fragment sits inside a longer blob: take the neighbouring characters of its
        # partial groups too, or they would leak a byte or two of the secret.
        frag_re = _alternation(n for n, _ in fragments)
        self._frag_re = (
            re.compile(r"[A-Za-z0-9+/_-]{0,3}(" + frag_re.pattern + r")[A-Za-z0-9+/_-]{0,3}={0,2}") if frag_re else None
        )

    # -- text -------------------------------------------------------------------------------
    def text(self, text: str) -> tuple[str, int]:
        """``text`` with every form of every secret value replaced by ``REDACTED-<NAME>``."""
        count = 0

        def plain(match: re.Match[str]) -> str:
            nonlocal count
            count += 1
            return f"{PLACEHOLDER}-{self._owner[match.group(0)]}"

        def fragment(match: re.Match[str]) -> str:
            nonlocal count
            count += 1
            return f"{PLACEHOLDER}-{self._owner[match.group(1)]}"

        if self._plain_re is not None:
            text = self._plain_re.sub(plain, text)
        if self._frag_re is not None:
            text = self._frag_re.sub(fragment, text)
        return text, count

    def find(self, text: str) -> list[str]:
        """Names of the secrets any form of which occurs in ``text`` (never the values)."""
        found: set[str] = set()
        if self._plain_re is not None:
            found.update(self._owner[m.group(0)] for m in self._plain_re.finditer(text))
        if self._frag_re is not None:
            found.update(self._owner[m.group(1)] for m in self._frag_re.finditer(text))
        return sorted(found)

    # -- structures -------------------------------------------------------------------------
    def json(self, value: Any) -> tuple[Any, int]:
        """A copy of a JSON value with secret keys' values and secret strings redacted."""
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            total = 0
            for key, child in value.items():
                if isinstance(key, str) and key.lower() in SECRET_KEYS and _has_secret(child):
                    out[key] = PLACEHOLDER
                    total += 1
                    continue
                out[key], count = self.json(child)
                total += count
            return out, total
        if isinstance(value, list):
            items = [self.json(item) for item in value]
            return [item for item, _ in items], sum(count for _, count in items)
        if isinstance(value, str):
            return self._string(value)
        return value, 0

    def _string(self, value: str) -> tuple[str, int]:
        # Tool-call arguments travel as JSON inside a JSON string: look inside them too.
        stripped = value.lstrip()
        if stripped[:1] in ("{", "[") and len(stripped) > 1:
            try:
                inner = json.loads(value)
            except ValueError:
                pass
            else:
                redacted, count = self.json(inner)
                if count:
                    return json.dumps(redacted, ensure_ascii=False), count
        return self.text(value)

    def headers(self, headers: Mapping[str, list[str]]) -> tuple[dict[str, list[str]], int]:
        """Only allowlisted, non-credential headers, their values redacted; count of dropped/changed."""
        kept: dict[str, list[str]] = {}
        count = 0
        for name, values in headers.items():
            lowered = name.lower()
            allowed = lowered in KEPT_HEADERS or lowered in self._allow or lowered.startswith(KEPT_HEADER_PREFIXES)
            if not allowed or header_is_secret(lowered):
                count += 1
                continue
            new_values = []
            for value in values:
                new, n = self.text(value)
                count += n
                new_values.append(new)
            kept[name] = new_values
        return kept, count

    def url(self, url: str) -> tuple[str, int]:
        """The URL with secret query parameters, a password in it, and secret values redacted."""
        count = 0
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, host = netloc.rpartition("@")
            user, sep, password = userinfo.partition(":")
            if sep and password != PLACEHOLDER:
                netloc = f"{user}:{PLACEHOLDER}@{host}"
                count += 1
        query, n = self.form(parts.query)
        count += n
        if count:
            url = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        url, n = self.text(url)
        return url, count + n

    def form(self, query: str) -> tuple[str, int]:
        """A query string or form body with secret parameters' values redacted, other bytes kept."""
        if not query:
            return query, 0
        count = 0
        pieces = []
        for piece in query.split("&"):
            name, sep, value = piece.partition("=")
            if sep and unquote_plus(name).lower() in SECRET_KEYS and value and value != PLACEHOLDER:
                piece = f"{name}={PLACEHOLDER}"
                count += 1
            pieces.append(piece)
        return "&".join(pieces), count

    def body(self, text: str, content_type: str = "") -> tuple[str, int]:
        """A decoded body (JSON, server-sent events, NDJSON, form, or text) with secrets redacted."""
        ctype = content_type.lower()
        count = 0
        if "event-stream" in ctype:
            text, count = self._lines(text, sse=True)
        elif "ndjson" in ctype or "jsonl" in ctype:
            text, count = self._lines(text, sse=False)
        elif "json" in ctype or text.lstrip()[:1] in ("{", "["):
            try:
                value = json.loads(text)
            except ValueError:
                pass
            else:
                value, count = self.json(value)
                if count:
                    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif "x-www-form-urlencoded" in ctype:
            text, count = self.form(text)
        text, n = self.text(text)
        return text, count + n

    def _lines(self, text: str, *, sse: bool) -> tuple[str, int]:
        count = 0
        lines = text.splitlines(keepends=True)
        for index, line in enumerate(lines):
            body = line.rstrip("\r\n")
            ending = line[len(body) :]
            prefix = ""
            if sse:
                if not body.startswith("data:"):
                    continue
                prefix, body = "data:", body[5:]
                if body.startswith(" "):
                    prefix, body = "data: ", body[1:]
            try:
                value = json.loads(body)
            except ValueError:
                continue
            value, n = self.json(value)
            if n:
                count += n
                lines[index] = prefix + json.dumps(value, ensure_ascii=False, separators=(",", ":")) + ending
        return "".join(lines), count


def _has_secret(value: Any) -> bool:
    return value not in (None, "", PLACEHOLDER) and not (isinstance(value, (dict, list)) and not value)


def _alternation(needles: Iterable[str]) -> re.Pattern[str] | None:
    # Longest first, so a full encoding wins over a fragment of it at the same position.
    unique = sorted({n for n in needles if n}, key=lambda n: (-len(n), n))
    return re.compile("|".join(re.escape(n) for n in unique)) if unique else None


def _plain_forms(value: str) -> list[str]:
    raw = value.encode("utf-8")
    forms = {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
    }
    for encoder in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encoder(raw).decode("ascii")
        forms.update({encoded, encoded.rstrip("=")})
    return sorted(forms)


def _base64_fragments(raw: bytes) -> list[str]:
    """The base64 characters that depend only on ``raw``, for each alignment inside a longer blob."""
    fragments = []
    for offset in range(3):
        padded = b"\0" * offset + raw
        full_groups = len(padded) // 3
        first_group = (offset + 2) // 3
        for encoder in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encoder(padded).decode("ascii")
            fragment = encoded[first_group * 4 : full_groups * 4]
            if len(fragment) >= 8:
                fragments.append(fragment)
    return fragments
