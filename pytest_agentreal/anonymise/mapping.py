"""The mapping file: keyed digests → pseudonyms, per kind, kept beside the key (never originals).

It pins every pseudonym already handed out, so that later runs and other files keep them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import ConfigError
from .keys import key_id
from .pause import gc_paused

MAPPING_FORMAT = "agentreal-mapping"
LABEL_BYTES = 16
"""A label is the hex of the keyed digest's first 16 bytes: unique for any corpus, half the size."""


DIGEST_BYTES = 32


def labels(packed: bytes) -> list[str]:
    """The hex labels of keyed digests (SHA-256: 32 bytes) packed one after the other."""
    text = packed.hex()
    width, stride = 2 * LABEL_BYTES, 2 * DIGEST_BYTES
    return [text[i : i + width] for i in range(0, len(text), stride)]


def _json_strings(texts: list[str]) -> list[str]:
    """``json.dumps(text, ensure_ascii=False)`` of each text, in one C call (or none at all when
    nothing needs escaping: hex labels, most pseudonyms)."""
    joined = "".join(texts)
    if '"' not in joined and "\\" not in joined and joined.isprintable():
        return [f'"{text}"' for text in texts]
    # "\x00" never occurs in the JSON of a string: it separates them.
    return json.dumps(texts, ensure_ascii=False, separators=("\x00", ":"))[1:-1].split("\x00")


class MappingFile:
    """Keyed digests → pseudonyms, per kind; stored as JSON beside the key (mode 0600).

    New entries arrive in bulk (:meth:`add`: the digests' label bytes packed, the pseudonyms in
    the same order) and become the ``entries`` dict only when it is asked for.
    """

    def __init__(self, path: Path | None, key_id: str, entries: dict[str, dict[str, str]] | None = None) -> None:
        self.path = path
        self.key_id = key_id
        self._entries: dict[str, dict[str, str]] = entries if entries is not None else {}
        self._added: dict[str, list[tuple[bytes, list[str]]]] = {}

    @property
    def entries(self) -> dict[str, dict[str, str]]:
        """Kind → label (hex of the first 16 bytes of the keyed digest) → pseudonym."""
        for kind in list(self._added):
            self.kind_entries(kind)
        return self._entries

    def kind_entries(self, kind: str) -> dict[str, str]:
        """The entries of one kind (empty when it has none)."""
        added = self._added.pop(kind, None)
        entries = self._entries.get(kind)
        if entries is None:
            entries = self._entries[kind] = {}
        for packed, pseudonyms in added or ():
            entries.update(zip(labels(packed), pseudonyms, strict=True))
        return entries

    def add(self, kind: str, packed: bytes, pseudonyms: list[str]) -> None:
        """New entries: ``packed`` holds the keyed digests (see :func:`labels`) of ``pseudonyms``."""
        self._added.setdefault(kind, []).append((packed, pseudonyms))

    def size(self) -> int:
        """How many entries the mapping holds."""
        stored = sum(len(v) for v in self._entries.values())
        return stored + sum(len(p) for chunks in self._added.values() for _, p in chunks)

    @classmethod
    def load(cls, path: str | Path | None, key: bytes) -> MappingFile:
        """Read ``path`` (an absent file is an empty mapping); refuse a mapping made with another key."""
        expected = key_id(key)
        if path is None:
            return cls(None, expected)
        path = Path(path)
        if not path.exists():
            return cls(path, expected)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(path, f"unreadable mapping file ({type(error).__name__})",
                              fix="restore it from backup, or pass another --mapping") from None  # fmt: skip
        if not isinstance(data, dict) or data.get("format") != MAPPING_FORMAT:
            raise ConfigError(path, "not an agentreal mapping file", fix="pass the file anonymise wrote")
        if data.get("key_id") != expected:
            raise ConfigError(
                path,
                "this mapping was made with another key",
                key="key_id",
                fix="use the key it was made with, or a new --mapping file for this key",
            )
        entries = {str(k): {str(d): str(p) for d, p in v.items()} for k, v in data.get("kinds", {}).items()}
        return cls(path, expected, entries)

    def save(self, blocks: Sequence[str] | None = None) -> None:
        """Write atomically (temporary file, then rename) with owner-only permissions.

        ``blocks``: :meth:`block` of each of :meth:`kinds`, made already (e.g. by other processes).
        """
        if self.path is None:
            return
        if blocks is None:  # made first: no process is forked while the file is open
            from .parallel import split_map

            kinds = self.kinds()
            blocks = split_map(self.block, [k for k, _ in kinds], [float(n) for _, n in kinds])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".mapping-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream, gc_paused():
                stream.writelines(self._json(blocks))
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def kinds(self) -> list[tuple[str, int]]:
        """``(kind, entries)`` of every kind the file holds, in the file's order."""
        names = sorted(set(self._entries) | set(self._added))
        return [(k, len(self._entries.get(k, ())) + sum(len(p) for _, p in self._added.get(k, ()))) for k in names]

    def _json(self, blocks: Sequence[str]) -> Iterator[str]:
        """The file's text, in pieces: one entry per line, sorted. (json.dump with indent is pure
        Python and takes seconds on a large corpus; the C encoder writes each kind's pseudonyms.)
        The kinds' blocks are made on several cores at once (:mod:`.parallel`)."""
        yield json.dumps({"format": MAPPING_FORMAT, "version": 1, "key_id": self.key_id})[:-1] + ',\n "kinds": {'
        for index, block in enumerate(blocks):
            yield ("," if index else "") + block
        yield "\n }\n}\n"

    def block(self, kind: str) -> str:
        """One kind's part of the file (what ``json.dumps`` with the file's separators writes)."""
        entries = self.kind_entries(kind)
        if not entries:
            return f"\n  {json.dumps(kind)}: {{}}"
        if set(map(len, entries)) == {2 * LABEL_BYTES}:
            joined = "".join(entries) + "".join(entries.values())
            if '"' not in joined and "\\" not in joined and joined.isprintable():
                # Nothing to escape, and labels of one width: the lines sort as their labels do
                # (each starts with its label), so they are made at once and sorted themselves.
                lines = [f'"{k}": "{v}"' for k, v in entries.items()]
                lines.sort()
                body = ",\n   ".join(lines)
                return f"\n  {json.dumps(kind)}: {{\n   {body}\n  }}"
        labels_ = sorted(entries)  # sorting the labels alone is cheaper than sorting pairs
        values = list(map(entries.__getitem__, labels_))
        body = ",\n   ".join([f"{k}: {v}" for k, v in zip(_json_strings(labels_), _json_strings(values), strict=True)])
        return f"\n  {json.dumps(kind)}: {{\n   {body}\n  }}"
