"""Handing out the pseudonyms of one kind's new values: a pure function of the table's state.

For the values registered since the last resolution (``norms``), :func:`settle`:

1. keys each one: ``HMAC-SHA256(key, kind ␟ norm)`` (labels: the digest's first 16 bytes in hex);
   values the mapping file already holds keep their pseudonym;
2. draws every first candidate at once (``generate(digest, start, norm)``). For pool-drawn kinds
   at most 3/4 of a pool is handed out: when more values want it, a keyed share of them (by the
   digest's last 8 bytes, so the same values whatever the order) starts at ``widen_at`` instead;
   kinds that crowd (birthdays) place all their values at once (:attr:`~.formats.Kind.place_many`);
3. keeps every candidate that no other value wants, that no earlier pseudonym took, that (for kinds
   that avoid originals) equals no real value of the kind and that (for pseudonyms built of pool
   names: e-mails, user names) has no real name among its words — nearly all of them;
4. resolves the rest in digest order: each takes its first free candidate, attempt after attempt.

Every step depends on the *set* of values only, so shuffled input gives the same mapping; distinct
values get distinct pseudonyms by construction of step 4. Only the contested few are sorted.

Being pure (it reads the table's state and returns a :class:`Settled`), it can run in another
process (:mod:`.parallel`) with the same result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Container
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from .formats import KINDS, Kind
from .mapping import labels
from .parallel import Strings
from .pools import pool_words

__all__ = ["Settled", "settle"]

_MAX_ATTEMPTS = 100_000
_TIER_BITS = 1 << 64


@dataclass(slots=True)
class Settled:
    """What resolving one kind decided; :meth:`~.pseudonyms.PseudonymTable.apply_settled` records it."""

    kind: str
    pinned: dict[str, str]
    """Norm → pseudonym kept from the mapping file."""
    fresh: list[int] | None
    """Positions (among the norms given) of the values resolved now; ``None``: all of them."""
    labels: bytes
    """Their keyed digests, packed (:func:`~.mapping.labels` makes the mapping's hex labels)."""
    pseudonyms: list[str]
    keys: list[str] | None
    """``compare(pseudonym)``: the same list as ``pseudonyms`` for kinds compared by ``str``;
    ``None`` (sent from another process): to be made again from the pseudonyms."""
    pool_use: dict[str, int] = field(default_factory=dict)
    """Pool → how many more pseudonyms were drawn from it."""
    remote: bool = False
    """Decided in another process (and sent here)."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent from another process: each list of strings travels as one string; compare keys
        # that are not the pseudonyms themselves are made again there, when needed.
        keys = None if self.keys is self.pseudonyms else False
        state = (self.kind, self.pinned, self.fresh, self.labels, Strings(self.pseudonyms), keys, self.pool_use)
        return (_unpickle_settled, state)


def _unpickle_settled(
    kind: str,
    pinned: dict[str, str],
    fresh: list[int] | None,
    labels: bytes,
    pseudonyms: list[str],
    same_keys: bool | None,
    pool_use: dict[str, int],
) -> Settled:
    return Settled(kind, pinned, fresh, labels, pseudonyms, pseudonyms if same_keys is None else None, pool_use, True)


def settle(
    kind: str,
    norms: list[str],
    hmac_many: Callable[[bytes, list[str]], list[bytes]],
    stored: dict[str, str],
    used: set[str],
    assigned: Container[str],
    pool_use: dict[str, int],
    real_names: tuple[Collection[str], Container[str]] | None = None,
    *,
    members: Collection[str] | None = None,
) -> Settled:
    """Pseudonyms for ``norms`` (distinct, none resolved yet) given the table's state of ``kind``.

    ``stored``: the mapping's labels → pseudonyms; ``used``: compare keys of every pseudonym
    handed out; ``assigned``: real values resolved before (avoided as pseudonyms, like ``norms``);
    ``real_names``: the real names of the run (pending, resolved before) that no name word of a
    pseudonym may be (kinds with :attr:`~.formats.Kind.name_words`; ``None``: ``norms`` and
    ``assigned`` are the names); ``members``: the same values as ``norms`` in a dict or set, if
    one is at hand (for membership tests, instead of making another). Nothing is modified.
    """
    digests = hmac_many(f"{kind}\x1f".encode(), norms)
    fresh: list[int] | None = None
    pinned: dict[str, str] = {}
    values = norms
    if stored:
        known = list(map(stored.get, labels(b"".join(digests))))
        if known.count(None) != len(known):
            fresh = [i for i, found in enumerate(known) if found is None]
            pinned = {norms[i]: found for i, found in enumerate(known) if found is not None}
            values = [norms[i] for i in fresh]
            digests = [digests[i] for i in fresh]
    spec = KINDS[kind]
    own = norms if members is None else members
    originals = _Originals(own, assigned) if spec.avoid_originals else None
    names: _Originals | None = None
    if spec.name_words is not None:
        if real_names is None:  # the kind's own values are the names
            names = originals if originals is not None else _Originals(own, assigned)
        elif real_names[0] or real_names[1]:
            names = _Originals(*real_names)
    pseudonyms, keys, drawn = _draw(spec, digests, values, used, originals, pool_use, names)
    return Settled(kind, pinned, fresh, b"".join(digests), pseudonyms, keys, drawn)


class _Originals:
    """The real values of a kind in this run (a pseudonym must equal none of them)."""

    __slots__ = ("assigned", "norms")

    def __init__(self, norms: Collection[str], assigned: Container[str]) -> None:
        self.norms = norms if isinstance(norms, (set, frozenset, dict)) else set(norms)
        self.assigned = assigned

    def __contains__(self, key: object) -> bool:
        return key in self.norms or key in self.assigned

    def among(self, keys: set[str] | frozenset[str]) -> set[str]:
        """The keys that are real values."""
        found = set(keys.intersection(self.norms))
        assigned = self.assigned
        if isinstance(assigned, (set, frozenset, dict)) and len(assigned) <= len(keys):
            found.update(keys.intersection(assigned))
        else:
            found.update(k for k in keys if k in assigned)
        return found


def _draw(
    spec: Kind,
    digests: list[bytes],
    norms: list[str],
    used: set[str],
    originals: _Originals | None,
    pool_use: dict[str, int],
    names: _Originals | None = None,
) -> tuple[list[str], list[str], dict[str, int]]:
    """``(pseudonyms, compare keys, pool use)`` of the fresh values (steps 2-4 of the module)."""
    count = len(norms)
    generate, compare = spec.generate, spec.compare
    pools_of: list[tuple[str, int]] | None = None
    starts: list[int] | None = None
    if spec.pool is not None:
        pools_of = spec.pool_many(norms) if spec.pool_many is not None else list(map(spec.pool, norms))
        starts = _starts(pools_of, digests, pool_use, spec.widen_at)
    candidates: list[str | None]
    if spec.place_many is not None:
        candidates = spec.place_many(digests, norms, used)
    elif spec.generate_many is not None:
        candidates = spec.generate_many(digests, starts, norms)  # type: ignore[assignment]
    else:
        candidates = list(map(generate, digests, starts if starts is not None else repeat(0), norms))
    keys: list[str | None]
    if compare is str:
        keys = candidates
    elif spec.compare_many is not None and None not in candidates:
        keys = spec.compare_many(candidates)  # type: ignore[arg-type,assignment]  # no None
    else:
        keys = [None if c is None else compare(c) for c in candidates]
    distinct = set(keys)
    bad: set[str | None] = set()
    if len(distinct) != count:  # wanted by several values (or left unplaced: None)
        bad.update(k for k, n in Counter(keys).items() if n > 1)
        if None in distinct:
            bad.add(None)
    if used:
        bad.update(distinct.intersection(used))
    if originals is not None:
        bad.update(originals.among(distinct))  # type: ignore[arg-type]
    # Pseudonyms built of pool names must have no real name among their words. Those words are
    # pool words, so the pool words that are real names (usually none or few) are all to avoid.
    real_words = names.among(pool_words()) if spec.name_words is not None and names is not None else set()
    name_words = spec.name_words if real_words else None
    if name_words is not None:
        isdisjoint = real_words.isdisjoint
        bad.update([key for key in distinct if key is not None and not isdisjoint(name_words(key))])
    attempts: list[int] | None = None
    if bad:
        taken = distinct - bad  # the keys kept: unique, free and no real value
        rest = [i for i, key in enumerate(keys) if key in bad]
        rest.sort(key=digests.__getitem__)
        if pools_of is not None:
            attempts = starts[:] if starts is not None else [0] * count
        for i in rest:
            digest, norm = digests[i], norms[i]
            for attempt in range(starts[i] if starts is not None else 0, _MAX_ATTEMPTS):
                candidate = generate(digest, attempt, norm)
                # compare() of a canonical pseudonym is its normal form: comparable to originals.
                key = candidate if compare is str else compare(candidate)
                if (
                    key not in taken
                    and key not in used
                    and not (originals is not None and key in originals)
                    and not (name_words is not None and not real_words.isdisjoint(name_words(key)))
                ):
                    break
            else:  # pragma: no cover - pools plus compounds
                raise RuntimeError(f"no free pseudonym of kind {spec.name!r}")
            taken.add(key)
            candidates[i] = candidate
            if keys is not candidates:
                keys[i] = key
            if attempts is not None:
                attempts[i] = attempt
    drawn: dict[str, int] = {}
    if pools_of is not None:
        widen_at = spec.widen_at
        final = attempts if attempts is not None else starts
        if final is None:
            drawn = dict(Counter(pool for pool, _size in pools_of))
        elif pools_of.count(pools_of[0]) == count:  # one pool (most kinds): counted in C
            drawn = {pools_of[0][0]: sum(map(widen_at.__gt__, final))}
        else:
            drawn = dict(Counter(pool for (pool, _size), a in zip(pools_of, final, strict=True) if a < widen_at))
    return candidates, keys, drawn  # type: ignore[return-value]  # no None is left


def _starts(
    pools_of: list[tuple[str, int]], digests: list[bytes], pool_use: dict[str, int], widen_at: int
) -> list[int] | None:
    """The attempt each value starts at: 0 (its pool), or ``widen_at`` for a keyed share of the
    values of a pool that cannot take them all (``None``: every value starts at 0)."""
    thresholds: dict[tuple[str, int], bytes] = {}
    wanted = Counter(pools_of)
    for (pool, size), wanting in wanted.items():
        room = max(0, size * 3 // 4 - pool_use.get(pool, 0))
        if wanting > room:
            # A value stays in its pool when its digest's last 8 bytes fall below room / wanting
            # (compared as bytes: big-endian, the same order as the numbers).
            thresholds[(pool, size)] = (room * _TIER_BITS // wanting).to_bytes(8, "big")
    if not thresholds:
        return None
    if len(wanted) == 1:  # one pool (most kinds): no lookup per value
        only = thresholds[pools_of[0]]
        return [widen_at if digest[24:32] >= only else 0 for digest in digests]
    get = thresholds.get
    return [
        widen_at if (limit := get(pool)) is not None and digest[24:32] >= limit else 0
        for pool, digest in zip(pools_of, digests, strict=True)
    ]
