"""Integrity: a crash, a transport error or a SIGKILL keeps the previous cassette; one writer at a time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pytest_agentreal.cassettes import CassetteSettings, Recorder, read_interactions
from pytest_agentreal.cassettes.store import TEMP_SUFFIX

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import LocalServer

CASE = "corpus/S-1[original]"

WORKER = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path
    import httpx
    from pytest_agentreal.cassettes import CassetteSettings, Recorder

    directory, url, stage = sys.argv[1:4]
    recorder = Recorder(CassetteSettings(directory=Path(directory), mode=sys.argv[4]))
    with recorder.open("corpus/S-1[original]") as recording:
        body = httpx.get(url + "/crm/customers/C-2").json()
        if stage == "agent":
            print("ready", flush=True)
            time.sleep(60)
        elif stage == "write":
            def stuck(src, dst):
                print("ready", flush=True)
                time.sleep(60)
            os.replace = stuck  # killed after the temp file is written and fsynced, before the rename
        elif stage == "slow":
            time.sleep(0.5)
        recording.finish(agent_ok=True)
    print(json.dumps({"body": body, "findings": [f.message for f in recording.findings]}), flush=True)
    """
)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


def record(directory: Path, mode: str, url: str, path: str) -> None:
    with Recorder(CassetteSettings(directory=directory, mode=mode)).open(CASE) as recording:
        httpx.get(url + path)
        recording.finish(agent_ok=True)


def cassette(directory: Path) -> Path:
    return directory / "corpus" / "S-1" / "original.json"


def start_worker(tmp_path: Path, url: str, stage: str, mode: str = "all") -> subprocess.Popen[str]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "cassettes"), url, stage, mode],
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stage", ["agent", "write"])
def test_sigkill_while_recording_keeps_the_previous_cassette(stage: str, server: LocalServer, tmp_path: Path) -> None:
    directory = tmp_path / "cassettes"
    record(directory, "once", server.url, "/crm/customers/C-1")
    before = cassette(directory).read_bytes()
    worker = start_worker(tmp_path, server.url, stage)
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    worker.stdout.close()
    assert worker.returncode == -signal.SIGKILL
    assert server.hits("/crm/customers/C-2") == 1, "the killed worker was recording"
    assert cassette(directory).read_bytes() == before
    assert [i.url.rsplit("/", 1)[-1] for i in read_interactions(cassette(directory))] == ["C-1"]
    # The next recording (holding the lock) clears what the killed writer left behind.
    record(directory, "all", server.url, "/crm/customers/C-2")
    assert [p.name for p in cassette(directory).parent.iterdir()] == ["original.json"]
    assert not list(directory.rglob(f"*{TEMP_SUFFIX}"))


def test_agent_crash_keeps_the_previous_cassette(server: LocalServer, tmp_path: Path) -> None:
    record(tmp_path, "once", server.url, "/crm/customers/C-1")
    before = cassette(tmp_path).read_bytes()
    with Recorder(CassetteSettings(directory=tmp_path, mode="all")).open(CASE) as recording:
        httpx.get(f"{server.url}/crm/customers/C-2")
        recording.finish(agent_ok=False)
    assert cassette(tmp_path).read_bytes() == before
    assert [(f.oracle, f.fails) for f in recording.findings] == [("cassette", False)]
    assert "previous one is kept" in recording.findings[0].message


def test_leaving_the_block_without_finish_writes_nothing(server: LocalServer, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), Recorder(CassetteSettings(directory=tmp_path, mode="once")).open(CASE):
        httpx.get(f"{server.url}/crm/customers/C-2")
        raise RuntimeError("agent blew up")
    assert not cassette(tmp_path).exists()


def test_transport_error_keeps_the_previous_cassette(server: LocalServer, tmp_path: Path) -> None:
    record(tmp_path, "once", server.url, "/crm/customers/C-1")
    before = cassette(tmp_path).read_bytes()
    with LocalServer() as gone:
        dead_url = gone.url
    with Recorder(CassetteSettings(directory=tmp_path, mode="all")).open(CASE) as recording:
        httpx.get(f"{server.url}/crm/customers/C-2")
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{dead_url}/json")
        recording.finish(agent_ok=True)  # the agent coped with the error, but the recording is incomplete
    assert cassette(tmp_path).read_bytes() == before
    assert "transport error" in recording.findings[0].message
    assert recording.interactions[1].error is not None and "ConnectError" in recording.interactions[1].error


def test_two_workers_never_write_one_cassette(server: LocalServer, tmp_path: Path) -> None:
    workers = [start_worker(tmp_path, server.url, "slow", mode="once") for _ in range(2)]
    outputs = []
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    assert server.hits("/crm/customers/C-2") == 1, "the second worker waited, then replayed the first's recording"
    assert outputs[0]["body"] == outputs[1]["body"]
    assert outputs[0]["findings"] == outputs[1]["findings"] == []
    assert len(read_interactions(cassette(tmp_path / "cassettes"))) == 1
