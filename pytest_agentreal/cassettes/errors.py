"""What replay raises into the agent: a request or tool call the cassette cannot answer, and the
recorded exceptions of tool functions."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from ..errors import AgentRealError
from .faults import ConnectorFault


class RequestNotRecorded(AgentRealError):
    """Replay has no answer for a request; the case already holds a finding that names it."""


class ToolCallNotRecorded(RequestNotRecorded):
    """Replay has no recorded result for a tool call; the case's finding names the closest call."""


class RecordedToolError(Exception):
    """A tool function's recorded exception whose type is not a builtin (replayed by name)."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


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
