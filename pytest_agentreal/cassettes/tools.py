"""Tool-function calls of a case (``agentreal.connector``): replayed, faulted or run and recorded."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ToolCallNotRecorded, rebuild_error
from .faults import ConnectorFault, FaultOperator, NotApplicable
from .match import Matcher, RequestKey, json_key
from .timeline import Entry, short

if TYPE_CHECKING:
    from pathlib import Path

    from .recorder import LoadedCassette, Recorder
    from .settings import CassetteSettings


@dataclass
class ToolPlan:
    """What a tool call does: return ``result``, raise ``error``, or run for real (``run``)."""

    entry: Entry
    run: bool = False
    result: Any = None
    error: BaseException | None = None
    fault: FaultOperator | None = None


class ToolCalls:
    """The tool-call half of :class:`~.recording.CaseRecording` (mixed into it)."""

    recorder: Recorder
    settings: CassetteSettings
    path: Path
    delivery: int
    replaying: bool
    recording: bool
    _lock: threading.RLock
    _seq: itertools.count[int]
    _entries: list[Entry]
    _loaded: LoadedCassette | None
    _tools: Matcher | None

    # Provided by CaseRecording; declared here so the tool half type-checks on its own.
    def _fault_for(self, method: str, url: str, body: Any) -> FaultOperator | None:
        raise NotImplementedError

    def _refuse(self, entry: Entry, matcher: Matcher | None, key: RequestKey) -> None:
        raise NotImplementedError

    def _add(
        self, oracle: str, message: str, *, got: str = "", expected: str = "", evidence: str = "", fails: bool = True
    ) -> None:
        raise NotImplementedError

    def begin_tool(self, name: str, args: dict[str, Any]) -> ToolPlan:
        """Decide a tool call's fate: a recorded result or error, an injected fault, or a real call."""
        redacted, _ = self.recorder.redactor.json(args)
        key = RequestKey("CALL", name, json_key(redacted, self.settings.match_ignore))
        with self._lock:
            entry = Entry(next(self._seq), "tool", self.delivery, "CALL", name, key, args=redacted)
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
                f"tool call {name}({short(redacted)}) is not in cassette {self.path} (see the case's findings)"
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
