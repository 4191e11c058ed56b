"""One writer per cassette: an inter-process lock (xdist workers, parallel CI jobs on one host)."""

from __future__ import annotations

import contextlib
import hashlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class LockTimeout(Exception):
    """Another process kept a cassette's lock for longer than the timeout."""


@contextlib.contextmanager
def cassette_lock(path: Path, timeout: float) -> Iterator[None]:
    """An exclusive inter-process lock on one cassette (xdist workers, parallel CI jobs on a host).

    The lock file lives in the system temp directory, keyed by the cassette's absolute path, so
    the corpus folder stays clean; the OS releases it when a holder dies, even by SIGKILL.
    """
    key = hashlib.blake2b(str(path.resolve()).encode("utf-8"), digest_size=12).hexdigest()
    lock_dir = Path(tempfile.gettempdir()) / "pytest-agentreal-locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    handle = open(lock_dir / f"{key}.lock", "a+b")  # noqa: SIM115 - held for the whole block
    try:
        _acquire(handle, timeout)
        try:
            yield
        finally:
            _release(handle)
    finally:
        handle.close()


def _acquire(handle: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            _try_lock(handle)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout() from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


try:
    import fcntl

    def _try_lock(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _release(handle: Any) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(handle: Any) -> None:
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            raise BlockingIOError() from None

    def _release(handle: Any) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
