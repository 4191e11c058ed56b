"""Work shared among processes gives exactly what one process gives (outputs, mapping, report)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import pytest
from test_anonymise_golden import records as golden_records

from pytest_agentreal.anonymise import Anonymiser, PseudonymTable, Report, parallel
from pytest_agentreal.anonymise.io import chunks

KEY = b"parallel-key-0123456789abcdef"


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two processes, even for a handful of values."""
    monkeypatch.setenv("AGENTREAL_WORKERS", "2")
    monkeypatch.setattr(parallel, "MINIMUM_WORK", 0.0)
    yield


def _people(count: int) -> list[dict[str, Any]]:
    # Crowded on purpose: consecutive birthdays, names past their pool, few distinct IPs.
    return [
        {
            "first_name": "Fa" + "abcdefghij"[i % 10] * (1 + i // 10),
            "last_name": ["Smith", "Jones", "Garcia", "Müller"][i % 4] if i % 3 else "Lo" + str(i),
            "email": f"user{i}@corp{i % 7}.io",
            "phone": f"+44 20 7946 {i:04d}",
            "iban": "GB82 WEST 1234 5698 7654 32" if i % 50 == 0 else f"DE89 3704 0044 0532 {i:04d} 00",
            "dob": (dt.date(1950, 1, 1) + dt.timedelta(days=i)).isoformat(),
            "ip": f"81.2.{i % 40}.7",
            "n": i,
        }
        for i in range(count)
    ]


def _run(items: list[Any], streamed: bool = False) -> tuple[Any, ...]:
    table = PseudonymTable(KEY)
    anonymiser = Anonymiser(table, scan=True)
    report = Report()
    if streamed:
        for chunk in chunks(items, 97):
            anonymiser.collect_many(chunk)
        anonymiser.resolve()
        out = [r for chunk in chunks(items, 97) for r in anonymiser.apply_many(chunk, report)]
    else:
        out = anonymiser.anonymise_records(items, report)
    return out, table.mapping.entries, report.as_dict(), table.emitted, table.emitted_norms()


def test_split_map_keeps_task_order_and_really_forks(workers: None) -> None:
    parent = os.getpid()
    seen: list[int] = []
    results = parallel.split_map(
        lambda t: (t * t, os.getpid()), list(range(10)), [1.0] * 10, done=lambda i, _: seen.append(i)
    )
    assert [r[0] for r in results] == [t * t for t in range(10)]
    assert sorted(seen) == list(range(10))
    assert {pid for _, pid in results} - {parent}, "no task ran in a child process"


def test_a_failing_child_is_redone_here(workers: None) -> None:
    parent = os.getpid()

    def task(t: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("child failure")
        return t + 1

    assert parallel.split_map(task, list(range(6)), [1.0] * 6) == list(range(1, 7))


@pytest.mark.parametrize("streamed", [False, True])
def test_parallel_and_sequential_results_are_identical(
    monkeypatch: pytest.MonkeyPatch, workers: None, streamed: bool
) -> None:
    items = golden_records() + _people(400)
    shared = _run(items, streamed)
    monkeypatch.setenv("AGENTREAL_WORKERS", "1")
    alone = _run(items, streamed)
    assert shared == alone
    assert len({v for kind in shared[1].values() for v in kind.values()}) > 2000  # really did the work


def test_unregistered_values_resolve_one_by_one_as_before(workers: None) -> None:
    # Pass 2 meeting a value pass 1 never registered: the parallel lookups give up, the sequential
    # path resolves it on demand.
    table = PseudonymTable(KEY)
    anonymiser = Anonymiser(table)
    items = _people(50)
    batch = anonymiser.collect_many(items)
    anonymiser.resolve()
    extra = [{**items[0], "email": "late@corp.io"}]
    out = anonymiser.apply_many(items + extra, None, None)
    assert out[:50] == anonymiser.apply_many(items, None, batch)
    assert out[50]["email"] == table.pseudonym("email", "late@corp.io")
