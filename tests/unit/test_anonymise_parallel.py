"""Work shared among processes gives exactly what one process gives (outputs, mapping, report)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_anonymise_golden import records as golden_records

from pytest_agentreal import cli, cli_anonymise
from pytest_agentreal.anonymise import Anonymiser, PseudonymTable, Report, columns, detect, parallel
from pytest_agentreal.anonymise import io as io_module
from pytest_agentreal.anonymise.io import chunks, jsonl_parts, open_source, read_part, read_records
from pytest_agentreal.errors import ConfigError

KEY = b"parallel-key-0123456789abcdef"


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two processes, even for a handful of values (and even beside a test runner's own threads,
    e.g. pytest-xdist's: the children here only compute and write to a pipe)."""
    monkeypatch.setattr(parallel, "can_fork", lambda: sys.platform.startswith("linux"))
    monkeypatch.setenv("AGENTREAL_WORKERS", "2")
    monkeypatch.setattr(parallel, "MINIMUM_WORK", 0.0)
    monkeypatch.setattr(columns, "_PARALLEL_ROWS", 0)
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


def _slow(result: Any) -> tuple[Any, int]:
    """``result`` and the process that made it, after a while (a task long enough that a child
    starts before this process has taken every task)."""
    time.sleep(0.02)
    return result, os.getpid()


def test_split_map_keeps_task_order_and_really_forks(workers: None) -> None:
    parent = os.getpid()
    seen: list[int] = []
    results = parallel.split_map(lambda t: _slow(t * t), list(range(10)), [1.0] * 10, done=lambda i, _: seen.append(i))
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


def test_a_free_process_takes_the_next_task(workers: None, tmp_path: Path) -> None:
    # Weights say nothing here (all equal); the first task takes long. Shares fixed in advance
    # would leave other tasks queued behind it; taken as processes come free, the process on
    # the long task runs no other, and every task runs exactly once.
    log = tmp_path / "ran"

    def task(t: int) -> int:
        time.sleep(0.5 if t == 0 else 0.01)
        with open(log, "a", encoding="ascii") as stream:  # one short append: never interleaved
            stream.write(f"{t} {os.getpid()}\n")
        return t

    assert parallel.split_map(task, list(range(7)), [1.0] * 7) == list(range(7))
    ran = [tuple(map(int, line.split())) for line in log.read_text(encoding="ascii").splitlines()]
    assert sorted(t for t, _ in ran) == list(range(7))
    long_pid = dict(ran)[0]
    assert [t for t, pid in ran if pid == long_pid] == [0]


def test_descriptors_past_1024_are_fine(workers: None) -> None:
    # A long-lived process may hold many files: the children's pipes then get numbers that
    # select() cannot watch (FD_SETSIZE); the parent must still read results between its tasks.
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1200
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    held: list[int] = []
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        held.append(null)
        while held[-1] < 1100:
            held.append(os.dup(null))
        results = parallel.split_map(lambda t: _slow(t * 3), list(range(6)), [1.0] * 6)
        assert [r[0] for r in results] == [t * 3 for t in range(6)]
        assert {pid for _, pid in results} - {os.getpid()}, "no task ran in a child process"
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_more_tasks_than_a_queue_holds_run_here(monkeypatch: pytest.MonkeyPatch, workers: None) -> None:
    monkeypatch.setattr(parallel, "MAX_SHARED", 3)
    results = parallel.split_map(lambda t: _slow(t + 1), list(range(5)), [1.0] * 5)
    assert [r[0] for r in results] == [1, 2, 3, 4, 5]
    assert {pid for _, pid in results} == {os.getpid()}


def test_results_come_through_the_pipe_without_a_memory_file(
    monkeypatch: pytest.MonkeyPatch, workers: None
) -> None:
    parent = os.getpid()
    monkeypatch.setattr(parallel, "_memory_file", lambda: None)
    results = parallel.split_map(lambda t: _slow(str(t) * 50_000), list(range(4)), [1.0] * 4)
    assert [r[0] for r in results] == [str(t) * 50_000 for t in range(4)]  # larger than a pipe holds
    assert {pid for _, pid in results} - {parent}, "no task ran in a child process"


def test_a_child_that_dies_before_its_results_are_complete_is_redone_here(workers: None) -> None:
    parent = os.getpid()

    def task(t: int) -> int:
        if os.getpid() != parent:
            os._exit(0)  # gone without a word, and with a status that says all is well
        return -t

    assert parallel.split_map(task, list(range(6)), [1.0] * 6) == [-t for t in range(6)]


@pytest.mark.parametrize("processes", ["1", "2"])
def test_a_name_column_with_words_that_are_no_names(
    monkeypatch: pytest.MonkeyPatch, workers: None, processes: str
) -> None:
    # "Van" and "Dr" are no names (stop words): left for the free-text pass, while every other
    # value of the column, all distinct and new, gets its pseudonym without a lookup.
    monkeypatch.setenv("AGENTREAL_WORKERS", processes)
    items = [{"first_name": "Fa" + "abcdefghij"[i % 10] * (1 + i // 10), "n": i} for i in range(300)]
    items[7]["first_name"], items[200]["first_name"] = "Van", "Dr"
    table = PseudonymTable(KEY)
    looked_up: list[str] = []
    lookup_many = table.lookup_many

    def counted(kind: str, norms: Any, **options: Any) -> list[str]:
        looked_up.append(kind)
        return lookup_many(kind, norms, **options)

    monkeypatch.setattr(table, "lookup_many", counted)
    out = Anonymiser(table).anonymise_records(items)
    assert looked_up == []
    assert out[7]["first_name"] == "Van" and out[200]["first_name"] == "Dr"
    alone = PseudonymTable(KEY)
    one_by_one = Anonymiser(alone)
    plans = [one_by_one.collect(r) for r in items]
    one_by_one.resolve()
    assert out == [one_by_one.apply(r, None, plan) for r, plan in zip(items, plans, strict=True)]
    assert len({r["first_name"] for r in out}) == 300


def test_columns_classified_in_pieces_of_different_makes(monkeypatch: pytest.MonkeyPatch, workers: None) -> None:
    # A column is classified in pieces on several processes: strings in some pieces, numbers,
    # None and empty strings in others, free text in one. Joined, they give what one process gives.
    items = _people(400)
    for i, item in enumerate(items):
        if i >= 300:
            item["phone"] = 442079460000 + i  # a number: that piece is of mixed types
        if 100 <= i < 200:
            item["email"] = None if i % 2 else ""
        if i == 50:
            item["last_name"] = "call me on +44 20 7946 0958 please"
    items[20]["phone"] = ["+44 20 7946 0958"]  # nested values: those records go one by one
    items[21]["email"] = {"work": "w@corp.io"}
    shared = _run(items)
    monkeypatch.setenv("AGENTREAL_WORKERS", "1")
    assert shared == _run(items)
    assert shared[0][350]["phone"] != items[350]["phone"] and shared[0][7]["phone"] != items[7]["phone"]
    assert "+44 20 7946 0958" not in shared[0][50]["last_name"]
    assert shared[0][20]["phone"][0] != "+44 20 7946 0958" and shared[0][21]["email"]["work"] != "w@corp.io"


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


# --------------------------------------------------------------------------- the command, in parts


def _jsonl(path: Path, items: list[dict[str, Any]], newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + newline for r in items).encode())
    return path


def _command(tmp_path: Path, inputs: list[Path], name: str) -> tuple[Any, ...]:
    key = tmp_path / "keys" / "key"
    if not key.exists():
        key.parent.mkdir(parents=True)
        key.write_text("parallel-cli-key-0123456789", encoding="utf-8")
    mapping = tmp_path / "keys" / f"{name}.mapping.json"
    out = tmp_path / name
    argv = ["anonymise", *map(str, inputs), "--out", str(out), "--key-file", str(key), "--mapping", str(mapping)]
    argv += ["--report", str(tmp_path / f"{name}.report.json")]
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        status = cli.main(argv)
    files = sorted(out.iterdir())
    contents = tuple(f.read_bytes() for f in files)
    return status, [f.name for f in files], contents, mapping.read_bytes(), printed.getvalue().encode()


@pytest.mark.parametrize("keep_bytes", [0, 1 << 30], ids=["parts-read-again", "parts-kept-from-pass-1"])
def test_the_command_gives_the_same_files_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: None, keep_bytes: int
) -> None:
    items = golden_records() + _people(300)
    inputs = [
        _jsonl(tmp_path / "in" / "a.jsonl", items[:200]),
        _jsonl(tmp_path / "in" / "b.jsonl", items[200:], newline="\r\n"),  # Windows line ends
    ]
    monkeypatch.setattr(cli_anonymise, "_PARALLEL_BYTES", 0)
    monkeypatch.setattr(cli_anonymise, "_KEEP_BYTES", keep_bytes)
    rewrites: list[Any] = []
    kept: list[int] = []
    rewrite = cli_anonymise._rewrite_parts

    def spy(*args: Any) -> Any:
        kept.append(len(args[5]))  # parts pass 1 kept in memory for pass 2
        rewrites.append(result := rewrite(*args))
        return result

    monkeypatch.setattr(cli_anonymise, "_rewrite_parts", spy)
    shared = _command(tmp_path, inputs, "shared")
    assert len(rewrites) == 1 and rewrites[0] is not None  # the parts path did the work
    assert (kept[0] > 0) == (keep_bytes > 0)
    monkeypatch.setenv("AGENTREAL_WORKERS", "1")
    alone = _command(tmp_path, inputs, "alone")
    assert shared == alone
    assert shared[1] == [detect.ALLOWLIST_FILE, "a.jsonl", "b.jsonl"]
    assert json.loads((tmp_path / "shared.report.json").read_text()) == json.loads(
        (tmp_path / "alone.report.json").read_text()
    )


def test_small_inputs_kept_between_the_passes_give_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One process (no parts): inputs small enough are held in memory for pass 2, with what pass
    # 1 found in them; the files are those of reading and analysing them again. 5,000 records:
    # more than one chunk.
    monkeypatch.setenv("AGENTREAL_WORKERS", "1")
    items = golden_records() + _people(5000)
    inputs = [_jsonl(tmp_path / "in" / "a.jsonl", items[:3000]), _jsonl(tmp_path / "in" / "b.jsonl", items[3000:])]
    reads: list[str] = []
    read = io_module.read_records

    def spy(source: Any) -> Any:
        reads.append(source.path.name)
        return read(source)

    monkeypatch.setattr(io_module, "read_records", spy)
    monkeypatch.setattr(cli_anonymise, "_KEEP_BYTES", 0)
    again = _command(tmp_path, inputs, "again")
    assert reads == ["a.jsonl", "b.jsonl"] * 2  # read in pass 1, and again in pass 2
    reads.clear()
    monkeypatch.setattr(cli_anonymise, "_KEEP_BYTES", 1 << 30)
    kept = _command(tmp_path, inputs, "kept")
    assert reads == ["a.jsonl", "b.jsonl"]  # pass 1 only
    assert again == kept
    assert json.loads((tmp_path / "again.report.json").read_text()) == json.loads(
        (tmp_path / "kept.report.json").read_text()
    )


def test_parts_read_every_line_once_with_their_numbers(tmp_path: Path) -> None:
    lines = [json.dumps({"i": i, "pad": "x" * (i % 17)}) for i in range(200)]
    text = "\n".join(lines[:50]) + "\r\n" + "\r\n".join(lines[50:120]) + "\n\n" + "\n".join(lines[120:]) + "\n"
    path = tmp_path / "in.jsonl"
    path.write_bytes(text.encode())
    source = open_source(path)
    whole = list(read_records(source))
    for count in (1, 2, 3, 7):
        parts = jsonl_parts(source, count)
        assert [r for part in parts for r in read_part(part)] == whole
    # An error in a later part names its line in the whole file.
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(text.replace(lines[150], "{not json").encode())
    last = jsonl_parts(open_source(broken), 2)[-1]
    with pytest.raises(ConfigError) as error:
        list(read_part(last))
    with pytest.raises(ConfigError) as expected:
        list(read_records(open_source(broken)))
    assert error.value.line == expected.value.line == 152  # one blank line before it


def test_two_values_on_a_line_are_still_an_error(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}, {"c": 3}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        list(read_records(open_source(path)))
    assert error.value.line == 2
