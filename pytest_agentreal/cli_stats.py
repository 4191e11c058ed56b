"""``agentreal stats DIR``: what a corpus holds — samples, fields and their fill rates, cases, cassettes.

Fill rates tell a curator which fields production leaves out (the ones ``missing.*`` cases matter
most for); the case counts tell how long a full run takes. Only counts are printed, never values.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cli import EXIT_OK, register_subcommand
from .model import Case, Sample
from .pointers import generalise, iter_members

if TYPE_CHECKING:
    from .corpus import Corpus

HELP = "samples, fields and their fill rates, cases per family and operator, cassettes"


@dataclass(frozen=True)
class FieldStats:
    """How one field (a generalised pointer, ``/items/*/sku``) is filled over a corpus's samples.

    Each sample counts once: ``present`` when the field exists in it; of those, ``null`` when every
    occurrence is ``null``, ``empty`` when none has a value but one is ``""``, ``[]`` or ``{}``.
    """

    pointer: str
    present: int
    null: int
    empty: int

    @property
    def filled(self) -> int:
        """Samples where the field has a value."""
        return self.present - self.null - self.empty

    def as_dict(self, samples: int) -> dict[str, Any]:
        """JSON-ready form, with the fill rate over ``samples``."""
        return {"field": self.pointer, "present": self.present, "null": self.null, "empty": self.empty,
                "filled": self.filled, "fill_rate": round(self.filled / samples, 4) if samples else 0.0}  # fmt: skip


_NULL, _EMPTY, _FILLED = 0, 1, 2


def _state(value: Any) -> int:
    if value is None:
        return _NULL
    if value in ("", [], {}):
        return _EMPTY
    return _FILLED


def field_stats(samples: Iterable[Sample], tick: Callable[[int], None] = lambda n: None) -> list[FieldStats]:
    """Per field (generalised pointer, containers included), in first-seen order: present / null / empty."""
    present: Counter[str] = Counter()
    states: dict[str, Counter[int]] = {}
    for sample in samples:
        best: dict[str, int] = {}
        for pointer, value in iter_members(sample):
            field = generalise(pointer)
            best[field] = max(best.get(field, _NULL), _state(value))
        for field, state in best.items():
            present[field] += 1
            states.setdefault(field, Counter())[state] += 1
        tick(1)
    from .lint.model import safe_pointer

    # A sample keyed by e-mail address would put the address into a field name: masked.
    return [FieldStats(safe_pointer(field), present[field], states[field][_NULL], states[field][_EMPTY])
            for field in present]  # fmt: skip


def case_counts(cases: Sequence[Case]) -> dict[str, dict[str, int]]:
    """``family → operator → cases`` in plan order (``original`` has the operator ``""``)."""
    counts: dict[str, dict[str, int]] = {}
    for case in cases:
        operators = counts.setdefault(case.mutation.family, {})
        operators[case.mutation.operator] = operators.get(case.mutation.operator, 0) + 1
    return counts


def corpus_stats(corpus: Corpus, tick: Callable[[int], None] = lambda n: None) -> dict[str, Any]:
    """Everything ``agentreal stats`` reports, JSON-ready."""
    from .cassettes import iter_cassettes
    from .mutations.plan import Selection
    from .runner import CorpusRun, RunOptions

    samples = len(corpus.samples)
    files = Counter(origin.rsplit(" row ", 1)[0] for origin in corpus.origins)
    # Record mode none plans connector faults from the originals' cassettes, as CI does.
    cases = CorpusRun(corpus, RunOptions(record_mode="none")).plan(Selection())
    families = case_counts(cases)
    directory = corpus.manifest.cassettes or corpus.root / "cassettes"
    cassettes = len(iter_cassettes(directory)) if directory.is_dir() else 0
    return {
        "corpus": corpus.name,
        "samples": samples,
        "files": dict(files),
        "fields": [f.as_dict(samples) for f in field_stats(corpus.samples, tick)],
        "cases": len(cases),
        "families": {family: {"cases": sum(ops.values()), "operators": ops} for family, ops in families.items()},
        "cassettes": cassettes,
        "cassette_dir": str(directory),
    }


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``agentreal stats``."""
    parser.add_argument("dir", metavar="DIR", help="the corpus folder (or its corpus.yaml)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def render(stats: dict[str, Any]) -> list[str]:
    """The text report."""
    samples = stats["samples"]
    files = ", ".join(f"{name}: {count}" for name, count in stats["files"].items())
    lines = [f"corpus {stats['corpus']}", f"samples  {samples} ({files})", ""]
    fields = stats["fields"]
    width = max([len("field"), *(len(f["field"]) for f in fields)])
    lines.append(f"{'field'.ljust(width)}  {'present':>7}  {'null':>5}  {'empty':>5}  {'filled':>6}  fill rate")
    for f in fields:
        lines.append(f"{f['field'].ljust(width)}  {f['present']:>7}  {f['null']:>5}  {f['empty']:>5}  "
                     f"{f['filled']:>6}  {f['fill_rate']:>8.1%}")  # fmt: skip
    lines += ["", f"cases    {stats['cases']}"]
    fam_width = max([6, *(len(name) for name in stats["families"])])
    for family, data in stats["families"].items():
        operators = ", ".join(f"{op} {n}" for op, n in data["operators"].items() if op)
        lines.append(f"  {family.ljust(fam_width)}  {data['cases']:>6}  {operators}".rstrip())
    lines += ["", f"cassettes {stats['cassettes']} ({stats['cassette_dir']})"]
    return lines


def run(args: argparse.Namespace) -> int:
    """Print the corpus's statistics; exit status 0 (2 when the corpus does not load)."""
    from .corpus import load_corpus
    from .lint.model import show_path
    from .progress import Progress

    corpus = load_corpus(Path(args.dir))
    with Progress("counting", len(corpus.samples)) as bar:
        stats = corpus_stats(corpus, bar.advance)
    stats["cassette_dir"] = show_path(stats["cassette_dir"])
    if args.format == "json":
        print(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        print("\n".join(render(stats)))
    return EXIT_OK


register_subcommand("stats", configure, run, HELP)
