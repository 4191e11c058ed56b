"""Load what the lint checks read, turning every loading error into a finding instead of a crash."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .model import LintContext, LintFinding, SampleRow, safe_pointer, safe_text, show_path

if TYPE_CHECKING:
    from ..manifest import Manifest
    from ..schemas import CompiledSchema


def from_config_error(error: ConfigError, check: str = "corpus") -> LintFinding:
    """A :class:`ConfigError` as an error finding (its message masked: it may quote a sample)."""
    return LintFinding(
        file=show_path(error.file) if error.file else "<configuration>",
        line=error.line,
        key=safe_pointer(error.key or ""),
        message=safe_text(error.message),
        fix=error.fix,
        severity="error",
        check=check,
    )


def _line_numbers(path: Path) -> list[int] | None:
    """The 1-based line each sample of a line-based file starts on (blank lines are skipped)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            with path.open(encoding="utf-8") as handle:
                return [number for number, line in enumerate(handle, start=1) if line.strip()]
        if suffix == ".csv":
            starts: list[int] = []
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.reader(handle)
                if next(reader, None) is None:
                    return []
                previous = reader.line_num
                for _row in reader:
                    starts.append(previous + 1)
                    previous = reader.line_num
            return starts
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return None


def _input_schema(manifest: Manifest) -> CompiledSchema | None:
    from ..schemas import load_schema_file

    if manifest.input_schema is None:
        return None
    try:
        return load_schema_file(manifest.input_schema, manifest=manifest.path, key="input_schema")
    except ConfigError:
        return None  # load_corpus reports it


def _read_rows(manifest: Manifest, schema: CompiledSchema | None) -> list[SampleRow]:
    from ..samples import read_samples, sample_files

    rows: list[SampleRow] = []
    try:
        files = sample_files(manifest.samples, manifest.root, manifest.path)
    except ConfigError:
        return rows  # load_corpus reports it
    for path in files:
        try:
            samples = read_samples(path, schema.schema if schema else None)
        except ConfigError:
            continue
        lines = _line_numbers(path)
        if lines is not None and len(lines) != len(samples):
            lines = None
        for index, sample in enumerate(samples):
            rows.append(SampleRow(sample, path, index + 1, lines[index] if lines else None))
    return rows


def _is_sample_schema_error(error: ConfigError) -> bool:
    # load_corpus stops at the first original failing input_schema and quotes jsonschema's message,
    # which may contain the sample's value; lint reports every failing sample without values instead.
    return error.key == "input_schema" and error.message.startswith("original sample")


def schema_findings(rows: list[SampleRow], schema: CompiledSchema, id_field: str) -> list[LintFinding]:
    """Every sample failing the input schema: where and which keyword, never the value."""
    findings = []
    for row in rows:
        if schema.is_valid(row.sample):
            continue
        for violation in schema.violations(row.sample, limit=5):
            keyword = violation.schema_path.rsplit("/", 1)[-1] or "schema"
            sample_id = row.sample.get(id_field)
            where = f"sample '{sample_id}'" if isinstance(sample_id, (str, int)) else f"row {row.row}"
            findings.append(LintFinding(
                file=show_path(row.file), line=row.line, key=violation.pointer or "/",
                message=f"{where} fails the input schema (keyword '{keyword}' at {violation.schema_path or '/'})",
                fix="fix the sample, or widen the schema if production really sends this",
                severity="error", check="corpus",
            ))  # fmt: skip
    return findings


def _secrets(context: LintContext) -> list[LintFinding]:
    from ..cassettes import CassetteSettings

    manifest = context.manifest
    if manifest is None or not manifest.secrets:
        return []
    settings = CassetteSettings(directory=context.cassette_dir or manifest.root, secrets=manifest.secrets,
                                source=manifest.path)  # fmt: skip
    try:
        context.secrets = settings.secret_values()
    except ConfigError as error:
        return [from_config_error(error, "secrets")]
    return []


def _allowlist(manifest: Manifest, rows: list[SampleRow]) -> frozenset[str]:
    from ..anonymise.detect import load_allowlist

    found: set[str] = set()
    for folder in {manifest.root, *(row.file.parent for row in rows)}:
        try:
            found |= load_allowlist(folder)
        except (ValueError, AttributeError, OSError):
            continue  # a broken allowlist only means pseudonyms are not recognised
    return frozenset(found)


def load_context(path: Path) -> tuple[LintContext, list[LintFinding]]:
    """The context of the corpus at ``path`` and the findings of loading it (check ``corpus``)."""
    from ..cassettes import iter_cassettes
    from ..corpus import load_corpus
    from ..manifest import read_manifest

    context = LintContext(root=path)
    try:
        manifest = read_manifest(path)
    except ConfigError as error:
        return context, [from_config_error(error)]
    context.manifest = manifest
    context.root = manifest.root
    schema = _input_schema(manifest)
    context.rows = _read_rows(manifest, schema)
    findings: list[LintFinding] = []
    try:
        context.corpus = load_corpus(manifest.path)
    except ConfigError as error:
        if schema is not None and _is_sample_schema_error(error):
            findings += schema_findings(context.rows, schema, manifest.id)
        if not findings:
            findings.append(from_config_error(error))
    findings += _secrets(context)
    context.allowlist = _allowlist(manifest, context.rows)
    directory = context.cassette_dir
    if directory is not None and directory.is_dir():
        context.cassette_files = iter_cassettes(directory)
    return context, findings
