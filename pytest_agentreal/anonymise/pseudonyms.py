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
import importlib
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager

from .formats import KINDS, national_alias
from .keys import key_id
from .mapping import MAPPING_FORMAT, MappingFile
from .parallel import split_map
from .pause import gc_paused
from .resolve import Settled, settle

__all__ = ["MAPPING_FORMAT", "Hmac", "MappingFile", "PseudonymTable", "Unresolved"]


class Unresolved(LookupError):
    """A lookup in a frozen table needed a value resolved (see :meth:`PseudonymTable.frozen`)."""


def _builtin_sha256() -> Callable[[bytes], hashlib._Hash]:
    """CPython's own SHA-256 when it is there: the same digests, and for the short messages
    hashed here its copies cost less than OpenSSL's (~0.62 vs ~0.71 µs per HMAC)."""
    for name in ("_sha2", "_sha256"):  # 3.12+, 3.11
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        constructor = getattr(module, "sha256", None)
        if constructor is not None:
            return constructor  # type: ignore[no-any-return]
    return hashlib.sha256


sha256 = _builtin_sha256()
"""SHA-256 constructor: CPython's own where present, else hashlib's (the same digests)."""


class Hmac:
    """HMAC-SHA256 with the key's pads hashed once (3x faster than ``hmac.digest`` per value)."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(64, b"\0")
        inner_copy = sha256(bytes(b ^ 0x36 for b in padded)).copy
        outer_copy = sha256(bytes(b ^ 0x5C for b in padded)).copy

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

        def prefixed(prefix: bytes, texts: Iterable[str]) -> list[bytes]:
            # HMAC of prefix + each text: the prefix hashed once, no concatenation per text.
            start = inner_copy()
            start.update(prefix)
            begin = start.copy
            out: list[bytes] = []
            append = out.append
            for text in texts:
                inner = begin()
                inner.update(text.encode())
                outer = outer_copy()
                outer.update(inner.digest())
                append(outer.digest())
            return out

        # Plain closures: calling them is cheaper than dispatching through __call__.
        self.digest = digest
        self.many = many
        self.many_prefixed = prefixed

    def __call__(self, message: bytes) -> bytes:
        return self.digest(message)


_Source = tuple[dict[str, None] | None, list[Sequence[str]]]
"""A kind's values as registered: those registered one by one, and the lists registered in bulk."""


class PseudonymTable:
    """Registers real values, resolves collisions deterministically, and answers lookups.

    Originals are held in memory only (to look them up in the second pass); nothing here writes
    them anywhere.
    """

    def __init__(self, key: bytes, mapping: MappingFile | None = None) -> None:
        hmac = Hmac(key)
        self._hmac = hmac.digest
        self._hmac_many = hmac.many_prefixed
        self.mapping = mapping if mapping is not None else MappingFile(None, key_id(key))
        self._pending: dict[str, dict[str, None]] = {}  # kind → norms registered, not assigned yet
        self._assigned: dict[str, dict[str, str]] = {}  # kind → norm → canonical pseudonym
        self._queued: dict[str, list[Sequence[str]]] = {}  # kind → norms registered in bulk, not merged
        self._later: dict[str, list[tuple[_Source, Settled]]] = {}  # resolved elsewhere, to assign
        self._used: dict[str, set[str]] = {}  # kind → compare keys of pseudonyms handed out
        self._used_later: dict[str, list[Iterable[str]]] = {}  # more of them, not merged yet
        self._noted: dict[str, list[Sequence[str]]] = {}  # kind → norms looked up (see emitted)
        self._emitted: dict[str, set[str]] = {}  # kind → canonical pseudonyms written
        self._known_cache: dict[str, set[str]] = {}  # kind → this run's pseudonyms, normalised
        self._frozen = False
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
        assigned = self._assigned_of(kind)
        if assigned is None or norm not in assigned:
            pending = self._pending_of(kind)
            if pending is None:
                pending = self._pending[kind] = {}
            pending[norm] = None

    def register_many(self, kind: str, norms: Iterable[str]) -> None:
        """:meth:`register` every norm of ``kind`` (duplicates are fine).

        The norms are kept as given (a list or tuple is not copied: it must not change) until
        the kind is resolved: the work of sorting out duplicates and values resolved before is
        done then, by whichever process resolves the kind.
        """
        self._queued.setdefault(kind, []).append(norms if isinstance(norms, (list, tuple)) else list(norms))

    def _pending_of(self, kind: str) -> dict[str, None] | None:
        """The pending values of ``kind``, with those queued by :meth:`register_many`."""
        queued = self._queued.pop(kind, None)
        if queued:
            self._pending[kind] = self._merged(kind, self._pending.get(kind), queued)
        return self._pending.get(kind)

    def _merged(self, kind: str, pending: dict[str, None] | None, queued: list[Sequence[str]]) -> dict[str, None]:
        assigned = self._assigned_of(kind)
        for norms in queued:
            # The keyed digests wait for the resolution: computed once per distinct value there.
            new = dict.fromkeys(norms if not assigned else [n for n in norms if n not in assigned])
            if pending:
                pending.update(new)
            else:
                pending = new
        return pending or {}

    def take_pending(self) -> dict[str, list[str]]:
        """The values registered and not resolved yet, per kind; forgotten here (another table
        registers them: the work of one process handed to another)."""
        taken = {kind: list(norms) for kind in self._pending_kinds() if (norms := self._pending_of(kind))}
        self._pending.clear()
        return taken

    def resolved(self, kind: str) -> int:
        """How many values of ``kind`` have their pseudonym in this run."""
        later = sum(len(s.pinned) + len(s.pseudonyms) for _, s in self._later.get(kind, ()))
        return len(self._assigned.get(kind, ())) + later

    def pending(self) -> dict[str, int]:
        """How many values of each kind wait for :meth:`resolve` (at most: repeats not counted out)."""
        counts: dict[str, int] = {}
        for kind in self._pending_kinds():
            count = len(self._pending.get(kind, ())) + sum(map(len, self._queued.get(kind, ())))
            if count:
                counts[kind] = count
        return counts

    def _pending_kinds(self) -> list[str]:
        return list(dict.fromkeys([*self._pending, *self._queued]))

    def resolve(self) -> None:
        """Assign every registered value a pseudonym, independently of registration order."""
        counts = self.pending()
        kinds = list(counts)
        weights = [counts[k] * KINDS[k].cost for k in kinds]
        with gc_paused():
            # Kinds resolve independently of each other: on several cores at once (same result).
            split_map(self.settle_kind, kinds, weights, done=lambda _i, settled: self.apply_settled(settled))
        self._pending.clear()
        self._queued.clear()

    def settle_kind(self, kind: str) -> Settled:
        """What :meth:`resolve` decides for the pending values of ``kind`` (nothing is changed yet)."""
        real_names = None
        if kind != "name" and KINDS[kind].name_words is not None:
            # Whether names resolve before or after this kind, these are the same real names.
            real_names = self._real_values("name")
        pending = self._pending_of(kind) or {}
        return settle(
            kind,
            list(pending),
            self._hmac_many,
            self.mapping.kind_entries(kind),
            self._used_of(kind),
            self._assigned_of(kind) or {},
            self._pool_use.get(kind, {}),
            real_names,
            members=pending,
        )

    def _real_values(self, kind: str) -> tuple[Collection[str], Container[str]]:
        """The real values of ``kind`` registered in this run: ``(pending, resolved)``.

        Values resolved elsewhere (another process, or :meth:`resolve_aligned`) are known by
        the norms registered for them: their lookups are not made for this.
        """
        pending = self._pending_of(kind) or {}
        resolved: list[Container[str]] = [self._assigned.get(kind, {})]
        for (registered, queued), _settled in self._later.get(kind, ()):
            if registered:
                resolved.append(registered)
            resolved.extend(set(norms) for norms in queued)
        return pending, resolved[0] if len(resolved) == 1 else _AnyOf(resolved)

    def _used_of(self, kind: str) -> set[str]:
        used = self._used.get(kind)
        if used is None:
            used = self._used[kind] = set()
        later = self._used_later.pop(kind, None)
        for keys in later or ():
            used.update(keys)
        return used

    def resolve_aligned(
        self, kind: str, columns: Sequence[Sequence[str]]
    ) -> tuple[Settled | None, list[list[str]] | None]:
        """Resolve the pending values of ``kind`` alone (:meth:`settle_kind`, :meth:`apply_settled`).

        When they are exactly ``columns`` one after the other (the lists registered, all new,
        none repeated: a batch of distinct values), also return each column's pseudonyms, in
        order: the caller needs no lookup, so the lookups are made only when asked for.
        """
        queued = self._queued.get(kind, [])
        exact = (
            bool(columns)
            and not self._pending.get(kind)
            and len(queued) == len(columns)
            and all(a is b for a, b in zip(queued, columns, strict=True))
        )
        pending = self._pending_of(kind)
        if not pending:
            return None, None
        settled = self.settle_kind(kind)
        aligned: list[list[str]] | None = None
        if exact and settled.fresh is None and sum(map(len, columns)) == len(pending):
            aligned, start = [], 0
            for column in columns:
                aligned.append(settled.pseudonyms[start : start + len(column)])
                start += len(column)
        self.apply_settled(settled, later=aligned is not None)
        return settled, aligned

    def apply_settled(self, settled: Settled, *, later: bool = False) -> None:
        """Record what :meth:`settle_kind` decided (in this process or another).

        What another process decided (or ``later``) becomes lookups only when some are asked for
        (that process usually wrote those values itself): the norms and pseudonyms are kept as
        they came (and the values registered here, as they were registered).
        """
        kind = settled.kind
        self._known_cache.pop(kind, None)
        source = (self._pending.pop(kind, None), self._queued.pop(kind, []))
        if settled.remote or later:
            self._assigned.setdefault(kind, {})
            self._later.setdefault(kind, []).append((source, settled))
        else:
            self._assign(kind, source, settled)
        if settled.pseudonyms:
            self.mapping.add(kind, settled.labels, settled.pseudonyms)
            # Merged when next needed (keys not sent by another process are made then).
            keys = settled.keys if settled.keys is not None else map(KINDS[kind].compare, settled.pseudonyms)
            self._used_later.setdefault(kind, []).append(keys)
        if settled.pool_use:
            pool_use = self._pool_use.setdefault(kind, {})
            for pool, count in settled.pool_use.items():
                pool_use[pool] = pool_use.get(pool, 0) + count

    def _assign(self, kind: str, source: _Source, settled: Settled) -> None:
        pending, queued = source
        if queued:  # as settle_kind merged them (values resolved before left out)
            pending = self._merged(kind, pending, queued)
        assigned = self._assigned.setdefault(kind, {})
        assigned.update(settled.pinned)
        if settled.pseudonyms:
            norms = list(pending or ())
            if settled.fresh is not None:
                norms = [norms[i] for i in settled.fresh]
            assigned.update(zip(norms, settled.pseudonyms, strict=True))

    def _assigned_of(self, kind: str) -> dict[str, str] | None:
        """Norm → pseudonym of ``kind`` (``None``: none resolved), with what came from elsewhere."""
        later = self._later.pop(kind, None) if self._later else None
        for pending, settled in later or ():
            self._assign(kind, pending, settled)
        return self._assigned.get(kind)

    def lookup(self, kind: str, norm: str, *, note: bool = True) -> str:
        """The canonical pseudonym of a normalised value (registered and resolved on demand).

        ``note=False``: do not count it as written (the caller notes it with :meth:`note_emitted`).
        """
        assigned = self._assigned_of(kind)
        found = assigned.get(norm) if assigned is not None else None
        if found is None:
            self._unfrozen()
            self.register(kind, norm)
            self.resolve()
            found = (self._assigned_of(kind) or {})[norm]
        if note:
            self.note_emitted(kind, (norm,))
        return found

    def lookup_many(self, kind: str, norms: Sequence[str], *, note: bool = True) -> list[str]:
        """:meth:`lookup` of every norm of ``kind``, in order."""
        if not norms:
            return []
        assigned = self._assigned_of(kind)
        try:  # nearly always every one is resolved: found in one pass
            found = list(map(assigned.__getitem__, norms)) if assigned is not None else None
        except KeyError:
            found = None
        if found is None:
            self._unfrozen()
            self.register_many(kind, norms)
            self.resolve()
            found = list(map((self._assigned_of(kind) or {}).__getitem__, norms))
        if note:
            self.note_emitted(kind, norms)
        return found

    # ------------------------------------------------------------------ pure lookups

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Inside the block, a lookup that would resolve a new value raises :class:`Unresolved`
        instead: lookups are then pure, so they can run in other processes (:mod:`.parallel`)."""
        before = self._frozen
        self._frozen = True
        try:
            yield
        finally:
            self._frozen = before

    def _unfrozen(self) -> None:
        if self._frozen:
            raise Unresolved("a value was not registered before the lookup")

    # ------------------------------------------------------------------ what was written

    def note_emitted(self, kind: str, norms: Sequence[str]) -> None:
        """Count the pseudonyms of ``norms`` (resolved) as written. Kept as the norms themselves:
        the set of pseudonyms is made only when asked for (:attr:`emitted`)."""
        if not norms:
            return
        noted = self._noted.get(kind)
        if noted is None:
            self._noted[kind] = [norms]
        else:
            noted.append(norms)

    def note_all_emitted(self) -> None:
        """Count every pseudonym resolved in this run as written (what a command that rewrote
        every value it registered has done, in whichever process)."""
        for kind in list(self._assigned):
            # Whatever was noted is among these (a lookup is of a resolved value).
            self._noted.pop(kind, None)
            self._emitted[kind] = set((self._assigned_of(kind) or {}).values())

    @property
    def emitted(self) -> dict[str, set[str]]:
        """Kind → canonical pseudonyms written (looked up) in this run."""
        for kind in list(self._noted):
            self._emitted_of(kind)
        return self._emitted

    def written_kinds(self) -> list[str]:
        """The kinds of which some pseudonym was written (sorted)."""
        return sorted(set(self._noted) | set(self._emitted))

    def _emitted_of(self, kind: str) -> set[str]:
        emitted = self._emitted.get(kind)
        if emitted is None:
            emitted = self._emitted[kind] = set()
        lists = self._noted.get(kind)
        if lists:
            assigned = self._assigned_of(kind) or {}
            for norms in lists:
                emitted.update(map(assigned.__getitem__, norms))
            lists.clear()
        return emitted

    def _known(self, kind: str) -> set[str]:
        """Every pseudonym handed out in this run, in its normal form (phones: national ones too)."""
        known = self._known_cache.get(kind)
        if known is None:
            spec = KINDS[kind]
            values = set((self._assigned_of(kind) or {}).values())
            known = values if spec.compare is str else {n for n in map(spec.normalise, values) if n is not None}
            if kind == "phone":
                known |= {a for a in map(national_alias, values) if a is not None}
            self._known_cache[kind] = known
        return known

    def is_pseudonym(self, kind: str, text: str) -> bool:
        """Whether ``text`` is a pseudonym this table handed out in this run (for the
        pattern-detected kinds, whose canonical form is their normal form: e-mail, phone, IBAN,
        card, IP). Independent of the order of the records: any of this run's pseudonyms counts."""
        spec = KINDS.get(kind)
        norm = spec.normalise(text) if spec is not None else None
        if norm is None or kind not in self._assigned:
            return False
        return norm in self._known(kind)

    def emitted_norms(self) -> dict[str, set[str]]:
        """Normalised forms of every pseudonym written (national spellings of phones included)."""
        return {kind: set(self.emitted_norms_of(kind)) for kind in self.written_kinds()}

    def emitted_norms_of(self, kind: str) -> set[str]:
        """:meth:`emitted_norms` of one kind (not to be modified)."""
        spec = KINDS[kind]
        values = self._emitted_of(kind)
        if spec.compare is str and kind != "phone":
            # Compared by str, a canonical pseudonym is its own normal form: no parsing (and no
            # copy: the caller only reads it).
            return values
        # (Not so for names: a double-barrelled one is no name word.)
        norms: set[str]
        if spec.compare is str:
            norms = set(values)
        else:
            many = spec.normalise_many
            found = set(many(list(values)) if many is not None else map(spec.normalise, values))
            found.discard(None)
            norms = found  # type: ignore[assignment]  # None is gone
        if kind == "phone":
            norms.update([a for a in map(national_alias, norms) if a is not None])
        return norms

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
        return self.mapping.size()


class _AnyOf:
    """A value is in it when it is in any of the containers."""

    __slots__ = ("containers",)

    def __init__(self, containers: list[Container[str]]) -> None:
        self.containers = containers

    def __contains__(self, value: object) -> bool:
        return any(value in container for container in self.containers)
