"""A case's timeline entries: how they are kept, written into a cassette and reported."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model import Interaction
from .match import RequestKey
from .sse import event_data, is_event_stream
from .store import CassetteData
from .wire import RETRYABLE, Answer, first_header


@dataclass
class Entry:
    """One request or tool call of a case, redacted, as it is kept and reported."""

    seq: int
    kind: str
    delivery: int
    method: str
    url: str
    key: RequestKey
    request: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    args: Any = None
    result: Any = None
    error: str | None = None
    error_info: dict[str, Any] | None = None
    fault: str | None = None
    stream: str | None = None
    truncated: bool = False
    request_base64: bool = False
    response_base64: bool = False
    source: int | None = None
    done: bool = False

    def meta(self) -> dict[str, Any]:
        """The timeline fields beyond type and position (defaults left out)."""
        out: dict[str, Any] = {"delivery": self.delivery}
        for name in ("fault", "error", "stream"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        for name in ("truncated", "request_base64", "response_base64"):
            if getattr(self, name):
                out[name] = True
        return out


def build_cassette(entries: list[Entry], case_id: str, base: list[dict[str, Any]] | None) -> CassetteData:
    """The cassette of a run: ``base`` (old interactions kept by ``new_episodes``) plus what is new."""
    keep_old = base is not None
    interactions = list(base) if base is not None else []
    timeline: list[dict[str, Any]] = []
    for entry in entries:
        if not entry.done:
            continue
        if entry.kind == "tool":
            item: dict[str, Any] = {"type": "tool", "name": entry.url, "args": entry.args}
            if entry.error_info is not None:
                item["error"] = entry.error_info
            else:
                item["result"] = entry.result
            meta = entry.meta()
            meta.pop("error", None)
            timeline.append({**item, **meta})
            continue
        if entry.source is not None and keep_old:
            index = entry.source
        else:
            assert entry.request is not None and entry.response is not None
            interactions.append({"request": entry.request, "response": entry.response})
            index = len(interactions) - 1
        timeline.append({"type": "http", "interaction": index, **entry.meta()})
    return CassetteData(interactions, timeline, case_id)


def header_dict(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Header pairs as vcrpy keeps them: name → list of values."""
    out: dict[str, list[str]] = {}
    for name, value in headers:
        out.setdefault(name, []).append(value)
    return out


def as_text(body: bytes) -> tuple[str, bool]:
    """A body as cassette text, and whether it had to be base64 (not UTF-8)."""
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def response_dict(
    status: int, reason: str, headers: list[tuple[str, str]], text: str, redactor: Any = None
) -> dict[str, Any]:
    """A vcrpy response, its headers passed through the redactor's allowlist when one is given."""
    kept = header_dict(headers)
    if redactor is not None:
        kept, _ = redactor.headers(kept)
    return {"status": {"code": status, "message": reason}, "headers": kept, "body": {"string": text}}


def replay_answer(response: Mapping[str, Any], base64_body: bool = False) -> Answer:
    """The client answer for a recorded vcrpy response; retry delays are made instant."""
    status = int(response["status"]["code"])
    reason = str(response["status"].get("message") or "")
    headers = [(name, value) for name, values in response["headers"].items() for value in values]
    text = response["body"]["string"] or ""
    body = base64.b64decode(text) if base64_body else text.encode("utf-8")
    if status in RETRYABLE or status >= 500:
        # SDKs sleep before retrying; a recorded delay has no meaning in replay. openai/anthropic
        # ignore `retry-after: 0` (they fall back to exponential backoff), so 1 ms it is.
        headers = [(k, "0" if k.lower() == "retry-after" else v) for k, v in headers if k.lower() != "retry-after-ms"]
        headers.append(("retry-after-ms", "1"))
    return Answer.build(status, reason, headers, body)


def decode_body_value(text: str | None, content_type: str, stream: str | None) -> Any:
    if not text:
        return None
    if stream == "sse" or is_event_stream(content_type):
        return event_data(text)
    try:
        return json.loads(text)
    except ValueError:
        return text


def to_interaction(entry: Entry) -> Interaction:
    if entry.kind == "tool":
        return Interaction(
            entry.seq, "tool", "CALL", entry.url, entry.args, None, entry.result, entry.fault, entry.delivery,
            entry.error,
        )  # fmt: skip
    request = entry.request or {}
    ctype = first_header([(k, v) for k, vs in request.get("headers", {}).items() for v in vs], "content-type")
    body = None if entry.request_base64 else decode_body_value(request.get("body"), ctype, None)
    status = response = None
    if entry.response is not None and entry.error != "timeout":
        status = int(entry.response["status"]["code"])
        rheaders = [(k, v) for k, vs in entry.response["headers"].items() for v in vs]
        text = entry.response["body"]["string"]
        rtype = first_header(rheaders, "content-type")
        response = None if entry.response_base64 else decode_body_value(text, rtype, entry.stream)
    return Interaction(
        entry.seq, "http", entry.method, entry.url, body, status, response, entry.fault, entry.delivery, entry.error
    )


def short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"
