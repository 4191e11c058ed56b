"""The network guard: during replay-only cases, socket connections and DNS lookups are refused.

A replayed request never touches a socket, so anything that does is traffic the cassette does not
cover (an unrecorded client, a forgotten request). It is recorded as a finding the moment it
happens — SDKs catch the exception and retry — and then refused. Unix sockets stay allowed.
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Callable
from typing import Any

from . import active

_INET = (socket.AF_INET, socket.AF_INET6)


class NetworkBlocked(ConnectionRefusedError):
    """A connection attempted during replay (the case's findings name it)."""


class DNSBlocked(socket.gaierror):
    """A DNS lookup attempted during replay (the case's findings name it)."""


def _blocking() -> Any:
    recording = active.current()
    return recording if recording is not None and recording.blocks_network else None


def _target(address: Any) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host = address[0]
        return f"[{host}]:{address[1]}" if ":" in str(host) else f"{host}:{address[1]}"
    return str(address)


def _guard_connect(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def connect(self: socket.socket, address: Any) -> Any:
        recording = _blocking() if self.family in _INET else None
        if recording is not None:
            recording.note_blocked("socket connection to", _target(address))
            raise NetworkBlocked(f"pytest-agentreal: connection to {_target(address)} blocked during replay")
        return original(self, address)

    connect.__agentreal__ = True  # type: ignore[attr-defined]
    return connect


def _guard_lookup(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        recording = _blocking()
        if recording is not None:
            name = host.decode() if isinstance(host, bytes) else str(host)
            recording.note_blocked("DNS lookup of", name)
            raise DNSBlocked(socket.EAI_NONAME, f"pytest-agentreal: DNS lookup of {name} blocked during replay")
        return original(host, *args, **kwargs)

    lookup.__agentreal__ = True  # type: ignore[attr-defined]
    return lookup


def install() -> None:
    """Guard ``socket.socket.connect``/``connect_ex`` and the resolver functions, once per process."""
    if getattr(socket.socket.connect, "__agentreal__", False):
        return
    socket.socket.connect = _guard_connect(socket.socket.connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guard_connect(socket.socket.connect_ex)  # type: ignore[method-assign]
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        setattr(socket, name, _guard_lookup(getattr(socket, name)))
