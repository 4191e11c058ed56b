"""Pure work split across the machine's cores: forked children compute, this process gathers.

Anonymising is CPU-bound Python, so threads do not help; processes do. A fork shares everything
the parent built (records, the table's state) without sending it, so only results travel back.
:func:`split_map` runs ``function`` on every task and returns the results in task order: every
process (forked children, and this one) takes the next task from a shared queue as soon as it is
free, heaviest first, so they all end at about the same time. A child sends each result as soon
as it has it, pickled into a memory file (``memfd``: no copy through a pipe, no waiting for the
parent to read) where Linux has one, else through its pipe, which also says where each result is;
this process reads them between its own tasks. ``function`` must be pure (same result in any
process) and its results picklable: then the outcome is identical with or without children,
which is why it may fall back to running everything here at any time:

- where ``os.fork`` is missing or unsafe (not Linux; other threads are running, whose locks a
  child would inherit held);
- when the work is too small to pay for a fork (``minimum``), or ``AGENTREAL_WORKERS=1``;
- when other programs keep the other cores busy right now (unless ``AGENTREAL_WORKERS`` is set):
  a child would only take turns with this process on one core;
- when a child fails in any way (its tasks are then done here: pure, so the same result).

Children exit with ``os._exit``: no atexit handlers, no flushing of inherited buffers, no output.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = [
    "MAX_SHARED",
    "MINIMUM_WORK",
    "Strings",
    "available_processes",
    "can_fork",
    "in_child",
    "processes",
    "split_map",
    "strings",
]

T = TypeVar("T")
R = TypeVar("R")

MINIMUM_WORK = 20_000.0
"""Below this much work (in the callers' weight units, ~values) one process does it all: a fork
and the results' trip back cost about as much as a few thousand values."""

_ENV = "AGENTREAL_WORKERS"
_busy = False  # inside split_map (a child, or this process doing its share): no nested forks
_child_process = False


def processes() -> int:
    """How many processes may work at once: ``$AGENTREAL_WORKERS``, else the usable cores (at most 4)."""
    configured = os.environ.get(_ENV, "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return int(configured)
    return max(1, min(_cores(), 4))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def available_processes() -> int:
    """:func:`processes`, fewer when other programs keep cores busy right now (unless configured):
    a child on a busy core only slows this process down."""
    count = processes()
    if os.environ.get(_ENV, "").strip().isdigit():
        return count
    running = 1
    for attempt in range(_SAMPLES):
        try:
            with open("/proc/loadavg", encoding="ascii") as stream:
                running = int(stream.read().split()[3].partition("/")[0])  # runnable now, this one included
        except (OSError, ValueError, IndexError):
            return count
        if running <= 1 or attempt == _SAMPLES - 1:
            break
        # A task runnable for an instant (a kernel thread freeing a child's memory) is no
        # program keeping a core busy: only what is still there a little later counts.
        time.sleep(_SAMPLE_GAP)
    return max(1, min(count, _cores() - (running - 1)))


_SAMPLES = 3
_SAMPLE_GAP = 0.002


def in_child() -> bool:
    """Whether this is a forked child of :func:`split_map` (its effects on state are lost)."""
    return _child_process


def can_fork() -> bool:
    """Whether work can be shared here at all (Linux, and no other thread whose locks a child
    would inherit held)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def split_map(
    function: Callable[[T], R],
    tasks: Sequence[T],
    weights: Sequence[float],
    *,
    minimum: float | None = None,
    done: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``[function(t) for t in tasks]``, the tasks shared among processes.

    Each process takes the next task as soon as it is free, heaviest first by ``weights`` (their
    sum also says whether sharing is worth a fork): no process waits while another still has a
    queue of its own. ``done(index, result)``, if given, is called here for each result as soon
    as it is known (those of this process first, while the children still work), in no
    particular order.
    """
    global _busy
    count = min(available_processes(), len(tasks)) if not _busy else 1
    total = sum(weights)
    if (
        _busy
        or count < 2
        or total < (MINIMUM_WORK if minimum is None else minimum)
        or len(tasks) > MAX_SHARED
        or not can_fork()
    ):
        out = []
        for index, task in enumerate(tasks):
            out.append(result := function(task))
            if done is not None:
                done(index, result)
        return out
    _reap_earlier()
    results: list[Any] = [_NOT_DONE] * len(tasks)
    children: list[_Child] = []
    queue = _task_queue(weights)

    def finish(index: int, result: Any) -> None:
        results[index] = result
        if done is not None:
            done(index, result)

    _busy = True  # tasks that split work again do it here: the cores are busy already
    try:
        for _ in range(count - 1):
            read, write = os.pipe()
            space = _memory_file()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which reports through the pipe
                os.close(read)
                _child(function, tasks, queue, write, space)
            os.close(write)
            children.append(_Child(pid, read, space, len(tasks)))
        while (claimed := _claim(queue)) is not None:
            finish(claimed, function(tasks[claimed]))
            # Results the children have ready are read between tasks here: reading them is work
            # too, and then this process takes fewer of the tasks left.
            for child in children:
                while child.ready() and (found := child.next()) is not None:
                    finish(*found)
        while children:
            # What a child that failed did not send is done here below (pure: same results).
            while (found := children[0].next()) is not None:
                finish(*found)
            children.pop(0).close()
        for index, result in enumerate(results):
            if result is _NOT_DONE:
                finish(index, function(tasks[index]))
    finally:
        _busy = False
        os.close(queue)
        for child in children:  # interrupted: do not leave children behind
            child.stop()
    return results


_NOT_DONE: Any = object()

_TASK_BYTES = 4
MAX_SHARED = (1 << 16) // _TASK_BYTES
"""At most this many tasks are shared: their numbers fit in a pipe's buffer (64 KiB, Linux's
default and the least it gives), written before any process takes one."""


def _task_queue(weights: Sequence[float]) -> int:
    """A pipe holding every task's number, heaviest first (deterministic): the read end, whose
    every 4-byte read takes one task (a pipe read is one step, so no two processes take the same)."""
    read, write = os.pipe()
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    try:
        _write_all(write, b"".join(i.to_bytes(_TASK_BYTES, "big") for i in order))
    finally:
        os.close(write)  # once every number is taken, a read finds the end
    return read


def _claim(queue: int) -> int | None:
    """The next task's number (``None``: all are taken)."""
    data = os.read(queue, _TASK_BYTES)
    return int.from_bytes(data, "big") if len(data) == _TASK_BYTES else None


class Strings(list[str]):
    """A list of strings that travels between processes as one string (far less to pickle and
    unpickle than many small objects); a plain list when a string holds the separator."""

    def __reduce__(self) -> tuple[Any, ...]:
        joined = "\x00".join(self)
        if self and joined.count("\x00") == len(self) - 1:
            return (_split, (joined,))
        return (Strings, (list(self),))


def _split(joined: str) -> Strings:
    return Strings(joined.split("\x00"))


def strings(values: list[Any]) -> list[Any]:
    """``values`` as :class:`Strings` when they are all ``str`` (else as they are)."""
    return Strings(values) if values and all(v.__class__ is str for v in values) else values


def _memory_file() -> int | None:
    """A file in memory for a child's results (``None``: none here; they go through the pipe)."""
    create = getattr(os, "memfd_create", None)
    if create is None:
        return None
    try:
        return create("agentreal-results", os.MFD_CLOEXEC)  # type: ignore[no-any-return]
    except OSError:
        return None


_HEADER = struct.Struct(">cIQ")
"""What a child writes to its pipe as soon as a task's result is ready: where it is (``M``: next
in the memory file, ``P``: next in the pipe), the task's number and the result's size; ``E``:
the child's last word. The parent reads the results that are ready while the child still works
on its last task, and never needs the pipe's end (which comes only once the child's memory is
torn down)."""


def _child(  # pragma: no cover - in the child
    function: Callable[[T], R], tasks: Sequence[T], queue: int, write: int, space: int | None
) -> None:
    global _busy, _child_process
    _busy = _child_process = True
    status = 1
    try:
        pack = _HEADER.pack
        while (index := _claim(queue)) is not None:
            data = pickle.dumps(function(tasks[index]), protocol=pickle.HIGHEST_PROTOCOL)
            if space is not None and _write_all(space, data):
                _write_all(write, pack(b"M", index, len(data)))
            else:  # no memory file, or it is full: everything from here on goes through the pipe
                if space is not None:
                    os.close(space)
                    space = None
                _write_all(write, pack(b"P", index, len(data)) + data)
        _write_all(write, pack(b"E", 0, 0))
        status = 0
    except BaseException:  # the parent redoes the work; nothing to print
        status = 1
    finally:
        os._exit(status)


def _write_all(fd: int, data: bytes) -> bool:
    """Write all of ``data`` (``False`` when the file is full: a memory file on a full tmpfs)."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError:
        return False
    return True


def _read_exactly(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd`` (fewer: its writer ended before)."""
    chunks: list[bytes] = []
    while size > 0 and (chunk := os.read(fd, min(size, 1 << 20))):
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


class _Child:
    """The parent's end of a child: its results, read one at a time as they come."""

    def __init__(self, pid: int, read: int, space: int | None, tasks: int) -> None:
        self.pid, self.read, self.space, self.tasks = pid, read, space, tasks
        self.offset = 0  # where the next result starts in the memory file
        self.ended = False
        self.poll = select.poll()  # not select.select: no limit on the descriptor's number
        self.poll.register(read, select.POLLIN)

    def ready(self) -> bool:
        """Whether a word from the child waits (reading it will not wait for the child's work)."""
        return not self.ended and bool(self.poll.poll(0))

    def next(self) -> tuple[int, Any] | None:
        """The next ``(task number, result)`` (waiting for it); ``None``: the child has no more (it
        is done, or it failed and the caller redoes the tasks it did not send)."""
        while not self.ended:
            header = _read_exactly(self.read, _HEADER.size)
            if len(header) != _HEADER.size:
                break
            where, index, size = _HEADER.unpack(header)
            if where == b"E" or not 0 <= index < self.tasks:
                break
            if where == b"M" and self.space is not None:
                data = os.pread(self.space, size, self.offset)  # one copy from the memory file, no pipe
                self.offset += size
            elif where == b"P":
                data = _read_exactly(self.read, size)
            else:
                break
            if len(data) != size:
                break
            try:
                return index, pickle.loads(data)
            except Exception:  # unreadable: the task is redone
                continue
        self.ended = True
        return None

    def close(self) -> None:
        """Done with it: close its pipe and memory file, and reap it (now, or once it is gone:
        its memory may still be being torn down, nothing to wait for)."""
        _close(self.read, self.space)
        try:
            done, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return
        if not done:
            _unreaped.append(self.pid)

    def stop(self) -> None:
        """Interrupted: kill it, reap it and close its ends."""
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        _close(self.read, self.space)


def _close(*fds: int | None) -> None:
    for fd in fds:
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


_unreaped: list[int] = []


def _reap_earlier() -> None:
    """Reap the children of earlier calls that were still being torn down (long gone by now)."""
    while _unreaped:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(_unreaped.pop(), 0)
