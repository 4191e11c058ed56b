"""Where a case's cassette lives: readable, filesystem-safe and one file per case id."""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_PART = 80


@functools.lru_cache(maxsize=16_384)  # pure; corpus names, sample ids and mutations repeat across cases
def safe_part(text: str) -> str:
    """A path component made of ``[A-Za-z0-9._-]`` only.

    When anything had to change, a short digest of the original is appended, so two different
    names never share a file (``/customer/email`` and ``/customer_email`` differ).
    """
    cleaned = _UNSAFE.sub("_", text).strip("_") or "_"
    if cleaned.startswith("."):  # no hidden files, and never "." or ".."
        cleaned = "_" + cleaned.lstrip(".")
    if cleaned == text and len(cleaned) <= _MAX_PART:
        return cleaned
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=4).hexdigest()
    return f"{cleaned[:_MAX_PART]}-{digest}"


def split_case_id(case_id: str) -> tuple[str, ...]:
    """``corpus/sample[mutation]`` → ``(corpus, sample, mutation)``; other ids split on the first ``/``."""
    corpus, sep, rest = case_id.partition("/")
    if not sep:
        return (case_id,)
    if rest.endswith("]") and "[" in rest:
        sample, _, mutation = rest[:-1].rpartition("[")
        return (corpus, sample, mutation)
    return (corpus, rest)


def cassette_path(directory: Path, case_id: str) -> Path:
    """``<directory>/<corpus>/<sample>/<mutation>.json`` for a case id, every part made safe."""
    parts = [safe_part(p) for p in split_case_id(case_id)]
    # One string join and one Path, rather than a Path per part (called once per case).
    return Path(os.path.join(directory, *parts[:-1], parts[-1] + ".json"))
