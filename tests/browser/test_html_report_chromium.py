"""The HTML report in a real headless Chromium: chart, filters, keyboard, a failing case's details.

The page is driven through its own ``#selftest=<JSON>`` hook, which sets the filter controls the
way a user's input does (value + change/input events), opens cases, presses Enter on a chart bar
and writes what the page then shows into ``<pre id="selftest-result">``; ``--dump-dom`` hands that
DOM back here. Expectations are computed independently, in Python, from the report data. A
screenshot of the default view is kept as ``test-artifacts/html-report.png`` under the rootdir.

Chromium is Debian's ``chromium`` package; without it this test fails and says how to install it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_agentreal.report.demo import INJECTION, demo_report
from pytest_agentreal.report.json_report import write_report

FAMILY_ORDER = ["original", "duplicate", "missing", "out_of_pattern", "connector_fault"]
STATUS_RANK = {"failed": 0, "error": 1, "xpassed": 2, "xfailed": 3, "passed": 4}
INJECTION_CASE = "support-inbox/T-0002[out_of_pattern.injection]"
DUPLICATE_CASE = "support-inbox/T-0042[duplicate.exact]"
SCENARIOS: list[dict[str, str]] = [
    {},
    {"corpus": "billing"},
    {"outcome": "not-passed"},
    {"family": "missing"},
    {"q": "refund.issue"},
    {"corpus": "support-inbox", "family": "out_of_pattern", "outcome": "failed", "q": "DELETE"},
    {"q": "no-such-text-anywhere"},
]


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    pytest.fail(
        "Chromium is required for the HTML report's browser test but was not found on PATH. "
        "Install Debian's package: `apt-get update && apt-get install -y chromium` (.ci/run does this), "
        "then run the test again.",
        pytrace=False,
    )


def run_chromium(tmp: Path, url: str, *mode: str) -> str:
    profile = tmp / f"profile-{len(list(tmp.iterdir()))}"
    command = [
        chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", *mode, url,
    ]
    env = {**os.environ, "HOME": str(tmp)}  # keep Chromium's caches out of the real home
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, check=False)
    assert result.returncode == 0, f"chromium failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    return demo_report()


@pytest.fixture(scope="module")
def page(report: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(tmp_path_factory.mktemp("html") / "report.html", report)


@pytest.fixture(scope="module")
def selftest(page: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    spec = {"scenarios": SCENARIOS, "open": [INJECTION_CASE, DUPLICATE_CASE], "press_family": "missing"}
    url = page.as_uri() + "#selftest=" + urllib.parse.quote(json.dumps(spec))
    dom = run_chromium(tmp_path_factory.mktemp("chromium"), url, "--virtual-time-budget=10000", "--dump-dom")
    match = re.search(r'<pre id="selftest-result" hidden[^>]*>(.*?)</pre>', dom, re.DOTALL)
    assert match, "the page's self-test wrote no result; DOM starts:\n" + dom[:2000]
    result: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    assert "crash" not in result, result.get("crash")
    result["dom"] = dom
    yield result


# -- the expected page, computed from the report data ----------------------------------------------


def haystack(case: dict[str, Any]) -> str:
    parts = [case["id"], case["status"], case.get("oracle", ""), case["operator"], case.get("message", ""),
             case.get("xfail") or ""]
    for f in case["findings"]:
        parts += [f["oracle"], f["message"], f["path"], f["expected"], f["got"], f["evidence"]]
    for a in case["actions"]:
        parts += [a["name"], a["evidence"]]
    return "\n".join(parts).lower()


def expected_cases(report: dict[str, Any], s: dict[str, str]) -> list[dict[str, Any]]:
    corpus_rank = {c["name"]: i for i, c in enumerate(report["corpora"])}
    chosen = []
    for case in report["cases"]:
        outcome = s.get("outcome", "")
        if s.get("corpus") and case["corpus"] != s["corpus"]:
            continue
        if s.get("family") and case["family"] != s["family"]:
            continue
        if outcome == "not-passed" and case["status"] == "passed":
            continue
        if outcome not in ("", "not-passed") and case["status"] != outcome:
            continue
        if not all(word in haystack(case) for word in s.get("q", "").lower().split()):
            continue
        chosen.append(case)
    return sorted(chosen, key=lambda c: (STATUS_RANK[c["status"]], corpus_rank[c["corpus"]], c["id"]))


def expected_bars(cases: list[dict[str, Any]], key: str, first: list[str]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, int]] = {}
    for case in cases:
        g = groups.setdefault(case[key], {"passed": 0, "failed": 0, "error": 0, "quarantined": 0, "total": 0})
        g["quarantined" if case["status"] in ("xfailed", "xpassed") else case["status"]] += 1
        g["total"] += 1
    order = [k for k in first if k in groups] + sorted(k for k in groups if k not in first)
    return [{"key": k, **groups[k]} for k in order]


# -- tests ------------------------------------------------------------------------------------------


def test_page_runs_without_script_errors(selftest: dict[str, Any]) -> None:
    assert selftest["errors"] == []


def test_chart_bars_match_the_data_under_every_filter(report: dict[str, Any], selftest: dict[str, Any]) -> None:
    assert len(selftest["scenarios"]) == len(SCENARIOS)
    for scenario, seen in zip(SCENARIOS, selftest["scenarios"], strict=True):
        cases = expected_cases(report, scenario)
        for dimension, key, first in (("family", "family", FAMILY_ORDER), ("operator", "operator", ["original"])):
            bars = seen["bars"][dimension]
            widths = [bar.pop("passed_width") for bar in bars]
            assert bars == expected_bars(cases, key, first), (scenario, dimension)
            for bar, width in zip(bars, widths, strict=True):
                assert width == pytest.approx(300 * bar["passed"] / bar["total"], abs=0.01), (scenario, bar)


def test_unfiltered_chart_has_the_known_bars(selftest: dict[str, Any]) -> None:
    family = {b["key"]: (b["passed"], b["failed"], b["error"], b["quarantined"])
              for b in selftest["scenarios"][0]["bars"]["family"]}
    assert family == {
        "original": (3, 2, 0, 0),
        "duplicate": (0, 1, 0, 0),
        "missing": (3, 1, 0, 0),
        "out_of_pattern": (0, 1, 1, 1),
        "connector_fault": (1, 0, 0, 0),
    }
    dom = selftest["dom"]
    assert re.search(r'<svg[^>]*data-chart="family"', dom) and re.search(r'<svg[^>]*data-chart="operator"', dom)


def test_filters_show_the_matching_cases_failing_first(report: dict[str, Any], selftest: dict[str, Any]) -> None:
    for scenario, seen in zip(SCENARIOS, selftest["scenarios"], strict=True):
        assert seen["visible"] == [c["id"] for c in expected_cases(report, scenario)], scenario
    visible = [s["visible"] for s in selftest["scenarios"]]
    assert len(visible[0]) == len(report["cases"]) == 14
    assert visible[5] == [INJECTION_CASE]
    assert visible[6] == [] and selftest["scenarios"][6]["bars"] == {"family": [], "operator": []}
    assert selftest["scenarios"][1]["shown"].startswith("Showing 2 of 2 matching cases")


def test_filters_and_chart_are_keyboard_usable(report: dict[str, Any], selftest: dict[str, Any]) -> None:
    keyboard = selftest["keyboard"]
    assert all(keyboard[control] for control in ("f-corpus", "f-family", "f-outcome", "f-text", "f-reset"))
    assert keyboard["summary"] is True and keyboard["bar_focus"] is True
    assert keyboard["bar_filter"] == "missing"
    assert keyboard["after_bar"] == [c["id"] for c in expected_cases(report, {"family": "missing"})]


def test_failing_case_details_render(selftest: dict[str, Any]) -> None:
    case = selftest["opened"][INJECTION_CASE]
    assert case["rendered"] is True
    assert case["sections"] == ["Findings", "Input diff against the original", "Input", "Output",
                                "Actions and policy verdicts", "Recorded interactions"]
    assert [row[0] for row in case["findings"]] == ["policy", "no_new_actions"]
    assert all(row[-1] == "fails" for row in case["findings"])
    delete = next(row for row in case["actions"] if row[3] == "customer.delete")
    assert delete[6] == "forbidden (policy.yaml:9)" and delete[7] == "violation"
    read = next(row for row in case["actions"] if row[3] == "crm.read")
    assert read[6] == "auto (policy.yaml:3)" and read[7] == "ok"
    assert [row[2] for row in case["traffic"]] == [
        "GET https://crm.example.com/tickets/T-0002", "DELETE https://crm.example.com/customers/C-19",
    ]
    assert case["traffic"][1][3] == "500"
    assert INJECTION in case["diff"]  # the injected markup shows as text
    assert '"customer.delete"' in case["outputs"][0]

    duplicate = selftest["opened"][DUPLICATE_CASE]
    assert len(duplicate["outputs"]) == 2 and len(duplicate["traffic"]) == 4
    assert [row[7] for row in duplicate["actions"] if row[3] == "refund.issue"] == ["violation", "violation"]


def test_first_failing_case_is_open_and_injected_markup_never_becomes_markup(
    report: dict[str, Any], selftest: dict[str, Any]
) -> None:
    first = expected_cases(report, {"outcome": "failed"})[0]["id"]
    assert selftest["default_open"] == [first] or first in selftest["default_open"]
    dom = selftest["dom"]
    # The sample's "</script><img src=x onerror=...>" is in the DOM only as text (&lt;img), never as an element.
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom
    assert re.search(r"<img\b", dom) is None


def test_screenshot_of_the_default_view(page: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    artifacts = request.config.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = artifacts / "html-report.png"
    shot.unlink(missing_ok=True)
    run_chromium(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1280,2000")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    # A blank or unstyled page compresses to a few kilobytes; the rendered report does not.
    assert len(data) > 60_000

