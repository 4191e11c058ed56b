"""Load a corpus's samples exactly as stored, from JSON Lines, JSON, CSV or Parquet.

"Exactly as stored" is the contract: an absent key stays absent, ``null`` stays ``null``, numbers
and strings keep their types. pandas' default readers break that (absent keys become NaN, ints
become floats, ``00123`` becomes ``123``), so JSON is parsed with the standard library, CSV with
the ``csv`` module (values stay strings unless the input schema types a column), and Parquet
with pyarrow's ``to_pylist`` which keeps nulls and integer types.
"""

from __future__ import annotations

import csv
import datetime as _dt
import decimal
import glob
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .model import Sample

Reader = Callable[[Path, "Mapping[str, Any] | None"], list[Sample]]
_READERS: dict[str, Reader] = {}


def register_reader(*suffixes: str) -> Callable[[Reader], Reader]:
    """Register a sample reader for file suffixes (``.jsonl``...)."""

    def decorator(reader: Reader) -> Reader:
        for suffix in suffixes:
            _READERS[suffix] = reader
        return reader

    return decorator


def _decode_error(path: Path, exc: Exception, line: int | None = None) -> ConfigError:
    return ConfigError(path, f"cannot parse samples: {exc}", line=line, fix="each sample must be a JSON object")


@register_reader(".jsonl", ".ndjson")
def _read_jsonl(path: Path, schema: Mapping[str, Any] | None) -> list[Sample]:
    samples: list[Sample] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    path, f"line is not valid JSON: {exc.msg} (column {exc.colno})", line=number,
                    fix="one JSON object per line",
                ) from None
            if not isinstance(value, dict):
                raise ConfigError(path, f"expected a JSON object, got {type(value).__name__}", line=number)
            samples.append(value)
    return samples


@register_reader(".json")
def _read_json(path: Path, schema: Mapping[str, Any] | None) -> list[Sample]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(data, list):
        raise ConfigError(path, f"expected a JSON list of samples, got {type(data).__name__}",
                          fix="wrap the samples in [...] or use .jsonl")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise ConfigError(path, f"item {index} is a {type(item).__name__}, not an object")
    return data


def _column_type(schema: Mapping[str, Any] | None, column: str) -> set[str]:
    if not schema:
        return set()
    prop = (schema.get("properties") or {}).get(column)
    if not isinstance(prop, Mapping):
        return set()
    declared = prop.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {str(t) for t in declared}
    return set()


def _coerce_cell(text: str, types: set[str]) -> Any:
    """Turn a CSV cell into the type the input schema declares; leave it a string otherwise."""
    if not types or "string" in types:
        return text
    if "null" in types and text.lower() == "null":
        return None
    if "integer" in types:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in types:
        try:
            number = float(text)
            return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
        except ValueError:
            pass
    if "boolean" in types and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if types & {"object", "array"}:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    # A value that does not fit its declared type stays as stored: the schema check reports it.
    return text


@register_reader(".csv")
def _read_csv(path: Path, schema: Mapping[str, Any] | None) -> list[Sample]:
    samples: list[Sample] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            return []
        types = {name: _column_type(schema, name) for name in reader.fieldnames}
        for row in reader:
            if None in row:
                raise ConfigError(path, "row has more cells than the header", line=reader.line_num)
            sample: Sample = {}
            for name, cell in row.items():
                # CSV cannot store "absent": an empty cell is the absent value.
                if cell is None or cell == "":
                    continue
                sample[name] = _coerce_cell(cell, types[name])
            samples.append(sample)
    return samples


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


@register_reader(".parquet")
def _read_parquet(path: Path, schema: Mapping[str, Any] | None) -> list[Sample]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise ConfigError(path, f"cannot read Parquet file: {exc}") from None
    rows: list[Sample] = [_jsonable(row) for row in table.to_pylist()]
    return rows


def sample_files(pattern: str, root: Path, manifest: Path) -> list[Path]:
    """The files a ``samples:`` value names (a path or a glob, relative to the corpus folder)."""
    if any(ch in pattern for ch in "*?["):
        matches = sorted(Path(p) for p in glob.glob(str(root / pattern), recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise ConfigError(manifest, f"the glob '{pattern}' matches no file", key="samples",
                              fix=f"check the pattern relative to {root}")
        return files
    path = root / pattern
    if not path.is_file():
        near = sorted(p.name for p in root.glob("*") if p.suffix in _READERS)
        hint = f"files here: {', '.join(near)}" if near else "create it, or fix the path relative to corpus.yaml"
        raise ConfigError(manifest, f"samples file {path} does not exist", key="samples", fix=hint)
    return [path]


def read_samples(path: Path, schema: Mapping[str, Any] | None = None) -> list[Sample]:
    """All samples of one file, by its suffix."""
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise ConfigError(path, f"unsupported samples format '{path.suffix}'",
                          fix="use one of " + ", ".join(sorted(_READERS)))
    try:
        return reader(path, schema)
    except UnicodeDecodeError as exc:
        raise ConfigError(path, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read samples: {exc.strerror}") from None
