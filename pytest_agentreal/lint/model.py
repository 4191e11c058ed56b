"""What ``agentreal lint`` reports (:class:`LintFinding`) and what its checks read (:class:`LintContext`).

A finding names where (file, line), what (key, message) and the fix — never a sample's value:
messages are built from kinds, pointers and counts only, and :func:`safe_text` masks anything a
detector still recognises in text that came from elsewhere (an error message quoting a value).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..model import Sample

if TYPE_CHECKING:
    from ..corpus import Corpus
    from ..manifest import Manifest

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class LintFinding:
    """One problem: ``file:line: [severity] key: message (fix)``; ``check`` names the check that found it."""

    file: str
    line: int | None
    key: str
    message: str
    fix: str | None = None
    severity: Severity = "error"
    check: str = ""

    def render(self) -> str:
        """The one-line form printed by ``agentreal lint``."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        fix = f" ({self.fix})" if self.fix else ""
        key = f"{self.key}: " if self.key else ""
        return f"{where}: [{self.severity}] {key}{self.message}{fix}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``--format json``)."""
        return {
            "file": self.file,
            "line": self.line,
            "severity": self.severity,
            "check": self.check,
            "key": self.key,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class SampleRow:
    """One sample as stored, with where it came from (``line`` is ``None`` for .json and .parquet)."""

    sample: Sample
    file: Path
    row: int
    line: int | None


@dataclass
class LintContext:
    """Everything the checks of one corpus read, loaded once.

    ``manifest`` is ``None`` when ``corpus.yaml`` itself is broken, ``corpus`` when anything else
    is (the ``corpus`` check reports why); the rows are read even then, so personal data in the
    samples is still found in a corpus that does not load.
    """

    root: Path
    manifest: Manifest | None = None
    corpus: Corpus | None = None
    rows: list[SampleRow] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    allowlist: frozenset[str] = frozenset()
    cassette_files: list[Path] = field(default_factory=list)
    k: int = 5
    """Samples that must share a combination of quasi-identifiers (k-anonymity)."""
    tick: Callable[[int], None] = field(default=lambda n: None, repr=False)
    """Called with units of work done (a sample, a cassette), to drive a progress bar."""

    @property
    def cassette_dir(self) -> Path | None:
        """Where this corpus's cassettes live (``cassettes:``, else ``<corpus>/cassettes``)."""
        if self.manifest is None:
            return None
        return self.manifest.cassettes or self.manifest.root / "cassettes"

    def show(self, path: str | Path) -> str:
        """A path as printed: relative to the working directory when it is below it."""
        return show_path(path)


def show_path(path: str | Path) -> str:
    """``path`` relative to the working directory when below it, else as given."""
    candidate = Path(path)
    try:
        return str(candidate.resolve().relative_to(Path(os.getcwd()).resolve()))
    except (ValueError, OSError):
        return str(candidate)


def safe_text(text: str) -> str:
    """``text`` with anything a personal-data or secret detector recognises replaced by ``<kind>``."""
    from ..anonymise.detect import scan_text

    hits = scan_text(text)
    for hit in reversed(hits):
        text = f"{text[: hit.start]}<{hit.kind}>{text[hit.end :]}"
    return text


def safe_pointer(pointer: str) -> str:
    """A JSON Pointer (or dotted key) with each of its tokens passed through :func:`safe_text`."""
    return "/".join(safe_text(token) for token in pointer.split("/"))
