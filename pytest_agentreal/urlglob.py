"""URL globs for policy connector rules: ``https://crm.example.com/tickets/*/replies``.

- ``*`` matches any text within one path segment (or one host label); it never crosses ``/``.
- ``**`` as a whole segment matches zero or more segments (``https://crm.example.com/**``).
- ``{name}`` as a whole segment matches one segment and captures it as the arg ``name``.
- Scheme and host compare case-insensitively with default ports dropped; the host may use ``*``
  per label and ``**`` for any number of labels; ``host:*`` matches any port.
- The query string is not part of a glob (a rule names ``query:`` instead); path segments compare
  percent-decoded, so ``/a%20b`` and ``/a b`` are the same segment.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
_NAMED = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class GlobError(ValueError):
    """A URL glob that cannot be compiled; ``fix`` says how to write it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class _Segment:
    """One compiled segment: a literal, a ``*`` pattern, ``**``, or a named capture."""

    text: str
    regex: re.Pattern[str] | None = None
    name: str | None = None

    @property
    def is_deep(self) -> bool:
        return self.text == "**"

    @property
    def is_literal(self) -> bool:
        return self.regex is None and self.name is None and not self.is_deep

    def match(self, value: str) -> bool:
        if self.name is not None:
            return True
        if self.regex is not None:
            return self.regex.fullmatch(value) is not None
        return self.text == value


def _segment(text: str, where: str) -> _Segment:
    if text == "**":
        return _Segment(text)
    named = _NAMED.match(text)
    if named:
        return _Segment(text, name=named.group(1))
    if "**" in text:
        raise GlobError(f"'**' inside the {where} segment {text!r}",
                        "use '**' as a whole segment (/**/) or '*' within a segment")
    if "{" in text or "}" in text:
        raise GlobError(f"braces in the {where} segment {text!r}",
                        "a capture is a whole segment like {ticket_id} (letters, digits, _)")
    if "*" not in text:
        return _Segment(text)
    return _Segment(text, regex=re.compile(".*".join(re.escape(part) for part in text.split("*")), re.S))


def _match_segments(pattern: tuple[_Segment, ...], values: tuple[str, ...]) -> list[str] | None:
    """Captured values of wildcard segments when ``values`` match ``pattern``, else ``None``."""

    @functools.cache
    def walk(i: int, j: int) -> tuple[str, ...] | None:
        if i == len(pattern):
            return () if j == len(values) else None
        seg = pattern[i]
        if seg.is_deep:
            # Prefer the shortest expansion so captures after ** stay as specific as possible.
            for end in range(j, len(values) + 1):
                rest = walk(i + 1, end)
                if rest is not None:
                    return ("/".join(values[j:end]), *rest)
            return None
        if j < len(values) and seg.match(values[j]):
            rest = walk(i + 1, j + 1)
            if rest is not None:
                return rest if seg.is_literal else (values[j], *rest)
        return None

    found = walk(0, 0)
    walk.cache_clear()
    return None if found is None else list(found)


@dataclass(frozen=True)
class GlobMatch:
    """What a URL glob captured: wildcard segments in order, and ``{name}`` segments by name."""

    captures: tuple[str, ...]
    named: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UrlGlob:
    """A compiled URL glob (see the module docstring for its semantics)."""

    text: str
    scheme: str
    host: tuple[_Segment, ...]
    port: str  # a port number, or "*" for any
    path: tuple[_Segment, ...]

    def __repr__(self) -> str:
        return f"UrlGlob({self.text!r})"

    @classmethod
    def compile(cls, text: str) -> UrlGlob:
        """Compile ``scheme://host[:port]/path`` or raise :class:`GlobError` with a fix."""
        example = "write it like https://crm.example.com/tickets/*/replies"
        if not isinstance(text, str) or "://" not in text:
            raise GlobError(f"{text!r} is not a URL glob with a scheme and host", example)
        scheme, _, rest = text.partition("://")
        scheme = scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise GlobError(f"scheme {scheme!r} is not http or https", example)
        if "?" in rest or "#" in rest:
            raise GlobError(f"{text!r} contains a query or fragment",
                            "drop it from url: and name query parameters under query: {name: value}")
        netloc, _, path = rest.partition("/")
        if not netloc:
            raise GlobError(f"{text!r} has no host", example)
        hostpart, colon, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "")
        if colon and not (port == "*" or port.isdigit()):
            raise GlobError(f"port {port!r} is neither a number nor '*'",
                            "e.g. http://127.0.0.1:8000/** or :*")
        port = port if colon else str(DEFAULT_PORTS[scheme])
        if port.isdigit():
            port = str(int(port))
        host = tuple(_segment(label, "host") for label in hostpart.lower().split("."))
        segments = tuple(_segment(unquote(s), "path") for s in ("/" + path).split("/")[1:])
        return cls(text, scheme, host, port, segments)

    def match(self, url: str) -> GlobMatch | None:
        """Match a request URL; ``None`` when it does not match."""
        parts = urlsplit(url)
        if parts.scheme.lower() != self.scheme:
            return None
        try:
            port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
        except ValueError:
            return None
        if self.port != "*" and str(port) != self.port:
            return None
        host = _match_segments(self.host, tuple((parts.hostname or "").split(".")))
        if host is None:
            return None
        values = tuple(unquote(s) for s in (parts.path or "/").split("/")[1:])
        captured = _match_segments(self.path, values)
        if captured is None:
            return None
        wild = [s for s in self.path if not s.is_literal]
        named = {s.name: v for s, v in zip(wild, captured, strict=True) if s.name is not None}
        return GlobMatch(tuple(host + captured), named)

    def covers(self, other: UrlGlob) -> bool:
        """Whether every URL ``other`` matches is also matched by this glob (sound, not complete)."""
        return (self.scheme == other.scheme
                and self.port in ("*", other.port)
                and _covers(self.host, other.host)
                and _covers(self.path, other.path))


def _segment_covers(a: _Segment, b: _Segment) -> bool:
    if a.name is not None or a.text == "*":
        return not b.is_deep
    if b.is_literal:
        return a.match(b.text)
    return a.text == b.text and not b.is_deep


def _covers(a: tuple[_Segment, ...], b: tuple[_Segment, ...]) -> bool:
    @functools.cache
    def walk(i: int, j: int) -> bool:
        if i == len(a):
            return j == len(b)
        if a[i].is_deep:
            return any(walk(i + 1, end) for end in range(j, len(b) + 1))
        return j < len(b) and _segment_covers(a[i], b[j]) and walk(i + 1, j + 1)

    return walk(0, 0)
