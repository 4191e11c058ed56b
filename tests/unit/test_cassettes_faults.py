"""Connector faults: injected while recording on every request to the action, replayed exactly."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest
import requests

from pytest_agentreal.cassettes import (
    CassetteSettings,
    ConnectorFault,
    FaultSpec,
    Recorder,
    cassette_path,
    read_interactions,
)
from pytest_agentreal.cassettes.timeline import replay_answer
from pytest_agentreal.connectors import connector

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import CUSTOMERS, LocalServer

CASE = "corpus/S-1[connector_fault.x:crm.read]"


def crm(method: str, url: str, body: Any) -> bool:
    return method == "GET" and "/crm/" in url


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def run(directory: Path, mode: str, agent: Callable[[], Any], fault: FaultSpec | None) -> tuple[Any, Any]:
    with Recorder(CassetteSettings(directory=directory, mode=mode)).open(CASE, fault=fault) as recording:
        try:
            result: Any = agent()
        except Exception as error:
            result = error
        recording.finish(agent_ok=True)
    return result, recording


def fetch(url: str) -> list[Any]:
    """An agent reading the CRM twice and one unrelated endpoint."""
    out: list[Any] = []
    with httpx.Client() as client:
        for path in ("/crm/customers", "/crm/customers/C-1", "/json"):
            response = client.get(url + path)
            try:
                body: Any = response.json()
            except ValueError:
                body = {"unparseable": response.text}
            out.append((response.status_code, body))
    return out


EXPECTED: dict[str, Callable[[list[Any]], bool]] = {
    "http_500": lambda got: [s for s, _ in got] == [500, 500, 200],
    "http_429": lambda got: [s for s, _ in got] == [429, 429, 200],
    "malformed_json": lambda got: "unparseable" in got[0][1] and "unparseable" in got[1][1],
    "empty_result": lambda got: got[0][1] == {"data": [], "total": 2} and got[1][1] == {},
    "duplicate_result": lambda got: len(got[0][1]["data"]) == 3 and got[0][1]["data"][0] == got[0][1]["data"][1],
    "missing_field": lambda got: (
        "email" not in got[0][1]["data"][0]
        and got[0][1]["data"][1] == CUSTOMERS[1]
        and set(got[1][1]) == {"id", "name", "tier"}
    ),
}


@pytest.mark.parametrize("operator", sorted(EXPECTED))
def test_fault_on_every_request_to_the_action_and_exact_replay(
    operator: str, server: LocalServer, tmp_path: Path
) -> None:
    fault = FaultSpec(operator, "crm.read", crm)
    recorded, recording = run(tmp_path, "once", lambda: fetch(server.url), fault)
    assert EXPECTED[operator](recorded), recorded
    assert recorded[2][0] == 200 and recorded[2][1]["ok"] is True, "other requests are untouched"
    assert [i.fault for i in recording.interactions] == [operator, operator, None]
    before = operator in ("http_500", "http_429")
    assert server.hits("/crm/customers") == (0 if before else 1), "error faults answer instead of the sandbox"
    hits = len(server.requests)
    replayed, replay = run(tmp_path, "none", lambda: fetch(server.url), fault)
    assert replayed == recorded
    assert replay.findings == []
    assert len(server.requests) == hits
    timeline = read_interactions(cassette_path(tmp_path, CASE))
    assert [i.fault for i in timeline] == [operator, operator, None]


TIMEOUTS: dict[str, tuple[Callable[[str], Any], type[BaseException]]] = {
    "httpx": (lambda url: httpx.get(url), httpx.ReadTimeout),
    "httpx2": (lambda url: httpx2.get(url), httpx2.ReadTimeout),
    "requests": (lambda url: requests.get(url, timeout=5), requests.exceptions.ReadTimeout),
}


@pytest.mark.parametrize("client", sorted(TIMEOUTS))
def test_timeout_raises_each_clients_own_exception(client: str, server: LocalServer, tmp_path: Path) -> None:
    call, expected = TIMEOUTS[client]
    fault = FaultSpec("timeout", "crm.read", crm)
    recorded, recording = run(tmp_path, "once", lambda: call(f"{server.url}/crm/customers/C-1"), fault)
    assert isinstance(recorded, expected)
    assert server.hits("/crm/customers/C-1") == 0
    [entry] = recording.interactions
    assert (entry.fault, entry.error, entry.status) == ("timeout", "timeout", None)
    assert [f for f in recording.findings if f.fails] == [], "an injected timeout is not a transport error"
    replayed, replay = run(tmp_path, "none", lambda: call(f"{server.url}/crm/customers/C-1"), None)
    assert isinstance(replayed, expected)
    assert replay.findings == []


def test_sdk_retries_after_an_injected_429_do_not_sleep(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr("openai._base_client.time.sleep", sleeps.append)

    def agent() -> Any:
        client: Any = openai.OpenAI(base_url=f"{server.url}/v1", api_key="k" * 20, max_retries=2)
        return client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])

    fault = FaultSpec("http_429", "llm.chat", lambda m, u, b: u.endswith("/chat/completions"))
    recorded, recording = run(tmp_path, "once", agent, fault)
    assert isinstance(recorded, openai.RateLimitError)
    assert len(recording.interactions) == 3, "every retry is faulted too"
    replayed, _ = run(tmp_path, "none", agent, fault)
    assert isinstance(replayed, openai.RateLimitError)
    assert len(sleeps) == 4 and max(sleeps) <= 0.001


def test_recorded_retry_after_replays_as_instant_for_sdks() -> None:
    recorded = {
        "status": {"code": 503, "message": "Service Unavailable"},
        "headers": {"Retry-After": ["7"], "retry-after-ms": ["7000"], "content-type": ["application/json"]},
        "body": {"string": "{}"},
    }
    answer = replay_answer(recorded)
    headers = httpx2.Headers(answer.headers)
    assert headers["retry-after"] == "0" and headers["retry-after-ms"] == "1"
    options: Any = type("Options", (), {"get_max_retries": lambda self, default: 2})()
    for sdk in (openai.OpenAI(api_key="k" * 20), anthropic.Anthropic(api_key="k" * 20)):
        assert sdk._calculate_retry_timeout(2, options, headers) == pytest.approx(0.001)
    import urllib3

    retry = urllib3.util.Retry(total=2, status_forcelist=[503], respect_retry_after_header=True)
    assert retry.parse_retry_after(headers["retry-after"]) == 0


def test_a_fault_that_cannot_apply_is_reported_not_faked(server: LocalServer, tmp_path: Path) -> None:
    fault = FaultSpec("missing_field", "x", lambda m, u, b: u.endswith("/sse?n=2"))
    result, recording = run(tmp_path, "once", lambda: httpx.get(f"{server.url}/sse?n=2").text, fault)
    assert result.count("data:") == 2
    [finding] = recording.findings
    assert finding.fails is False and "could not apply" in finding.message
    assert recording.interactions[0].fault is None


def test_unknown_operator_names_the_nearest() -> None:
    with pytest.raises(ValueError, match="did you mean 'http_500'"):
        FaultSpec("http_5OO", "crm.read", crm)


# -- tool functions ---------------------------------------------------------------------------------
CALLS: list[str] = []


@connector(name="crm.search")
def search(query: str) -> dict[str, Any]:
    CALLS.append(query)
    return {"results": [dict(c) for c in CUSTOMERS], "query": query}


def tool_agent() -> Any:
    try:
        return search("ada")
    except (ConnectorFault, TimeoutError) as error:
        return (type(error).__name__, getattr(error, "status", None), str(error))


TOOL_EXPECTED: dict[str, Callable[[Any], bool]] = {
    "http_500": lambda got: got[0] == "ConnectorFault" and got[1] == 500,
    "http_429": lambda got: got[0] == "ConnectorFault" and got[1] == 429,
    "timeout": lambda got: got[0] == "TimeoutError" and "crm.search" in got[2],
    "malformed_json": lambda got: isinstance(got, str) and not _parses(got),
    "empty_result": lambda got: got == {"results": [], "query": "ada"},
    "duplicate_result": lambda got: len(got["results"]) == 3 and got["results"][0] == got["results"][1],
    "missing_field": lambda got: "email" not in got["results"][0] and "email" in got["results"][1],
}


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("operator", sorted(TOOL_EXPECTED))
def test_faults_apply_to_tool_functions_and_replay_exactly(operator: str, tmp_path: Path) -> None:
    CALLS.clear()
    fault = FaultSpec(operator, "crm.search", lambda m, name, args: m == "CALL" and name == "crm.search")
    recorded, recording = run(tmp_path, "once", tool_agent, fault)
    assert TOOL_EXPECTED[operator](recorded), recorded
    assert recording.interactions[0].fault == operator
    assert len(CALLS) == (0 if operator in ("http_500", "http_429", "timeout") else 1)
    replayed, replay = run(tmp_path, "none", tool_agent, fault)
    assert replayed == recorded
    assert replay.findings == []
    assert len(CALLS) == (0 if operator in ("http_500", "http_429", "timeout") else 1), "replay never calls it"
