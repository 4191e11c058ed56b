"""pytest-xdist scheduling that keeps a sample's cases on one worker.

Cases that compare with their original (``invariant``, ``no_new_actions``) reuse the original's
outcome, computed once per sample per process; sending a sample's cases to several workers would
run its original several times. Every other test is its own scope, so it is spread like
``--dist load``.
"""

from __future__ import annotations

import re
from typing import Any

from xdist.scheduler import LoadScopeScheduling

# `corpus.yaml::support-inbox/T-0042[missing.drop:/x]` and, for the marker,
# `test_x.py::test_triage[support-inbox/T-0042[original]]`: the scope is the file plus the sample.
_CASE = re.compile(r"^(?P<file>[^:]+)::(?:[^\[]*\[)?(?P<sample>[^\[\]]+/[^\[\]]+)\[[^\[\]]*\]\]?$")


def sample_scope(nodeid: str) -> str:
    """The scheduling scope of a node id: ``file::corpus/sample`` for cases, else the id itself."""
    match = _CASE.match(nodeid)
    if match is None:
        return nodeid
    return f"{match.group('file')}::{match.group('sample')}"


class SampleScheduling(LoadScopeScheduling):  # type: ignore[misc]
    """LoadScope scheduling with one scope per corpus sample."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)

    def _split_scope(self, nodeid: str) -> str:
        return sample_scope(nodeid)
