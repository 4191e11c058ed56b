"""corpus.yaml shape checks: every mistake names the file, the line, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agentreal.errors import ConfigError
from pytest_agentreal.manifest import read_manifest

BASE = "name: c\nsamples: s.jsonl\nid: id\n"


def _error(tmp_path: Path, text: str) -> ConfigError:
    (tmp_path / "corpus.yaml").write_text(text)
    with pytest.raises(ConfigError) as info:
        read_manifest(tmp_path)
    return info.value


@pytest.mark.parametrize(
    ("extra", "key", "line", "fix"),
    [
        ("escalation: {path: /status, inn: [x]}\n", "escalation", 4, "did you mean 'in'?"),
        ("mutations:\n  missing: {operator: [drop]}\n", "mutations.missing", 5, "did you mean 'operators'?"),
        ("expect:\n  missing.drop: {xfial: known}\n", "expect.missing.drop", 5, "did you mean 'xfail'?"),
        ("seeed: 3\n", "seeed", 4, "did you mean 'seed'?"),
    ],
)
def test_unknown_keys_name_line_and_nearest_key(tmp_path: Path, extra: str, key: str, line: int, fix: str) -> None:
    error = _error(tmp_path, BASE + extra)
    assert (error.key, error.line, error.fix) == (key, line, fix)
    assert str(error).startswith(f"{tmp_path / 'corpus.yaml'}:{line}: key '{key}': unknown key")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = _error(tmp_path, BASE + "decision: [/a\n")
    assert error.line is not None and error.line >= 4 and "YAML syntax error" in error.message


def test_required_keys(tmp_path: Path) -> None:
    assert _error(tmp_path, "name: c\nsamples: s.jsonl\n").key == "id"


def test_full_manifest_parses(tmp_path: Path) -> None:
    (tmp_path / "corpus.yaml").write_text(BASE + (
        "agent: m:f\nactions: /actions\nescalation: {path: /status, in: [escalated]}\n"
        "decision: [/category]\nvolatile: /reply/at\nmatch_ignore: [/meta/id]\nsecrets: [API_KEY]\n"
        "seed: 3\ntimeout: 1.5\nmutations: {missing: {operators: [drop], fields: [/a/b]}, duplicate: [exact]}\n"
        "expect: {missing.drop:/a/b: safe, out_of_pattern.oversize: {xfail: slow}}\n"))
    manifest = read_manifest(tmp_path)
    assert manifest.volatile == ("/reply/at",) and manifest.seed == 3 and manifest.timeout == 1.5
    assert manifest.mutations is not None and manifest.mutations["missing"].fields == ("/a/b",)
    assert manifest.expect["out_of_pattern.oversize"].xfail == "slow"
    assert manifest.cassettes == (tmp_path / "cassettes").resolve()
    assert manifest.line_of("seed") == 11
