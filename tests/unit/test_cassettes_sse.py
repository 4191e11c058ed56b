"""Server-sent events replay as the same events, in the same order, one chunk per event."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from pytest_agentreal.cassettes import CassetteSettings, Recorder, load_cassette
from pytest_agentreal.cassettes.sse import event_data, split_events

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import LocalServer

CASE = "corpus/S-1[original]"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def run(directory: Path, mode: str, agent: Callable[[], Any], **options: Any) -> tuple[Any, Any]:
    with Recorder(CassetteSettings(directory=directory, mode=mode, **options)).open(CASE) as recording:
        result = agent()
        recording.finish(agent_ok=True)
    return result, recording


def raw_chunks(module: Any, url: str) -> list[bytes]:
    with module.Client() as client, client.stream("GET", url) as response:
        return list(response.iter_raw())


def raw_chunks_async(module: Any, url: str) -> list[bytes]:
    async def go() -> list[bytes]:
        async with module.AsyncClient() as client, client.stream("GET", url) as response:
            return [chunk async for chunk in response.aiter_raw()]

    return asyncio.run(go())


READERS: dict[str, Callable[[str], list[bytes]]] = {
    "httpx": lambda url: raw_chunks(httpx, url),
    "httpx-async": lambda url: raw_chunks_async(httpx, url),
    "httpx2": lambda url: raw_chunks(httpx2, url),
    "httpx2-async": lambda url: raw_chunks_async(httpx2, url),
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_replay_delivers_each_event_as_its_own_chunk_in_order(reader: str, server: LocalServer, tmp_path: Path) -> None:
    read = READERS[reader]
    url = f"{server.url}/sse?n=7"
    recorded, _ = run(tmp_path, "once", lambda: read(url))
    replayed, replay = run(tmp_path, "none", lambda: read(url))
    assert server.hits("/sse") == 1
    assert len(replayed) == 7
    assert [c.split(b"\n", 1)[0] for c in replayed] == [f"id: {i}".encode() for i in range(7)]
    assert all(c.endswith(b"\n\n") for c in replayed)
    assert b"".join(replayed) == b"".join(recorded)
    assert replay.interactions[0].response == [{"n": i} for i in range(7)]


def test_requests_streams_the_same_lines_in_order(server: LocalServer, tmp_path: Path) -> None:
    def read() -> list[bytes]:
        with requests.get(f"{server.url}/sse?n=5", stream=True) as response:
            return [line for line in response.iter_lines() if line]

    recorded, _ = run(tmp_path, "once", read)
    replayed, _ = run(tmp_path, "none", read)
    assert replayed == recorded
    assert len(replayed) == 15  # id, event, data per event


@pytest.mark.parametrize("path", ["/sse/forever", "/sse/hang"])
@pytest.mark.parametrize("reader", ["httpx", "httpx2-async", "requests"])
def test_a_stream_that_never_closes_is_recorded_for_a_bounded_time(
    path: str, reader: str, server: LocalServer, tmp_path: Path
) -> None:
    url = f"{server.url}{path}"

    def read() -> bytes:
        if reader == "requests":
            return requests.get(url, timeout=30).content
        return b"".join(READERS[reader](url))

    recorded, recording = run(tmp_path, "once", read, stream_seconds=0.4)
    [note] = recording.findings
    assert not note.fails and f"GET {url} was cut after 0.4s" in note.message
    assert recorded.count(b"\n\n") >= 2
    [entry] = load_cassette(tmp_path / "corpus" / "S-1" / "original.json").timeline
    assert entry["truncated"] is True and entry["stream"] == "sse"
    replayed, _ = run(tmp_path, "none", read)
    assert replayed == recorded


def test_the_openai_sdk_sees_the_same_chunks(server: LocalServer, tmp_path: Path) -> None:
    import openai

    def agent() -> list[str]:
        client: Any = openai.OpenAI(base_url=f"{server.url}/v1", api_key="k" * 20, max_retries=0)
        stream = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "one two three four"}], stream=True
        )
        return [chunk.choices[0].delta.content for chunk in stream if chunk.choices]

    recorded, _ = run(tmp_path, "once", agent)
    replayed, _ = run(tmp_path, "none", agent)
    assert replayed == recorded
    assert len(recorded) == 8 and recorded[0] == ""  # role chunk, six words, the finish chunk


@given(st.lists(st.text(alphabet="abc:x \n", max_size=12), max_size=8), st.sampled_from(["\n\n", "\r\n\r\n", "\r\r"]))
def test_split_events_keeps_every_byte_and_boundary(events: list[str], boundary: str) -> None:
    body = "".join(e.replace("\n", " ") + boundary for e in events).encode()
    chunks = split_events(body)
    assert b"".join(chunks) == body
    assert len(chunks) == len(events)
    assert all(c.endswith(boundary.encode()) for c in chunks)


def test_event_data_decodes_json_and_multiline_data() -> None:
    body = 'event: a\ndata: {"n": 1}\n\ndata: line one\ndata: line two\n\n: comment only\n\ndata: [DONE]\n\n'
    assert event_data(body) == [{"n": 1}, "line one\nline two", "[DONE]"]
