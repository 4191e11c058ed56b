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
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, register_subcommand
from .errors import ConfigError

if TYPE_CHECKING:
    from .anonymise.columns import Batch
    from .anonymise.engine import Anonymiser
    from .anonymise.io import Part, Source
    from .anonymise.pseudonyms import PseudonymTable
    from .anonymise.report import Report

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
    from .anonymise.io import chunks, open_source, read_records, write_records
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

    parts = _parts(sources)
    tail: _Tail | None = None
    kept_sources: dict[int, list[tuple[list[Any], Batch]]] = {}  # id of a source → its chunks, from pass 1
    if parts is not None:
        # Large JSON Lines inputs: each process reads, analyses and rewrites its own lines.
        kept: dict[int, list[tuple[list[Any], Batch]]] = {}
        total = _collect_parts(anonymiser, parts, kept)
        anonymiser.resolve()
        table.note_all_emitted()
        tail = _rewrite_parts(anonymiser, parts, sources, targets, report, kept)
        kept.clear()
        if tail is None:
            parts = None  # pass 2 met a value pass 1 did not register: one process, as below
            report = Report(files=len(sources))
    else:
        total = 0
        # Small inputs stay in memory between the passes: pass 2 neither reads nor analyses them again.
        keep = sum(s.path.stat().st_size for s in sources) <= _KEEP_BYTES
        with Progress("reading", None) as bar:
            for source in sources:
                # Chunks let flat records be analysed column by column (same result, ~2x faster).
                for chunk in chunks(read_records(source)):
                    batch = anonymiser.collect_many(chunk)
                    if keep:
                        kept_sources.setdefault(id(source), []).append((chunk, batch))
                    total += len(chunk)
                    bar.advance(len(chunk))
        anonymiser.resolve()

    if parts is None:
        with Progress("anonymising", total) as bar:

            def rewritten(source: Source) -> Iterator[dict[str, Any]]:
                held = kept_sources.pop(id(source), None)
                for records in _pass_two(anonymiser, report, held, lambda: chunks(read_records(source))):
                    yield from records
                    bar.advance(len(records))

            for source, target in zip(sources, targets, strict=True):
                write_records(target, rewritten(source), source)

    folders = {t.parent for t in targets}
    if tail is None:
        # Every value registered was written: the allowlist lists every pseudonym of this run (the
        # same whichever process wrote it). The parts made theirs from the same resolution.
        table.note_all_emitted()
        table.mapping.save()
        _write_allowlists(folders, table)
    else:
        _finish(table, folders, tail)
    if args.report:
        report.write(args.report)
    print(report.render())
    return EXIT_FINDINGS if report.findings else EXIT_OK


_PARALLEL_BYTES = 4 << 20
"""Inputs smaller than this (~15,000 typical records) are read by one process: forking costs more."""


def _parts(sources: list[Source]) -> list[Part] | None:
    """Shares of the inputs for the processes, or ``None`` to read them in this process alone."""
    from .anonymise import parallel
    from .anonymise.io import jsonl_parts

    count = parallel.available_processes()
    if count < 2 or not parallel.can_fork() or any(s.format != "jsonl" for s in sources):
        return None
    if sum(s.path.stat().st_size for s in sources) < _PARALLEL_BYTES:
        return None
    return [part for source in sources for part in jsonl_parts(source, count)]


_KEEP_BYTES = 64 << 20
"""A part read by this process in pass 1 up to this size is kept in memory (records and what
pass 1 found in them) for pass 2: it is neither parsed nor analysed again."""


def _collect_parts(anonymiser: Anonymiser, parts: list[Part], kept: dict[int, list[tuple[list[Any], Batch]]]) -> int:
    """Pass 1 over the parts, shared among processes; what the others registered is registered here.

    ``kept`` receives, by position in ``parts``, the chunks and batches of the parts read here
    (small enough, see :data:`_KEEP_BYTES`)."""
    from .anonymise import parallel
    from .anonymise.io import chunks, read_part
    from .progress import Progress

    table = anonymiser.table

    position = {id(part): index for index, part in enumerate(parts)}

    def collect(part: Part) -> tuple[int, dict[str, list[str]]]:
        count = 0
        keep: list[tuple[list[Any], Batch]] | None = None
        if not parallel.in_child() and part.end - part.start <= _KEEP_BYTES:
            keep = kept[position[id(part)]] = []
        for chunk in chunks(read_part(part)):
            batch = anonymiser.collect_many(chunk)
            if keep is not None:
                keep.append((chunk, batch))
            count += len(chunk)
        # Here the values are registered already; a child hands its values over.
        return count, table.take_pending() if parallel.in_child() else {}

    total = 0
    with Progress("reading", None) as bar:
        for count, pending in parallel.split_map(collect, parts, [p.end - p.start for p in parts], minimum=0):
            for kind, norms in pending.items():
                table.register_many(kind, norms)
            total += count
            bar.advance(count)
    return total


def _pass_two(
    anonymiser: Anonymiser,
    report: Report,
    held: list[tuple[list[Any], Batch]] | None,
    read: Callable[[], Iterable[list[Any]]],
) -> Iterator[list[Any]]:
    """Pass 2, chunk by chunk (the rewritten records of each): over what pass 1 kept in memory
    (``held``: chunks with what pass 1 found in them), else over ``read()`` again."""
    if held is not None:
        for chunk, batch in held:
            yield anonymiser.apply_many(chunk, report, batch)
        return
    for chunk in read():
        yield anonymiser.apply_many(chunk, report)


class _Tail(NamedTuple):
    """The mapping file's blocks and the allowlist's fingerprints, made beside pass 2."""

    blocks: list[str]
    fingerprints: list[str]


# Rough CPU cost of each kind of task (µs, measured), to share them evenly among processes.
_COST_PER_BYTE = 0.09  # pass 2 over a part: parse, analyse, rewrite, encode, write
_COST_PER_ENTRY = 1.6  # a mapping entry: label, sort, encode
_COST_PER_FINGERPRINT = {"phone": 3.3}  # phones have a national spelling too
_COST_OF_FINGERPRINT = 1.1
_KEPT_SHARE = 0.55  # pass 2 over a part kept from pass 1: neither parsed nor analysed again


def _rewrite_parts(
    anonymiser: Anonymiser,
    parts: list[Part],
    sources: list[Source],
    targets: list[Path],
    report: Report,
    kept: dict[int, list[tuple[list[Any], Batch]]],
) -> _Tail | None:
    """Pass 2 over the parts, shared among processes, each writing its lines to a file of its own;
    the outputs are their concatenations. The mapping file's and the allowlist's contents are
    made meanwhile (they depend on the resolution only). ``None`` (nothing written) if a value
    needs resolving. ``kept``: the parts pass 1 kept in memory (any process has them: forked)."""
    import shutil
    import tempfile

    from .anonymise import parallel
    from .anonymise.io import chunks, join_parts, read_part, write_jsonl
    from .anonymise.pseudonyms import Unresolved
    from .anonymise.report import Report
    from .progress import Progress

    table = anonymiser.table
    folder = Path(tempfile.mkdtemp(dir=targets[0].parent if targets[0].parent.is_dir() else None,
                                   prefix=".agentreal-parts-"))  # fmt: skip
    blocks = table.mapping.kinds() if table.mapping.path is not None else []
    written = table.written_kinds()
    tasks: list[tuple[str, int, Any]] = [("part", i, part) for i, part in enumerate(parts)]
    tasks += [("block", i, kind) for i, (kind, _) in enumerate(blocks)]
    tasks += [("fingerprints", i, kind) for i, kind in enumerate(written)]
    weights = [(p.end - p.start) * _COST_PER_BYTE * (_KEPT_SHARE if i in kept else 1.0) for i, p in enumerate(parts)]
    weights += [n * _COST_PER_ENTRY for _, n in blocks]
    weights += [table.resolved(k) * _COST_PER_FINGERPRINT.get(k, _COST_OF_FINGERPRINT) for k in written]

    def run(task: tuple[str, int, Any]) -> Any:
        what, index, item = task
        if what == "block":
            return table.mapping.block(item)
        if what == "fingerprints":
            return _sorted_fingerprints(table, item)
        part_report = Report()
        rewritten = _pass_two(anonymiser, part_report, kept.get(index), lambda: chunks(read_part(item)))
        lines = (r for records in rewritten for r in records)
        return write_jsonl(folder / f"{index}.jsonl", lines), part_report

    try:
        with Progress("anonymising", None) as bar, table.frozen():
            try:
                done = parallel.split_map(run, tasks, weights, minimum=0)
            except Unresolved:
                return None
            for count, part_report in done[: len(parts)]:
                report.merge(part_report)
                bar.advance(count)
        for source, target in zip(sources, targets, strict=True):
            join_parts(target, [folder / f"{i}.jsonl" for i, part in enumerate(parts) if part.source is source])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _Tail(done[len(parts) : len(parts) + len(blocks)], done[len(parts) + len(blocks) :])


def _finish(table: PseudonymTable, folders: set[Path], tail: _Tail) -> None:
    """Write the mapping file and the allowlists from what pass 2 made, in two processes at once."""
    from .anonymise import parallel

    def write(what: str) -> None:
        if what == "mapping":
            table.mapping.save(tail.blocks)
        else:
            _write_allowlists(folders, table, tail.fingerprints)

    parallel.split_map(write, ["allowlists", "mapping"], [2.0, 1.0], minimum=0)


def _write_allowlists(folders: set[Path], table: PseudonymTable, packed: list[str] | None = None) -> None:
    """Merge the fingerprints of this run's pseudonyms into each output folder's allowlist.

    ``packed``: :func:`_sorted_fingerprints` of each of the table's written kinds, made already.
    """
    from .anonymise.detect import ALLOWLIST_FILE
    from .anonymise.parallel import split_map

    if packed is None:
        kinds = table.written_kinds()
        packed = split_map(lambda k: _sorted_fingerprints(table, k), kinds, [table.resolved(k) for k in kinds])
    # Sorted runs, one per kind: sorting their concatenation merges them. (Two kinds never share
    # a fingerprint: the kind is hashed with the value.)
    found = [text[i : i + 20] for text in packed for i in range(0, len(text), 20)]
    found.sort()
    for folder in folders:
        path = folder / ALLOWLIST_FILE
        existing: set[str] = set()
        if path.is_file():
            try:
                existing = {str(f) for f in json.loads(path.read_text(encoding="utf-8")).get("fingerprints", [])}
            except (ValueError, AttributeError):
                existing = set()
        merged = sorted(existing.union(found)) if existing else found
        path.write_text(_allowlist_json(merged), encoding="utf-8")


def _sorted_fingerprints(table: PseudonymTable, kind: str) -> str:
    """The sorted fingerprints of the pseudonyms of ``kind`` written, as one string (each has 20
    hex digits: cheap to send from another process, and cut again)."""
    from .anonymise.detect import fingerprints

    return "".join(sorted(fingerprints(kind, table.emitted_norms_of(kind))))


_ALLOWLIST_ABOUT = "fingerprints of pseudonyms written by `agentreal anonymise` (fake values only)"


def _allowlist_json(fingerprints: list[str]) -> str:
    """``json.dumps({"about": …, "fingerprints": …}, indent=0) + "\\n"``, without its pure-Python
    encoder (seconds for a large corpus): fingerprints are hex digits, nothing to escape."""
    body = '[\n"' + '",\n"'.join(fingerprints) + '"\n]' if fingerprints else "[]"
    return f'{{\n"about": {json.dumps(_ALLOWLIST_ABOUT)},\n"fingerprints": {body}\n}}\n'


register_subcommand("anonymise", configure, run, HELP)
