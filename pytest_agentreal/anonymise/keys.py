"""The secret key behind every pseudonym: loading it (fail closed) and generating one.

Without the key nobody can link a pseudonym back to a real value, not even by trying candidate
names; with it, the same real value always gets the same pseudonym. So the key is never optional
(no key → an error, never a default), never printed, and kept outside the corpus.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError

KEY_ENV = "AGENTREAL_KEY"
MIN_KEY_LENGTH = 16
_NO_KEY_FIX = (
    f"set {KEY_ENV}, or pass --key-file FILE; create a key once with "
    "`agentreal anonymise --generate-key ~/.config/agentreal/key` (keep it outside the corpus)"
)


def _checked(raw: str, source: str | Path, key: str | None) -> bytes:
    text = raw.strip()
    if not text:
        raise ConfigError(source, "the key is empty", key=key, fix=_NO_KEY_FIX)
    if len(text) < MIN_KEY_LENGTH:
        raise ConfigError(
            source,
            f"the key is shorter than {MIN_KEY_LENGTH} characters, so pseudonyms could be guessed",
            key=key,
            fix="generate one with --generate-key PATH",
        )
    return text.encode("utf-8")


def load_key(key_file: str | Path | None = None, environ: Mapping[str, str] | None = None) -> bytes:
    """The key from ``key_file`` if given, else from ``AGENTREAL_KEY``; a :class:`ConfigError` if neither.

    A given key file wins over the environment, so a command line is explicit about its key.
    """
    env = os.environ if environ is None else environ
    if key_file is not None:
        path = Path(key_file)
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(path, f"cannot read the key file ({error.strerror or type(error).__name__})",
                              fix=_NO_KEY_FIX) from None  # fmt: skip
        return _checked(raw, path, None)
    value = env.get(KEY_ENV)
    if value is None:
        raise ConfigError(None, "no anonymisation key: refusing to pseudonymise without one", fix=_NO_KEY_FIX)
    return _checked(value, f"${KEY_ENV}", KEY_ENV)


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key (tells mapping files of different keys apart)."""
    return hmac.new(key, b"agentreal key id", hashlib.sha256).hexdigest()[:16]


def inside_corpus(path: Path) -> Path | None:
    """The corpus folder (one holding ``corpus.yaml``) that contains ``path``, if any."""
    for folder in path.resolve().parents:
        if (folder / "corpus.yaml").is_file():
            return folder
    return None


def generate_key(path: str | Path, *, forbidden: tuple[Path, ...] = ()) -> bytes:
    """Write a new random key to ``path`` (mode 0600) and return it.

    Refuses to overwrite a key (that would orphan every pseudonym made with it) and to write inside
    a corpus or inside any of ``forbidden`` folders (the output), where it could get committed.
    """
    target = Path(path)
    if target.exists():
        raise ConfigError(target, "a key already exists here; refusing to overwrite it",
                          fix="pass it with --key-file, or choose another path")  # fmt: skip
    resolved = target.resolve()
    corpus = inside_corpus(target)
    for folder in (*forbidden, *([corpus] if corpus else [])):
        folder = folder.resolve()
        if resolved == folder or folder in resolved.parents:
            raise ConfigError(target, f"the key would be inside {folder}, where it could be committed",
                              fix="keep it outside the corpus, e.g. ~/.config/agentreal/key")  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(key + "\n")
    return key.encode("utf-8")


def default_mapping_path(key_file: str | Path) -> Path:
    """Where the mapping lives when not given: beside the key file (``key`` → ``key.mapping.json``)."""
    path = Path(key_file)
    return path.with_name(path.name + ".mapping.json")
