"""Sample files round-trip with their types: CSV strings, absent keys, nulls, parquet types."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_agentreal.anonymise.io import Source, open_source, read_records, write_records
from pytest_agentreal.errors import ConfigError

RECORDS: list[dict[str, Any]] = [
    {"id": "00123", "n": 1, "x": 1.5, "flag": True, "none": None, "nested": {"a": [1, "b"]}},
    {"id": "00124", "n": 2},
]


def _roundtrip(tmp_path: Path, name: str, records: list[dict[str, Any]], out_name: str | None = None) -> list[Any]:
    source_path = tmp_path / name
    write_records(source_path, records, Source(source_path, "jsonl"))
    source = open_source(source_path)
    target = tmp_path / "out" / (out_name or name)
    write_records(target, read_records(source), source)
    return list(read_records(open_source(target)))


@pytest.mark.parametrize("name", ["s.jsonl", "s.json", "s.ndjson"])
def test_json_formats_keep_types_absent_keys_and_nulls(tmp_path: Path, name: str) -> None:
    assert _roundtrip(tmp_path, name, RECORDS) == RECORDS


def test_csv_keeps_strings_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,name,zip\n00123,Jane,01234\n00124,,\n", encoding="utf-8")
    source = open_source(path)
    records = list(read_records(source))
    assert records == [{"id": "00123", "name": "Jane", "zip": "01234"}, {"id": "00124", "name": "", "zip": ""}]
    target = tmp_path / "out.csv"
    write_records(target, records, source)
    assert target.read_text(encoding="utf-8").splitlines() == ["id,name,zip", "00123,Jane,01234", "00124,,"]


def test_csv_short_rows_have_absent_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("a,b\n1\n", encoding="utf-8")
    assert list(read_records(open_source(path))) == [{"a": "1"}]


def test_csv_row_with_too_many_cells_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("a,b\n1,2\n1,2,secret-value\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        list(read_records(open_source(path)))
    assert ":3:" in str(error.value) and "secret-value" not in str(error.value)


def test_parquet_keeps_its_schema(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["a", "b"], "dob": [dt.date(1990, 4, 3), None], "n": pa.array([1, 2], pa.int32())})
    pq.write_table(table, tmp_path / "s.parquet")
    source = open_source(tmp_path / "s.parquet")
    records = list(read_records(source))
    assert records == [{"id": "a", "dob": dt.date(1990, 4, 3), "n": 1}, {"id": "b", "dob": None, "n": 2}]
    write_records(tmp_path / "o.parquet", records, source)
    assert pq.read_table(tmp_path / "o.parquet").schema == table.schema


def test_parquet_to_jsonl_writes_dates_as_iso(tmp_path: Path) -> None:
    target = tmp_path / "o.jsonl"
    write_records(target, [{"dob": dt.date(1990, 4, 3)}], Source(tmp_path / "s.parquet", "parquet"))
    assert json.loads(target.read_text(encoding="utf-8")) == {"dob": "1990-04-03"}


def test_invalid_json_line_is_named_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"a": 1}\n{"email": "jane@acme.io",\n', encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        list(read_records(open_source(path)))
    assert ":2:" in str(error.value) and "jane" not in str(error.value)


@pytest.mark.parametrize(("name", "content"), [("s.json", '{"a": 1}'), ("s.jsonl", "[1, 2]\n")])
def test_samples_must_be_objects(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError):
        list(read_records(open_source(path)))


def test_unsupported_or_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unsupported"):
        open_source(tmp_path / "s.xlsx")
    with pytest.raises(ConfigError, match="no such file"):
        open_source(tmp_path / "s.jsonl")


def test_a_failed_write_leaves_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "o.jsonl"
    target.write_text("previous\n", encoding="utf-8")

    def broken() -> Any:
        yield {"a": 1}
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_records(target, broken(), Source(target, "jsonl"))
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["o.jsonl"]
