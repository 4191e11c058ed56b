"""``agentreal lint``: everything wrong with a corpus, as findings naming file, line, key and fix.

- :mod:`.model`: :class:`LintFinding`, :class:`LintContext`;
- :mod:`.context`: loading (manifest, samples, schemas, secrets) with errors as findings;
- :mod:`.registry`: the checks by name (:func:`register_check`), :func:`lint_corpus`;
- checks: :mod:`.corpus_checks` (policy), :mod:`.pii` (personal data and secrets left in samples and
  cassettes), :mod:`.quasi` (quasi-identifiers), :mod:`.cassette_checks` (loading, secrets, unused);
- :mod:`.phones`: number ranges reserved for fiction.

Nothing here prints or returns a sample's value: findings carry kinds, pointers and counts.
"""

from __future__ import annotations

from .model import LintContext, LintFinding, SampleRow
from .registry import CHECKS, lint_corpus, register_check, run_checks

__all__ = ["CHECKS", "LintContext", "LintFinding", "SampleRow", "lint_corpus", "register_check", "run_checks"]
