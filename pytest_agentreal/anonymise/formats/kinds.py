"""The registry of kinds of personal data (:class:`Kind`, :data:`KINDS`, :func:`register_kind`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

REDACTED = "[REDACTED]"
"""What secrets (API keys, tokens in URLs, passwords) become: removed, never pseudonymised."""


def never_safe(norm: str) -> bool:
    """The default :attr:`Kind.safe`: every value of the kind is personal."""
    return False


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of personal value (see :mod:`pytest_agentreal.anonymise.formats`)."""

    name: str
    normalise: Callable[[str], str | None]
    generate: Callable[[bytes, int, str], str]
    render: Callable[[str, str], str]
    compare: Callable[[str], str] = str
    """The key two pseudonyms collide on (e.g. names ignore case); for a canonical pseudonym it
    must equal ``normalise``'s result, so that pseudonyms can be compared with real values."""
    avoid_originals: bool = True
    """Never hand out a pseudonym that equals some real value of this kind seen in the same run."""
    safe: Callable[[str], bool] = never_safe
    """Values that are not personal (reserved domains, private IPs): left as they are."""
    pool: Callable[[str], tuple[str, int]] | None = None
    """For pool-drawn kinds: ``norm -> (pool name, pool size)``; with ``widen_at``, lets the table
    skip straight to the wider candidates once a pool is (nearly) used up."""
    widen_at: int = 0
    """The first attempt at which ``generate`` draws from a wider space than the pool."""


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    """Add (or replace) a kind in the registry."""
    KINDS[kind.name] = kind
    return kind
