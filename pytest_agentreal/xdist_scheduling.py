"""pytest-xdist scheduling that keeps a sample's cases on one worker.

Cases that compare with their original (``invariant``, ``no_new_actions``) reuse the original's
outcome, computed once per sample per process; sending a sample's cases to several workers would
run its original several times. Every other test is its own scope, so it is spread like
``--dist load``.

The bookkeeping is xdist's ``LoadScopeScheduling`` with its per-test costs made constant: the
controller handles every report of every case, and the base class looks up each test's position
with ``list.index`` (linear in the collection) and counts pending tests over every scope a worker
ever ran (linear in the run so far) — quadratic over 10,000s of cases, and enough controller CPU
to cost the workers their second core.
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
    """LoadScope scheduling with one scope per corpus sample (and constant cost per test)."""

    def __init__(self, config: Any, log: Any = None) -> None:
        super().__init__(config, log)
        self._scopes: dict[str, str] = {}
        self._positions: dict[Any, dict[str, int]] = {}
        # node → scope → tests of that unit not finished yet; a finished unit leaves assigned_work,
        # so the base class's _pending_of counts only a worker's few open units.
        self._left: dict[Any, dict[str, int]] = {}

    def _split_scope(self, nodeid: str) -> str:
        scope = self._scopes.get(nodeid)
        if scope is None:
            scope = self._scopes[nodeid] = sample_scope(nodeid)
        return scope

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        """Mark one test done; a unit with nothing left leaves the worker's workload."""
        nodeid = self.registered_collections[node][item_index]
        scope = self._split_scope(nodeid)
        workload = self.assigned_work[node]
        unit = workload.get(scope)
        if unit is not None and not unit.get(nodeid, True):
            unit[nodeid] = True
            left = self._left[node]
            left[scope] -= 1
            if not left[scope]:
                del left[scope], workload[scope]
        self._reschedule(node)

    def remove_node(self, node: Any) -> str | None:
        """Take a worker out; if it crashed, return the test it was running and queue the rest.

        xdist reports the returned test as failed ("worker crashed while running"). Unlike
        LoadScope, which queues the crashed test again (to crash the next worker too, until the
        restarts run out), that test counts as done here, as under ``--dist load``.
        """
        workload: dict[str, dict[str, bool]] = self.assigned_work.pop(node)
        self._left.pop(node, None)
        self._positions.pop(node, None)
        crashitem: str | None = None
        for unit in workload.values():  # units in the order sent; finished ones have left
            crashitem = next((nodeid for nodeid, completed in unit.items() if not completed), None)
            if crashitem is not None:
                unit[crashitem] = True
                break
        if crashitem is None:
            return None
        self.workqueue.update((scope, unit) for scope, unit in workload.items() if not all(unit.values()))
        for other in self.assigned_work:
            self._reschedule(other)
        return crashitem

    def _assign_work_unit(self, node: Any) -> None:
        """Send the next unit to ``node`` (positions looked up in a dict, not with ``list.index``)."""
        assert self.workqueue
        scope, work_unit = self.workqueue.popitem(last=False)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        positions = self._positions.get(node)
        if positions is None:
            collection = self.registered_collections[node]
            positions = self._positions[node] = {nodeid: i for i, nodeid in enumerate(collection)}
        todo = [positions[nodeid] for nodeid, completed in work_unit.items() if not completed]
        self._left.setdefault(node, {})[scope] = len(todo)
        node.send_runtest_some(todo)

    def _reschedule(self, node: Any) -> None:
        """Top up ``node`` with units while it has fewer than ``_LOW_WATER`` tests in hand.

        The controller reads a worker's reports some way behind it (every case sends three);
        topping up at xdist's two tests left would let a worker run dry while the next unit is
        on its way.
        """
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        while self.workqueue and sum(self._left.get(node, {}).values()) < _LOW_WATER:
            self._assign_work_unit(node)


_LOW_WATER = 32  # about two samples' cases of the default mutation set
