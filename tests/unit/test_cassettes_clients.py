"""Record once against real local servers, replay with the network blocked, for every client.

Each client runs the same calls (JSON GET, JSON POST, gzip, a server-sent-event stream) sync, async
and streaming; replay must give the same data without a single request reaching the server.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import httpx2
import openai
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal.cassettes import CassetteSettings, Recorder, read_interactions
from pytest_agentreal.cassettes.recording import CaseRecording, RequestNotRecorded

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import LocalServer

CASE = "corpus/S-1[original]"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def run(
    directory: Path, mode: str, agent: Callable[[], Any], case: str = CASE, **options: Any
) -> tuple[Any, CaseRecording]:
    """Run ``agent`` as one case; returns its result (or the exception it raised) and the recording."""
    recorder = Recorder(
        CassetteSettings(directory=directory, mode=mode, record_hint="pytest --agent-record once", **options)
    )
    with recorder.open(case) as recording:
        try:
            result: Any = agent()
            ok = True
        except Exception as error:
            result, ok = error, False
        recording.finish(agent_ok=ok)
    return result, recording


# -- the same calls through each client -------------------------------------------------------------
def with_httpx(module: Any) -> Callable[[str], Any]:
    def calls(url: str) -> Any:
        with module.Client() as client:
            got = [client.get(f"{url}/json", params={"b": "2", "a": "1"}).json()]
            got.append(client.post(f"{url}/echo", json={"z": 1, "a": [1, 2]}).json())
            got.append(client.get(f"{url}/gzip").json())
            with client.stream("GET", f"{url}/sse", params={"n": "4"}) as response:
                got.append(list(response.iter_lines()))
        return got

    return calls


def with_httpx_async(module: Any) -> Callable[[str], Any]:
    async def calls(url: str) -> Any:
        async with module.AsyncClient() as client:
            got = [(await client.get(f"{url}/json", params={"b": "2", "a": "1"})).json()]
            got.append((await client.post(f"{url}/echo", json={"z": 1, "a": [1, 2]})).json())
            got.append((await client.get(f"{url}/gzip")).json())
            async with client.stream("GET", f"{url}/sse", params={"n": "4"}) as response:
                got.append([line async for line in response.aiter_lines()])
        return got

    return lambda url: asyncio.run(calls(url))


def with_requests(url: str) -> Any:
    with requests.Session() as session:
        got = [session.get(f"{url}/json", params={"b": "2", "a": "1"}).json()]
        got.append(session.post(f"{url}/echo", json={"z": 1, "a": [1, 2]}).json())
        got.append(session.get(f"{url}/gzip").json())
        with session.get(f"{url}/sse", params={"n": "4"}, stream=True) as response:
            got.append([line.decode() for line in response.iter_lines()])
    return got


CLIENTS = {
    "httpx": with_httpx(httpx),
    "httpx-async": with_httpx_async(httpx),
    "httpx2": with_httpx(httpx2),
    "httpx2-async": with_httpx_async(httpx2),
    "requests": with_requests,
}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_record_then_replay_without_the_network(client: str, server: LocalServer, tmp_path: Path) -> None:
    calls = CLIENTS[client]
    recorded, recording = run(tmp_path, "once", lambda: calls(server.url))
    assert not isinstance(recorded, Exception), recorded
    assert recording.findings == []
    hits = len(server.requests)
    assert hits == 4
    assert recorded[2]["compressed"] is True  # the gzip body was decoded for the client

    replayed, replay = run(tmp_path, "none", lambda: calls(server.url))
    assert replayed == recorded
    assert replay.findings == []
    assert len(server.requests) == hits, "replay must not reach the server"
    assert [i.line.split("?")[0] for i in replay.interactions] == [
        f"GET {server.url}/json", f"POST {server.url}/echo", f"GET {server.url}/gzip", f"GET {server.url}/sse",
    ]  # fmt: skip
    assert replay.interactions[1].request == {"z": 1, "a": [1, 2]}
    assert replay.interactions[3].response == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]


def test_cassette_stores_decoded_gzip_and_one_file_per_case(server: LocalServer, tmp_path: Path) -> None:
    run(tmp_path, "once", lambda: httpx.get(f"{server.url}/gzip"), case="corpus/T-0042[missing.drop:/customer/email]")
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 1
    assert files[0].parent == tmp_path / "corpus" / "T-0042"
    assert files[0].name.startswith("missing.drop_customer_email-")
    document = json.loads(files[0].read_text())
    response = document["interactions"][0]["response"]
    assert json.loads(response["body"]["string"])["compressed"] is True
    assert not any(h.lower() == "content-encoding" for h in response["headers"])


# -- LLM SDKs -----------------------------------------------------------------------------------
TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "lookup_customer",
            "description": "Find a customer",
            "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
        },
    }
]


def openai_agent(url: str, prompt: str = "Where is my order?", retries: int = 0) -> list[Any]:
    client: Any = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-test-0123456789", max_retries=retries)
    messages: list[Any] = [{"role": "user", "content": prompt}]
    first = client.chat.completions.create(model="gpt-test", messages=messages, tools=TOOLS)
    call = first.choices[0].message.tool_calls[0]
    messages += [
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"customer": "C-1"}'},
    ]
    second = client.chat.completions.create(model="gpt-test", messages=messages, tools=TOOLS)
    stream = client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": prompt}],
        tools=TOOLS,
        stream=True,
    )
    chunks = list(stream)
    arguments = "".join(
        c.choices[0].delta.tool_calls[0].function.arguments or ""
        for c in chunks
        if c.choices and c.choices[0].delta.tool_calls
    )
    plain = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}], stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in plain if c.choices)
    return [
        call.function.name,
        call.function.arguments,
        second.choices[0].message.content,
        len(chunks),
        arguments,
        text,
    ]


async def openai_agent_async(url: str) -> list[Any]:
    client: Any = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="sk-test-0123456789", max_retries=0)
    first = await client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": "async?"}],
        tools=TOOLS,
    )
    stream = await client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "async stream"}], stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    await client.close()
    return [first.choices[0].message.tool_calls[0].function.arguments, text]


def anthropic_agent(url: str) -> list[Any]:
    client: Any = anthropic.Anthropic(base_url=url, api_key="sk-ant-0123456789", max_retries=0)
    message = client.messages.create(model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    with client.messages.stream(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "stream"}]
    ) as stream:
        pieces = list(stream.text_stream)
    return [message.content[0].text, pieces]


async def anthropic_agent_async(url: str) -> list[Any]:
    client: Any = anthropic.AsyncAnthropic(base_url=url, api_key="sk-ant-0123456789", max_retries=0)
    message = await client.messages.create(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "hi async"}]
    )
    events = await client.messages.create(
        model="claude-test", max_tokens=64, messages=[{"role": "user", "content": "s"}], stream=True
    )
    kinds = [event.type async for event in events]
    await client.close()
    return [message.content[0].text, kinds]


SDK_AGENTS: dict[str, Callable[[str], Any]] = {
    "openai": openai_agent,
    "openai-async": lambda url: asyncio.run(openai_agent_async(url)),
    "anthropic": anthropic_agent,
    "anthropic-async": lambda url: asyncio.run(anthropic_agent_async(url)),
}


@pytest.mark.parametrize("sdk", sorted(SDK_AGENTS))
def test_llm_sdks_replay_tool_calls_and_streams(sdk: str, server: LocalServer, tmp_path: Path) -> None:
    agent = SDK_AGENTS[sdk]
    recorded, recording = run(tmp_path, "once", lambda: agent(server.url))
    assert not isinstance(recorded, Exception), recorded
    assert recording.findings == []
    hits = len(server.requests)
    replayed, replay = run(tmp_path, "none", lambda: agent(server.url))
    assert replayed == recorded
    assert replay.findings == []
    assert len(server.requests) == hits
    if sdk == "openai":
        assert recorded[0] == "lookup_customer"
        assert json.loads(recorded[1]) == {"query": "Where is my order?"}
        assert recorded[3] > 3 and json.loads(recorded[4]) == {"query": "Where is my order?"}
        assert recorded[5].strip() == "Answer to: hi"
    if sdk == "anthropic-async":
        assert recorded[1][0] == "message_start" and recorded[1][-1] == "message_stop"
    # API keys travel in headers that are never kept.
    for path in tmp_path.rglob("*.json"):
        assert "0123456789" not in path.read_text()


def test_edited_prompt_fails_loudly_naming_the_closest_request(server: LocalServer, tmp_path: Path) -> None:
    run(tmp_path, "once", lambda: openai_agent(server.url))
    hits = len(server.requests)
    result, replay = run(tmp_path, "none", lambda: openai_agent(server.url, prompt="Where is my parcel?", retries=2))
    assert isinstance(result, RequestNotRecorded), "the SDK passes our error through, unwrapped and not retried"
    assert len(server.requests) == hits, "an edited prompt never reaches the network nor gets a stale answer"
    assert len(replay.findings) == 1
    finding = replay.findings[0]
    assert finding.oracle == "cassette"
    assert "closest recorded request: #0 POST" in finding.message
    assert "/messages/0/content" in finding.message
    assert "'Where is my order?'" in finding.message and "'Where is my parcel?'" in finding.message
    assert "pytest --agent-record once" in finding.evidence
    attempted = [i for i in replay.interactions if i.error == "not recorded"]
    assert attempted and attempted[0].request["messages"][0]["content"] == "Where is my parcel?"


def test_missing_cassette_names_the_path_and_the_record_command(server: LocalServer, tmp_path: Path) -> None:
    result, replay = run(tmp_path, "none", lambda: httpx.get(f"{server.url}/json"))
    assert isinstance(result, RequestNotRecorded)
    assert server.requests == []
    [finding] = replay.findings
    assert str(tmp_path / "corpus" / "S-1" / "original.json") in finding.message
    assert finding.expected == "record it with: pytest --agent-record once"


def test_missing_cassette_without_traffic_is_fine_unless_required(tmp_path: Path) -> None:
    _, quiet = run(tmp_path, "none", lambda: None)
    assert quiet.findings == []
    _, strict = run(tmp_path, "none", lambda: None, require_cassette=True)
    assert [f.oracle for f in strict.findings] == ["cassette"]


def test_unintercepted_sockets_and_dns_are_blocked_during_replay(server: LocalServer, tmp_path: Path) -> None:
    run(tmp_path, "once", lambda: httpx.get(f"{server.url}/json"))
    port = server.server_address[1]

    def agent() -> list[str]:
        httpx.get(f"{server.url}/json")
        errors = []
        with socket.socket() as raw:  # a client nothing intercepts
            try:
                raw.connect(("127.0.0.1", port))
            except ConnectionError as error:
                errors.append(type(error).__name__)
        try:
            socket.getaddrinfo("api.example.invalid", 443)
        except socket.gaierror as error:
            errors.append(type(error).__name__)
        return errors

    hits = len(server.requests)
    errors, replay = run(tmp_path, "none", agent)
    assert errors == ["NetworkBlocked", "DNSBlocked"]
    assert len(server.requests) == hits
    messages = [f.message for f in replay.findings]
    assert [f.oracle for f in replay.findings] == ["network"] * 2
    assert f"socket connection to 127.0.0.1:{port}" in messages[0]
    assert "DNS lookup of api.example.invalid" in messages[1]
    assert replay.findings[0].expected == "record it with: pytest --agent-record once"
    # Outside a case the network is untouched.
    assert httpx.get(f"{server.url}/json").status_code == 200


def test_urllib_goes_through_vcrpys_own_stub(server: LocalServer, tmp_path: Path) -> None:
    def agent() -> list[Any]:
        request = urllib.request.Request(
            f"{server.url}/echo", data=b'{"b": 1, "a": 2}', headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request) as first, urllib.request.urlopen(f"{server.url}/json?x=1") as second:
            return [json.load(first), json.load(second)]

    recorded, _ = run(tmp_path, "once", agent)
    hits = len(server.requests)
    replayed, replay = run(tmp_path, "none", agent)
    assert replayed == recorded and recorded[0]["body"] == {"b": 1, "a": 2}
    assert replay.findings == [] and len(server.requests) == hits
    missing, refused = run(tmp_path, "none", lambda: urllib.request.urlopen(f"{server.url}/json?x=2"))
    assert isinstance(missing, RequestNotRecorded)
    assert "closest recorded request: #1 GET" in refused.findings[0].message
    with urllib.request.urlopen(f"{server.url}/json?outside=1") as response:  # outside a case: vcrpy is off
        assert json.load(response)["query"] == {"outside": "1"}
    assert server.hits("/json") == 2


def test_once_replays_an_existing_cassette_and_refuses_new_requests(server: LocalServer, tmp_path: Path) -> None:
    run(tmp_path, "once", lambda: httpx.get(f"{server.url}/json"))
    hits = len(server.requests)
    result, replay = run(tmp_path, "once", lambda: [httpx.get(f"{server.url}/json"), httpx.get(f"{server.url}/gzip")])
    assert isinstance(result, RequestNotRecorded)
    assert len(server.requests) == hits
    assert "request not in cassette: GET" in replay.findings[0].message


def test_new_episodes_replays_known_requests_and_records_new_ones(server: LocalServer, tmp_path: Path) -> None:
    run(tmp_path, "once", lambda: httpx.get(f"{server.url}/json"))
    _, second = run(
        tmp_path, "new_episodes", lambda: [httpx.get(f"{server.url}/json"), httpx.get(f"{server.url}/crm/customers")]
    )
    assert second.findings == []
    assert server.hits("/json") == 1 and server.hits("/crm/customers") == 1
    path = tmp_path / "corpus" / "S-1" / "original.json"
    assert [i.url.rsplit("/", 1)[-1] for i in read_interactions(path)] == ["json", "customers"]
    _, third = run(
        tmp_path, "none", lambda: [httpx.get(f"{server.url}/json"), httpx.get(f"{server.url}/crm/customers")]
    )
    assert third.findings == []


def test_all_rerecords_and_off_writes_nothing(server: LocalServer, tmp_path: Path) -> None:
    path = tmp_path / "corpus" / "S-1" / "original.json"
    run(tmp_path, "once", lambda: httpx.get(f"{server.url}/json"))
    run(tmp_path, "all", lambda: httpx.get(f"{server.url}/crm/customers/C-1"))
    assert server.hits("/crm/customers/C-1") == 1
    assert [i.url.rsplit("/", 1)[-1] for i in read_interactions(path)] == ["C-1"]
    before = path.read_bytes()
    _, live = run(tmp_path, "off", lambda: httpx.get(f"{server.url}/crm/customers/C-2"))
    assert server.hits("/crm/customers/C-2") == 1
    assert path.read_bytes() == before
    assert [i.response["name"] for i in live.interactions] == ["Alan Turing"]
    assert len(list(tmp_path.rglob("*.json"))) == 1


def test_interactions_carry_deliveries_in_order(server: LocalServer, tmp_path: Path) -> None:
    recorder = Recorder(CassetteSettings(directory=tmp_path, mode="once"))
    with recorder.open(CASE) as recording:
        recording.delivery = 0
        httpx.get(f"{server.url}/crm/customers/C-1")
        recording.delivery = 1
        httpx.post(f"{server.url}/crm/tickets/7/replies", json={"body": "hello"})
        recording.finish(agent_ok=True)
    timeline = recording.interactions
    assert [(i.seq, i.delivery, i.method, i.status) for i in timeline] == [(0, 0, "GET", 200), (1, 1, "POST", 201)]
    assert [i.delivery for i in read_interactions(tmp_path / "corpus" / "S-1" / "original.json")] == [0, 1]


def test_plain_vcrpy_replays_our_cassette(server: LocalServer, tmp_path: Path) -> None:
    import vcr

    run(
        tmp_path, "once", lambda: [httpx.get(f"{server.url}/json?a=1"), httpx.post(f"{server.url}/echo", json={"k": 1})]
    )
    hits = len(server.requests)
    path = tmp_path / "corpus" / "S-1" / "original.json"
    with vcr.use_cassette(
        str(path), serializer="json", record_mode="none", match_on=["method", "uri", "body"]
    ) as cassette:
        assert httpx.get(f"{server.url}/json?a=1").json()["query"] == {"a": "1"}
        assert httpx.post(
            f"{server.url}/echo", content=b'{"k":1}', headers={"content-type": "application/json"}
        ).json()["body"] == {"k": 1}
        assert cassette.play_count == 2
        assert cassette.get_metadata("agentreal", None)["case"] == CASE
    assert len(server.requests) == hits


json_bodies = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=15),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["token", "Password", "max_tokens", "id", "q"]) | st.text(max_size=6), inner, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None)
@given(
    body=json_bodies, query=st.dictionaries(st.sampled_from(["api_key", "page", "q"]), st.text(max_size=8), max_size=3)
)
def test_every_recorded_request_replays(body: Any, query: dict[str, str]) -> None:
    """Whatever the body and query (secret keys included), what was recorded matches on replay."""
    import tempfile

    with LocalServer() as srv, tempfile.TemporaryDirectory() as directory:

        def agent() -> Any:
            return httpx.post(f"{srv.url}/echo", params=query, json=body).json()

        _, recording = run(Path(directory), "once", agent)
        replayed, replay = run(Path(directory), "none", agent)
        assert recording.findings == [] and replay.findings == []
        # The client gets what the cassette keeps: the answer, with secret keys' values redacted.
        assert replayed == recording.interactions[0].response == replay.interactions[0].response
        assert len(srv.requests) == 1
