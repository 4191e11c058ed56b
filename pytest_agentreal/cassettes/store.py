"""Cassette files: the vcrpy-compatible document, strict loading, atomic writes and a cache.

A cassette is vcrpy's JSON format (``interactions`` of ``request``/``response`` plus ``version``)
with our own data under vcrpy's ``metadata`` key (``metadata.agentreal``): the case's timeline
of HTTP and tool calls, in order, with deliveries and injected faults. Plain vcrpy loads it as
any other cassette and ignores what it does not know.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CassetteError

FORMAT = 1
VCR_VERSION = 1
METADATA_KEY = "agentreal"


@dataclass
class CassetteData:
    """A parsed cassette: vcrpy interactions (bodies as text) and our ordered timeline."""

    interactions: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    case_id: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The JSON document as written: vcrpy's keys first, ours under ``metadata``."""
        return {
            "interactions": self.interactions,
            "version": VCR_VERSION,
            "metadata": {METADATA_KEY: {"format": FORMAT, "case": self.case_id, "timeline": self.timeline}},
        }


def dumps(data: CassetteData) -> str:
    """The cassette's file text (JSON, indented, stable key order, UTF-8 kept readable)."""
    return json.dumps(data.to_document(), indent=2, ensure_ascii=False) + "\n"


# -- loading -----------------------------------------------------------------------------------
def load(path: Path, hint: str = "") -> CassetteData:
    """Read and validate a cassette; every problem is a :class:`CassetteError` naming the file."""
    fix = f"restore it from git, or delete it and record it again with: {hint or '--agent-record once'}"
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CassetteError(path, f"cannot read cassette: {error.strerror or error}", fix=fix) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CassetteError(path, "cassette is not UTF-8 text (corrupted?)", fix=fix) from None
    document = _parse(path, text, fix)
    return validate(path, document, fix)


def _parse(path: Path, text: str, fix: str) -> Any:
    if not text.strip():
        raise CassetteError(path, "cassette is empty (truncated?)", fix=fix)
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise CassetteError(
                path, f"cassette is truncated or corrupted: {error.msg}", line=error.lineno, fix=fix
            ) from None
    import yaml  # only YAML cassettes (recorded by plain vcrpy) pay for it

    try:
        return yaml.safe_load(text)
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        raise CassetteError(
            path,
            f"cassette contains a YAML tag that could run code or build Python objects ({error.problem}); "
            "refusing to load it",
            line=mark.line + 1 if mark else None,
            fix=fix,
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise CassetteError(
            path,
            f"cassette is truncated or corrupted: {getattr(error, 'problem', None) or error}",
            line=mark.line + 1 if mark else None,
            fix=fix,
        ) from None


def validate(path: Path, document: Any, fix: str = "") -> CassetteData:
    """Check the document's shape and normalise it (header values as lists, bodies as text)."""

    def fail(where: str, message: str) -> CassetteError:
        return CassetteError(path, f"{where}: {message}", key=None, fix=fix or None)

    if not isinstance(document, dict) or not isinstance(document.get("interactions"), list):
        raise fail("cassette", "not a vcrpy cassette (no 'interactions' list; truncated or corrupted?)")
    version = document.get("version", VCR_VERSION)
    if version != VCR_VERSION:
        raise fail("version", f"unsupported cassette version {version!r} (expected {VCR_VERSION})")
    interactions = [_interaction(fail, f"interactions[{i}]", item) for i, item in enumerate(document["interactions"])]
    metadata = document.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise fail("metadata", "expected an object")
    ours = metadata.get(METADATA_KEY)
    if ours is None:  # a plain vcrpy cassette: its HTTP interactions are the timeline
        return CassetteData(interactions, [{"type": "http", "interaction": i} for i in range(len(interactions))])
    if not isinstance(ours, dict) or not isinstance(ours.get("timeline"), list):
        raise fail(f"metadata.{METADATA_KEY}", "expected an object with a 'timeline' list")
    if ours.get("format", FORMAT) != FORMAT:
        raise fail(f"metadata.{METADATA_KEY}.format", f"unsupported format {ours.get('format')!r}")
    timeline = []
    for index, entry in enumerate(ours["timeline"]):
        where = f"metadata.{METADATA_KEY}.timeline[{index}]"
        if not isinstance(entry, dict) or entry.get("type") not in ("http", "tool"):
            raise fail(where, "expected an object with type 'http' or 'tool'")
        if not isinstance(entry.get("delivery", 0), int):
            raise fail(where, "'delivery' must be an integer")
        if entry["type"] == "http":
            target = entry.get("interaction")
            if not isinstance(target, int) or not 0 <= target < len(interactions):
                raise fail(where, f"'interaction' must index one of the {len(interactions)} interactions")
        else:
            if not isinstance(entry.get("name"), str):
                raise fail(where, "a tool call needs a 'name'")
            error = entry.get("error")
            if error is not None and not (isinstance(error, dict) and isinstance(error.get("type"), str)):
                raise fail(where, "'error' must be an object with a 'type'")
        timeline.append(entry)
    case = ours.get("case")
    return CassetteData(interactions, timeline, case if isinstance(case, str) else None)


def _interaction(fail: Callable[[str, str], CassetteError], where: str, item: Any) -> dict[str, Any]:
    plain = _plain_interaction(item)
    if plain is not None:
        return plain
    if not isinstance(item, dict):
        raise fail(where, "expected an object with 'request' and 'response'")
    request, response = item.get("request"), item.get("response")
    if not isinstance(request, dict):
        raise fail(f"{where}.request", "missing or not an object")
    if not isinstance(response, dict):
        raise fail(f"{where}.response", "missing or not an object")
    if not isinstance(request.get("method"), str) or not isinstance(request.get("uri"), str):
        raise fail(f"{where}.request", "needs 'method' and 'uri' strings")
    status = response.get("status")
    if not isinstance(status, dict) or not isinstance(status.get("code"), int):
        raise fail(f"{where}.response.status", "needs an integer 'code'")
    body = response.get("body")
    if not isinstance(body, dict) or "string" not in body:
        raise fail(f"{where}.response.body", "needs a 'string'")
    return {
        "request": {
            "body": _text(fail, f"{where}.request.body", request.get("body")),
            "headers": _headers(fail, f"{where}.request.headers", request.get("headers")),
            "method": request["method"],
            "uri": request["uri"],
        },
        "response": {
            "status": {"code": status["code"], "message": str(status.get("message") or "")},
            "headers": _headers(fail, f"{where}.response.headers", response.get("headers")),
            "body": {"string": _text(fail, f"{where}.response.body.string", body["string"])},
        },
    }


def _plain_interaction(item: Any) -> dict[str, Any] | None:
    """The common case, checked without building error paths: what :func:`_interaction` returns
    for a well-formed interaction (text bodies, header lists of strings), else ``None``."""
    if type(item) is not dict:
        return None
    request, response = item.get("request"), item.get("response")
    if type(request) is not dict or type(response) is not dict:
        return None
    method, uri, body = request.get("method"), request.get("uri"), request.get("body")
    status, answer = response.get("status"), response.get("body")
    if type(method) is not str or type(uri) is not str or (body is not None and type(body) is not str):
        return None
    if type(status) is not dict or type(status.get("code")) is not int or type(answer) is not dict:
        return None
    string = answer.get("string", _MISSING)
    if string is not None and type(string) is not str:
        return None
    request_headers, response_headers = _plain_headers(request.get("headers")), _plain_headers(response.get("headers"))
    if request_headers is None or response_headers is None:
        return None
    return {
        "request": {"body": body, "headers": request_headers, "method": method, "uri": uri},
        "response": {
            "status": {"code": status["code"], "message": str(status.get("message") or "")},
            "headers": response_headers,
            "body": {"string": string},
        },
    }


_MISSING = object()


def _plain_headers(value: Any) -> dict[str, list[str]] | None:
    if value is None:
        return {}
    if type(value) is not dict:
        return None
    for values in value.values():
        if type(values) is not list:
            return None
        try:
            "".join(values)  # every value a string (one C call instead of a check per value)
        except TypeError:
            return None
    # Freshly parsed JSON (object keys are strings), owned by this cassette alone: no copy needed.
    return value


def _text(fail: Callable[[str, str], CassetteError], where: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise fail(where, "binary body cannot be replayed from a JSON cassette") from None
    raise fail(where, f"expected text, got {type(value).__name__}")


def _headers(fail: Callable[[str, str], CassetteError], where: str, value: Any) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise fail(where, "expected an object of header lists")
    out: dict[str, list[str]] = {}
    for name, values in value.items():
        items = values if isinstance(values, list) else [values]
        if not all(isinstance(v, (str, int, float)) for v in items):
            raise fail(f"{where}.{name}", "header values must be strings")
        out[str(name)] = [str(v) for v in items]
    return out


# -- cache ---------------------------------------------------------------------------------------
class CassetteCache:
    """Parsed cassettes by path, reused while the file's size and mtime stay the same."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: dict[Path, tuple[tuple[int, int], Any]] = {}
        self._lock = threading.Lock()

    def get(self, path: Path, build: Callable[[Path], Any]) -> Any:
        """The cached value for ``path`` or ``build(path)``, rebuilt when the file changed."""
        stat = path.stat()
        signature = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            hit = self._items.get(path)
            if hit is not None and hit[0] == signature:
                return hit[1]
        value = build(path)
        with self._lock:
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))
            self._items[path] = (signature, value)
        return value

    def forget(self, path: Path) -> None:
        """Drop a path (after writing it)."""
        with self._lock:
            self._items.pop(path, None)


# -- writing ------------------------------------------------------------------------------------
TEMP_SUFFIX = ".agentreal-tmp"


def atomic_write(path: Path, text: str, check: Callable[[Path], list[Any]] | None = None) -> list[Any]:
    """Write ``text`` to a temporary file beside ``path``, fsync, check it, then move it into place.

    ``check(temp_path)`` may return problems (e.g. a secret found in the written bytes): then the
    temporary file is deleted, the previous cassette stays, and the problems are returned. A crash
    or kill at any point leaves either the old file or the new one, never a mix.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        problems = check(temp) if check is not None else []
        if problems:
            temp.unlink()
            return problems
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_dir(path.parent)
    return []


def remove_stale_temps(path: Path) -> None:
    """Delete temporary files of ``path`` left by a killed writer (call while holding its lock)."""
    with contextlib.suppress(OSError):
        for stale in path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                stale.unlink()


def _fsync_dir(directory: Path) -> None:
    # The rename is only durable once the directory entry is; not possible on every platform.
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
