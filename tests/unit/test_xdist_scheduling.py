"""SampleScheduling driven the way xdist's DSession drives it, with fake workers.

Every case runs exactly once, a sample's cases all go to one worker, the scheduler reports
pending/finished correctly, and a crashed worker's unfinished cases (not the one it crashed on)
are handed to another.
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal.xdist_scheduling import SampleScheduling, sample_scope


class FakeNode:
    """What the scheduler uses of xdist's WorkerController."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.queue: list[int] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.queue.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def _config(workers: int) -> Any:
    option = SimpleNamespace(loadscopereorder=True)
    return SimpleNamespace(option=option, getvalue=lambda name: [f"{workers}*popen"])


def _collection(samples: int, cases: list[int]) -> list[str]:
    ids = [f"corpus.yaml::inbox/T-{s}[{name}]" for s in range(samples)
           for name in ["original", *(f"missing.drop:/f{i}" for i in range(cases[s % len(cases)]))]]
    return ["test_other.py::test_plain", *ids]


def _run(collection: list[str], workers: int, seed: int, crash: bool = False) -> dict[str, list[str]]:
    """Run the collection to the end; ``{worker: node ids it ran}``."""
    rng = random.Random(seed)
    scheduler = SampleScheduling(_config(workers))
    nodes = [FakeNode(f"gw{i}") for i in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
    for node in nodes:
        scheduler.add_node_collection(node, list(collection))
    assert scheduler.collection_is_completed
    scheduler.schedule()
    ran: dict[str, list[str]] = {node.gateway.id: [] for node in nodes}
    alive = list(nodes)
    crashed = False
    while scheduler.has_pending:
        busy = [node for node in alive if node.queue]
        assert busy, "pending work but no worker has any"
        node = rng.choice(busy)
        if crash and not crashed and len(ran[node.gateway.id]) > 3 and len(alive) > 1:
            crashed = True
            alive.remove(node)
            running = collection[node.queue[0]] if node.queue else None
            node.queue.clear()
            crash_item = scheduler.remove_node(node)
            assert crash_item == running  # blamed: the test it was running
            ran["crashed while running"] = [] if crash_item is None else [crash_item]
            # As xdist's DSession does: a fresh worker replaces the crashed one.
            replacement = FakeNode(node.gateway.id + "-restarted")
            ran[replacement.gateway.id] = []
            alive.append(replacement)
            scheduler.add_node(replacement)
            scheduler.add_node_collection(replacement, list(collection))
            scheduler.schedule()
            continue
        index = node.queue.pop(0)
        ran[node.gateway.id].append(collection[index])
        scheduler.mark_test_complete(node, index)
    assert scheduler.tests_finished
    assert all(not node.queue for node in alive)
    return ran


@settings(max_examples=40, deadline=None)
@given(samples=st.integers(1, 30), cases=st.lists(st.integers(0, 6), min_size=1, max_size=5),
       workers=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_every_case_runs_once_and_each_sample_on_one_worker(samples: int, cases: list[int], workers: int,
                                                            seed: int) -> None:
    collection = _collection(samples, cases)
    ran = _run(collection, workers, seed)
    everything = [nodeid for ids in ran.values() for nodeid in ids]
    assert sorted(everything) == sorted(collection)
    owner: dict[str, str] = {}
    for worker, ids in ran.items():
        for nodeid in ids:
            assert owner.setdefault(sample_scope(nodeid), worker) == worker


@settings(max_examples=25, deadline=None)
@given(samples=st.integers(4, 20), seed=st.integers(0, 2**16))
def test_a_crashed_workers_unfinished_cases_run_elsewhere(samples: int, seed: int) -> None:
    collection = _collection(samples, [3])
    ran = _run(collection, 2, seed, crash=True)
    crashed = ran.pop("crashed while running")
    everything = [nodeid for ids in ran.values() for nodeid in ids]
    # Each case ran exactly once: the crashed worker's unfinished cases elsewhere, and the case it
    # crashed on never again (xdist reports it failed; rerun, it would crash the next worker too).
    assert sorted(everything + crashed) == sorted(collection)


def test_finished_units_leave_the_workload() -> None:
    collection = _collection(50, [4])
    scheduler = SampleScheduling(_config(1))
    node = FakeNode("gw0")
    scheduler.add_node(node)
    scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    while node.queue:
        scheduler.mark_test_complete(node, node.queue.pop(0))
        # A worker's workload holds only its open units, never the run's history.
        assert all(not all(unit.values()) for unit in scheduler.assigned_work[node].values())
    assert scheduler.tests_finished and not scheduler.has_pending


def test_a_worker_is_topped_up_before_it_runs_dry() -> None:
    collection = _collection(40, [4])  # units of five cases
    scheduler = SampleScheduling(_config(2))
    nodes = [FakeNode("gw0"), FakeNode("gw1")]
    for node in nodes:
        scheduler.add_node(node)
    for node in nodes:
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    node = nodes[0]
    for _ in range(60):
        scheduler.mark_test_complete(node, node.queue.pop(0))
        if scheduler.workqueue:
            # More than a unit in hand while work is left: the next one is there before it is needed.
            assert len(node.queue) > 5
