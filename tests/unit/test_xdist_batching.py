"""A worker's bulk events reach xdist's controller as the very events, in the very order, it sent.

The worker end (``_Sender``) and the controller end (``_Receiver``) are driven here as xdist drives
them: ``sendevent`` calls in, channel messages between, ``process_from_remote`` calls out. A
worker that dies leaves a spool whose complete lines must still be delivered (end to end:
``tests/e2e/test_xdist_crash.py``).
"""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal import xdist_batching
from pytest_agentreal.xdist_batching import GROUP, _Receiver, _Sender, decode, encode

END = object()  # stands for xdist's Marker.END (not a tuple)

text = st.text(max_size=12)
location = st.tuples(text, st.none() | st.integers(0, 10_000), text)
floats = st.floats(allow_nan=False)


def plain_report(nodeid: str, loc: tuple[str, int | None, str], when: str, **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "nodeid": nodeid, "location": loc, "keywords": {nodeid: 1, "corpus": 1}, "outcome": "passed",
        "longrepr": None, "when": when, "user_properties": [], "sections": [], "duration": 0.001,
        "start": 1.5, "stop": 1.501, "$report_type": "TestReport", "item_index": 3, "worker_id": "gw0",
        "testrun_uid": "abc",
    }  # fmt: skip
    data.update(more)
    return data


@st.composite
def item_events(draw: st.DrawFn, index: int = 0, plain: bool | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The six events xdist's worker sends for one item (plain, or with a failure's traceback)."""
    nodeid, loc = draw(text), draw(location)
    sections = draw(st.lists(st.tuples(text, text), max_size=2))
    reports = []
    for when in ("setup", "call", "teardown"):
        data = plain_report(nodeid, loc, when, sections=sections, duration=draw(floats), item_index=index)
        if when == "call" and draw(st.booleans()):
            data["agentreal"] = draw(text)
        reports.append(("testreport", {"data": data}))
    failing = (not draw(st.booleans())) if plain is None else not plain
    if failing:
        reports[1][1]["data"]["longrepr"] = {"reprcrash": {"path": "x", "lineno": 1, "message": "boom"}}
        reports[1][1]["data"]["outcome"] = "failed"
    return [
        ("logstart", {"nodeid": nodeid, "location": loc}),
        *reports,
        ("logfinish", {"nodeid": nodeid, "location": loc}),
        ("runtest_protocol_complete", {"item_index": index, "duration": draw(floats)}),
    ]


def plain_item(index: int) -> list[tuple[str, dict[str, Any]]]:
    """A passing item's six events (no hypothesis: for the example tests)."""
    nodeid, loc = f"corpus/corpus.yaml::S-{index}[original]", ("corpus/corpus.yaml", None, f"S-{index}[original]")
    return [
        ("logstart", {"nodeid": nodeid, "location": loc}),
        *(("testreport", {"data": plain_report(nodeid, loc, when, item_index=index)})
          for when in ("setup", "call", "teardown")),
        ("logfinish", {"nodeid": nodeid, "location": loc}),
        ("runtest_protocol_complete", {"item_index": index, "duration": 0.002}),
    ]  # fmt: skip


# --- the JSON form ---------------------------------------------------------------------------


@given(item_events(plain=True))
def test_plain_events_come_back_equal_and_of_the_same_types(events: list[tuple[str, dict[str, Any]]]) -> None:
    encoded = encode(events)
    assert encoded is not None
    assert repr(decode(encoded)) == repr(events)  # repr tells a tuple from a list


@pytest.mark.parametrize(
    "change",
    [
        {"longrepr": "Traceback ..."},
        {"user_properties": [("k", b"v")]},
        {"other_plugin": ("a", "tuple")},
        {"keywords": {"x": "not an int"}},
        {"sections": [["a", "list, not a pair"]]},
        {"location": ("file.py", "1", "name")},
    ],
)
def test_what_json_would_change_is_left_to_execnet(change: dict[str, Any]) -> None:
    events = [("testreport", {"data": plain_report("a::b", ("a", 1, "b"), "call", **change)})]
    assert encode(events) is None
    assert encode([("logwarning", {"message": "m"})]) is None  # events of other kinds, too


# --- the two ends ----------------------------------------------------------------------------


class FakeWorker:
    """What ``_Sender`` uses of xdist's ``WorkerInteractor``: the item running and the queue."""

    def __init__(self) -> None:
        self.item_index: int | None = None
        self.torun = type("Queue", (), {"_items": collections.deque([1, 2, 3])})()
        self.messages: list[Any] = []
        self.unbatched: list[tuple[str, dict[str, Any]]] = []

    def sendevent(self, name: str, **kwargs: Any) -> None:  # xdist's own: one message per event
        self.unbatched.append((name, kwargs))
        self.messages.append((name, kwargs))


_SENDERS: list[_Sender] = []


@pytest.fixture(autouse=True)
def _close_senders() -> Any:
    """Each spooling sender starts a thread that checks every 50 ms: stop it after the test."""
    yield
    while _SENDERS:
        _SENDERS.pop().close()


def make_pair(tmp_path: Path, spool: bool, batched: list[bool]) -> tuple[FakeWorker, _Sender, _Receiver, list[Any]]:
    worker = FakeWorker()
    path = str(tmp_path / "gw0") if spool else None
    sender = _Sender(worker.sendevent, worker.messages.append, worker, batched, path)
    _SENDERS.append(sender)
    delivered: list[Any] = []
    return worker, sender, _Receiver(delivered.append, path), delivered


Step = tuple[str, Any]


@st.composite
def runs(draw: st.DrawFn) -> list[Step]:
    """A worker's life: items (ours or not, plain or failing), other events, a queue running dry."""
    steps: list[Step] = []
    for index in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["ours", "ours", "ours", "other item", "warning", "dry queue"]))
        if kind == "warning":
            steps.append(("event", ("warning_recorded", {"warning_message_data": "w", "when": "runtest"})))
        elif kind == "dry queue":
            steps.append(("queue", "dry"))
        events = draw(item_events(index))
        if kind == "warning" and draw(st.booleans()):  # a warning in the middle of an item
            steps.extend(("item event", (index, e)) for e in events[:2])
            steps.append(("event", ("warning_recorded", {"warning_message_data": "mid", "when": "runtest"})))
            steps.extend(("item event", (index, e)) for e in events[2:])
        else:
            steps.extend(("item event", (index, e)) for e in events)
        if kind == "dry queue":
            steps.append(("queue", "refilled"))
    return steps


def play(steps: list[Step], worker: FakeWorker, sender: _Sender) -> list[tuple[str, dict[str, Any]]]:
    """Feed the steps to the sender as xdist would; returns the events in the order sent."""
    sent = []
    for kind, value in steps:
        if kind == "queue":
            queue = worker.torun._items  # type: ignore[attr-defined]
            queue.clear() if value == "dry" else queue.append(0)
            continue
        if kind == "item event":
            worker.item_index, event = value
        else:
            event = value
        sent.append(event)
        sender.sendevent(event[0], **event[1])
    return sent


@settings(max_examples=60, deadline=None)
@given(steps=runs(), spool=st.booleans(), rotate=st.sampled_from([1, 300, 8 << 20]))
def test_the_controller_gets_every_event_in_the_order_sent(
    tmp_path_factory: pytest.TempPathFactory, steps: list[Step], spool: bool, rotate: int
) -> None:
    tmp_path = tmp_path_factory.mktemp("spool")
    batched = [i % 5 != 4 for i in range(64)]  # every fifth item is another plugin's: not batched
    worker, sender, receiver, delivered = make_pair(tmp_path, spool, batched)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(xdist_batching, "_ROTATE_BYTES", rotate)
        sent = play(steps, worker, sender)
        sender.sendevent("workerfinished", workeroutput={})  # the last event tells what is spooled
        for message in worker.messages:
            receiver(message)
        receiver(END)
    assert repr(delivered[:-1]) == repr([*sent, ("workerfinished", {"workeroutput": {}})])
    assert delivered[-1] is END
    assert list(tmp_path.iterdir()) == []  # read spool files are deleted


def test_plain_items_cost_one_message_per_group(tmp_path: Path) -> None:
    worker, sender, receiver, delivered = make_pair(tmp_path, True, [True] * 200)
    items = [plain_item(i) for i in range(10 * GROUP)]
    events = [e for item in items for e in item]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(xdist_batching, "_WAIT_S", 3600.0)  # no timer in this test
        play([("item event", (i, e)) for i, item in enumerate(items) for e in item], worker, sender)
    assert len(worker.messages) == 10
    for message in worker.messages:
        receiver(message)
    assert repr(delivered) == repr(events)
    receiver(END)


def test_a_dry_queue_or_the_timer_tells_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xdist_batching, "_WAIT_S", 3600.0)  # a slow machine must not trip the timer
    worker, sender, _, _ = make_pair(tmp_path, True, [True] * 4)
    worker.item_index = 0
    for name, kwargs in plain_item(0):
        sender.sendevent(name, **kwargs)
    assert worker.messages == []  # spooled, not told: the queue holds more
    worker.torun._items.clear()  # type: ignore[attr-defined]
    worker.item_index = 1
    for name, kwargs in plain_item(1):
        sender.sendevent(name, **kwargs)
    assert [m[0] for m in worker.messages] == ["agentreal_events_spool"]
    worker.torun._items.append(2)  # type: ignore[attr-defined]
    sender.last_told -= 3601.0  # the last tell was longer ago than the timer allows
    worker.item_index = 2
    for name, kwargs in plain_item(2):
        sender.sendevent(name, **kwargs)
    assert [m[0] for m in worker.messages] == ["agentreal_events_spool"] * 2


def test_a_dead_workers_spool_is_read_to_its_last_complete_line(tmp_path: Path) -> None:
    worker, sender, receiver, delivered = make_pair(tmp_path, True, [True] * 8)
    sent: list[Any] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(xdist_batching, "_ROTATE_BYTES", 1500)  # several files, the last never told of
        for index in range(6):
            events = plain_item(index)
            sent += play([("item event", (index, e)) for e in events], worker, sender)
    assert worker.messages, "some spool files were told of (before moving on)"
    newest = max(tmp_path.iterdir(), key=lambda p: int(p.suffix[1:]))
    with newest.open("ab") as spool:
        spool.write(b'[["logstart",{"nodeid":"cut sh')  # the worker died writing this line
    for message in worker.messages:
        receiver(message)
    receiver(END)
    assert repr(delivered[:-1]) == repr(sent)
    assert list(tmp_path.iterdir()) == []


def test_spool_lines_are_one_json_list_per_item(tmp_path: Path) -> None:
    worker, sender, _, _ = make_pair(tmp_path, True, [True])
    worker.item_index = 0
    events = plain_item(0)
    for name, kwargs in events:
        sender.sendevent(name, **kwargs)
    (line,) = (tmp_path / "gw0.0").read_text().splitlines()
    assert [e[0] for e in json.loads(line)] == [e[0] for e in events]


class FakeNode:
    """What ``_Receiver`` uses of xdist's ``WorkerController`` when something goes wrong."""

    def __init__(self) -> None:
        self._shutdown_sent = False
        self.notified: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[Any] = []
        self.config = type("Config", (), {"notify_exception": lambda _self, excinfo: self.errors.append(excinfo)})()

    def shutdown(self) -> None:
        self._shutdown_sent = True

    def notify_inproc(self, name: str, **kwargs: Any) -> None:
        self.notified.append((name, kwargs))


def test_an_unreadable_spool_reports_the_worker_down(tmp_path: Path) -> None:
    node = FakeNode()
    delivered: list[Any] = []
    receiver = _Receiver(delivered.append, str(tmp_path / "gw0"), node)
    (tmp_path / "gw0.0").write_bytes(b"not json\n")
    receiver(("agentreal_events_spool", {"file": 0, "upto": 9}))
    assert delivered == []
    assert node._shutdown_sent and [name for name, _ in node.notified] == ["errordown"]
    assert "JSONDecodeError" in str(node.errors[0].typename)
    receiver(END)  # the channel closing still reaches xdist
    assert delivered == [END]


def test_a_crashed_workers_finished_items_do_not_get_more_work(tmp_path: Path) -> None:
    node = FakeNode()
    worker, sender, _, _ = make_pair(tmp_path, True, [True])
    receiver = _Receiver(lambda event: None, str(tmp_path / "gw0"), node)
    worker.item_index = 0
    for name, kwargs in plain_item(0):
        sender.sendevent(name, **kwargs)
    receiver(END)  # its spooled item is delivered: schedulers must not answer it with more work
    assert node._shutdown_sent


def test_a_full_disk_sends_the_rest_as_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    worker, sender, receiver, delivered = make_pair(tmp_path, True, [True] * 4)
    sent = play([("item event", (0, e)) for e in plain_item(0)], worker, sender)
    real_write = xdist_batching.os.write

    def full(fd: int, data: bytes) -> int:
        real_write(fd, data[:10])  # part of a line, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(xdist_batching.os, "write", full)
    for index in (1, 2):
        sent += play([("item event", (index, e)) for e in plain_item(index)], worker, sender)
    for message in worker.messages:
        receiver(message)
    receiver(END)
    assert repr(delivered[:-1]) == repr(sent)


def test_a_slow_item_does_not_hold_back_the_quick_one_before_it(tmp_path: Path) -> None:
    worker, sender, receiver, delivered = make_pair(tmp_path, True, [True] * 4)
    worker.item_index = 0
    for name, kwargs in plain_item(0):
        sender.sendevent(name, **kwargs)
    worker.item_index = 1
    sender.sendevent(*plain_item(1)[0][:1], **plain_item(1)[0][1])  # the slow item starts, and runs
    deadline = time.monotonic() + 10
    while not worker.messages and time.monotonic() < deadline:
        time.sleep(0.01)
    sender.close()
    assert [m[0] for m in worker.messages] == ["agentreal_events_spool"]
    for message in worker.messages:
        receiver(message)
    receiver(END)
    assert repr(delivered[:-1]) == repr(plain_item(0))
