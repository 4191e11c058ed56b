"""Lint checks on cassettes: each loads, no secret is left in it, and some case uses it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import ConfigError
from .model import LintContext, LintFinding, show_path
from .registry import register_check


def check_cassette_files(context: LintContext) -> Iterator[LintFinding]:
    """Cassettes that do not load, and secrets left in them (the ``secrets:`` values, keys, headers)."""
    from ..cassettes import load_cassette, scan_cassette

    for path in context.cassette_files:
        file = show_path(path)
        try:
            load_cassette(path)
        except ConfigError as error:
            yield LintFinding(file, error.line, error.key or "", error.message, error.fix, "error", "cassettes")
            continue
        for finding in scan_cassette(path, context.secrets):
            yield LintFinding(file, None, finding.path if finding.path != str(path) else "", finding.message,
                              "run agentreal scrub on the corpus, then rotate the credential", "error",
                              "secrets")  # fmt: skip


def planned_cassettes(context: LintContext) -> set[Path] | None:
    """The cassette file of every case the corpus plans (``None`` when the corpus does not load)."""
    from ..cassettes import cassette_path
    from ..mutations.plan import Selection
    from ..runner import CorpusRun, RunOptions

    directory = context.cassette_dir
    if context.corpus is None or directory is None:
        return None
    # Record mode none: connector_fault cases are planned from the originals' cassettes, as in CI.
    try:
        cases = CorpusRun(context.corpus, RunOptions(record_mode="none")).plan(Selection())
    except ConfigError:
        return None  # an original's cassette does not load: check_cassette_files reports it
    return {cassette_path(directory, case.id).resolve() for case in cases}


def check_unused(context: LintContext) -> Iterator[LintFinding]:
    """Cassettes no planned case replays: left over from renamed samples or removed mutations."""
    if not context.cassette_files:
        return
    used = planned_cassettes(context)
    if used is None:
        return  # the corpus does not load; its error is reported
    for path in context.cassette_files:
        if path.resolve() not in used:
            yield LintFinding(show_path(path), None, "cassettes", "no case uses this cassette",
                              "delete it (git rm), or restore the sample or mutation it was recorded for",
                              "warning")  # fmt: skip


register_check("cassettes", check_cassette_files)
register_check("cassettes.unused", check_unused)
