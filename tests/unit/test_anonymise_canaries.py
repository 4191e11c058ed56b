"""The hand-written canary set: every original must be gone from output, report, mapping and logs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pytest_agentreal.anonymise import Anonymiser, PseudonymTable, Report
from pytest_agentreal.cli import main

DATA = Path(__file__).resolve().parent.parent / "data" / "canaries.jsonl"
CASES: list[dict[str, Any]] = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]


def leaked(canary: dict[str, str], text: str) -> bool:
    """Whether a canary's original shows in ``text`` (as a word, a substring, or a digit run)."""
    value, how = canary["text"], canary["match"]
    if how == "word":
        return re.search(rf"(?<![^\W_]){re.escape(value)}(?![^\W_])", text, re.IGNORECASE) is not None
    if how == "substring":
        return value.casefold() in text.casefold()
    return re.sub(r"\W", "", value) in re.sub(r"\W", "", text)


def test_the_canary_set_covers_what_the_issue_asks_for() -> None:
    ids = {case["id"] for case in CASES}
    assert {"lower-case-first-name", "name-in-email-local-part", "iban-and-card-in-sentences", "tokens-in-urls",
            "phones-in-several-formats", "quoted-reply-headers", "api-keys"} <= ids  # fmt: skip
    for case in CASES:
        raw = json.dumps(case["record"], ensure_ascii=False)
        for canary in case["canaries"]:
            assert leaked(canary, raw), (case["id"], canary)  # each canary really is in its input


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_every_canary_is_gone_from_the_output(case: dict[str, Any]) -> None:
    report = Report()
    (out,) = Anonymiser(PseudonymTable(b"canary-key-0123456789"), scan=True).anonymise_records([case["record"]], report)
    text = json.dumps(out, ensure_ascii=False)
    assert [c["text"] for c in case["canaries"] if leaked(c, text)] == []
    assert report.findings == 0, report.leftovers
    assert out["ticket_id"] == case["record"]["ticket_id"]


def test_nothing_original_in_files_report_mapping_or_logs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "raw" / "export.jsonl"
    source.parent.mkdir()
    source.write_text("".join(json.dumps(c["record"], ensure_ascii=False) + "\n" for c in CASES), encoding="utf-8")
    key = tmp_path / "secrets" / "key"
    out = tmp_path / "corpus" / "samples.jsonl"
    report = tmp_path / "report.json"
    status = main(["anonymise", str(source), "--out", str(out), "--generate-key", str(key), "--report", str(report)])
    logs = capsys.readouterr()
    assert status == 0, logs.err
    written = {
        "output": out.read_text(encoding="utf-8"),
        "report": report.read_text(encoding="utf-8"),
        "mapping": (tmp_path / "secrets" / "key.mapping.json").read_text(encoding="utf-8"),
        "allowlist": (out.parent / ".agentreal-pseudonyms.json").read_text(encoding="utf-8"),
        "stdout": logs.out,
        "stderr": logs.err,
    }
    for case in CASES:
        for canary in case["canaries"]:
            places = [name for name, text in written.items() if leaked(canary, text)]
            assert places == [], (case["id"], canary["text"], places)
    assert len(written["output"].splitlines()) == len(CASES)
