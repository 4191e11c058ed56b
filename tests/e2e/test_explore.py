"""End to end: explore mode finds, shrinks and prints a failing chain of operators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

MakeCorpus = Callable[..., Path]

# Escalates whatever it cannot handle, but crashes when the body AND the email are both missing:
# a defect only a combination of two mutations reaches.
AGENT = """
def Agent(ticket):
    customer = ticket.get("customer") if isinstance(ticket.get("customer"), dict) else {}
    if not ticket.get("body") and not customer.get("email"):
        raise ValueError("no body, no email")
    return {"ticket_id": str(ticket.get("ticket_id")), "status": "escalated", "category": "c", "actions": []}
"""


def test_explore_finds_and_shrinks_a_failing_chain(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=AGENT)
    args = ("--agent-corpus", "corpus", "--agent-record", "off", "--agent-explore", "300", "-k", "explore")
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "explore: * examples; minimal failing chain on sample 'T-*':",
        "*safe*ValueError: no body, no email*",
        "reproduce: pytest --agent-corpus corpus --agent-explore 300 --agent-seed 0 --agent-record off"
        " -k 'mini/explore'",
    ])
    # The failure section only: under CI=true pytest repeats whole messages in the short summary.
    lines = result.stdout.lines
    section = lines[: next(i for i, line in enumerate(lines) if "short test summary" in line)]
    steps = [line.split(". ", 1)[1] for line in section if line.startswith("  ") and ". " in line[:6]]
    # Shrunk to exactly what matters: one step on the body, one on the email.
    assert len(steps) == 2, out
    assert any(s.endswith(":/body") for s in steps) and any(s.endswith(":/customer/email") for s in steps), out
    again = pytester.runpytest(*args)
    assert [line for line in again.stdout.lines if line.startswith("  ")] == [
        line for line in result.stdout.lines if line.startswith("  ")]


def test_explore_passes_when_nothing_fails(pytester: pytest.Pytester, make_corpus: MakeCorpus) -> None:
    make_corpus(agent_code=AGENT.replace('raise ValueError("no body, no email")', 'pass'))
    result = pytester.runpytest("--agent-corpus", "corpus", "--agent-record", "off", "--agent-explore", "50",
                                "-k", "explore")
    result.assert_outcomes(passed=1)
