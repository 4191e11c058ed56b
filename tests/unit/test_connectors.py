"""``agentreal.connector``: tool functions recorded with their case, replayed without being called."""

from __future__ import annotations

import asyncio
import datetime
import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_agentreal.cassettes import CassetteSettings, RecordedToolError, Recorder, read_interactions
from pytest_agentreal.cassettes.recording import ToolCallNotRecorded
from pytest_agentreal.connectors import ConnectorDataError, connector

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import LocalServer

CASE = "corpus/S-1[original]"
CALLS: list[tuple[str, Any]] = []


class Unusual(Exception):
    pass


@connector
def lookup_customer(email: str, include_orders: bool = False) -> dict[str, Any]:
    CALLS.append(("lookup_customer", email))
    if email == "boom@example.com":
        raise ValueError(f"no customer {email}")
    if email == "odd@example.com":
        raise Unusual("something unusual")
    return {"email": email, "orders": [1, 2] if include_orders else [], "meta": {"fetched": "2024-01-01"}}


@connector(name="mail.send")
async def send_email(to: str, subject: str, **headers: str) -> dict[str, Any]:
    CALLS.append(("mail.send", to))
    await asyncio.sleep(0)
    return {"sent": True, "to": to, "headers": headers}


class Crm:
    @connector(name="crm.note")
    def add_note(self, ticket: str, *lines: str) -> str:
        CALLS.append(("crm.note", ticket))
        return f"{ticket}: {' / '.join(lines)}"


def legacy_tag(ticket: str, tag: str) -> list[str]:  # a function the agent does not own
    CALLS.append(("ticket.tag", ticket))
    return [ticket, tag]


tag = connector(legacy_tag, name="ticket.tag")


@pytest.fixture(autouse=True)
def clear_calls() -> Iterator[None]:
    CALLS.clear()
    yield


def run(directory: Path, mode: str, agent: Callable[[], Any], **options: Any) -> tuple[Any, Any]:
    settings = CassetteSettings(directory=directory, mode=mode, record_hint="pytest --agent-record once", **options)
    with Recorder(settings).open(CASE) as recording:
        try:
            result: Any = agent()
        except Exception as error:
            result = error
        recording.finish(agent_ok=not isinstance(result, Exception))
    return result, recording


def agent() -> list[Any]:
    out: list[Any] = [lookup_customer("ada@example.com", include_orders=True)]
    out.append(asyncio.run(send_email("ada@example.com", "Hello", reply_to="support@example.com")))
    out.append(Crm().add_note("T-1", "called", "refunded"))
    out.append(tag("T-1", "vip"))
    for email in ("boom@example.com", "odd@example.com"):
        try:
            lookup_customer(email)
        except Exception as error:
            out.append([type(error).__name__, str(error)])
    return out


def test_outside_a_case_the_function_just_runs() -> None:
    assert importlib.import_module("pytest_agentreal").connector is connector
    assert lookup_customer("x@example.com") == {
        "email": "x@example.com",
        "orders": [],
        "meta": {"fetched": "2024-01-01"},
    }
    assert asyncio.run(send_email("a@b.c", "s"))["sent"] is True
    assert lookup_customer.__name__ == "lookup_customer"
    assert vars(tag)["__agentreal_connector__"] == "ticket.tag"
    assert len(CALLS) == 2


def test_record_then_replay_without_calling(tmp_path: Path) -> None:
    recorded, recording = run(tmp_path, "once", agent)
    assert recording.findings == []
    assert len(CALLS) == 6
    assert recorded[:4] == [
        {"email": "ada@example.com", "orders": [1, 2], "meta": {"fetched": "2024-01-01"}},
        {"sent": True, "to": "ada@example.com", "headers": {"reply_to": "support@example.com"}},
        "T-1: called / refunded",
        ["T-1", "vip"],
    ]
    timeline = recording.interactions
    assert [(i.kind, i.url) for i in timeline] == [
        ("tool", "lookup_customer"),
        ("tool", "mail.send"),
        ("tool", "crm.note"),
        ("tool", "ticket.tag"),
        ("tool", "lookup_customer"),
        ("tool", "lookup_customer"),
    ]
    assert timeline[0].request == {"email": "ada@example.com", "include_orders": True}
    assert timeline[1].request == {"to": "ada@example.com", "subject": "Hello", "reply_to": "support@example.com"}
    assert timeline[2].request == {"ticket": "T-1", "lines": ["called", "refunded"]}, "self is not an argument"
    assert timeline[4].error == "ValueError: no customer boom@example.com"

    CALLS.clear()
    replayed, replay = run(tmp_path, "none", agent)
    assert CALLS == [], "replay never calls the real functions"
    assert replay.findings == []
    assert replayed[:5] == recorded[:5], "a builtin exception comes back as itself"
    assert replayed[5] == ["RecordedToolError", "Unusual: something unusual"]
    assert read_interactions(tmp_path / "corpus" / "S-1" / "original.json")[0].line == (
        "lookup_customer(email='ada@example.com', include_orders=True)"
    )


def test_replayed_results_are_copies(tmp_path: Path) -> None:
    run(tmp_path, "once", lambda: [lookup_customer("a@example.com"), lookup_customer("a@example.com")])

    def mutating() -> list[Any]:
        first = lookup_customer("a@example.com")
        first["meta"]["fetched"] = "changed"
        return [first, lookup_customer("a@example.com")]

    result, _ = run(tmp_path, "none", mutating)
    assert result[1]["meta"]["fetched"] == "2024-01-01"


def test_an_unrecorded_call_fails_naming_the_closest_recorded_call(tmp_path: Path) -> None:
    run(tmp_path, "once", lambda: [lookup_customer("ada@example.com"), tag("T-1", "vip")])
    result, replay = run(tmp_path, "none", lambda: lookup_customer("adam@example.com"))
    assert isinstance(result, ToolCallNotRecorded)
    assert CALLS == [("lookup_customer", "ada@example.com"), ("ticket.tag", "T-1")]
    [finding] = replay.findings
    assert finding.oracle == "cassette"
    assert "tool call not in cassette: CALL lookup_customer" in finding.message
    assert "closest recorded tool call: CALL lookup_customer" in finding.message
    assert "body /email: recorded 'ada@example.com'" in finding.message and "'adam@example.com'" in finding.message
    assert "pytest --agent-record once" in finding.evidence


def test_match_ignore_applies_to_tool_arguments(tmp_path: Path) -> None:
    run(tmp_path, "once", lambda: tag("T-1", "vip"), match_ignore=("/tag",))
    result, replay = run(tmp_path, "none", lambda: tag("T-1", "other"), match_ignore=("/tag",))
    assert result == ["T-1", "vip"] and replay.findings == []


def test_non_json_arguments_and_results_are_clear_errors(tmp_path: Path) -> None:
    @connector(name="bad.args")
    def takes(when: Any) -> Any:
        return when

    @connector(name="bad.result")
    def pairs(n: int) -> Any:
        return [(i, i) for i in range(n)]

    @connector(name="bad.result")
    def pairs_of(value: str) -> Any:
        return {"x": float(value)}

    with pytest.raises(ConnectorDataError, match=r"'bad.args': its arguments at /when is a datetime.datetime"):
        run_strict(tmp_path, lambda: takes(datetime.datetime(2024, 1, 1)))
    with pytest.raises(
        ConnectorDataError, match=r"'bad.result': its result at /0 is a tuple \(replay would return a list\)"
    ):
        run_strict(tmp_path, lambda: pairs(2))
    with pytest.raises(ConnectorDataError, match=r"'bad.result': its result at /x is the float nan"):
        run_strict(tmp_path, lambda: pairs_of("nan"))


def run_strict(directory: Path, body: Callable[[], Any]) -> Any:
    with Recorder(CassetteSettings(directory=directory, mode="off")).open(CASE) as recording:
        try:
            return body()
        finally:
            recording.finish(agent_ok=False)


def test_tool_calls_from_worker_threads_join_the_http_timeline(tmp_path: Path) -> None:
    with LocalServer() as server:

        def threaded() -> list[Any]:
            results: list[Any] = []
            worker = threading.Thread(target=lambda: results.append(tag("T-9", "urgent")))
            worker.start()
            worker.join()
            results.append(httpx.get(f"{server.url}/json").json()["ok"])
            return results

        recorded, recording = run(tmp_path, "once", threaded)
        assert [i.kind for i in recording.interactions] == ["tool", "http"]
        replayed, replay = run(tmp_path, "none", threaded)
        assert replayed == recorded == [["T-9", "urgent"], True]
        assert replay.findings == []
        assert server.hits("/json") == 1


def test_recorded_calls_live_in_the_cassette_that_plain_vcrpy_still_loads(tmp_path: Path) -> None:
    import vcr

    run(tmp_path, "once", lambda: tag("T-1", "vip"))
    path = tmp_path / "corpus" / "S-1" / "original.json"
    with vcr.use_cassette(str(path), serializer="json", record_mode="none") as cassette:
        metadata = cassette.get_metadata("agentreal", None)
    assert metadata["timeline"] == [
        {
            "type": "tool",
            "name": "ticket.tag",
            "args": {"ticket": "T-1", "tag": "vip"},
            "result": ["T-1", "vip"],
            "delivery": 0,
        }
    ]
    assert isinstance(RecordedToolError("X", "y"), Exception)
