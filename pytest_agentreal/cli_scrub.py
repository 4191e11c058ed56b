"""``agentreal scrub DIR``: redact secrets in existing cassettes, in place and atomically.

For cassettes recorded before a secret was named in ``secrets:``, or by an older version: the same
redaction as recording (credential headers by allowlist, secret JSON keys and query parameters,
every form of the ``secrets:`` env vars' values). Each file is rewritten through a temporary file
and a rename, so an interrupted scrub leaves every cassette either as it was or fully scrubbed.
The files are scanned again afterwards; anything left is a finding (exit status 1). Only counts
and names of env vars are printed, never a value.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .cli import EXIT_FINDINGS, EXIT_OK, register_subcommand
from .errors import ConfigError

HELP = "redact secrets in existing cassettes, in place and atomically"


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``agentreal scrub``."""
    parser.add_argument("dir", metavar="DIR", help="a corpus folder (its cassettes are scrubbed), or a cassette folder")
    parser.add_argument("--secret", action="append", default=[], metavar="ENV",
                        help="also redact the value of this env var (besides secrets: in corpus.yaml); repeatable")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.epilog = "exit status: 0 scrubbed (or nothing to do), 1 something is left after scrubbing, 2 usage error"


def _targets(folder: Path, extra: list[str]) -> tuple[Path, dict[str, str]]:
    """The cassette folder and the secret values (env var name → value) to redact."""
    from .cassettes import CassetteSettings
    from .manifest import MANIFEST_NAME, read_manifest

    if not folder.is_dir():
        raise ConfigError(folder, "is not a folder", fix="give a corpus folder or a folder of cassettes")
    if folder.name == MANIFEST_NAME or (folder / MANIFEST_NAME).is_file():
        manifest = read_manifest(folder)
        directory = manifest.cassettes or manifest.root / "cassettes"
        names, source = (*manifest.secrets, *extra), manifest.path
    else:
        directory, names, source = folder, tuple(extra), None
    settings = CassetteSettings(directory=directory, secrets=tuple(dict.fromkeys(names)), source=source)
    return directory, settings.secret_values()


def run(args: argparse.Namespace) -> int:
    """Scrub every cassette of the corpus; print redactions per file; exit 0, or 1 when something is left."""
    from .cassettes import iter_cassettes, scan_cassette, scrub_cassette
    from .progress import Progress

    directory, secrets = _targets(Path(args.dir), args.secret)
    files = iter_cassettes(directory) if directory.is_dir() else []
    counts: dict[Path, int] = {}
    problems: dict[Path, list[str]] = {}
    with Progress("scrubbing", len(files)) as bar:
        for path in files:
            try:
                counts[path] = scrub_cassette(path, secrets)
                left = scan_cassette(path, secrets)
            except ConfigError as error:  # a corrupted cassette: the others are still scrubbed
                problems[path] = [f"not scrubbed: {error.message}"]
            except OSError as error:  # the rename failed: the previous file is intact
                problems[path] = [f"not scrubbed: cannot write ({error.strerror or type(error).__name__})"]
            else:
                if left:
                    problems[path] = [f"{f.path}: {f.message}" if f.path != str(path) else f.message for f in left]
            bar.advance()
    if args.format == "json":
        print(json.dumps(_payload(directory, secrets, files, counts, problems), indent=2))
    else:
        _print_text(directory, secrets, files, counts, problems)
    return EXIT_FINDINGS if problems else EXIT_OK


def _payload(directory: Path, secrets: dict[str, str], files: list[Path], counts: dict[Path, int],
             problems: dict[Path, list[str]]) -> dict[str, Any]:  # fmt: skip
    from .lint.model import show_path

    return {
        "cassette_dir": show_path(directory),
        "secrets": sorted(secrets),
        "cassettes": len(files),
        "redactions": sum(counts.values()),
        "files": [{"file": show_path(p), "redactions": counts.get(p, 0), "left": problems.get(p, [])}
                  for p in files if counts.get(p) or p in problems],
    }  # fmt: skip


def _print_text(directory: Path, secrets: dict[str, str], files: list[Path], counts: dict[Path, int],
                problems: dict[Path, list[str]]) -> None:  # fmt: skip
    from .lint.model import show_path

    for path in files:
        if counts.get(path):
            print(f"{show_path(path)}: {counts[path]} redacted")
        for problem in problems.get(path, []):
            print(f"{show_path(path)}: [error] {problem}")
    named = f" (values of {', '.join('$' + n for n in sorted(secrets))})" if secrets else ""
    changed = sum(1 for n in counts.values() if n)
    print(f"agentreal scrub: {sum(counts.values())} redactions in {changed} of {len(files)} cassettes under "
          f"{show_path(directory)}{named}", file=sys.stderr)  # fmt: skip


register_subcommand("scrub", configure, run, HELP)
