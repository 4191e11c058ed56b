"""The ``agentreal`` command: corpus curation (init, anonymise, lint, stats, scrub).

Subcommands live in a registry — ``name → (configure_parser, run)`` — so each one sits in its own
module (``cli_init.py``, ``cli_anonymise.py``, later ``cli_lint.py`` …) and registers itself with
:func:`register_subcommand` when imported. Exit status: 0 ok, 1 findings, 2 usage or configuration
error (a :class:`ConfigError` is printed as one line, without a traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from .errors import ConfigError

Configure = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]

SUBCOMMANDS: dict[str, tuple[Configure, Run]] = {}
HELP: dict[str, str] = {}

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

# Modules that register the built-in subcommands, in the order `--help` lists them.
_MODULES = ("cli_init", "cli_anonymise", "cli_lint", "cli_stats", "cli_scrub")


def register_subcommand(name: str, configure: Configure, run: Run, help: str = "") -> None:
    """Add (or replace) the subcommand ``name``: ``configure`` adds its arguments, ``run`` returns the exit status."""
    SUBCOMMANDS[name] = (configure, run)
    HELP[name] = help


def _load_subcommands() -> None:
    for module in _MODULES:
        import_module(f"{__package__}.{module}")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (every registered subcommand)."""
    _load_subcommands()
    parser = argparse.ArgumentParser(
        prog="agentreal",
        description="Curate corpora of real samples for pytest-agentreal.",
        epilog="exit status: 0 ok, 1 findings, 2 usage error",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (configure, _run) in SUBCOMMANDS.items():
        sub = subparsers.add_parser(name, help=HELP.get(name, ""), description=HELP.get(name) or None)
        configure(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``agentreal`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error (2): argparse already printed why
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if not args.command:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    _configure, run = SUBCOMMANDS[args.command]
    try:
        return run(args)
    except ConfigError as error:
        print(f"agentreal {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"agentreal {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    # Run the package's module (where subcommand modules register), not this __main__ copy.
    from pytest_agentreal.cli import main as _main

    sys.exit(_main())
