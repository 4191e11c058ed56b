"""Lint checks on the corpus's own files: the policy (manifest, samples and schemas load in :mod:`.context`)."""

from __future__ import annotations

from collections.abc import Iterator

from .model import LintContext, LintFinding, Severity, show_path
from .registry import register_check

_SEVERITY: dict[str, Severity] = {"error": "error", "warning": "warning"}


def check_policy(context: LintContext) -> Iterator[LintFinding]:
    """Every problem :func:`~pytest_agentreal.policy_lint.lint_policy` finds in ``policy:``."""
    from ..policy_lint import lint_policy

    manifest = context.manifest
    if manifest is None or manifest.policy is None:
        return
    if not manifest.policy.is_file():
        yield LintFinding(show_path(manifest.path), manifest.line_of("policy"), "policy",
                          f"policy file {show_path(manifest.policy)} does not exist",
                          fix="fix the path (relative to corpus.yaml)", severity="error")  # fmt: skip
        return
    for issue in lint_policy(manifest.policy):
        yield LintFinding(show_path(issue.file or manifest.policy), issue.line, issue.key or "", issue.message,
                          issue.fix, _SEVERITY.get(issue.severity, "info"))  # fmt: skip


register_check("policy", check_policy)
