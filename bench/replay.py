"""Replay speed per request at cassette sizes 1, 100 and 1000, pytest-agentreal vs plain vcrpy.

Both replay the same cassette files (ours are vcrpy-readable) through the same ``httpx`` client,
matching on method, URI and body. vcrpy scans every recorded interaction for each request, so its
cost grows with the cassette; ours looks the request up in an index built once per cassette.
Opening a case (loading the cassette) is measured separately: ours is parsed once and cached.

    python bench/replay.py [--quick]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CASE = "bench/S-1[original]"
URL = "http://127.0.0.1:9/v1/chat/completions"  # never contacted: replay only, network blocked


def _body(i: int) -> dict[str, Any]:
    return {
        "model": "gpt-test",
        "temperature": 0,
        "messages": [
            {"role": "system", "content": "You are a support agent. Answer briefly and use the tools."},
            {"role": "user", "content": f"Ticket {i}: where is my order #{100000 + i}? " + "details " * 30},
        ],
    }


def write_cassette(directory: Path, size: int) -> Path:
    """A cassette of ``size`` distinct chat completion requests, at the case's path."""
    from pytest_agentreal.cassettes import cassette_path
    from pytest_agentreal.cassettes.store import CassetteData, atomic_write, dumps

    interactions = []
    for i in range(size):
        answer = {
            "id": f"chatcmpl-{i}",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": f"#{i}"}}],
        }
        interactions.append(
            {
                "request": {
                    "body": json.dumps(_body(i)),
                    "headers": {"content-type": ["application/json"]},
                    "method": "POST",
                    "uri": URL,
                },
                "response": {
                    "status": {"code": 200, "message": "OK"},
                    "headers": {"content-type": ["application/json"]},
                    "body": {"string": json.dumps(answer)},
                },
            }
        )
    timeline = [{"type": "http", "interaction": i, "delivery": 0} for i in range(size)]
    path = cassette_path(directory, CASE)
    atomic_write(path, dumps(CassetteData(interactions, timeline, CASE)))
    return path


def _requests(size: int, count: int) -> list[bytes]:
    # The last ones recorded: the worst case for a scan, and every request is distinct.
    return [json.dumps(_body(i)).encode() for i in range(size - count, size)]


def _ours(directory: Path, size: int, count: int, repeats: int) -> tuple[float, float]:
    import httpx

    from pytest_agentreal.cassettes import CassetteSettings, Recorder

    recorder = Recorder(CassetteSettings(directory=directory, mode="none"))
    bodies = _requests(size, count)
    headers = {"content-type": "application/json"}
    opening = replaying = 0.0
    with httpx.Client() as client:
        with recorder.open(CASE) as warm:  # parse and index once, as the first case of a session does
            client.post(URL, content=bodies[0], headers=headers)  # and warm the client
            warm.finish(agent_ok=True)
        for _ in range(repeats):
            start = time.perf_counter()
            with recorder.open(CASE) as recording:
                opened = time.perf_counter()
                for body in bodies:
                    client.post(URL, content=body, headers=headers)
                replaying += time.perf_counter() - opened
                opening += opened - start
                recording.finish(agent_ok=True)
            assert recording.findings == [], recording.findings
    return replaying / (count * repeats), opening / repeats


def _vcrpy(path: Path, size: int, count: int, repeats: int) -> tuple[float, float]:
    import httpx
    import vcr

    bodies = _requests(size, count)
    headers = {"content-type": "application/json"}
    opening = replaying = 0.0
    with httpx.Client() as client:
        with vcr.use_cassette(str(path), serializer="json", record_mode="none", match_on=["method", "uri", "body"]):
            client.post(URL, content=bodies[0], headers=headers)  # warm, as above
        for _ in range(repeats):
            start = time.perf_counter()
            with vcr.use_cassette(str(path), serializer="json", record_mode="none", match_on=["method", "uri", "body"]):
                opened = time.perf_counter()
                for body in bodies:
                    client.post(URL, content=body, headers=headers)
                replaying += time.perf_counter() - opened
                opening += opened - start
    return replaying / (count * repeats), opening / repeats


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows ``{name, value, unit}``: replay time per request and per case opening, ours and vcrpy's."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (1, 100, 1000):
            directory = Path(tmp) / f"n{size}"
            path = write_cassette(directory, size)
            budget = 30 if quick else 200
            count = min(size, budget)
            repeats = max(1, budget // count)  # a 1-interaction cassette replays one request per case
            ours, ours_open = _ours(directory, size, count, repeats)
            theirs, theirs_open = _vcrpy(path, size, count, repeats)
            rows += [
                {"name": f"replay, {size}-interaction cassette: agentreal", "value": ours * 1e3, "unit": "ms/request"},
                {"name": f"replay, {size}-interaction cassette: vcrpy", "value": theirs * 1e3, "unit": "ms/request"},
                {"name": f"open case, {size}-interaction cassette: agentreal", "value": ours_open * 1e3, "unit": "ms"},
                {"name": f"open case, {size}-interaction cassette: vcrpy", "value": theirs_open * 1e3, "unit": "ms"},
            ]
    by_name = {row["name"]: row["value"] for row in rows}
    rows.append(
        {
            "name": "agentreal replay cost, 1000 vs 1 interactions",
            "value": by_name["replay, 1000-interaction cassette: agentreal"]
            / by_name["replay, 1-interaction cassette: agentreal"],
            "unit": "x",
        }
    )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv[1:]):
        print(f"{row['name']:<52} {row['value']:>10.3f} {row['unit']}")
