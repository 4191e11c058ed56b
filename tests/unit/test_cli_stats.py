"""``agentreal stats``: exact counts of samples, fields and fill rates, cases per family and operator, cassettes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal import cli
from pytest_agentreal.cli_stats import FieldStats, case_counts, field_stats
from pytest_agentreal.model import Case, Mutation

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "fixtures" / "support_inbox"

SAMPLES: list[dict[str, Any]] = [
    {"ticket_id": "T-1", "customer": {"email": "a@example.com", "phone": None}, "items": [{"sku": "A"}, {"sku": ""}],
     "tags": []},
    {"ticket_id": "T-2", "customer": {"email": "", "phone": "+44 7700 900312"}, "items": [{"sku": None}]},
    {"ticket_id": "T-3", "customer": {}, "items": []},
    {"ticket_id": "T-4", "note": None},
]  # fmt: skip

# field: (present, null, empty, filled) over the 4 samples, each sample counted once per field.
EXPECTED = {
    "/ticket_id": (4, 0, 0, 4),
    "/customer": (3, 0, 1, 2),
    "/customer/email": (2, 0, 1, 1),
    "/customer/phone": (2, 1, 0, 1),
    "/items": (3, 0, 1, 2),
    "/items/*": (2, 0, 0, 2),
    "/items/*/sku": (2, 1, 0, 1),  # T-1 has one filled sku (and one empty): filled
    "/tags": (1, 0, 1, 0),
    "/note": (1, 1, 0, 0),
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "c"
    folder.mkdir()
    manifest = {"name": "shop", "samples": "samples.jsonl", "id": "ticket_id",
                "mutations": {"duplicate": ["exact", "near"],
                              "missing": {"operators": ["drop", "null"], "fields": ["/customer/email"]}}}  # fmt: skip
    (folder / "corpus.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    (folder / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in SAMPLES), encoding="utf-8")
    cassettes = folder / "cassettes" / "shop" / "T-1"
    cassettes.mkdir(parents=True)
    (cassettes / "original.json").write_text('{"interactions": [], "version": 1}\n', encoding="utf-8")
    (cassettes / "old.yaml").write_text("interactions: []\nversion: 1\n", encoding="utf-8")
    return folder


def test_field_fill_rates_are_exact() -> None:
    stats = field_stats(SAMPLES)
    assert {f.pointer: (f.present, f.null, f.empty, f.filled) for f in stats} == EXPECTED
    assert [f.pointer for f in stats] == list(EXPECTED)  # first-seen order
    assert FieldStats("/x", 3, 1, 1).as_dict(4)["fill_rate"] == 0.25


def test_case_counts_group_by_family_then_operator() -> None:
    cases = [Case.make("c", s, m, 0) for s in ("1", "2") for m in
             (Mutation("original"), Mutation("missing", "drop", "/a"), Mutation("missing", "drop", "/b"),
              Mutation("missing", "null", "/a"))]  # fmt: skip
    assert case_counts(cases) == {"original": {"": 2}, "missing": {"drop": 4, "null": 2}}


def test_stats_json_numbers_are_exact(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stats", str(corpus), "--format", "json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["corpus"], stats["samples"], stats["files"]) == ("shop", 4, {"samples.jsonl": 4})
    fields = {f["field"]: (f["present"], f["null"], f["empty"], f["filled"]) for f in stats["fields"]}
    assert fields == EXPECTED
    assert {f["field"]: f["fill_rate"] for f in stats["fields"]}["/customer/phone"] == 0.25
    # 4 originals, an exact duplicate of each (near changes free text, which these samples lack: no case),
    # drop and null of the two samples having /customer/email.
    assert stats["families"] == {
        "original": {"cases": 4, "operators": {"": 4}},
        "duplicate": {"cases": 4, "operators": {"exact": 4}},
        "missing": {"cases": 4, "operators": {"drop": 2, "null": 2}},
    }
    assert stats["cases"] == 12
    assert stats["cassettes"] == 2


def test_stats_text(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stats", str(corpus)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "samples  4 (samples.jsonl: 4)" in out
    assert any(line.split() == ["/customer/phone", "2", "1", "0", "1", "25.0%"] for line in out)
    assert any(line.split() == ["duplicate", "4", "exact", "4"] for line in out)
    assert any(line.startswith("cassettes 2 (") for line in out)
    assert "+44 7700 900312" not in "\n".join(out) and "a@example.com" not in "\n".join(out)


def test_the_shipped_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stats", str(SHIPPED), "--format", "json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["samples"] == 52
    assert stats["cases"] == sum(f["cases"] for f in stats["families"].values())
    assert stats["families"]["original"]["cases"] == 52
    assert "connector_fault" not in stats["families"]  # no cassettes, so no connector traffic to fault


def test_help_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stats", "--help"]) == 0
    assert "fill rates" in capsys.readouterr().out
    assert cli.main(["stats", str(tmp_path)]) == 2
    assert "no corpus.yaml" in capsys.readouterr().err
    assert cli.main(["stats"]) == 2


def test_stats_as_a_process(corpus: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest_agentreal.cli", "stats", str(corpus), "--format", "json"],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cases"] == 12


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from("xyz"), json_values, max_size=3), max_size=6))
def test_every_sample_counts_once_per_field(samples: list[dict[str, Any]]) -> None:
    from pytest_agentreal.pointers import exists

    for stat in field_stats(samples):
        assert stat.present == stat.null + stat.empty + stat.filled
        assert 0 < stat.present <= len(samples)
        if "*" not in stat.pointer:
            assert stat.present == sum(exists(s, stat.pointer) for s in samples)
