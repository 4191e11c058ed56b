"""One case's recording: decides, per request and tool call, whether to replay, record or refuse.

Client stubs call :meth:`CaseRecording.begin` with a neutral request; the answer is either a
replayed (or fault-injected) :class:`~.wire.Answer`, or a :class:`Pending` that the stub completes
after the real exchange. Everything kept is redacted first. Problems become findings at the moment
they happen, because SDKs catch and retry the exceptions a refused request raises.
"""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CassetteError
from ..model import Finding, Interaction
from . import active, lock, store
from .errors import RecordedToolError, RequestNotRecorded, ToolCallNotRecorded
from .faults import FAULT_HEADER, FaultOperator, FaultSpec, NotApplicable
from .match import Matcher, RequestKey, normalise_body, normalise_url
from .scan import scan_text
from .sse import is_event_stream
from .timeline import Entry, as_text, build_cassette, replay_answer, response_dict, to_interaction
from .tools import ToolCalls, ToolPlan
from .wire import HOP_HEADERS, Answer, WireRequest, decode_body, first_header

if TYPE_CHECKING:
    from .recorder import LoadedCassette, Recorder

__all__ = ["CaseRecording", "Pending", "RecordedToolError", "RequestNotRecorded", "ToolCallNotRecorded", "ToolPlan"]


class CaseRecording(ToolCalls):
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
        self._entries: list[Entry] = []
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
            self._lock_cm = lock.cassette_lock(self.path, self.settings.lock_timeout)
            try:
                self._lock_cm.__enter__()
            except lock.LockTimeout:
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
        from . import sdk_retries, stub_vcrpy

        sdk_retries.patch_loaded_sdks()
        active.activate(self)
        try:
            stub_vcrpy.start()
        except BaseException:
            active.deactivate(self)
            raise
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
            entry = Entry(next(self._seq), "http", self.delivery, wire.method.upper(), request["uri"], key)
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
        kept = self.recorder.kept_headers(wire.headers)
        body_bytes, _ = decode_body(wire.body, wire.headers)
        ctype = wire.header("content-type")
        text, is_b64 = as_text(body_bytes)
        if is_b64:  # binary bodies are kept as base64, never redacted as text
            url, _ = self.recorder.redactor.url(wire.url)
            key = RequestKey(wire.method.upper(), normalise_url(url),
                             normalise_body(text, ctype, self.settings.match_ignore))
        else:
            url, text, key = self.recorder.request_key(wire.method, wire.url, text, ctype)
        request = {"body": text, "headers": kept, "method": wire.method.upper(), "uri": url}
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

    def _replay(self, entry: Entry, index: int) -> Answer:
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

    def _refuse(self, entry: Entry, matcher: Matcher | None, key: RequestKey) -> None:
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

    def _inject(self, entry: Entry, fault: FaultOperator) -> Answer:
        entry.fault = fault.name
        headers = [("content-type", "application/json"), (FAULT_HEADER, fault.name), *fault.headers]
        if fault.status is None:
            entry.error = "timeout"
            entry.response = response_dict(504, "Gateway Timeout", headers, "")
            entry.done = True
            return Answer(0, "", [], b"", timeout=True)
        body = fault.http_body()
        entry.response = response_dict(fault.status, fault.reason, headers, body.decode("utf-8"))
        entry.done = True
        return Answer.build(fault.status, fault.reason, headers, body)

    def _complete(
        self,
        entry: Entry,
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
        text, is_b64 = as_text(body)
        if not is_b64:
            text, _ = self.recorder.redactor.body(text, ctype)
        if decoded:
            kept_headers = [(k, v) for k, v in kept_headers if k.lower() not in HOP_HEADERS]
        entry.response = response_dict(status, reason, kept_headers, text, self.recorder.redactor)
        if not decoded:  # an encoding we cannot undo: the client must still be told what it is
            entry.response["headers"]["content-encoding"] = [first_header(headers, "content-encoding")]
        entry.response_base64 = is_b64
        entry.stream = "sse" if is_event_stream(ctype) else None
        entry.truncated = truncated
        entry.done = True
        if truncated:
            self._add(
                "cassette",
                f"the response stream of {entry.method} {entry.url} was cut after "
                f"{self.settings.stream_seconds:g}s of recording (it did not end); replay ends it there too",
                fails=False,
            )
        return deliver

    def _failed(self, entry: Entry, error: BaseException) -> None:
        text, _ = self.recorder.redactor.text(f"{type(error).__name__}: {error}")
        entry.error = text
        with self._lock:
            self._transport_errors.append(f"{entry.method} {entry.url}: {text}")

    # -- results ------------------------------------------------------------------------------
    @property
    def interactions(self) -> list[Interaction]:
        """This run's timeline of HTTP requests and tool calls, in order, redacted."""
        with self._lock:
            entries = sorted(self._entries, key=lambda e: e.seq)
        return [to_interaction(e) for e in entries]

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
        base = self._loaded.data.interactions if self._loaded is not None and self.mode == "new_episodes" else None
        data = build_cassette(entries, self.case_id, base)
        text = store.dumps(data)
        redactor, where = self.recorder.redactor, str(self.path)
        problems = store.atomic_write(
            self.path, text, check=lambda temp: scan_text(temp.read_text("utf-8"), redactor, where)
        )
        self.recorder.forget(self.path)
        for problem in problems:
            message = f"{problem.message} — cassette not written"
            self._add(problem.oracle, message, got=problem.got, evidence=problem.path)


class Pending:
    """A request going to the real connector; the stub reports the outcome with done() or failed()."""

    def __init__(self, recording: CaseRecording, entry: Entry, fault: FaultOperator | None) -> None:
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
