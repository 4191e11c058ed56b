"""The do-it-yourself stack a team would write instead of pytest-agentreal (the benchmark's baseline).

A parametrized pytest test over hand-made cases, pytest-recording (vcrpy) cassettes per test,
jsonschema for the output, and DeepDiff against golden outputs written on the recording run.
It gets its cases for free (the mutated inputs, exported by ``bench/run.py``) and checks less:
no policy, no per-mutation oracle, no connector faults, no secret scan.

Configured by environment variables (set by ``bench/run.py``):
``DIY_CASES`` (a JSONL of ``{"id", "inputs"}``), ``DIY_CORPUS`` (the folder with the agent module
and schemas), ``DIY_WORK`` (where cassettes and golden outputs go), ``DIY_UPDATE=1`` (write goldens).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from deepdiff import DeepDiff
from jsonschema import Draft202012Validator, FormatChecker

if not {"DIY_CASES", "DIY_CORPUS", "DIY_WORK"} <= set(os.environ):
    raise pytest.UsageError("bench/diy/test_diy.py is run by bench/run.py, which sets DIY_CASES, DIY_CORPUS, DIY_WORK")
CORPUS = Path(os.environ["DIY_CORPUS"])
WORK = Path(os.environ["DIY_WORK"])
UPDATE = os.environ.get("DIY_UPDATE") == "1"
CASES = [json.loads(line) for line in Path(os.environ["DIY_CASES"]).read_text(encoding="utf-8").splitlines()]

sys.path.insert(0, str(CORPUS))
Agent = importlib.import_module(os.environ.get("DIY_AGENT_MODULE", "bench_agent_connector")).Agent
# Compiled once and reused, as a careful team would (jsonschema.validate() would recompile per call).
OUTPUT = Draft202012Validator(json.loads((CORPUS / "output.json").read_text()), format_checker=FormatChecker())
GOLDEN = WORK / "golden"


def _file_name(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", case_id)


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(WORK / "cassettes")


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {"match_on": ["method", "uri", "body"], "serializer": os.environ.get("DIY_SERIALIZER", "yaml")}


@pytest.mark.vcr
@pytest.mark.parametrize("case", CASES, ids=[_file_name(c["id"]) for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    agent = Agent()
    outputs = [agent(payload) for payload in case["inputs"]]
    for output in outputs:
        OUTPUT.validate(output)
    golden = GOLDEN / (_file_name(case["id"]) + ".json")
    if UPDATE:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(outputs), encoding="utf-8")
        return
    expected = json.loads(golden.read_text(encoding="utf-8"))
    diff = DeepDiff(expected, outputs, exclude_regex_paths=[r"\['tier'\]"])
    assert not diff, diff.pretty()
