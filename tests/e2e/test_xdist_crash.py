"""End to end: a worker that dies under pytest-xdist is blamed for the case it was running.

Workers spool their cases' results and tell the controller only every few cases
(``pytest_agentreal/xdist_batching.py``); when one dies, the controller must first read what it
finished, or xdist would blame the first case it had not heard of.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

AGENT = """
import os

def agent(ticket):
    if ticket["ticket_id"] == "T-4" and ticket.get("body") == "":
        if os.environ.get("AGENT_CRASHES"):
            os._exit(3)  # dies, as a segfault or the OOM killer would end it
        raise RuntimeError("the agent fails here")
    return {"ticket_id": ticket["ticket_id"], "status": "done"}
"""

MANIFEST = """\
name: crash
samples: samples.jsonl
id: ticket_id
agent: mini_agent:agent
"""


def _failed(result: pytest.RunResult) -> set[str]:
    return {line.split()[1] for line in result.outlines if line.startswith("FAILED ")}


def test_a_crashed_worker_is_blamed_for_the_case_it_was_running(
    pytester: pytest.Pytester, make_corpus: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = [{"ticket_id": f"T-{i}", "body": f"where is parcel {i}?", "note": "n"} for i in range(8)]
    make_corpus(samples=samples, agent_code=AGENT, manifest=MANIFEST)
    args = ("--agent-corpus", "corpus", "-p", "no:randomly", "-rf")
    plain = pytester.runpytest(*args, "-p", "no:xdist")
    crashing = [nodeid for nodeid in _failed(plain) if "T-4[missing.empty:/body]" in nodeid]
    assert len(crashing) == 1, plain.outlines
    monkeypatch.setenv("AGENT_CRASHES", "1")
    result = pytester.runpytest(*args, "-n", "2")
    # Blamed on the right case (the worker had finished cases it had not told the controller
    # of: those are read from its spool first), which runs once; every other verdict as without
    # xdist.
    result.stdout.re_match_lines([rf".*worker 'gw\d' crashed while running '{re.escape(crashing[0])}'.*"])
    assert _failed(result) == _failed(plain)
    assert result.parseoutcomes() == plain.parseoutcomes()
