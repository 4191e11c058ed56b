"""Install every client stub and the network guard, once per process."""

from __future__ import annotations

import contextlib
import importlib
import threading

from . import netblock

_lock = threading.Lock()
_installed = False


def _installed_by_another_thread() -> bool:
    # A function, not a second `if _installed` beside the first: the flag may have changed while
    # this thread waited for the lock (double-checked locking), which a type checker cannot see.
    return _installed


def install() -> None:
    """Patch httpx, httpx2 and urllib3 where installed, and guard sockets; idempotent."""
    global _installed
    if _installed:  # every case calls this: no lock once done
        return
    with _lock:
        if _installed_by_another_thread():
            return
        from . import stub_httpx, stub_urllib3

        for name in ("httpx", "httpx2"):
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            stub_httpx.patch(module)
        with contextlib.suppress(ImportError):
            stub_urllib3.patch()
        netblock.install()
        _installed = True
