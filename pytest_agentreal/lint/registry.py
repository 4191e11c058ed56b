"""The lint checks, by name: ``register_check(name, check)``; each returns findings, never raises.

A check reads a :class:`LintContext` and yields :class:`LintFinding` s. Registration order is the
order checks run in; findings are then sorted by file and line so that the output reads top down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

from .model import LintContext, LintFinding, safe_pointer, safe_text

Check = Callable[[LintContext], Iterable[LintFinding]]
CHECKS: dict[str, Check] = {}


def register_check(name: str, check: Check) -> Check:
    """Add (or replace) the lint check ``name``."""
    CHECKS[name] = check
    return check


def _builtins() -> None:
    # Importing the modules registers their checks (kept out of import of this module: cheap CLI start).
    from . import cassette_checks, corpus_checks, pii, quasi  # noqa: F401


def run_checks(context: LintContext, names: Iterable[str] | None = None) -> list[LintFinding]:
    """Run the named checks (default: all) on one loaded corpus; findings sorted by file and line."""
    _builtins()
    from ..errors import ConfigError
    from .context import from_config_error

    findings: list[LintFinding] = []
    for name in names if names is not None else list(CHECKS):
        try:
            found = list(CHECKS[name](context))
        except ConfigError as error:  # a check never stops the others
            found = [from_config_error(error, name)]
        for finding in found:
            # A last guard: nothing a detector recognises is ever printed, whatever a check wrote.
            # (keys too: a sample keyed by e-mail address puts the address into a pointer).
            findings.append(dataclasses.replace(finding, check=finding.check or name, key=safe_pointer(finding.key),
                                                message=safe_text(finding.message)))  # fmt: skip
    return findings


def sort_findings(findings: Iterable[LintFinding]) -> list[LintFinding]:
    """Findings in reading order: by file, then line (file-level ones first)."""
    return sorted(findings, key=lambda f: (f.file, f.line or 0))


def lint_corpus(path: str | Path, checks: Iterable[str] | None = None) -> list[LintFinding]:
    """Every finding for the corpus at ``path`` (a folder or its ``corpus.yaml``)."""
    from .context import load_context

    context, findings = load_context(Path(path))
    return sort_findings([*findings, *run_checks(context, checks)])
