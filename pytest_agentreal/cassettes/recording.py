"""One case's recording: decides, per request and tool call, whether to replay, record or refuse.

Client stubs call :meth:`CaseRecording.begin` with a neutral request; the answer is either a
replayed (or fault-injected) :class:`~.wire.Answer`, or a :class:`Pending` that the stub completes
after the real exchange. Everything kept is redacted first. Problems become findings at the moment
they happen, because SDKs catch and retry the exceptions a refused request raises.
"""

from __future__ import annotations

import base64
import builtins
import itertools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import AgentRealError, CassetteError
from ..model import Finding, Interaction
from . import active, store
from .faults import FAULT_HEADER, ConnectorFault, FaultOperator, FaultSpec, NotApplicable
from .match import Matcher, RequestKey, json_key, normalise_body, normalise_url
from .scan import scan_text
from .sse import event_data, is_event_stream
from .wire import HOP_HEADERS, RETRYABLE, Answer, WireRequest, decode_body, first_header

if TYPE_CHECKING:
    from .recorder import LoadedCassette, Recorder


class RequestNotRecorded(AgentRealError):
    """Replay has no answer for a request; the case already holds a finding that names it."""


class ToolCallNotRecorded(RequestNotRecorded):
    """Replay has no recorded result for a tool call; the case's finding names the closest call."""


class RecordedToolError(Exception):
    """A tool function's recorded exception whose type is not a builtin (replayed by name)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


@dataclass
class _Entry:
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


@dataclass
class ToolPlan:
    """What a tool call does: return ``result``, raise ``error``, or run for real (``run``)."""

    entry: _Entry
    run: bool = False
    result: Any = None
    error: BaseException | None = None
    fault: FaultOperator | None = None


class CaseRecording:
    """The traffic and tool calls of one case, replayed from or recorded into its cassette."""

    def __init__(self, recorder: Recorder, case_id: str, path: Path, fault: FaultSpec | None) -> None:
        self.recorder = recorder
        self.settings = recorder.settings
        self.case_id = case_id
        self.path = path
        self.mode = self.settings.mode
        self.fault = fault
        self.delivery = 0
        self.findings: list[Finding] = []
        self._entries: list[_Entry] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()
        self._finding_keys: set[tuple[str, str]] = set()
        self._transport_errors: list[str] = []
        self._loaded: LoadedCassette | None = None
        self._http: Matcher | None = None
        self._tools: Matcher | None = None
        self._broken = False
        self._finished = False
        self._lock_cm: Any = None
        self.replaying = False  # answers come from the loaded cassette
        self.recording = False  # unanswered requests go to the real connector and are kept
        self.blocks_network = False

    # -- lifecycle ------------------------------------------------------------------------------
    def _prepare(self) -> None:
        """Take the cassette's lock when recording, load what replay needs, pick the behaviour."""
        mode = self.mode
        if mode == "off":
            self.recording = True
            return
        if self.settings.records:
            self._lock_cm = store.cassette_lock(self.path, self.settings.lock_timeout)
            try:
                self._lock_cm.__enter__()
            except store.LockTimeout:
                self._lock_cm = None
                self._add(
                    "cassette",
                    f"another process kept the cassette locked for {self.settings.lock_timeout:.0f}s; "
                    "this case runs live and writes nothing",
                    evidence=str(self.path),
                )
                self.mode = "off"
                self.recording = True
                return
            store.remove_stale_temps(self.path)
        exists = self.path.is_file()
        if exists and mode != "all":
            try:
                self._loaded = self.recorder.loaded(self.path)
            except CassetteError as error:
                self._broken = True
                self._add("cassette", str(error), evidence=str(self.path), expected=self.settings.hint)
            else:
                self._http = Matcher(self._loaded.http_keys)
                self._tools = Matcher(self._loaded.tool_keys)
                self.replaying = True
        if mode in ("none", "once") and (exists or mode == "none"):
            self.blocks_network = True  # replay only
            self._release_lock()
            if not exists and self.settings.require_cassette:
                self._missing_cassette("")
        else:
            self.recording = True

    def __enter__(self) -> CaseRecording:
        from . import stub_vcrpy

        active.activate(self)
        stub_vcrpy.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        from . import stub_vcrpy

        try:
            if not self._finished:
                self.finish(agent_ok=False)
        finally:
            stub_vcrpy.stop()
            active.deactivate(self)
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_cm is not None:
            cm, self._lock_cm = self._lock_cm, None
            cm.__exit__(None, None, None)

    # -- findings -------------------------------------------------------------------------------
    def _add(
        self, oracle: str, message: str, *, got: str = "", expected: str = "", evidence: str = "", fails: bool = True
    ) -> None:
        # Messages quote requests and errors: pass them through the redactor, whatever their origin.
        redact = self.recorder.redactor.text
        message, got, expected, evidence = (redact(t)[0] for t in (message, got, expected, evidence))
        with self._lock:
            if (oracle, message) in self._finding_keys:
                return
            self._finding_keys.add((oracle, message))
            self.findings.append(Finding(oracle, message, str(self.path), expected, got, evidence, fails))

    def _missing_cassette(self, line: str) -> None:
        self._add(
            "cassette",
            f"no cassette for this case at {self.path} (--agent-record {self.mode} replays only)",
            got=line,
            expected=f"record it with: {self.settings.hint}",
            evidence=line or str(self.path),
        )

    def note_blocked(self, what: str, target: str) -> None:
        """A socket connection or DNS lookup was refused during replay (called by the network guard)."""
        if self._broken:
            return
        if not self.path.is_file() and self.mode == "none":
            self._missing_cassette(f"{what} {target}")
            return
        self._add(
            "network",
            f"blocked {what} {target}: under --agent-record {self.mode} only recorded requests run "
            "(is this client intercepted? is the request recorded?)",
            got=f"{what} {target}",
            expected=f"record it with: {self.settings.hint}",
            evidence=f"{what} {target}",
        )

    # -- HTTP ---------------------------------------------------------------------------------
    def begin(self, wire: WireRequest) -> Answer | Pending:
        """Decide a request's fate: a replayed or injected answer, a pending real exchange, or refusal."""
        request, key, request_b64 = self._redact_request(wire)
        with self._lock:
            entry = _Entry(next(self._seq), "http", self.delivery, wire.method.upper(), request["uri"], key)
            entry.request, entry.request_base64 = request, request_b64
            self._entries.append(entry)
            index = self._http.take(key) if self.replaying and self._http is not None else None
        if index is not None:
            assert self._loaded is not None
            return self._replay(entry, index)
        if not self.recording:
            entry.error = "not recorded"
            self._refuse(entry, self._http, key)
            raise RequestNotRecorded(f"{key.line} is not in cassette {self.path} (see the case's findings)")
        fault = self._fault_for(entry.method, entry.url, request.get("body"))
        if fault is not None and fault.stage == "before":
            return self._inject(entry, fault)
        return Pending(self, entry, fault)

    def _redact_request(self, wire: WireRequest) -> tuple[dict[str, Any], RequestKey, bool]:
        redactor = self.recorder.redactor
        headers = _header_dict(wire.headers)
        kept, _ = redactor.headers(headers)
        url, _ = redactor.url(wire.url)
        body_bytes, _ = decode_body(wire.body, wire.headers)
        ctype = wire.header("content-type")
        text, is_b64 = _as_text(body_bytes)
        if text and not is_b64:
            text, _ = redactor.body(text, ctype)
        request = {"body": text, "headers": kept, "method": wire.method.upper(), "uri": url}
        key = RequestKey(
            wire.method.upper(), normalise_url(url), normalise_body(text, ctype, self.settings.match_ignore)
        )
        return request, key, is_b64

    def _fault_for(self, method: str, url: str, body: Any) -> FaultOperator | None:
        if self.fault is None:
            return None
        value = body
        if isinstance(body, str):
            try:
                value = json.loads(body)
            except ValueError:
                value = body
        try:
            applies = self.fault.applies(method, url, value)
        except Exception as error:  # a broken predicate must not crash the agent's request
            self._add("cassette", f"fault predicate failed on {method} {url}: {error!r}")
            return None
        return self.fault.fault if applies else None

    def _replay(self, entry: _Entry, index: int) -> Answer:
        assert self._loaded is not None
        recorded = self._loaded.data.interactions[index]
        meta = self._loaded.http_meta.get(index, {})
        entry.source, entry.response, entry.done = index, recorded["response"], True
        entry.fault, entry.error = meta.get("fault"), meta.get("error")
        entry.stream, entry.truncated = meta.get("stream"), bool(meta.get("truncated"))
        entry.response_base64 = bool(meta.get("response_base64"))
        if entry.error == "timeout":
            return Answer(0, "", [], b"", timeout=True)
        return replay_answer(recorded["response"], entry.response_base64)

    def _refuse(self, entry: _Entry, matcher: Matcher | None, key: RequestKey) -> None:
        if self._broken:
            return
        if self._loaded is None:
            self._missing_cassette(entry.url if entry.kind == "tool" else key.line)
            return
        index, difference = matcher.diagnose(key) if matcher is not None else (None, "")
        what = "tool call" if entry.kind == "tool" else "request"
        if index is None:
            closest = "nothing recorded"
        elif entry.kind == "tool":
            closest = self._loaded.tool_keys[index].line
        else:
            closest = f"#{index} {self._loaded.http_keys[index].line}"
        self._add(
            "cassette",
            f"{what} not in cassette: {key.line} — closest recorded {what}: {closest}; {difference}",
            got=key.line,
            expected=closest,
            evidence=f"re-record with: {self.settings.hint}",
        )

    def _inject(self, entry: _Entry, fault: FaultOperator) -> Answer:
        entry.fault = fault.name
        headers = [("content-type", "application/json"), (FAULT_HEADER, fault.name), *fault.headers]
        if fault.status is None:
            entry.error = "timeout"
            entry.response = _response_dict(504, "Gateway Timeout", headers, "")
            entry.done = True
            return Answer(0, "", [], b"", timeout=True)
        body = fault.http_body()
        entry.response = _response_dict(fault.status, fault.reason, headers, body.decode("utf-8"))
        entry.done = True
        return Answer.build(fault.status, fault.reason, headers, body)

    def _complete(
        self,
        entry: _Entry,
        fault: FaultOperator | None,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        raw: bytes,
        truncated: bool,
    ) -> Answer:
        body, decoded = decode_body(raw, headers)
        kept_headers = [(k, v) for k, v in headers if not decoded or k.lower() not in HOP_HEADERS]
        ctype = first_header(headers, "content-type")
        deliver = Answer.build(status, reason, headers, raw)
        if fault is not None and 200 <= status < 300:
            try:
                damaged = fault.damage_text(body.decode("utf-8")).encode("utf-8")
            except (NotApplicable, UnicodeDecodeError) as error:
                self._add(
                    "connector_fault",
                    f"connector_fault.{fault.name} could not apply to {entry.method} {entry.url}: {error}",
                    fails=False,
                )
            else:
                entry.fault, body = fault.name, damaged
                kept_headers = [(k, v) for k, v in headers if k.lower() not in HOP_HEADERS]
                kept_headers.append((FAULT_HEADER, fault.name))
                deliver = Answer.build(status, reason, kept_headers, body)
        text, is_b64 = _as_text(body)
        if not is_b64:
            text, _ = self.recorder.redactor.body(text, ctype)
        if decoded:
            kept_headers = [(k, v) for k, v in kept_headers if k.lower() not in HOP_HEADERS]
        entry.response = _response_dict(status, reason, kept_headers, text, self.recorder.redactor)
        if not decoded:  # an encoding we cannot undo: the client must still be told what it is
            entry.response["headers"]["content-encoding"] = [first_header(headers, "content-encoding")]
        entry.response_base64 = is_b64
        entry.stream = "sse" if is_event_stream(ctype) else None
        entry.truncated = truncated
        entry.done = True
        return deliver

    def _failed(self, entry: _Entry, error: BaseException) -> None:
        text, _ = self.recorder.redactor.text(f"{type(error).__name__}: {error}")
        entry.error = text
        with self._lock:
            self._transport_errors.append(f"{entry.method} {entry.url}: {text}")

    # -- tool functions ---------------------------------------------------------------------------
    def begin_tool(self, name: str, args: dict[str, Any]) -> ToolPlan:
        """Decide a tool call's fate: a recorded result or error, an injected fault, or a real call."""
        redacted, _ = self.recorder.redactor.json(args)
        key = RequestKey("CALL", name, json_key(redacted, self.settings.match_ignore))
        with self._lock:
            entry = _Entry(next(self._seq), "tool", self.delivery, "CALL", name, key, args=redacted)
            self._entries.append(entry)
            index = self._tools.take(key) if self.replaying and self._tools is not None else None
        if index is not None:
            assert self._loaded is not None
            recorded = self._loaded.tool_entries[index]
            entry.source, entry.done = index, True
            entry.result, entry.error_info = recorded.get("result"), recorded.get("error")
            entry.fault = recorded.get("fault")
            if entry.error_info is not None:
                entry.error = f"{entry.error_info['type']}: {entry.error_info.get('message', '')}"
                return ToolPlan(entry, error=rebuild_error(entry.error_info))
            return ToolPlan(entry, result=entry.result)
        if not self.recording:
            entry.error = "not recorded"
            self._refuse(entry, self._tools, key)
            raise ToolCallNotRecorded(
                f"tool call {name}({_short(redacted)}) is not in cassette {self.path} (see the case's findings)"
            )
        fault = self._fault_for("CALL", name, redacted)
        if fault is not None and fault.stage == "before":
            entry.fault = fault.name
            error = fault.tool_error(name)
            self.end_tool(ToolPlan(entry), error=error)
            return ToolPlan(entry, error=error)
        return ToolPlan(entry, run=True, fault=fault)

    def end_tool(self, plan: ToolPlan, result: Any = None, error: BaseException | None = None) -> Any:
        """Keep a real call's outcome (damaged by an ``after`` fault); returns what the agent gets."""
        entry = plan.entry
        if error is not None:
            message, _ = self.recorder.redactor.text(str(error))
            entry.error_info = {"type": type(error).__name__, "message": message}
            if isinstance(error, ConnectorFault):
                entry.error_info["status"] = error.status
            entry.error = f"{type(error).__name__}: {message}"
            entry.done = True
            return None
        if plan.fault is not None:
            try:
                result = plan.fault.damage_value(result)
                entry.fault = plan.fault.name
            except NotApplicable as reason:
                self._add(
                    "connector_fault",
                    f"connector_fault.{plan.fault.name} could not apply to tool {entry.url}: {reason}",
                    fails=False,
                )
        entry.result, _ = self.recorder.redactor.json(result)
        entry.done = True
        return result

    # -- results ------------------------------------------------------------------------------
    @property
    def interactions(self) -> list[Interaction]:
        """This run's timeline of HTTP requests and tool calls, in order, redacted."""
        with self._lock:
            entries = sorted(self._entries, key=lambda e: e.seq)
        return [_interaction(e) for e in entries]

    def finish(self, agent_ok: bool) -> list[Finding]:
        """End the case; when recording and the agent returned cleanly, write the cassette atomically.

        An agent error or a transport error keeps the previous cassette. The written bytes are
        scanned for secrets before they replace it. Returns all findings of the case.
        """
        if self._finished:
            return self.findings
        self._finished = True
        try:
            if self.recording and self.mode != "off":
                self._write(agent_ok)
        finally:
            self._release_lock()
        return self.findings

    def _write(self, agent_ok: bool) -> None:
        with self._lock:
            entries = sorted(self._entries, key=lambda e: e.seq)
            errors = list(self._transport_errors)
        reason = ""
        if not agent_ok:
            reason = "the agent did not return cleanly"
        elif errors:
            reason = f"a transport error happened while recording ({errors[0]})"
        if reason:
            self._add("cassette", f"cassette not written: {reason}; the previous one is kept", fails=False)
            return
        new = [e for e in entries if e.done and e.source is None]
        if self._loaded is not None and self.mode == "new_episodes" and not new:
            return  # everything replayed: leave the file (and its git history) alone
        data = self._document(entries)
        text = store.dumps(data)
        redactor, where = self.recorder.redactor, str(self.path)
        problems = store.atomic_write(
            self.path, text, check=lambda temp: scan_text(temp.read_text("utf-8"), redactor, where)
        )
        self.recorder.forget(self.path)
        for problem in problems:
            message = f"{problem.message} — cassette not written"
            self._add(problem.oracle, message, got=problem.got, evidence=problem.path)

    def _document(self, entries: list[_Entry]) -> store.CassetteData:
        keep_old = self._loaded is not None and self.mode == "new_episodes"
        interactions = list(self._loaded.data.interactions) if keep_old and self._loaded else []
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
        return store.CassetteData(interactions, timeline, self.case_id)


class Pending:
    """A request going to the real connector; the stub reports the outcome with done() or failed()."""

    def __init__(self, recording: CaseRecording, entry: _Entry, fault: FaultOperator | None) -> None:
        self.recording = recording
        self.entry = entry
        self.fault = fault

    @property
    def stream_seconds(self) -> float:
        """How long a response stream may be recorded before it is cut."""
        return self.recording.settings.stream_seconds

    def done(
        self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes, truncated: bool = False
    ) -> Answer:
        """Record the real response (raw bytes as received); returns what the client gets."""
        return self.recording._complete(self.entry, self.fault, status, reason, headers, body, truncated)

    def failed(self, error: BaseException) -> None:
        """Record a transport error: the case's cassette will not be written."""
        self.recording._failed(self.entry, error)


# -- helpers ---------------------------------------------------------------------------------------
def _header_dict(headers: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers:
        out.setdefault(name, []).append(value)
    return out


def _as_text(body: bytes) -> tuple[str, bool]:
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def _response_dict(
    status: int, reason: str, headers: list[tuple[str, str]], text: str, redactor: Any = None
) -> dict[str, Any]:
    header_dict = _header_dict(headers)
    if redactor is not None:
        header_dict, _ = redactor.headers(header_dict)
    return {"status": {"code": status, "message": reason}, "headers": header_dict, "body": {"string": text}}


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


def rebuild_error(info: Mapping[str, Any]) -> BaseException:
    """The exception a recorded tool call raised: builtins and injected faults as themselves."""
    type_name, message = str(info.get("type")), str(info.get("message", ""))
    if type_name == "ConnectorFault":
        return ConnectorFault(message, int(info.get("status") or 500))
    candidate = getattr(builtins, type_name, None)
    if isinstance(candidate, type) and issubclass(candidate, Exception):
        try:
            return candidate(message)
        except TypeError:
            pass
    return RecordedToolError(type_name, message)


def _decode(text: str | None, content_type: str, stream: str | None) -> Any:
    if not text:
        return None
    if stream == "sse" or is_event_stream(content_type):
        return event_data(text)
    try:
        return json.loads(text)
    except ValueError:
        return text


def _interaction(entry: _Entry) -> Interaction:
    if entry.kind == "tool":
        return Interaction(
            entry.seq, "tool", "CALL", entry.url, entry.args, None, entry.result, entry.fault, entry.delivery,
            entry.error,
        )  # fmt: skip
    request = entry.request or {}
    ctype = first_header([(k, v) for k, vs in request.get("headers", {}).items() for v in vs], "content-type")
    body = None if entry.request_base64 else _decode(request.get("body"), ctype, None)
    status = response = None
    if entry.response is not None and entry.error != "timeout":
        status = int(entry.response["status"]["code"])
        rheaders = [(k, v) for k, vs in entry.response["headers"].items() for v in vs]
        text = entry.response["body"]["string"]
        rtype = first_header(rheaders, "content-type")
        response = None if entry.response_base64 else _decode(text, rtype, entry.stream)
    return Interaction(
        entry.seq, "http", entry.method, entry.url, body, status, response, entry.fault, entry.delivery, entry.error
    )


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[: limit - 1] + "…"
