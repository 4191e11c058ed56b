"""``agentreal scrub``: secrets in existing cassettes redacted in place, atomically, counted, never printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_agentreal import cli
from pytest_agentreal.cassettes import cassette_path, load_cassette

ENV_SECRET = "crm-live-7f3a9c2e5b8d1f4a"
HEADER_TOKEN = "sk-proj-Zq8vW3xT9bL2mN7pR4sK6yH1"
PASSWORD = "hunter2-correct-horse"
PLANTED = (ENV_SECRET, HEADER_TOKEN, PASSWORD)


@pytest.fixture(autouse=True)
def _secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TOKEN", ENV_SECRET)


def leaky_interaction() -> dict[str, Any]:
    return {
        "request": {"method": "POST", "uri": f"https://crm.example.com/notes?access_token={ENV_SECRET}&page=1",
                    "body": json.dumps({"user": "ops", "password": PASSWORD}),
                    "headers": {"Authorization": [f"Bearer {HEADER_TOKEN}"], "Content-Type": ["application/json"]}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {"Content-Type": ["application/json"]},
                     "body": {"string": json.dumps({"id": 7, "note": f"synced with {ENV_SECRET}", "max_tokens": 5})}},
    }  # fmt: skip


def clean_interaction() -> dict[str, Any]:
    return {
        "request": {"method": "GET", "uri": "https://crm.example.com/customers/1", "body": None, "headers": {}},
        "response": {"status": {"code": 200, "message": "OK"}, "headers": {"Content-Type": ["application/json"]},
                     "body": {"string": json.dumps({"id": 1})}},
    }  # fmt: skip


def write_cassette(path: Path, interactions: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"interactions": interactions, "version": 1}, indent=2) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "c"
    folder.mkdir()
    manifest = {"name": "shop", "samples": "samples.jsonl", "id": "ticket_id", "cassettes": "cassettes",
                "secrets": ["CRM_TOKEN"]}  # fmt: skip
    (folder / "corpus.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    (folder / "samples.jsonl").write_text('{"ticket_id": "T-1", "body": "hello"}\n', encoding="utf-8")
    write_cassette(cassette_path(folder / "cassettes", "shop/T-1[original]"), [leaky_interaction()])
    write_cassette(cassette_path(folder / "cassettes", "shop/T-1[duplicate.exact]"), [clean_interaction()])
    return folder


def scrub(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["scrub", *args])
    out, err = capsys.readouterr()
    for value in PLANTED:
        assert value not in out and value not in err, "a secret was printed"
    return status, out, err


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".agentreal-tmp")]


def test_scrub_redacts_in_place_and_counts_per_file(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaky = cassette_path(corpus / "cassettes", "shop/T-1[original]")
    clean = cassette_path(corpus / "cassettes", "shop/T-1[duplicate.exact]")
    clean_before, inode_before = clean.read_bytes(), leaky.stat().st_ino
    status, out, err = scrub(capsys, str(corpus))
    assert status == 0
    [line] = out.splitlines()
    path, _, rest = line.rpartition(": ")
    assert path == str(leaky) and rest.endswith(" redacted") and int(rest.split()[0]) >= 4
    assert "in 1 of 2 cassettes" in err and "$CRM_TOKEN" in err
    text = leaky.read_text(encoding="utf-8")
    assert not any(value in text for value in PLANTED)
    assert "Authorization" not in text
    assert leaky.stat().st_ino != inode_before  # replaced by a rename, not rewritten in place
    assert clean.read_bytes() == clean_before  # nothing to redact: untouched
    assert not temporaries(corpus)
    [interaction] = load_cassette(leaky).interactions  # still a valid cassette
    assert interaction["request"]["uri"].endswith("&page=1")
    assert json.loads(interaction["response"]["body"]["string"])["max_tokens"] == 5  # not a secret key: kept


def test_scrub_is_idempotent_and_lint_is_clean_after_it(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lint", str(corpus)]) == 1
    assert "$CRM_TOKEN" in capsys.readouterr().out
    assert scrub(capsys, str(corpus))[0] == 0
    status, out, err = scrub(capsys, str(corpus))
    assert (status, out) == (0, "")
    assert "0 redactions in 0 of 2 cassettes" in err
    assert cli.main(["lint", str(corpus)]) == 0


def test_a_failed_write_leaves_the_cassette_as_it_was(
    corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    leaky = cassette_path(corpus / "cassettes", "shop/T-1[original]")
    before = leaky.read_bytes()

    def failing_replace(source: Any, target: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pytest_agentreal.cassettes.store.os.replace", failing_replace)
    status, out, _ = scrub(capsys, str(corpus))
    assert status == 1
    assert f"{leaky}: [error] not scrubbed: cannot write (No space left on device)" in out.splitlines()
    assert leaky.read_bytes() == before
    assert not temporaries(corpus)


def test_a_corrupted_cassette_does_not_stop_the_others(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = cassette_path(corpus / "cassettes", "shop/T-2[original]")
    broken.parent.mkdir(parents=True)
    broken.write_text('{"interactions": [', encoding="utf-8")
    status, out, _ = scrub(capsys, str(corpus))
    assert status == 1
    assert any(line.startswith(f"{broken}: [error] not scrubbed:") for line in out.splitlines())
    leaky = cassette_path(corpus / "cassettes", "shop/T-1[original]")
    assert ENV_SECRET not in leaky.read_text(encoding="utf-8")


def test_a_folder_of_cassettes_with_secrets_named_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_cassette(tmp_path / "recorded" / "a.json", [leaky_interaction()])
    status, out, _ = scrub(capsys, str(tmp_path / "recorded"), "--secret", "CRM_TOKEN", "--format", "json")
    assert status == 0
    report = json.loads(out)
    assert report["secrets"] == ["CRM_TOKEN"] and report["cassettes"] == 1
    [entry] = report["files"]
    assert entry["file"] == str(path) and entry["redactions"] == report["redactions"] >= 4 and entry["left"] == []
    assert ENV_SECRET not in path.read_text(encoding="utf-8")


def test_built_in_rules_apply_without_named_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_cassette(tmp_path / "recorded" / "a.json", [leaky_interaction()])
    assert scrub(capsys, str(tmp_path / "recorded"))[0] == 0
    text = path.read_text(encoding="utf-8")
    assert HEADER_TOKEN not in text and PASSWORD not in text and f"access_token={ENV_SECRET}" not in text


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["scrub", "--help"]) == 0
    assert "atomically" in capsys.readouterr().out
    assert cli.main(["scrub", str(tmp_path / "missing")]) == 2
    monkeypatch.setenv("SHORT", "abc")
    assert cli.main(["scrub", str(tmp_path), "--secret", "SHORT"]) == 2  # too short to redact reliably
    assert "characters" in capsys.readouterr().err


def test_scrub_as_a_process(corpus: Path) -> None:
    env = {**os.environ, "CRM_TOKEN": ENV_SECRET}
    done = subprocess.run([sys.executable, "-m", "pytest_agentreal.cli", "scrub", str(corpus)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(cassette_path(corpus / "cassettes", "shop/T-1[original]")))
    assert not any(value in done.stdout + done.stderr for value in PLANTED)
    assert ENV_SECRET not in cassette_path(corpus / "cassettes", "shop/T-1[original]").read_text(encoding="utf-8")
