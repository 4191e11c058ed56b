"""The mapping file: keyed digests → pseudonyms, per kind, kept beside the key (never originals).

It pins every pseudonym already handed out, so that later runs and other files keep them.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from .keys import key_id
from .pause import gc_paused

MAPPING_FORMAT = "agentreal-mapping"


@dataclass
class MappingFile:
    """Keyed digests → pseudonyms, per kind; stored as JSON beside the key (mode 0600)."""

    path: Path | None
    key_id: str
    entries: dict[str, dict[str, str]] = field(default_factory=dict)

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

    def save(self) -> None:
        """Write atomically (temporary file, then rename) with owner-only permissions."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".mapping-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream, gc_paused():
                stream.writelines(self._json())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _json(self) -> Iterator[str]:
        """The file's text, in pieces: one entry per line, sorted. (json.dump with indent is pure
        Python and takes seconds on a large corpus; separators with a newline keep the C encoder.)"""
        yield json.dumps({"format": MAPPING_FORMAT, "version": 1, "key_id": self.key_id})[:-1] + ',\n "kinds": {'
        for index, kind in enumerate(sorted(self.entries)):
            entries = self.entries[kind]
            yield ("," if index else "") + f"\n  {json.dumps(kind)}: "
            if not entries:
                yield "{}"
                continue
            # Sorting the labels alone is cheaper than sorting (label, pseudonym) pairs.
            ordered = {label: entries[label] for label in sorted(entries)}
            body = json.dumps(ordered, ensure_ascii=False, separators=(",\n   ", ": "))
            yield f"{{\n   {body[1:-1]}\n  }}"
        yield "\n }\n}\n"
