"""``agentreal anonymise IN... --out OUT``: production exports in, a committable corpus out.

Two passes over every input (register all real values, then rewrite), one key and one mapping for
all inputs, so that a person keeps one pseudonym across files. The output is scanned again at the
end; anything that still looks personal is reported by field and kind (exit status 1). Nothing
this command prints or writes contains an original value.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, register_subcommand
from .errors import ConfigError

if TYPE_CHECKING:
    from .anonymise.pseudonyms import PseudonymTable

HELP = "replace personal data with consistent pseudonyms, and remove secrets"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``agentreal anonymise``."""
    parser.add_argument("inputs", nargs="*", metavar="IN", help="sample files: .jsonl, .json, .csv, .parquet")
    parser.add_argument("--out", metavar="OUT",
                        help="output file (one input) or folder (written as OUT/<input name>)")  # fmt: skip
    parser.add_argument("--key-file", metavar="F", help="the secret key (default: $AGENTREAL_KEY)")
    parser.add_argument("--generate-key", metavar="PATH",
                        help="write a new random key to PATH first (outside the corpus); alone: just that")  # fmt: skip
    parser.add_argument("--mapping", metavar="F",
                        help="keyed digests → pseudonyms (default: beside the key file, KEY.mapping.json)")  # fmt: skip
    parser.add_argument("--report", metavar="PATH", help="also write the report (counts only) as JSON")
    parser.add_argument("--keep", metavar="POINTER", action="append", default=[],
                        help="leave this field as it is (JSON Pointer, * = any key or index); repeatable")  # fmt: skip
    parser.add_argument("--presidio", action="store_true",
                        help="also find person names with Presidio (optional package, needs a model)")  # fmt: skip


def _outputs(inputs: list[Path], out: Path) -> list[Path]:
    from .anonymise.io import format_of

    if len(inputs) == 1 and format_of(out) is not None and not out.is_dir():
        targets = [out]
    else:
        if out.exists() and not out.is_dir():
            raise ConfigError(out, "several inputs need an output folder, not a file", fix="--out a folder")
        targets = [out / p.name for p in inputs]
        if len({t.name for t in targets}) != len(targets):
            raise ConfigError(out, "two inputs have the same file name", fix="anonymise them into different folders")
    resolved_inputs = {p.resolve() for p in inputs}
    for target in targets:
        if target.resolve() in resolved_inputs:
            raise ConfigError(target, "refusing to write over an input", fix="choose another --out")
    return targets


def _check_outside(path: Path, out: Path | None, what: str) -> None:
    """Refuse a key or mapping where it could be committed with the corpus."""
    from .anonymise.io import format_of
    from .anonymise.keys import inside_corpus

    resolved = path.resolve()
    corpus = inside_corpus(path)
    if out is not None:
        target = out.resolve()
        if format_of(out) is None or out.is_dir():  # an output folder: nothing of ours below it
            if target == resolved.parent or target in resolved.parents:
                corpus = corpus or target
        elif resolved.parent == target.parent:  # an output file: not beside it
            corpus = corpus or target.parent
    if corpus is not None:
        raise ConfigError(path, f"the {what} would be inside {corpus}, where it could be committed",
                          fix="keep it outside the corpus, e.g. ~/.config/agentreal/")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Anonymise the inputs; exit status 0, 1 (something personal left) or 2 (usage)."""
    from .anonymise import keys

    out = Path(args.out) if args.out else None
    key_file = Path(args.key_file) if args.key_file else None
    key: bytes | None = None
    if args.generate_key:
        _check_outside(Path(args.generate_key), out, "key")
        key = keys.generate_key(args.generate_key)
        key_file = Path(args.generate_key)
        print(f"agentreal anonymise: wrote a new key to {key_file} (keep it secret, outside the corpus)",
              file=sys.stderr)  # fmt: skip
        if not args.inputs:
            return EXIT_OK
    if not args.inputs:
        print("agentreal anonymise: error: give at least one input file (or --generate-key PATH)", file=sys.stderr)
        return EXIT_USAGE
    if out is None:
        print("agentreal anonymise: error: --out is required", file=sys.stderr)
        return EXIT_USAGE
    return _anonymise(args, [Path(p) for p in args.inputs], out, key_file, key)


def _anonymise(
    args: argparse.Namespace, inputs: list[Path], out: Path, key_file: Path | None, key: bytes | None
) -> int:
    from .anonymise import keys, text
    from .anonymise.engine import Anonymiser
    from .anonymise.io import Source, chunks, open_source, read_records, write_records
    from .anonymise.pseudonyms import MappingFile, PseudonymTable
    from .anonymise.report import Report
    from .progress import Progress

    sources = [open_source(p) for p in inputs]
    targets = _outputs(inputs, out)
    if key is None:
        key = keys.load_key(key_file)
    mapping_path = Path(args.mapping) if args.mapping else (keys.default_mapping_path(key_file) if key_file else None)
    if mapping_path is None:
        print("agentreal anonymise: warning: no --mapping (key from $AGENTREAL_KEY): collision resolution "
              "is stable for these inputs only; pass --mapping F to keep it across runs", file=sys.stderr)  # fmt: skip
    else:
        _check_outside(mapping_path, out, "mapping")
    if args.presidio:
        text.enable_presidio()

    table = PseudonymTable(key, MappingFile.load(mapping_path, key))
    anonymiser = Anonymiser(table, keep=args.keep, scan=True)
    report = Report(files=len(sources))

    total = 0
    with Progress("reading", None) as bar:
        for source in sources:
            # Chunks let flat records be analysed column by column (same result, ~2x faster).
            for chunk in chunks(read_records(source)):
                anonymiser.collect_many(chunk)
                total += len(chunk)
                bar.advance(len(chunk))
    anonymiser.resolve()

    with Progress("anonymising", total) as bar:

        def rewritten(source: Source) -> Iterator[dict[str, Any]]:
            for chunk in chunks(read_records(source)):
                yield from anonymiser.apply_many(chunk, report)
                bar.advance(len(chunk))

        for source, target in zip(sources, targets, strict=True):
            write_records(target, rewritten(source), source)

    table.mapping.save()
    _write_allowlists({t.parent for t in targets}, table)
    if args.report:
        report.write(args.report)
    print(report.render())
    return EXIT_FINDINGS if report.findings else EXIT_OK


def _write_allowlists(folders: set[Path], table: PseudonymTable) -> None:
    """Merge the fingerprints of this run's pseudonyms into each output folder's allowlist."""
    from .anonymise.detect import ALLOWLIST_FILE, fingerprint

    fingerprints = {fingerprint(kind, n) for kind, norms in table.emitted_norms().items() for n in norms}
    for folder in folders:
        path = folder / ALLOWLIST_FILE
        existing: set[str] = set()
        if path.is_file():
            try:
                existing = {str(f) for f in json.loads(path.read_text(encoding="utf-8")).get("fingerprints", [])}
            except (ValueError, AttributeError):
                existing = set()
        payload = {
            "about": "fingerprints of pseudonyms written by `agentreal anonymise` (fake values only)",
            "fingerprints": sorted(existing | fingerprints),
        }
        path.write_text(json.dumps(payload, indent=0) + "\n", encoding="utf-8")


register_subcommand("anonymise", configure, run, HELP)
