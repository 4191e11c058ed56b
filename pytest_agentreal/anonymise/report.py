"""What anonymisation replaced: counts per kind and per field, never a value.

Field names are JSON Pointers with array indices generalised (``/items/*/email``), so a report
says where personal data lives in the corpus's shape without saying whose it was.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Report:
    """Counters filled by the anonymiser (replacements) and by the final scan (leftovers)."""

    files: int = 0
    records: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    fields: dict[str, Counter[str]] = field(default_factory=dict)
    leftovers: dict[str, Counter[str]] = field(default_factory=dict)

    def count(self, pointer: str, kind: str, n: int = 1) -> None:
        """``n`` values of ``kind`` replaced in the field ``pointer`` (already generalised)."""
        self.kinds[kind] += n
        self.fields.setdefault(pointer, Counter())[kind] += n

    def merge(self, other: Report) -> None:
        """Add the counts of ``other`` (the same work done elsewhere, e.g. on another part)."""
        self.records += other.records
        self.kinds.update(other.kinds)
        for mine, theirs in ((self.fields, other.fields), (self.leftovers, other.leftovers)):
            for pointer, counts in theirs.items():
                mine.setdefault(pointer, Counter()).update(counts)

    def leftover(self, pointer: str, kind: str) -> None:
        """A value of ``kind`` that still looks personal after anonymisation."""
        self.leftovers.setdefault(pointer, Counter())[kind] += 1

    @property
    def findings(self) -> int:
        """How many leftovers the final scan found (non-zero → exit status 1)."""
        return sum(sum(c.values()) for c in self.leftovers.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "files": self.files,
            "records": self.records,
            "replaced": dict(sorted(self.kinds.items())),
            "fields": {p: dict(sorted(c.items())) for p, c in sorted(self.fields.items())},
            "leftovers": {p: dict(sorted(c.items())) for p, c in sorted(self.leftovers.items())},
        }

    def write(self, path: str | Path) -> None:
        """Write the report as JSON."""
        Path(path).write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")

    def render(self) -> str:
        """A short plain-text summary for the terminal."""
        lines = [f"anonymised {self.records:,} records from {self.files} file(s)"]
        if self.kinds:
            lines.append("replaced: " + ", ".join(f"{k} {n:,}" for k, n in sorted(self.kinds.items())))
            width = max(len(p) for p in self.fields)
            for pointer, counts in sorted(self.fields.items()):
                lines.append(f"  {pointer:<{width}}  " + ", ".join(f"{k} {n:,}" for k, n in sorted(counts.items())))
        else:
            lines.append("replaced: nothing")
        if self.leftovers:
            lines.append(f"still looks personal after anonymisation ({self.findings:,}): review these fields")
            for pointer, counts in sorted(self.leftovers.items()):
                lines.append(f"  {pointer}  " + ", ".join(f"{k} {n:,}" for k, n in sorted(counts.items())))
        return "\n".join(lines)
