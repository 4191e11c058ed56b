"""Reading and writing sample files (jsonl, json, csv, parquet) without changing their types.

Records come back exactly as stored: CSV cells are strings (``00123`` stays ``00123``), an absent
key stays absent, ``null`` stays ``null``, parquet columns keep their Arrow types. Errors name the
file and the line, never the content of a line (it may be personal data).
"""

from __future__ import annotations

import base64
import csv
import datetime as _dt
import decimal
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, TextIO

from ..errors import ConfigError

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def format_of(path: str | Path) -> str | None:
    """The sample format a file name says (``None`` when it is not one)."""
    return FORMATS.get(Path(path).suffix.lower())


@dataclass
class Source:
    """One input file, and what is needed to write its records back in the same shape."""

    path: Path
    format: str
    columns: list[str] | None = None  # CSV header, in order
    schema: Any = None  # pyarrow schema of a parquet input


def open_source(path: str | Path) -> Source:
    """Check that ``path`` is a readable sample file and say its format."""
    path = Path(path)
    fmt = format_of(path)
    if fmt is None:
        raise ConfigError(path, f"unsupported file type {path.suffix or '(none)'!r}",
                          fix="use .jsonl, .json (a list), .csv or .parquet")  # fmt: skip
    if not path.is_file():
        raise ConfigError(path, "no such file", fix="check the path")
    return Source(path, fmt)


def chunks(records: Iterable[Any], size: int = 4096) -> Iterator[list[Any]]:
    """``records`` in lists of ``size`` (the last one shorter): batches for the column-wise passes."""
    chunk: list[Any] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read_records(source: Source) -> Iterator[dict[str, Any]]:
    """The records of ``source``, one by one (JSON files are read whole)."""
    reader = _READERS[source.format]
    return reader(source)


def _read_jsonl(source: Source) -> Iterator[dict[str, Any]]:
    with source.path.open(encoding="utf-8") as stream:
        yield from _parse_lines(stream, source.path, 0)


_BLOCK = 1024


def _parse_lines(lines: Iterable[str], path: Path, offset: int) -> Iterator[dict[str, Any]]:
    """The records of JSON lines; ``offset``: lines before the first (for the line numbers).

    A block of lines is parsed in one call (one JSON list: half the time of one call per line);
    a block that is not exactly one object per line is parsed again line by line, for the error.
    """
    block: list[str] = []
    numbers: list[int] = []
    for number, line in enumerate(lines, offset + 1):
        if not line.strip():
            continue
        block.append(line)
        numbers.append(number)
        if len(block) == _BLOCK:
            yield from _parse_block(block, numbers, path)
            block, numbers = [], []
    if block:
        yield from _parse_block(block, numbers, path)


def _parse_block(block: list[str], numbers: list[int], path: Path) -> list[dict[str, Any]]:
    try:
        records = json.loads("[" + ",".join(block) + "]")
    except json.JSONDecodeError:
        records = None
    if records is not None and len(records) == len(block) and all(r.__class__ is dict for r in records):
        return records  # type: ignore[no-any-return]
    out = []
    for number, line in zip(numbers, block, strict=True):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ConfigError(path, f"not valid JSON ({error.msg}, column {error.colno})",
                              line=number, fix="one JSON object per line") from None  # fmt: skip
        out.append(_object(record, path, number))
    return out


@dataclass(frozen=True)
class Part:
    """Lines ``[start, end)`` (in bytes) of a JSON Lines input: a share of it for one process."""

    source: Source
    start: int
    end: int


def jsonl_parts(source: Source, count: int) -> list[Part]:
    """``source`` (JSON Lines) cut into ``count`` parts of about the same size, at line ends."""
    size = source.path.stat().st_size
    bounds = [0]
    with source.path.open("rb") as stream:
        for k in range(1, count):
            stream.seek(max(k * size // count, bounds[-1]))
            if stream.tell() > 0:
                stream.seek(stream.tell() - 1)  # a cut right after a newline stays there
            stream.readline()  # to the end of the line the cut falls in ("\r\n" is never split)
            bounds.append(min(stream.tell(), size))
    bounds.append(size)
    return [Part(source, a, b) for a, b in pairwise(bounds) if b > a]


def read_part(part: Part) -> Iterator[dict[str, Any]]:
    """The records of one :class:`Part`, as :func:`read_records` reads them (same line numbers)."""
    with part.source.path.open("rb") as raw:
        raw.seek(part.start)
        stream = io.TextIOWrapper(io.BufferedReader(_Range(raw, part.end - part.start)), encoding="utf-8")
        try:
            yield from _parse_lines(stream, part.source.path, 0)
        except ConfigError as error:
            if error.line is None:
                raise
            # Lines are counted from the part's start: the ones before it are counted only now.
            raise ConfigError(error.file, error.message, key=error.key, fix=error.fix,
                              line=error.line + _lines_before(part.source.path, part.start)) from None  # fmt: skip


class _Range(io.RawIOBase):
    """The next ``size`` bytes of a binary file, as a file of their own."""

    def __init__(self, raw: io.BufferedReader, size: int) -> None:
        self._raw, self._left = raw, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")[: self._left]
        count = self._raw.readinto(view) or 0
        self._left -= count
        return count


def _lines_before(path: Path, offset: int) -> int:
    """How many lines (as text mode counts them: \n, \r\n or \r) end before byte ``offset``."""
    if offset == 0:
        return 0
    with path.open("rb") as stream:
        data = stream.read(offset)
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _read_json(source: Source) -> Iterator[dict[str, Any]]:
    try:
        data = json.loads(source.path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(source.path, f"not valid JSON ({error.msg})", line=error.lineno,
                          fix="a JSON list of sample objects") from None  # fmt: skip
    if not isinstance(data, list):
        raise ConfigError(source.path, "expected a JSON list of samples", fix="wrap the samples in [ ... ]")
    for index, record in enumerate(data):
        yield _object(record, source.path, None, index)


def _object(record: Any, path: Path, line: int | None, index: int | None = None) -> dict[str, Any]:
    if not isinstance(record, dict):
        where = f"item {index}" if index is not None else "this line"
        raise ConfigError(path, f"{where} is a JSON {type(record).__name__}, not an object", line=line,
                          fix="each sample is a JSON object")  # fmt: skip
    return record


def _read_csv(source: Source) -> Iterator[dict[str, Any]]:
    with source.path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        source.columns = list(reader.fieldnames or [])
        for row in reader:
            if None in row:
                raise ConfigError(source.path, "this row has more cells than the header", line=reader.line_num,
                                  fix="quote cells that contain commas")  # fmt: skip
            # A short row's missing cells are absent keys, not empty strings.
            yield {k: v for k, v in row.items() if v is not None}


def _read_parquet(source: Source) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(source.path)
    source.schema = parquet.schema_arrow
    for batch in parquet.iter_batches(batch_size=8192):
        yield from batch.to_pylist()


_READERS = {"jsonl": _read_jsonl, "json": _read_json, "csv": _read_csv, "parquet": _read_parquet}


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _json_default(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_default)
"""One encoder for every line: ``json.dumps`` with options builds a new one per call."""
_encode_line: Callable[[Any], str] = _ENCODER.encode
if (_make := getattr(json.encoder, "c_make_encoder", None)) is not None:
    # JSONEncoder.encode makes a C encoder per call; one made once writes the same text.
    _line_encoder = _make({}, _json_default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True)

    def _encode_line(record: Any) -> str:
        return "".join(_line_encoder(record, 0))


def _dumps(record: Any, indent: int | None = None) -> str:
    if indent is None:
        return _encode_line(record)
    return json.dumps(record, ensure_ascii=False, default=_json_default, indent=indent)


def write_records(path: str | Path, records: Iterable[dict[str, Any]], source: Source) -> int:
    """Write ``records`` to ``path`` in the format its name says, atomically; return how many.

    CSV keeps the input's columns (new keys are appended); parquet keeps the input's schema when
    the input was parquet.
    """
    path = Path(path)
    fmt = format_of(path) or source.format
    return _atomic(path, lambda tmp: _WRITERS[fmt](tmp, records, source))


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write ``records`` as JSON Lines to ``path`` (not atomically: a part of an output)."""
    return _write_jsonl(Path(path), records, Source(Path(path), "jsonl"))


def join_parts(path: str | Path, parts: Sequence[Path]) -> None:
    """Write the concatenation of ``parts`` to ``path``, atomically (parts of a JSON Lines output)."""

    def join(tmp: Path) -> int:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as stream:
                    shutil.copyfileobj(stream, out, 1 << 20)
        return len(parts)

    _atomic(Path(path), join)


def _atomic(path: Path, write: Callable[[Path], int]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        count = write(Path(tmp))
        # mkstemp creates owner-only files; a sample file gets the usual permissions.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]], source: Source) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as stream:
        for record in records:
            stream.write(_dumps(record) + "\n")
            count += 1
    return count


def _write_json(path: Path, records: Iterable[dict[str, Any]], source: Source) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as stream:
        stream.write("[")
        for record in records:
            stream.write(("," if count else "") + "\n  " + _dumps(record, 2).replace("\n", "\n  "))
            count += 1
        stream.write("\n]\n" if count else "]\n")
    return count


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return _dumps(value)


def _write_csv(path: Path, records: Iterable[dict[str, Any]], source: Source) -> int:
    rows = list(records)
    columns = list(source.columns or [])
    known = set(columns)
    for row in rows:
        for key in row:
            if key not in known:
                known.add(key)
                columns.append(key)
    with path.open("w", encoding="utf-8", newline="") as stream:
        _csv_rows(stream, columns, rows)
    return len(rows)


def _csv_rows(stream: TextIO, columns: list[str], rows: list[dict[str, Any]]) -> None:
    writer = csv.writer(stream)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])


def _write_parquet(path: Path, records: Iterable[dict[str, Any]], source: Source) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(records)
    pq.write_table(pa.Table.from_pylist(rows, schema=source.schema), path)
    return len(rows)


_WRITERS = {"jsonl": _write_jsonl, "json": _write_json, "csv": _write_csv, "parquet": _write_parquet}
