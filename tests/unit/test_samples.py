"""Samples load exactly as stored, from every supported format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal.errors import ConfigError
from pytest_agentreal.samples import read_samples, sample_files

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"qty": {"type": "integer"}, "price": {"type": "number"}, "vip": {"type": "boolean"},
                   "code": {"type": "string"}, "note": {"type": ["string", "null"]}},
}


def test_jsonl_keeps_absent_null_and_types(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"id": "a", "n": null, "qty": 3, "code": "00123"}\n\n{"id": "b", "price": 2.5}\n')
    rows = read_samples(path)
    assert rows == [{"id": "a", "n": None, "qty": 3, "code": "00123"}, {"id": "b", "price": 2.5}]
    assert "n" not in rows[1] and isinstance(rows[0]["qty"], int)


def test_jsonl_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"id": "a"}\n{"id": \n')
    with pytest.raises(ConfigError) as info:
        read_samples(path)
    assert info.value.line == 2 and str(path) in str(info.value)


def test_json_must_be_a_list_of_objects(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"id": "a"}')
    with pytest.raises(ConfigError, match="expected a JSON list"):
        read_samples(path)
    path.write_text('[{"id": "a"}, 3]')
    with pytest.raises(ConfigError, match="item 1 is a int"):
        read_samples(path)


def test_csv_values_stay_strings_unless_the_schema_types_them(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,code,qty,price,vip,note,free\nA,00123,7,12.50,true,,0042\n")
    assert read_samples(path) == [
        {"id": "A", "code": "00123", "qty": "7", "price": "12.50", "vip": "true", "free": "0042"}
    ]
    typed = read_samples(path, SCHEMA)
    assert typed == [{"id": "A", "code": "00123", "qty": 7, "price": 12.5, "vip": True, "free": "0042"}]


def test_csv_cell_that_does_not_fit_its_type_stays_as_stored(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,qty\nA,twelve\n")
    assert read_samples(path, SCHEMA) == [{"id": "A", "qty": "twelve"}]


def test_parquet_keeps_integers_and_nulls(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["a", "b"], "qty": pa.array([1, None], pa.int64()), "code": ["00123", "7"]})
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    rows = read_samples(path)
    assert rows == [{"id": "a", "qty": 1, "code": "00123"}, {"id": "b", "qty": None, "code": "7"}]
    assert isinstance(rows[0]["qty"], int)


def test_unsupported_suffix_and_globs(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"id": 1}\n')
    (tmp_path / "b.jsonl").write_text('{"id": 2}\n')
    manifest = tmp_path / "corpus.yaml"
    assert [p.name for p in sample_files("*.jsonl", tmp_path, manifest)] == ["a.jsonl", "b.jsonl"]
    with pytest.raises(ConfigError, match="matches no file"):
        sample_files("*.csv", tmp_path, manifest)
    (tmp_path / "x.xml").write_text("<x/>")
    with pytest.raises(ConfigError, match="unsupported samples format"):
        read_samples(tmp_path / "x.xml")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=5), min_size=1, max_size=5))
def test_jsonl_round_trip_is_exact(tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, Any]]) -> None:
    path = tmp_path_factory.mktemp("rt") / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    loaded = read_samples(path)
    assert loaded == rows
    assert json.dumps(loaded) == json.dumps(rows)  # same types, same key order
