"""Pure work split across the machine's cores: forked children compute, this process gathers.

Anonymising is CPU-bound Python, so threads do not help; processes do. A fork shares everything
the parent built (records, the table's state) without sending it, so only results travel back,
pickled: through a memory file (``memfd``: no copy through a pipe, and the child need not wait for
the parent to read) where Linux has one, else through the pipe that also says when they are
there. :func:`split_map` runs ``function`` on every task — some tasks in forked children, the
rest here — and returns the results in task order. ``function`` must be pure (same result in any
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
import mmap
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = [
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
    """``[function(t) for t in tasks]``, the tasks shared among processes by ``weights``.

    ``done(index, result)``, if given, is called here for each result as soon as it is known
    (those of this process first, while the children still work), in no particular order.
    """
    global _busy
    count = min(available_processes(), len(tasks)) if not _busy else 1
    total = sum(weights)
    if _busy or count < 2 or total < (MINIMUM_WORK if minimum is None else minimum) or not can_fork():
        out = []
        for index, task in enumerate(tasks):
            out.append(result := function(task))
            if done is not None:
                done(index, result)
        return out
    shares = _shares(weights, count)
    results: list[R | None] = [None] * len(tasks)
    children: list[tuple[int, int, int | None, list[int]]] = []
    _busy = True  # tasks that split work again do it here: the cores are busy already
    try:
        for share in shares[1:]:
            if not share:
                continue
            read, write = os.pipe()
            space = _memory_file()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which reports through the pipe
                os.close(read)
                _child(function, [tasks[i] for i in share], write, space)
            os.close(write)
            children.append((pid, read, space, share))
        for i in shares[0]:
            results[i] = result = function(tasks[i])
            if done is not None:
                done(i, result)
        for pid, read, space, share in children:
            found: list[R] | None = _gather(pid, read, space, len(share))
            if found is None:  # the child failed: its tasks are done here (pure: same results)
                found = [function(tasks[i]) for i in share]
            for i, result in zip(share, found, strict=True):
                results[i] = result
                if done is not None:
                    done(i, result)
        children.clear()
    finally:
        _busy = False
        for pid, read, space, _share in children:  # interrupted: do not leave children behind
            _stop(pid, read, space)
    return results  # type: ignore[return-value]  # every slot is filled


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


_GATHER_SHARE = 0.05
"""This process also gathers the children's results: it starts with this share of the work."""


def _shares(weights: Sequence[float], count: int) -> list[list[int]]:
    """Task indices per process: heaviest first, each to the least loaded (deterministic)."""
    loads = [0.0] * count
    loads[0] = _GATHER_SHARE * sum(weights)
    shares: list[list[int]] = [[] for _ in range(count)]
    for i in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        lightest = loads.index(min(loads))
        shares[lightest].append(i)
        loads[lightest] += weights[i]
    for share in shares:
        share.sort()
    return shares


def _memory_file() -> int | None:
    """A file in memory for a child's results (``None``: none here; they go through the pipe)."""
    create = getattr(os, "memfd_create", None)
    if create is None:
        return None
    try:
        return create("agentreal-results", os.MFD_CLOEXEC)  # type: ignore[no-any-return]
    except OSError:
        return None


_HEADER = 9
"""What a child writes to its pipe once its results are complete: where they are (``M``: in the
memory file, ``P``: next in the pipe), then their size (8 bytes). Without it, the parent would
have to wait for the pipe's end, which comes only once the child's memory is torn down."""


def _child(function: Callable[[T], R], tasks: list[T], write: int, space: int | None) -> None:  # pragma: no cover
    global _busy, _child_process
    _busy = _child_process = True
    status = 1
    try:
        data = pickle.dumps([function(task) for task in tasks], protocol=pickle.HIGHEST_PROTOCOL)
        size = len(data).to_bytes(8, "big")
        if space is not None and _write_all(space, data):
            _write_all(write, b"M" + size)
        else:
            _write_all(write, b"P" + size + data)
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


def _gather(pid: int, read: int, space: int | None, expected: int) -> list[R] | None:
    """A child's results (``None`` if it failed: the caller redoes its tasks)."""
    try:
        header = _read_exactly(read, _HEADER)
        found: Any = None
        if len(header) == _HEADER:
            size = int.from_bytes(header[1:], "big")
            if header[:1] == b"M" and space is not None and size:
                with mmap.mmap(space, size, access=mmap.ACCESS_READ) as view:
                    found = pickle.loads(view)  # read where the child wrote it: no copy
            elif header[:1] == b"P":
                data = _read_exactly(read, size)
                found = pickle.loads(data) if len(data) == size else None
    except Exception:  # a truncated or unreadable message: redo the work
        found = None
    finally:
        os.close(read)
        if space is not None:
            os.close(space)
        # Its results are complete before it says so: its exit status adds nothing (and it is
        # reaped here, by now mostly torn down while its results were read).
        os.waitpid(pid, 0)
    return found if isinstance(found, list) and len(found) == expected else None


def _stop(pid: int, read: int, space: int | None) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    for fd in (read, space):
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
