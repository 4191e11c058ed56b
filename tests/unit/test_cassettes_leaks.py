"""The leak battery: one secret in every place traffic can carry it never reaches the disk."""

from __future__ import annotations

import base64
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx
import httpx2
import pytest
import requests

from pytest_agentreal.cassettes import CassetteSettings, Recorder, scan_cassette
from pytest_agentreal.cassettes.redact import Redactor
from pytest_agentreal.connectors import connector
from pytest_agentreal.errors import ConfigError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import LocalServer

SECRET = "sk-live_9f8e/7d+c6=b5&a4Q"
CASE = "corpus/S-1[original]"


def forms(secret: str) -> list[str]:
    """Every spelling of the secret that must not be on disk."""
    raw = secret.encode()
    spellings = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        spellings.add(encode(raw).decode().rstrip("="))
    return sorted(spellings)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(secret=SECRET) as srv:
        yield srv


@connector(name="crm.update")
def update_customer(customer_id: str, api_token: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"updated": customer_id, "echo": payload, "session": {"access_token": api_token, "note": f"t={api_token}"}}


def leaky_agent(url: str) -> list[Any]:
    """Puts the secret in at least ten places of requests, responses and tool calls."""
    host = url.removeprefix("http://")
    seen = []
    with httpx.Client(headers={"Authorization": f"Bearer {SECRET}", "Cookie": f"sid={SECRET}"}) as client:
        # headers: Authorization, Cookie, x-api-key; query: a secret name and a plain name
        seen.append(
            client.get(f"{url}/leak", params={"api_key": SECRET, "q": SECRET}, headers={"x-api-key": SECRET}).json()
        )
        # nested request JSON (as a secret key, and as a value under an ordinary key), base64 in a body
        body = {
            "a": {"b": [{"note": f"my key {SECRET}", "password": "pw-is-not-in-env"}]},
            "blob": base64.b64encode(SECRET.encode()).decode(),
            "basic": base64.b64encode(f"user:{SECRET}".encode()).decode(),
            "max_tokens": 50,
        }
        seen.append(client.post(f"{url}/echo", json=body).json())
        # gzip response (Set-Cookie and X-Api-Key headers, secret inside the compressed JSON)
        seen.append(client.get(f"{url}/leak", params={"gzip": "1"}).json())
        # gzip request body
        compressed = gzip.compress(json.dumps({"token": SECRET, "text": SECRET}).encode())
        client.post(
            f"{url}/echo", content=compressed, headers={"content-encoding": "gzip", "content-type": "application/json"}
        )
    # URL-encoded form body, and credentials in the URL itself
    seen.append(requests.post(f"{url}/echo", data=urlencode({"client_secret": SECRET, "memo": SECRET})).json())
    seen.append(httpx2.get(f"http://user:{quote(SECRET, safe='')}@{host}/json").json())
    # a tool function's arguments and result
    seen.append(update_customer("C-1", SECRET, {"password": SECRET, "nested": {"text": SECRET}}))
    # an LLM-style tool call whose arguments are JSON inside a JSON string
    arguments = json.dumps({"password": SECRET, "city": "Paris"})
    seen.append(httpx.post(f"{url}/echo", json={"tool_calls": [{"function": {"arguments": arguments}}]}).json())
    return seen


def settings(directory: Path, mode: str) -> CassetteSettings:
    return CassetteSettings(directory=directory, mode=mode, secrets=("LEAK_KEY",), environ={"LEAK_KEY": SECRET})


def test_one_secret_in_every_place_never_reaches_the_disk(server: LocalServer, tmp_path: Path) -> None:
    recorder = Recorder(settings(tmp_path, "once"))
    with recorder.open(CASE) as recording:
        live = leaky_agent(server.url)
        recording.finish(agent_ok=True)
    assert recording.findings == []
    assert SECRET in json.dumps(live), "the agent itself saw the real values"
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [p.name for p in files] == ["original.json"]
    text = files[0].read_text()
    for spelling in forms(SECRET):
        assert spelling not in text, f"{spelling!r} leaked"
    assert "hunter2-hunter2" not in text and "pw-is-not-in-env" not in text, "secret JSON keys are redacted"
    assert "visible" not in text, "headers outside the allowlist are dropped"
    # Nothing the runner reports carries the secret either.
    assert SECRET not in repr(recording.interactions) and SECRET not in repr(recording.findings)
    assert scan_cassette(files[0], {"LEAK_KEY": SECRET}) == []
    document = json.loads(text)
    sent = json.loads(document["interactions"][1]["request"]["body"])
    assert sent["max_tokens"] == 50, "max_tokens is not a secret"
    assert sent["a"]["b"][0]["password"] == "REDACTED"
    for interaction in document["interactions"]:
        for side in ("request", "response"):
            names = {h.lower() for h in interaction[side]["headers"]}
            assert not names & {"authorization", "cookie", "set-cookie", "x-api-key"}

    # Replay matches the redacted recording and still gives the (redacted) answers.
    hits = len(server.requests)
    with Recorder(settings(tmp_path, "none")).open(CASE) as replay:
        replayed = leaky_agent(server.url)
        replay.finish(agent_ok=True)
    assert replay.findings == []
    assert len(server.requests) == hits
    assert SECRET not in json.dumps(replayed)


def test_the_written_file_is_scanned_and_a_leak_keeps_the_old_cassette(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(settings(tmp_path, "all"))
    with recorder.open(CASE) as recording:
        httpx.get(f"{server.url}/json")
        recording.finish(agent_ok=True)
    path = tmp_path / "corpus" / "S-1" / "original.json"
    before = path.read_bytes()
    # A redaction bug: bodies pass through untouched. The scan of the written bytes must catch it.
    monkeypatch.setattr(Redactor, "body", lambda self, text, content_type="": (text, 0))
    with recorder.open(CASE) as recording:
        httpx.post(f"{server.url}/echo", json={"note": SECRET})
        recording.finish(agent_ok=True)
    assert path.read_bytes() == before
    secret_findings = [f for f in recording.findings if f.oracle == "secret"]
    assert secret_findings and "$LEAK_KEY" in secret_findings[0].message
    assert "cassette not written" in secret_findings[0].message
    assert SECRET not in repr(recording.findings)
    assert [p.name for p in path.parent.iterdir()] == ["original.json"], "no temporary file left"


def test_short_secret_values_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        Recorder(CassetteSettings(directory=tmp_path, secrets=("SHORT",), environ={"SHORT": "abc123"}))
    assert "SHORT" in str(error.value) and "8" in str(error.value)
    assert "abc123" not in str(error.value)
    # unset secrets are simply nothing to redact
    Recorder(CassetteSettings(directory=tmp_path, secrets=("UNSET",), environ={}))
