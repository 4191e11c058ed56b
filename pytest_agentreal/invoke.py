"""Call an agent once: sync or ``async def``, within a time limit, and normalise what it returns.

An agent may return a dict, a pydantic model, a dataclass or a JSON string; everything downstream
(schemas, pointers, baselines) works on plain JSON-like data, so it is converted here once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from typing import Any

from .model import AgentError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_DIRS = tuple(
    {os.path.dirname(os.__file__), os.path.dirname(inspect.__file__)}
    | {p for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
)


class AgentTimeout(BaseException):
    """Raised inside the agent when its time is up (BaseException: a bare ``except Exception`` in
    the agent must not swallow it)."""


class OutputError(ValueError):
    """The agent returned something that is not JSON-like data."""


def normalise_output(value: Any) -> Any:
    """A dict (or any JSON value) from a dict, pydantic model, dataclass or JSON string."""
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise OutputError(f"the agent returned a string that is not JSON: {exc.msg}") from None
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    if value is None or isinstance(value, (list, int, float, bool)):
        return value
    raise OutputError(f"the agent returned a {type(value).__name__}; return a dict, a pydantic model, "
                      "a dataclass or a JSON string")


def agent_frame(tb: Any) -> str:
    """The innermost traceback frame in the agent's own code (not this package, not libraries)."""
    frames = traceback.extract_tb(tb)
    own = [f for f in frames
           if not f.filename.startswith(_PACKAGE_DIR) and not f.filename.startswith(_LIBRARY_DIRS)]
    candidates = own or list(frames)
    if not candidates:
        return ""
    frame = candidates[-1]
    where = os.path.relpath(frame.filename) if not frame.filename.startswith("<") else frame.filename
    code = f": {frame.line.strip()}" if frame.line else ""
    return f"{where}:{frame.lineno} in {frame.name}{code}"


def describe_exception(exc: BaseException, delivery: int) -> AgentError:
    """An :class:`AgentError` for an exception the agent raised."""
    message = str(exc).splitlines()[0] if str(exc) else ""
    return AgentError(type(exc).__name__, message[:300], agent_frame(exc.__traceback__), delivery)


def _alarm_usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def _alarm(seconds: float) -> Any:
    def on_alarm(signum: int, frame: Any) -> None:
        raise AgentTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _run_awaitable(awaitable: Any, remaining: float) -> Any:
    async def bounded() -> Any:
        try:
            return await asyncio.wait_for(awaitable, timeout=max(remaining, 0.001))
        except asyncio.TimeoutError:
            raise AgentTimeout() from None

    return asyncio.run(bounded())


def _call_in_thread(call: Callable[[], Any], timeout: float) -> Any:
    """Fallback off the main thread: the agent runs in a daemon thread we stop waiting for."""
    import contextvars

    box: dict[str, Any] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            box["value"] = context.run(call)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="agentreal-agent")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise AgentTimeout()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def call_agent(agent: Callable[[Any], Any], payload: Any, timeout: float) -> Any:
    """Call ``agent(payload)``, awaiting it when it is async, raising :class:`AgentTimeout` past ``timeout``."""
    started = time.perf_counter()

    def sync_part() -> Any:
        return agent(payload)

    if _alarm_usable():
        with _alarm(timeout):
            result = sync_part()
    else:
        result = _call_in_thread(sync_part, timeout)
    if inspect.isawaitable(result):
        return _run_awaitable(result, timeout - (time.perf_counter() - started))
    return result
