"""GcSteward: garbage is collected before what is alive is frozen; large runs use it, small ones not."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_agentreal.gc_steward import GcSteward


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process keeps collecting its own objects


class Node:
    def __init__(self) -> None:
        self.other: Any = None


def _cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_settle_collects_garbage_cycles_before_freezing_the_living() -> None:
    gc.unfreeze()
    dead = _cycle()
    alive = Node()
    alive.other = alive  # a cycle that is still referenced
    GcSteward().settle()
    assert dead() is None  # garbage was collected, not frozen
    assert gc.get_freeze_count() > 0
    assert alive.other is alive


def test_item_done_settles_every_n_items(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    steward = GcSteward(every=3)
    monkeypatch.setattr(steward, "settle", lambda: calls.append(1))
    for _ in range(7):
        steward.item_done()
    assert len(calls) == 2


def _corpus(pytester: pytest.Pytester, samples: int) -> None:
    pytester.makefile(".yaml", corpus="""
        name: tiny
        agent: agent_mod:agent
        samples: samples.jsonl
        id: id
    """)
    pytester.makepyfile(agent_mod="def agent(x):\n    return {'action': 'escalate', 'id': x['id']}\n")
    pytester.path.joinpath("samples.jsonl").write_text(
        "".join(f'{{"id": "S-{i}", "text": "hello {i}"}}\n' for i in range(samples)), encoding="utf-8")


@pytest.mark.parametrize("threshold, frozen", [(5, True), (10_000, False)])
def test_only_large_runs_freeze(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, threshold: int,
                                frozen: bool) -> None:
    from pytest_agentreal import plugin

    monkeypatch.setattr(plugin, "_LARGE_RUN", threshold)
    _corpus(pytester, 12)
    gc.unfreeze()
    result = pytester.runpytest_inprocess("--agent-corpus", "corpus.yaml", "--agent-mutations", "none",
                                           "-p", "no:randomly")
    result.assert_outcomes(passed=12)
    assert (gc.get_freeze_count() > 0) is frozen
    assert gc.isenabled()  # collection paused the collector and gave it back
