"""The case recording that intercepted traffic and tool calls belong to, one per process at a time.

Process-wide rather than a context variable: agents run in worker threads and event loops that do
not inherit the runner's context, and one process runs one case at a time.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .recording import CaseRecording

_lock = threading.Lock()
_current: CaseRecording | None = None


def current() -> CaseRecording | None:
    """The active case recording, or ``None`` outside a case (traffic then passes through)."""
    return _current


def activate(recording: CaseRecording) -> None:
    """Make ``recording`` the active one; opening a second case at once is a runner bug."""
    global _current
    with _lock:
        if _current is not None and _current is not recording:
            raise RuntimeError(f"case {_current.case_id!r} is still recording; close it before opening another")
        _current = recording


def deactivate(recording: CaseRecording) -> None:
    """End ``recording``'s turn (a no-op when another one is active)."""
    global _current
    with _lock:
        if _current is recording:
            _current = None
