"""Consistent, collision-free pseudonyms: HMAC-indexed pools plus a mapping that pins them.

The pseudonym of a real value is a function of ``HMAC-SHA256(key, kind ␟ normalised value)``: the
same in any record order, run or file, and unrelated under another key. Drawing from finite pools
collides (two real names → one fake name), so pseudonyms are handed out in two steps:

1. :meth:`PseudonymTable.register` every real value first (the first pass over the inputs);
2. :meth:`PseudonymTable.resolve` assigns them in *digest* order — not in the order they were
   seen — skipping candidates that are taken or equal to some real value of the same kind. The
   result depends only on the set of values, so shuffled input gives the same mapping.

The mapping file (:class:`~.mapping.MappingFile`, kept beside the key) stores keyed digests →
pseudonyms, never originals, so that later runs and other files keep every pseudonym handed out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat

from .formats import KINDS, national_alias
from .keys import key_id
from .mapping import MAPPING_FORMAT, MappingFile
from .pause import gc_paused

__all__ = ["MAPPING_FORMAT", "Hmac", "MappingFile", "PseudonymTable"]

_DIGEST_BYTES = 16  # 128 bits of the HMAC: unique for any corpus, and half the file size
_MAX_ATTEMPTS = 100_000
_QUEUE = 4096  # values registered one by one are hashed in batches of this many


class Hmac:
    """HMAC-SHA256 with the key's pads hashed once (3x faster than ``hmac.digest`` per value)."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(64, b"\0")
        inner_copy = hashlib.sha256(bytes(b ^ 0x36 for b in padded)).copy
        outer_copy = hashlib.sha256(bytes(b ^ 0x5C for b in padded)).copy

        def digest(message: bytes) -> bytes:
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            return outer.digest()

        def many(messages: Iterable[bytes]) -> list[bytes]:
            # The same steps inlined in one loop: no Python call per message.
            out: list[bytes] = []
            append = out.append
            for message in messages:
                inner = inner_copy()
                inner.update(message)
                outer = outer_copy()
                outer.update(inner.digest())
                append(outer.digest())
            return out

        # Plain closures: calling them is cheaper than dispatching through __call__.
        self.digest = digest
        self.many = many

    def __call__(self, message: bytes) -> bytes:
        return self.digest(message)


class PseudonymTable:
    """Registers real values, resolves collisions deterministically, and answers lookups.

    Originals are held in memory only (to look them up in the second pass); nothing here writes
    them anywhere.
    """

    def __init__(self, key: bytes, mapping: MappingFile | None = None) -> None:
        hmac = Hmac(key)
        self._hmac = hmac.digest
        self._hmac_many = hmac.many
        self.mapping = mapping if mapping is not None else MappingFile(None, key_id(key))
        self._pending: dict[str, dict[str, bytes]] = {}  # kind → norm → digest, not yet assigned
        self._queued: dict[str, list[str]] = {}  # kind → norms registered, not hashed yet
        self._assigned: dict[str, dict[str, str]] = {}  # kind → norm → canonical pseudonym
        self._used: dict[str, set[str]] = {}  # kind → compare keys of pseudonyms handed out
        self.emitted: dict[str, set[str]] = {}  # kind → canonical pseudonyms actually used
        self._national: set[str] = set()  # national spellings of emitted international phones
        self._pool_use: dict[str, dict[str, int]] = {}  # kind → pool → pseudonyms drawn from it
        for kind, entries in self.mapping.entries.items():
            spec = KINDS.get(kind)
            compare = spec.compare if spec else str
            self._used[kind] = {compare(p) for p in entries.values()}

    def digest(self, kind: str, norm: str) -> bytes:
        """The keyed digest of one normalised value."""
        return self._hmac(f"{kind}\x1f{norm}".encode())

    def register(self, kind: str, norm: str) -> None:
        """Note a real value that will need a pseudonym (first pass)."""
        # Queued, then hashed in batches (a batch of HMACs is cheaper than one call per value).
        queue = self._queued.get(kind)
        if queue is None:
            queue = self._queued[kind] = []
        queue.append(norm)
        if len(queue) >= _QUEUE:
            self._flush(kind)

    def _flush(self, kind: str | None = None) -> None:
        """Register the queued values (of ``kind``, or of every kind)."""
        for name in [kind] if kind is not None else list(self._queued):
            queue = self._queued.pop(name, None)
            if queue:
                self.register_many(name, queue)

    def register_many(self, kind: str, norms: Sequence[str]) -> None:
        """:meth:`register` every norm of ``kind`` (duplicates are fine), with the HMACs in one batch."""
        if not norms:
            return
        assigned = self._assigned.get(kind, {})
        pending = self._pending.get(kind)
        if pending is None:
            pending = self._pending[kind] = {}
        new = [n for n in dict.fromkeys(norms) if n not in pending and n not in assigned]
        if new:
            prefix = kind + "\x1f"
            pending.update(zip(new, self._hmac_many([(prefix + n).encode() for n in new]), strict=True))

    def resolve(self) -> None:
        """Assign every registered value a pseudonym, independently of registration order."""
        self._flush()
        with gc_paused():
            for kind, pending in self._pending.items():
                self._resolve_kind(kind, pending)
        self._pending.clear()

    def _resolve_kind(self, kind: str, pending: dict[str, bytes]) -> None:
        stored = self.mapping.entries.setdefault(kind, {})
        self._used.setdefault(kind, set())
        assigned = self._assigned.setdefault(kind, {})
        all_digests, all_norms = list(pending.values()), list(pending)
        fresh: Sequence[int] = range(len(all_digests))
        if stored:  # values pinned by the mapping keep their pseudonym
            fresh = []
            for position, digest in enumerate(all_digests):
                known = stored.get(digest[:_DIGEST_BYTES].hex())
                if known is not None:
                    assigned[all_norms[position]] = known
                else:
                    fresh.append(position)
            if not fresh:
                return
        # Digest order: the same set of values resolves the same way in any input order. (Sorting
        # positions by digest is faster than sorting tuples.)
        order = sorted(fresh, key=all_digests.__getitem__)
        digests = [all_digests[i] for i in order]
        norms = [all_norms[i] for i in order]
        fresh_labels = [d[:_DIGEST_BYTES].hex() for d in digests]
        pseudonyms = self._draw(kind, pending, digests, norms)
        # Every real value of this kind is a key of pending: assigned only needs them afterwards.
        stored.update(zip(fresh_labels, pseudonyms, strict=True))
        assigned.update(zip(norms, pseudonyms, strict=True))

    def _draw(self, kind: str, pending: dict[str, bytes], digests: Sequence[bytes], norms: Sequence[str]) -> list[str]:
        """The pseudonym of each value, in the given (digest) order: the first free candidate."""
        spec = KINDS[kind]
        used = self._used[kind]
        assigned = self._assigned[kind]
        generate, compare, pool_of, widen_at = spec.generate, spec.compare, spec.pool, spec.widen_at
        # Every real value of this kind seen in this run is a key of pending or assigned.
        avoid = spec.avoid_originals

        def free(digest: bytes, norm: str, first: int) -> tuple[int, str, str]:
            for attempt in range(first, _MAX_ATTEMPTS):
                candidate = generate(digest, attempt, norm)
                # compare() of a canonical pseudonym is its normal form: comparable to originals.
                key = candidate if compare is str else compare(candidate)
                if key not in used and not (avoid and (key in pending or key in assigned)):
                    return attempt, candidate, key
            raise RuntimeError(f"no free pseudonym of kind {kind!r}")  # pragma: no cover - pools plus compounds

        if pool_of is None:
            # No pool to watch: every first candidate can be drawn at once (they depend on the
            # digest alone); the checks below still run in digest order, as the later ones do.
            pseudonyms = list(map(generate, digests, repeat(0), norms))
            keys = pseudonyms if compare is str else list(map(compare, pseudonyms))
            distinct = set(keys)
            blocked = (distinct.intersection(pending) | distinct.intersection(assigned)) if avoid else set()
            if len(distinct) == len(keys) and not blocked and used.isdisjoint(distinct):
                used.update(distinct)  # no collision at all: nothing to check one by one
                return pseudonyms
            add = used.add
            for position, key in enumerate(keys):
                if key in used or key in blocked:
                    _, pseudonyms[position], key = free(digests[position], norms[position], 1)
                add(key)
            return pseudonyms
        pool_use = self._pool_use.setdefault(kind, {})
        pools_of = list(map(pool_of, norms))
        count = len(norms)
        # Once a pool is nearly used up, its values start at the wider candidates, which depend on
        # the digest alone: those are drawn at once, for every later value of that pool.
        widened: list[str | None] = [None] * count

        def widen(pool: str, start: int) -> None:
            positions = [i for i in range(start, count) if pools_of[i][0] == pool]
            drawn = map(generate, [digests[i] for i in positions], repeat(widen_at), [norms[i] for i in positions])
            for position, candidate in zip(positions, drawn, strict=True):
                widened[position] = candidate

        for pool, size in set(pools_of):
            if pool_use.get(pool, 0) * 4 >= size * 3:
                widen(pool, 0)
        pseudonyms = []
        append, add = pseudonyms.append, used.add
        for position, candidate in enumerate(widened):
            digest, norm = digests[position], norms[position]
            if candidate is None:
                attempt, candidate = 0, generate(digest, 0, norm)
            else:
                attempt = widen_at
            key = candidate if compare is str else compare(candidate)
            if key in used or (avoid and (key in pending or key in assigned)):
                attempt, candidate, key = free(digest, norm, attempt + 1)
            if attempt < widen_at:
                pool, size = pools_of[position]
                drawn = pool_use[pool] = pool_use.get(pool, 0) + 1
                if drawn * 4 >= size * 3 and drawn * 4 - 4 < size * 3:
                    widen(pool, position + 1)
            add(key)
            append(candidate)
        return pseudonyms

    def lookup(self, kind: str, norm: str) -> str:
        """The canonical pseudonym of a normalised value (registered and resolved on demand)."""
        assigned = self._assigned.get(kind)
        found = assigned.get(norm) if assigned is not None else None
        if found is None:
            self.register(kind, norm)
            self.resolve()
            found = self._assigned[kind][norm]
        emitted = self.emitted.get(kind)
        if emitted is None:
            emitted = self.emitted[kind] = set()
        if found not in emitted:
            emitted.add(found)
            if kind == "phone" and (national := national_alias(found)) is not None:
                self._national.add(national)
        return found

    def lookup_many(self, kind: str, norms: Sequence[str]) -> list[str]:
        """:meth:`lookup` of every norm of ``kind``, in order."""
        if not norms:
            return []
        assigned = self._assigned.get(kind)
        if assigned is None or not all(map(assigned.__contains__, norms)):
            self.register_many(kind, norms)
            self.resolve()
            assigned = self._assigned[kind]
        found = [assigned[n] for n in norms]
        emitted = self.emitted.get(kind)
        if emitted is None:
            emitted = self.emitted[kind] = set()
        if kind == "phone":
            for new in set(found).difference(emitted):
                if (national := national_alias(new)) is not None:
                    self._national.add(national)
        emitted.update(found)
        return found

    def is_pseudonym(self, kind: str, text: str) -> bool:
        """Whether ``text`` is a pseudonym this table wrote (for the pattern-detected kinds, whose
        canonical form is their normal form: e-mail, phone, IBAN, card, IP)."""
        spec = KINDS.get(kind)
        norm = spec.normalise(text) if spec is not None else None
        if norm is None:
            return False
        return norm in self.emitted.get(kind, ()) or (kind == "phone" and norm in self._national)

    def emitted_norms(self) -> dict[str, set[str]]:
        """Normalised forms of every pseudonym written (national spellings of phones included)."""
        out: dict[str, set[str]] = {}
        for kind, values in self.emitted.items():
            spec = KINDS[kind]
            # Compared by str, a canonical pseudonym is its own normal form: no parsing. (Not so for
            # names: a double-barrelled one is no name word.)
            parsed = set(values) if spec.compare is str else map(spec.normalise, values)
            norms = {n for n in parsed if n is not None}
            if kind == "phone":
                norms.update([a for a in map(national_alias, norms) if a is not None])
            out[kind] = norms
        return out

    def pseudonym(self, kind: str, value: str) -> str | None:
        """``value`` (of ``kind``) replaced, in its own layout; ``None`` when it is not of that kind."""
        spec = KINDS[kind]
        norm = spec.normalise(value)
        if norm is None:
            return None
        if spec.safe(norm):
            return value
        return spec.render(value, self.lookup(kind, norm))

    def mapping_size(self) -> int:
        """How many pseudonyms the mapping holds."""
        return sum(len(v) for v in self.mapping.entries.values())

    def iter_emitted(self) -> Iterator[tuple[str, str]]:
        """``(kind, canonical pseudonym)`` for every pseudonym written in this run."""
        for kind, values in self.emitted.items():
            for value in values:
                yield kind, value
