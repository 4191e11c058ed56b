"""The registry of kinds of personal data (:class:`Kind`, :data:`KINDS`, :func:`register_kind`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

REDACTED = "[REDACTED]"
"""What secrets (API keys, tokens in URLs, passwords) become: removed, never pseudonymised."""


Placer = Callable[[Sequence[bytes], Sequence[str], set[str]], list[str | None]]
"""``(digests, norms, used) -> pseudonym or None`` per value: see :attr:`Kind.place_many`."""


ManyGenerator = Callable[[Sequence[bytes], Sequence[int] | None, Sequence[str]], list[str]]
"""``(digests, starts, norms) -> first candidates``: see :attr:`Kind.generate_many`."""


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
    """For pool-drawn kinds: ``norm -> (pool name, pool size)``. The table lets at most 3/4 of a
    pool be drawn; the values beyond start at ``widen_at`` (a keyed share of them, see
    :mod:`..resolve`)."""
    widen_at: int = 0
    """The first attempt at which ``generate`` draws from a wider space than the pool."""
    cost: float = 1.0
    """Work per value relative to other kinds (a hint for sharing work among processes)."""
    place_many: Placer | None = None
    """For kinds whose candidates crowd (every day of a range may be someone's birthday): places
    many values at once, distinct from each other and from the ``used`` keys (``None``: left to
    the generic resolution). Must depend on the set of ``(digest, norm)`` only, not their order."""
    generate_many: ManyGenerator | None = None
    """``(digests, starts, norms) -> candidates``: ``generate(digest, start, norm)`` of many values
    at once (``starts`` ``None``: all 0), the same strings with less work per value (optional)."""
    normalise_many: Callable[[Sequence[str]], list[str | None]] | None = None
    """``normalise`` of many strings at once (optional, the same results)."""
    render_many: Callable[[Sequence[str], Sequence[str]], list[str]] | None = None
    """``render`` of many ``(original, canonical)`` string pairs at once (optional, the same results)."""
    pool_many: Callable[[Sequence[str]], list[tuple[str, int]]] | None = None
    """``pool`` of many norms at once (optional, the same results)."""
    name_words: Callable[[str], Sequence[str]] | None = None
    """For pseudonyms built of pool names (e-mail local parts, user names, double-barrelled
    names): ``compare(pseudonym) -> its name words, casefolded``. None of them may be a real name
    (kind ``name``) of the run: "jane.moreau@example.net" must not stand for someone else in a
    corpus where a real Jane is pseudonymised."""
    may_be_safe: Callable[[Sequence[str]], bool] | None = None
    """A quick look at many norms at once: ``False`` when none of them is :attr:`safe` (optional;
    ``True`` leaves it to ``safe`` of each)."""
    compare_many: Callable[[Sequence[str]], list[str]] | None = None
    """``compare`` of many pseudonyms at once (optional, the same results)."""


KINDS: dict[str, Kind] = {}


def register_kind(kind: Kind) -> Kind:
    """Add (or replace) a kind in the registry."""
    KINDS[kind.name] = kind
    return kind
