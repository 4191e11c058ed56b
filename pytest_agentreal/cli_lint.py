"""``agentreal lint PATH...``: everything wrong with corpora, one ``file:line: [severity] key: message (fix)`` a line.

PATH is a corpus folder, its ``corpus.yaml``, a folder holding corpora, or any file inside a corpus
(so that a pre-commit hook can pass the changed files: each corpus is linted once, files outside
every corpus are ignored). Exit status 0 when clean, 1 on errors or warnings, 2 on usage errors.
Findings name kinds, pointers and counts; no sample value is ever printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from .cli import EXIT_FINDINGS, EXIT_OK, register_subcommand
from .errors import ConfigError

if TYPE_CHECKING:
    from .lint.model import LintFinding

HELP = "check corpora: manifest, schemas, policy, samples, PII and secrets left, quasi-identifiers, unused cassettes"
MANIFEST = "corpus.yaml"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``agentreal lint``."""
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a corpus folder (or its corpus.yaml, a folder of corpora, a file inside a corpus)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--k", type=int, default=5, metavar="K",
                        help="k-anonymity: warn when a combination of quasi-identifiers is shared by fewer "
                             "than K samples (default: 5)")  # fmt: skip
    parser.add_argument("--info", action="store_true",
                        help="also print info findings (worth a look; they never fail the lint)")
    parser.epilog = "exit status: 0 clean, 1 errors or warnings, 2 usage error"


def _owning_corpus(path: Path) -> Path | None:
    for folder in path.resolve().parents:
        if (folder / MANIFEST).is_file():
            return folder
    return None


def corpus_folders(paths: list[str]) -> list[Path]:
    """The corpora the paths name, each once, in order; a folder without any corpus is an error."""
    found: dict[Path, None] = {}
    for text in paths:
        path = Path(text)
        if not path.exists():
            raise ConfigError(path, "does not exist", fix="give a corpus folder (the folder of corpus.yaml)")
        if path.is_dir():
            if (path / MANIFEST).is_file():
                found[path] = None
                continue
            below = sorted(p.parent for p in path.rglob(MANIFEST))
            if not below:
                raise ConfigError(path, f"no {MANIFEST} in or below this folder",
                                  fix="give a corpus folder, or create one with agentreal init DIR")  # fmt: skip
            found.update(dict.fromkeys(below))
        elif path.name == MANIFEST:
            found[path.parent] = None
        elif (owner := _owning_corpus(path)) is not None:
            found[owner] = None  # a file inside a corpus (pre-commit passes changed files)
    # One corpus named twice (./x and x/corpus.yaml) is linted once.
    unique: dict[Path, Path] = {}
    for folder in found:
        unique.setdefault(folder.resolve(), folder)
    return list(unique.values())


def _lint(folder: Path, k: int) -> list[LintFinding]:
    from .lint.context import load_context
    from .lint.registry import run_checks, sort_findings
    from .progress import Progress

    context, findings = load_context(folder)
    context.k = k
    with Progress(f"linting {folder}", len(context.rows) + 2 * len(context.cassette_files)) as bar:
        context.tick = bar.advance
        findings += run_checks(context)
    return sort_findings(findings)


def run(args: argparse.Namespace) -> int:
    """Lint every corpus the paths name; exit status 0 (clean), 1 (findings) or 2 (usage)."""
    from .lint.model import show_path

    if args.k < 2:
        raise ConfigError(None, f"--k must be at least 2, got {args.k}", fix="k-anonymity needs groups of 2 or more")
    folders = corpus_folders(args.paths)
    results: list[tuple[Path, list[LintFinding]]] = []
    for folder in folders:
        results.append((folder, _lint(folder, args.k)))
    every = [finding for _, findings in results for finding in findings]
    counts: Counter[str] = Counter(finding.severity for finding in every)
    if args.format == "json":
        payload = {
            "corpora": [{"path": show_path(folder), "findings": [f.as_dict() for f in findings]}
                        for folder, findings in results],
            "errors": counts["error"], "warnings": counts["warning"], "infos": counts["info"],
        }  # fmt: skip
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for finding in every:
            if finding.severity != "info" or args.info:
                print(finding.render())
        print(_summary(counts, len(folders)), file=sys.stderr)
    return EXIT_FINDINGS if counts["error"] or counts["warning"] else EXIT_OK


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(counts: Counter[str], corpora: int) -> str:
    if not corpora:
        return "agentreal lint: no corpus among the given files"
    where = f"{corpora} {'corpus' if corpora == 1 else 'corpora'}"
    if not (counts["error"] or counts["warning"]):
        return f"agentreal lint: {where} clean"
    return f"agentreal lint: {_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')} in {where}"


register_subcommand("lint", configure, run, HELP)
