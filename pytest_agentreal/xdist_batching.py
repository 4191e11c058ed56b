"""xdist: a worker hands the controller its corpus items' events in bulk, not six messages an item.

pytest-xdist's worker sends ``logstart``, three ``testreport`` s, ``logfinish`` and
``runtest_protocol_complete`` for every item, each serialised by execnet (in Python), written and
flushed to the pipe on its own, and each one waking the controller: measured on two cores, a
message costs the worker ~0.16 ms of wall time, and six of them as much as a fast agent's own
work. For the plugin's own items (cases, samples, exploration) the worker keeps an item's events
until it completes, then:

- when they hold only what a plain report holds (no failure, no user properties, no other
  plugin's attributes), it appends them as one JSON line to a *spool* file beside the controller
  and tells the controller how far to read every 16 items, whenever its own queue of items runs
  empty, before any other message, and at the latest 50 ms after an item completes (a small
  thread checks while the next item runs);
- otherwise (a failure's traceback, say) it sends what the spool holds, then the item's events
  as one message, at once.

The controller reads each line, decodes it (C's JSON instead of execnet's decoder) and hands each
event to xdist exactly as if it had come alone, in the order sent. If a worker dies, the
controller first reads every complete line left in its spool, so each item that completed is
reported, and xdist blames the crash on the item that was running, as it always did. Workers on
other hosts (no shared disk) send each item's events as one JSON message instead.

Both ends are switched on together: the controller (:func:`unpack_on_controller`, from
``pytest_configure_node``) says through ``workerinput`` how the worker may send; only then does
the worker change how it sends (:func:`batch_on_worker`). Both rely on xdist's documented hooks
plus attributes checked before use: the worker's ``sendevent``, ``channel`` and queue, and the
controller's ``_shutdown_sent`` (set when a dead worker's spool is read, see ``_going_down``).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["WORKERINPUT_KEY", "batch_on_worker", "decode", "encode", "unpack_on_controller"]

WORKERINPUT_KEY = "agentreal_events"
GROUP = 16
"""Items whose events a worker spools before it tells the controller (at most)."""
_WAIT_S = 0.05  # ... and at most this long: slow items are still reported as they finish
_ROTATE_BYTES = 8 << 20  # a spool file this large is left for a fresh one (and then deleted)

_EVENTS = "agentreal_events"  # kwargs {"events": [(name, kwargs), ...]}
_JSON = "agentreal_events_json"  # kwargs {"json": encode(events)}
_SPOOL = "agentreal_events_spool"  # kwargs {"file": number, "upto": byte offset}
_KEPT = frozenset({"logstart", "testreport", "logfinish"})
_LAST = "runtest_protocol_complete"
_OWN = frozenset({_EVENTS, _JSON, _SPOOL})

Event = tuple[str, dict[str, Any]]

# What a serialised passing report may hold: pytest's ``_report_to_json`` keys, xdist's and this
# plugin's. Another plugin's attribute could be anything JSON would change (a tuple, bytes).
_PLAIN_KEYS = frozenset(
    {
        "$report_type", "nodeid", "location", "keywords", "outcome", "longrepr", "when",
        "user_properties", "sections", "duration", "start", "stop",
        "item_index", "worker_id", "testrun_uid", "agentreal",
    }
)  # fmt: skip


# --- controller ------------------------------------------------------------------------------


def unpack_on_controller(node: Any, spool_dir: Path | None) -> None:
    """Make xdist's controller for one worker (``node``) take bulk events, and say so to it.

    Called from ``pytest_configure_node``, before xdist installs ``node.process_from_remote`` as
    the channel's callback (so the instance attribute set here is what it installs). A
    ``spool_dir`` (shared with the worker: same host) lets the worker spool its events.
    """
    spool = None
    if spool_dir is not None and getattr(node.gateway.spec, "popen", False):
        spool = str(spool_dir / f"{node.gateway.id}")
    node.process_from_remote = _Receiver(node.process_from_remote, spool, node)
    node.workerinput[WORKERINPUT_KEY] = {"spool": spool}


class _Receiver:
    """The controller's end for one worker: unpacks bulk events and reads the worker's spool.

    Called in execnet's receiver thread, as xdist's own callback is.
    """

    def __init__(self, deliver: Callable[[Any], None], spool: str | None, node: Any = None) -> None:
        self.deliver = deliver
        self.spool = spool
        self.node = node
        self.number = -1  # the spool file being read
        self.file: BinaryIO | None = None
        self.offset = 0

    def __call__(self, eventcall: Any) -> None:
        if type(eventcall) is not tuple:  # xdist's end marker: the channel closed
            try:
                self.drain()
            except Exception:  # the worker is reported down (crashed) all the same
                self._next_file(None)
            self.deliver(eventcall)
            return
        try:
            self._unpack(eventcall)
        except Exception:
            self._fail()

    def _fail(self) -> None:
        # As xdist's own callback does with an event it cannot handle: report the error and the
        # worker down, rather than let execnet's receiver thread die with the exception.
        import pytest

        excinfo = pytest.ExceptionInfo.from_current()
        node = self.node
        node.config.notify_exception(excinfo)
        node.shutdown()
        node.notify_inproc("errordown", node=node, error=excinfo)

    def _unpack(self, eventcall: tuple[Any, ...]) -> None:
        name = eventcall[0]
        if name not in _OWN:
            self.deliver(eventcall)
        elif name == _SPOOL:
            self.read(eventcall[1]["file"], eventcall[1]["upto"])
        elif name == _JSON:
            self._deliver_all(decode(eventcall[1]["json"]))
        else:
            self._deliver_all(eventcall[1]["events"])

    def read(self, number: int, upto: int) -> None:
        """Deliver the events of spool file ``number`` up to byte ``upto``."""
        if number != self.number:
            self._next_file(number)  # the worker told how far the last one went before moving on
        if upto > self.offset:
            assert self.file is not None
            data = self.file.read(upto - self.offset)  # the file is read in order: no seeking
            self.offset += len(data)
            self._deliver_lines(data)

    def drain(self) -> None:
        """Deliver every complete line left in the spool (the worker is gone), then remove it."""
        while self.spool is not None:
            if self.file is not None:
                data = self.file.read()
                end = data.rfind(b"\n") + 1  # a line cut short by a crash is dropped
                self.offset += end
                if end:
                    self._going_down()
                self._deliver_lines(data[:end])
            if not Path(f"{self.spool}.{self.number + 1}").exists():
                break
            self._next_file(self.number + 1)  # written to, never told of
        self._next_file(None)

    def _going_down(self) -> None:
        # The worker is gone, and what it finished is about to be reported: xdist's schedulers
        # would answer "item done" with more work for it (a send on a closed channel) unless the
        # node is shutting down. Its own end-of-channel handling (the crash report) is unchanged.
        if hasattr(self.node, "_shutdown_sent"):
            self.node._shutdown_sent = True

    def _next_file(self, number: int | None) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
            # The worker moved on only after telling how far this file goes: it was read. (Where
            # an open file cannot be deleted, the folder goes at the end of the run instead.)
            with contextlib.suppress(OSError):
                Path(f"{self.spool}.{self.number}").unlink()
        if number is not None:
            self.file = open(f"{self.spool}.{number}", "rb")  # noqa: SIM115 - closed in _next_file
            self.number, self.offset = number, 0

    def _deliver_lines(self, data: bytes) -> None:
        for line in data.splitlines():
            self._deliver_all(decode(line))

    def _deliver_all(self, events: Sequence[Any]) -> None:
        for event in events:
            self.deliver(event)


# --- worker ----------------------------------------------------------------------------------


def batch_on_worker(config: Any, batched: Sequence[bool]) -> bool:
    """In an xdist worker whose controller takes bulk events, send the events of the items at
    the indices where ``batched`` is true in bulk (see the module).

    Returns whether this was switched on (not when the controller did not ask for it, or this
    xdist's worker lacks the ``sendevent`` and ``channel`` it wraps).
    """
    workerinput = getattr(config, "workerinput", None)
    asked = workerinput.get(WORKERINPUT_KEY) if isinstance(workerinput, dict) else None
    if not isinstance(asked, dict):
        return False
    interactor = _interactor(config)
    if interactor is None:
        return False
    sender = _Sender(interactor.sendevent, interactor.channel.send, interactor, batched, asked.get("spool"))
    interactor.sendevent = sender.sendevent
    config.add_cleanup(sender.close)
    return True


class _Sender:
    """The worker's end: keeps an item's events, spools or sends them when it completes."""

    def __init__(
        self,
        send_event: Callable[..., None],
        send: Callable[[Any], None],
        interactor: Any,
        batched: Sequence[bool],
        spool: str | None,
    ) -> None:
        self.send_event = send_event  # xdist's own sendevent
        self.send = send  # the channel's send
        self.interactor = interactor
        self.batched = batched
        self.spool = spool
        self.kept: list[Event] = []
        self.fd: int | None = None
        self.number = -1
        self.written = 0  # bytes in the current spool file
        self.told = 0  # ... of which the controller was told
        self.waiting = 0  # items spooled, not told
        self.last_told = time.monotonic()
        self.lock = threading.RLock()
        self.ticker: threading.Thread | None = None
        self.closed = threading.Event()

    def sendevent(self, name: str, **kwargs: Any) -> None:
        """Replaces xdist's ``WorkerInteractor.sendevent``."""
        # xdist's receiver thread sends too (work stolen back by the controller).
        with self.lock:
            index = getattr(self.interactor, "item_index", None)
            if name in _KEPT and index is not None and self.batched[index]:
                self.kept.append((name, kwargs))
            elif name == _LAST and self.kept:
                self.kept.append((name, kwargs))
                self._item_done()
            else:
                self.flush()  # anything else keeps its place after what came before it
                self.send_event(name, **kwargs)

    def flush(self) -> None:
        """Tell the controller about everything spooled, then send what is kept."""
        self._tell()
        if self.kept:
            kept, self.kept = self.kept, []
            self.send(kept[0] if len(kept) == 1 else (_EVENTS, {"events": kept}))

    def close(self) -> None:
        self.closed.set()
        with self.lock:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None

    def _tick(self) -> None:
        # A quick item followed by a slow one: the quick one's events must not wait for the
        # slow one to end. Checked from this thread, as the worker is busy running the item.
        while not self.closed.wait(_WAIT_S):
            with self.lock:
                if self.waiting and time.monotonic() - self.last_told >= _WAIT_S:
                    self._tell()

    def _item_done(self) -> None:
        text = encode(self.kept)
        if text is None:
            self.flush()
            return
        self.kept = []
        if self.spool is None:
            self.send((_JSON, {"json": text}))
            return
        if self.fd is None or self.written >= _ROTATE_BYTES:
            try:
                self._next_file()
            except OSError:  # no spool after all: each item's events as one message
                self.spool = None
                self.send((_JSON, {"json": text}))
                return
        assert self.fd is not None
        line = text.encode() + b"\n"
        try:
            count = os.write(self.fd, line)
        except OSError:  # a full disk, say
            count = -1
        if count != len(line):
            # What was written whole is told of (a cut line is never read: it has no newline);
            # from here on each item's events go as one message.
            self._tell()
            os.close(self.fd)
            self.fd = None
            self.spool = None
            self.send((_JSON, {"json": text}))
            return
        self.written += len(line)
        self.waiting += 1
        if self.ticker is None:
            self.ticker = threading.Thread(target=self._tick, name="agentreal-xdist-events", daemon=True)
            self.ticker.start()
        if self.waiting >= GROUP or time.monotonic() - self.last_told >= _WAIT_S or self._queue_empty():
            self._tell()

    def _tell(self) -> None:
        if self.written > self.told:
            self.send((_SPOOL, {"file": self.number, "upto": self.written}))
            self.told = self.written
        self.waiting = 0
        self.last_told = time.monotonic()

    def _next_file(self) -> None:
        # Only after the controller was told how far the current file goes (it then deletes it).
        self._tell()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        self.number += 1
        self.fd = os.open(f"{self.spool}.{self.number}", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.written = self.told = 0

    def _queue_empty(self) -> bool:
        # The worker asks for its next item as it starts one: with none queued it would wait
        # for the controller, which must first hear that this one is done.
        queue = getattr(getattr(self.interactor, "torun", None), "_items", None)
        return queue is None or not queue


def _interactor(config: Any) -> Any:
    """xdist's ``WorkerInteractor`` of this worker (a registered plugin), if it has the expected shape.

    Matched by name: xdist runs its worker module through execnet (``remote_exec``), not as
    ``xdist.remote``, so the class is not the one an import would give.
    """
    for plugin in config.pluginmanager.get_plugins():
        if (
            type(plugin).__name__ == "WorkerInteractor"
            and callable(getattr(plugin, "sendevent", None))
            and callable(getattr(getattr(plugin, "channel", None), "send", None))
        ):
            return plugin
    return None


# --- the JSON form ---------------------------------------------------------------------------


def encode(events: Sequence[Event]) -> str | None:
    """One item's events as JSON text, or ``None`` when JSON would not bring them back as they
    are (a failure's traceback, user properties, another plugin's report attributes)."""
    for name, kwargs in events:
        if name == "testreport":
            if len(kwargs) != 1 or not _plain_report(kwargs.get("data")):
                return None
        elif name in ("logstart", "logfinish"):
            if len(kwargs) != 2 or not _is_location(kwargs.get("location")) or type(kwargs.get("nodeid")) is not str:
                return None
        elif name != _LAST or len(kwargs) != 2 or type(kwargs.get("item_index")) is not int:
            return None
    try:
        return json.dumps(events, separators=(",", ":"))
    except (TypeError, ValueError):  # a value of an unexpected type: execnet's way instead
        return None


def decode(text: str | bytes) -> list[Event]:
    """:func:`encode`'s events back, with the tuples that JSON made lists made tuples again."""
    events: list[Event] = []
    for name, kwargs in json.loads(text):
        if name == "testreport":
            data = kwargs["data"]
            data["location"] = tuple(data["location"])
            if data["sections"]:
                data["sections"] = [tuple(section) for section in data["sections"]]
        elif name != _LAST:
            kwargs["location"] = tuple(kwargs["location"])
        events.append((name, kwargs))
    return events


def _plain_report(data: Any) -> bool:
    if type(data) is not dict or not _PLAIN_KEYS.issuperset(data):
        return False
    if data.get("longrepr") is not None or data.get("user_properties"):
        return False
    keywords = data.get("keywords")
    if type(keywords) is not dict or not all(type(v) is int for v in keywords.values()):
        return False
    sections = data.get("sections")
    if type(sections) is not list or not all(_is_pair_of_str(s) for s in sections):
        return False
    return _is_location(data.get("location"))


def _is_location(value: Any) -> bool:
    return (
        type(value) is tuple
        and len(value) == 3
        and type(value[0]) is str
        and (value[1] is None or type(value[1]) is int)
        and type(value[2]) is str
    )


def _is_pair_of_str(value: Any) -> bool:
    return type(value) is tuple and len(value) == 2 and type(value[0]) is str and type(value[1]) is str
