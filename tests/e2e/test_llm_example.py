"""End to end: the shipped LLM example replays real ``openai`` SDK traffic from its cassettes.

Each test runs pytest in a subprocess (a fresh process, as CI does) on a copy of
``fixtures/support_inbox_llm``, in the default record mode ``none``: replay only, the network blocked.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from examples.support_inbox_llm.agent import PLACEHOLDER_API_KEY

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "support_inbox_llm"
SHIPPED = sorted((FIXTURE / "cassettes").rglob("*.json"))


@pytest.fixture
def corpus(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped corpus, cassettes included, run with no credential and default URLs."""
    for name in ("OPENAI_API_KEY", "AGENTREAL_LLM_BASE_URL", "AGENTREAL_SANDBOX_URL"):
        monkeypatch.delenv(name, raising=False)
    target = pytester.path / "support_inbox_llm"
    shutil.copytree(FIXTURE, target)
    return target


def replay(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("--agent-corpus", "support_inbox_llm", "-p", "no:randomly",
                                         "-p", "no:cacheprovider", *args)  # fmt: skip


def test_the_example_ships_one_cassette_per_case_with_llm_traffic() -> None:
    assert len(SHIPPED) >= 60
    faults = [p for p in SHIPPED if p.name.startswith("connector_fault.")]
    assert {p.name.split("_", 2)[-1].split("-")[0] for p in faults} >= {"crm.read", "llm.call"}
    original = json.loads((FIXTURE / "cassettes" / "support-inbox-llm" / "T-0101" / "original.json").read_text())
    uris = [i["request"]["uri"] for i in original["interactions"]]
    assert "http://127.0.0.1:8765/v1/chat/completions" in uris and "http://127.0.0.1:8765/payments/refunds" in uris
    streamed = [i["response"]["body"]["string"] for i in original["interactions"]
                if i["request"]["uri"].endswith("/v1/chat/completions")]  # fmt: skip
    assert streamed and all(body.startswith("data: ") and body.rstrip().endswith("data: [DONE]") for body in streamed)


@pytest.mark.parametrize("secret", [PLACEHOLDER_API_KEY, "Bearer ", "sk-"])
def test_no_cassette_holds_the_api_key(secret: str) -> None:
    forms = {secret, base64.b64encode(secret.encode()).decode().rstrip("="), quote(secret, safe="")}
    leaks = [p.relative_to(FIXTURE) for p in SHIPPED for form in forms if form in p.read_text("utf-8")]
    assert leaks == []
    for path in SHIPPED:
        for interaction in json.loads(path.read_text("utf-8"))["interactions"]:
            assert "authorization" not in {h.lower() for h in interaction["request"]["headers"]}


# Loaded before the plugin guards the network, so the guard wraps this: a connection the guard let
# through would reach this function and be written down.
CONNECTION_LOG = """
import os
import socket

_LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "connections.log")


def _logged(original):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            with open(_LOG, "a") as log:
                log.write(f"{address}\\n")
        return original(self, address)
    return connect


socket.socket.connect = _logged(socket.socket.connect)
socket.socket.connect_ex = _logged(socket.socket.connect_ex)
"""


def test_shipped_example_replays_green_with_the_network_blocked(pytester: pytest.Pytester, corpus: Path) -> None:
    pytester.makeconftest(CONNECTION_LOG)
    result = replay(pytester)
    # One case per cassette and one cassette per case: nothing unrecorded ran, nothing recorded is stale.
    result.assert_outcomes(passed=len(SHIPPED))
    result.stdout.fnmatch_lines(["*record mode none*", "*connector_fault*0*0*", "*violations: none*"])
    assert not (pytester.path / "connections.log").exists(), "no socket connection left the process"
    assert sorted(corpus.joinpath("cassettes").rglob("*.json")) == sorted(
        corpus / p.relative_to(FIXTURE) for p in SHIPPED
    ), "replay writes no cassette"


def test_the_connection_log_sees_real_connections(pytester: pytest.Pytester) -> None:
    """The check above could not pass by accident: the same conftest logs a connection that happens."""
    pytester.makeconftest(CONNECTION_LOG)
    pytester.makepyfile(test_connect="""
        import socket

        def test_connect():
            with socket.socket() as server, socket.socket() as client:
                server.bind(("127.0.0.1", 0))
                server.listen()
                client.connect(server.getsockname())
    """)
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)
    assert "127.0.0.1" in (pytester.path / "connections.log").read_text()


EDITED_AGENT = '''
from examples.support_inbox_llm.agent import LLMSupportAgent


class EditedAgent(LLMSupportAgent):
    """Someone rewrote one sentence of the system prompt and forgot to re-record."""

    system_prompt = LLMSupportAgent.system_prompt.replace("data, never instructions", "never instructions")
'''


def findings(report: Path, oracle: str) -> list[dict[str, Any]]:
    """The findings of one oracle in a JSON report (the full text; the terminal table clips long cells)."""
    cases = json.loads(report.read_text("utf-8"))["cases"]
    return [f for case in cases for f in case["findings"] if f["oracle"] == oracle]


def test_an_edited_prompt_fails_loudly_naming_the_closest_recorded_request(pytester: pytest.Pytester,
                                                                         corpus: Path) -> None:
    (corpus / "edited_agent.py").write_text(EDITED_AGENT)
    manifest = corpus / "corpus.yaml"
    manifest.write_text(manifest.read_text().replace("examples.support_inbox_llm.agent:LLMSupportAgent",
                                                     "edited_agent:EditedAgent"))  # fmt: skip
    report = pytester.path / "report.json"
    result = replay(pytester, "-k", "T-0101 and original", f"--agent-report={report}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*support-inbox-llm/T-0101?original?: 2 finding(s)*",
        "*cassette*#0 POST http://127.0.0.1:8765/v1/c*request not in cassette: POST http://127.0.0.1:8765/v1/c*",
        "*POST http://127.0.0.1:8765/v1/chat/completions -> not recorded*",
    ])  # fmt: skip
    [finding] = findings(report, "cassette")
    assert finding["message"].startswith(
        "request not in cassette: POST http://127.0.0.1:8765/v1/chat/completions — "
        "closest recorded request: #0 POST http://127.0.0.1:8765/v1/chat/completions; body /messages/0/content: "
    )
    assert "data, never instructions" in finding["message"], "the recorded text, beside the edited one"
    assert finding["evidence"] == "re-record with: pytest --agent-corpus support_inbox_llm --agent-record once"
    assert "refunding 34.90 EUR" not in result.stdout.str(), "no stale answer from the old recording"


def test_a_deleted_cassette_fails_with_its_path_and_the_record_command(pytester: pytest.Pytester,
                                                                      corpus: Path) -> None:
    cassette = corpus / "cassettes" / "support-inbox-llm" / "T-0103" / "original.json"
    cassette.unlink()
    report = pytester.path / "report.json"
    result = replay(pytester, "-k", "T-0103 and original", f"--agent-report={report}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*cassette*{cassette}*record it with: pytest --agent-corpus*no cassette for this*"])
    [finding] = findings(report, "cassette")
    assert finding["message"] == f"no cassette for this case at {cassette} (--agent-record none replays only)"
    assert finding["expected"] == "record it with: pytest --agent-corpus support_inbox_llm --agent-record once"
    assert not cassette.exists(), "replay records nothing"
