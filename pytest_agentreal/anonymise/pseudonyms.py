"""Consistent, collision-free pseudonyms: HMAC-indexed pools plus a mapping that pins them.

The pseudonym of a real value is a function of ``HMAC-SHA256(key, kind ␟ normalised value)``: the
same in any record order, run or file, and unrelated under another key. Drawing from finite pools
collides (two real names → one fake name), so pseudonyms are handed out in two steps:

1. :meth:`PseudonymTable.register` every real value first (the first pass over the inputs);
2. :meth:`PseudonymTable.resolve` assigns them (:mod:`.resolve`): every value its first
   candidate unless another value wants it too, an earlier pseudonym took it or it equals some
   real value of the same kind; those few then in *digest* order — not in the order they were
   seen. The result depends only on the set of values, so shuffled input gives the same mapping.

The mapping file (:class:`~.mapping.MappingFile`, kept beside the key) stores keyed digests →
pseudonyms, never originals, so that later runs and other files keep every pseudonym handed out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence

from .formats import KINDS, national_alias
from .keys import key_id
from .mapping import MAPPING_FORMAT, MappingFile
from .pause import gc_paused
from .resolve import Settled, settle

__all__ = ["MAPPING_FORMAT", "Hmac", "MappingFile", "PseudonymTable"]


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
        self._pending: dict[str, dict[str, None]] = {}  # kind → norms registered, not assigned yet
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
        assigned = self._assigned.get(kind)
        if assigned is None or norm not in assigned:
            pending = self._pending.get(kind)
            if pending is None:
                pending = self._pending[kind] = {}
            pending[norm] = None

    def register_many(self, kind: str, norms: Iterable[str]) -> None:
        """:meth:`register` every norm of ``kind`` (duplicates are fine)."""
        pending = self._pending.get(kind)
        if pending is None:
            pending = self._pending[kind] = {}
        assigned = self._assigned.get(kind)
        # The keyed digests wait for resolve(): they are computed once per distinct value there.
        pending.update(dict.fromkeys(norms if not assigned else (n for n in norms if n not in assigned)))

    def pending(self) -> dict[str, int]:
        """How many values of each kind wait for :meth:`resolve`."""
        return {kind: len(norms) for kind, norms in self._pending.items() if norms}

    def resolve(self) -> None:
        """Assign every registered value a pseudonym, independently of registration order."""
        with gc_paused():
            for kind in [k for k, norms in self._pending.items() if norms]:
                self.apply_settled(self.settle_kind(kind))
        self._pending.clear()

    def settle_kind(self, kind: str) -> Settled:
        """What :meth:`resolve` decides for the pending values of ``kind`` (nothing is changed yet)."""
        return settle(
            kind,
            list(self._pending.get(kind, ())),
            self._hmac_many,
            self.mapping.entries.get(kind, {}),
            self._used.get(kind, set()),
            self._assigned.get(kind, {}),
            self._pool_use.get(kind, {}),
        )

    def apply_settled(self, settled: Settled) -> None:
        """Record what :meth:`settle_kind` decided (in this process or another)."""
        kind = settled.kind
        assigned = self._assigned.setdefault(kind, {})
        assigned.update(settled.pinned)
        if settled.norms:
            self.mapping.entries.setdefault(kind, {}).update(zip(settled.labels, settled.pseudonyms, strict=True))
            assigned.update(zip(settled.norms, settled.pseudonyms, strict=True))
            self._used.setdefault(kind, set()).update(settled.keys)
        if settled.pool_use:
            pool_use = self._pool_use.setdefault(kind, {})
            for pool, count in settled.pool_use.items():
                pool_use[pool] = pool_use.get(pool, 0) + count
        pending = self._pending.get(kind)
        if pending is not None:
            pending.clear()

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
