"""Release baselines: the last release's output of every case, stored for review and compared.

One JSON file per case under the corpus's ``baseline/`` folder, written with sorted keys, an
indent of 2 and a trailing newline, so a release's changes read as a plain ``git diff``. Volatile
paths (timestamps, request ids) are dropped before writing and before comparing. Each file names
its corpus, its case and the format version, so a file copied from another corpus, or one that a
merge conflict mangled, is a clear error naming the file instead of a wrong comparison.

Comparing is ``==`` first: DeepDiff costs close to a millisecond even for equal dicts, and nearly
every case of a healthy release is equal. Only when outputs differ does DeepDiff explain where. A
difference inside a ``decision`` path is *drift* and fails the case; any other difference is
reported and does not fail it. (``==`` treats ``1``, ``1.0`` and ``True`` as equal, as Python
does; JSON readers in other languages mostly agree for the first two.)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import pointers
from .errors import ConfigError
from .model import Finding, Outcome

FORMAT_VERSION = 1
"""The baseline file format; bumped when a file written by this version can no longer be read."""

FORMAT_KEY = "agentreal_baseline"
DRIFT = "drift"
BASELINE = "baseline"
MAX_FINDINGS = 20
"""Differences listed per kind (drift / reported); the rest are counted in one closing finding."""

_FIX = "delete the file and run `pytest --agent-update-baseline` to write it again"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ABSENT = "<absent>"


def json_value(value: Any) -> Any:
    """``value`` as plain JSON data: tuples → lists, keys → strings, non-finite floats → strings.

    Outputs are compared after this normalisation so that a tuple in the agent's output equals
    the list read back from the baseline file. Values JSON cannot hold become their ``str()``.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return {_json_key(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return str(value)


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    return str(key)


def dump_json(value: Any) -> str:
    """The canonical text of a JSON file this project writes: sorted keys, indent 2, final newline."""
    return json.dumps(json_value(value), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place.

    A killed run never leaves half a file, and readers never see one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; these files are meant to be read and shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class BaselineRecord:
    """One baseline file as read: the case it belongs to, its output, and its recorded verdict."""

    path: Path
    case_id: str
    output: Any
    passed: bool | None


class BaselineStore:
    """The baseline files of one corpus, one per case, under ``directory``."""

    def __init__(self, directory: Path, corpus: str) -> None:
        self.directory = Path(directory)
        self.corpus = corpus

    def _full_id(self, case_id: str) -> str:
        # Accept both ``Case.id`` (``corpus/sample[mutation]``) and the id without the corpus.
        prefix = f"{self.corpus}/"
        return case_id if case_id.startswith(prefix) else prefix + case_id

    def path_for(self, case_id: str) -> Path:
        """The file of a case: a readable slug of its id plus a short hash of the exact id.

        ``support-inbox/T-0042[missing.drop:/customer/email]`` →
        ``T-0042_missing.drop_customer_email-<8 hex>.json``. The hash keeps names distinct when
        slugs collide (ids differing only in punctuation or letter case, on case-insensitive
        file systems) and the slug is cut so the name stays within file system limits.
        """
        local = self._full_id(case_id)[len(self.corpus) + 1 :]
        slug = _UNSAFE.sub("_", local).strip("._")[:120].rstrip("._") or "case"
        digest = hashlib.blake2b(local.encode("utf-8"), digest_size=4).hexdigest()
        return self.directory / f"{slug}-{digest}.json"

    def write(
        self, case_id: str, output: Any, volatile: Sequence[str] = (), *, passed: bool | None = None
    ) -> Path:
        """Write a case's baseline (volatile paths dropped) atomically; return its path.

        ``passed`` is the case's verdict in this run, so that the next release can tell new
        failures from newly passing cases. A file whose content is unchanged is not rewritten.
        """
        path = self.path_for(case_id)
        document = {
            FORMAT_KEY: FORMAT_VERSION,
            "corpus": self.corpus,
            "case": self._full_id(case_id),
            "passed": passed,
            "output": pointers.drop_paths(json_value(output), list(volatile)),
        }
        text = dump_json(document)
        try:
            if path.read_text(encoding="utf-8") == text:
                return path
        except (OSError, UnicodeDecodeError):
            pass
        write_atomic(path, text)
        return path

    def load_record(self, case_id: str) -> BaselineRecord | None:
        """The baseline file of a case, or ``None`` when it has none; a bad file is a ConfigError."""
        path = self.path_for(case_id)
        if not path.is_file():
            return None
        record = self._read(path)
        if record.case_id != self._full_id(case_id):
            raise ConfigError(
                path,
                f"holds the baseline of case {record.case_id!r}, not {self._full_id(case_id)!r}",
                key="case",
                fix=_FIX,
            )
        return record

    def load(self, case_id: str) -> Any | None:
        """The baseline output of a case, or ``None`` when it has no baseline file."""
        record = self.load_record(case_id)
        return None if record is None else record.output

    def records(self) -> list[BaselineRecord]:
        """Every baseline file of the corpus, sorted by case id (for the release summary)."""
        if not self.directory.is_dir():
            return []
        records = [self._read(p) for p in sorted(self.directory.glob("*.json"))]
        return sorted(records, key=lambda r: r.case_id)

    def _read(self, path: Path) -> BaselineRecord:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(path, f"is not UTF-8 text ({exc.reason})", fix=_FIX) from None
        except json.JSONDecodeError as exc:
            raise ConfigError(
                path, f"is not valid JSON ({exc.msg}, column {exc.colno})", line=exc.lineno, fix=_FIX
            ) from None
        if not isinstance(data, dict) or FORMAT_KEY not in data:
            raise ConfigError(path, "is not a pytest-agentreal baseline file", key=FORMAT_KEY, fix=_FIX)
        version = data[FORMAT_KEY]
        if version != FORMAT_VERSION:
            raise ConfigError(
                path,
                f"has baseline format {version!r}; this pytest-agentreal reads format {FORMAT_VERSION}",
                key=FORMAT_KEY,
                fix="upgrade pytest-agentreal, or " + _FIX,
            )
        corpus = data.get("corpus")
        if corpus != self.corpus:
            raise ConfigError(
                path,
                f"belongs to corpus {corpus!r}, not {self.corpus!r}",
                key="corpus",
                fix="point the corpus's `baseline:` at its own folder, or " + _FIX,
            )
        case_id, passed = data.get("case"), data.get("passed")
        problems = {
            "case": not isinstance(case_id, str),
            "output": "output" not in data,
            "passed": not isinstance(passed, (bool, type(None))),
        }
        for key, bad in problems.items():
            if bad:
                raise ConfigError(path, "is incomplete or malformed", key=key, fix=_FIX)
        return BaselineRecord(path, str(case_id), data["output"], passed)

    def compare(
        self, case_id: str, output: Any, decision: Sequence[str], volatile: Sequence[str] = ()
    ) -> list[Finding]:
        """Findings for the differences between a case's output and its baseline.

        A change inside a ``decision`` path (``*`` allowed) is ``drift`` and fails the case; other
        changes are ``baseline`` findings that do not fail it; a case without a baseline file gets
        one non-failing finding saying so.
        """
        record = self.load_record(case_id)
        if record is None:
            return [
                Finding(
                    BASELINE,
                    "no baseline for this case yet (run with --agent-update-baseline to write it)",
                    evidence=str(self.path_for(case_id)),
                    fails=False,
                )
            ]
        new = pointers.drop_paths(output, list(volatile))
        if record.output == new:
            return []
        # Slow path: the baseline may hold paths declared volatile since, and the output may hold
        # tuples or odd keys that only compare equal once normalised as JSON.
        old = pointers.drop_paths(record.output, list(volatile))
        new = json_value(new)
        if old == new:
            return []
        return diff_findings(old, new, decision, evidence=f"baseline {record.path}")


def diff_findings(old: Any, new: Any, decision: Sequence[str], evidence: str = "") -> list[Finding]:
    """DeepDiff of two JSON values as findings with JSON Pointer paths, drift first."""
    from deepdiff import DeepDiff  # heavy: only imported when outputs actually differ

    diff = DeepDiff(
        old, new, view="tree", ignore_numeric_type_changes=True, ignore_nan_inequality=True
    )
    changes: list[tuple[str, Any, Any]] = []
    for levels in diff.values():
        for level in levels:
            path = pointers.join([str(t) for t in level.path(output_format="list")])
            changes.append((path, _present(level.t1), _present(level.t2)))
    changes.sort(key=lambda c: _order(c[0]))
    drift: list[tuple[str, Any, Any]] = []
    reported: list[tuple[str, Any, Any]] = []
    for change in changes:
        (drift if any(_touches(d, change[0]) for d in decision) else reported).append(change)
    return _findings(drift, True, evidence) + _findings(reported, False, evidence)


def _present(value: Any) -> Any:
    from deepdiff.helper import NotPresent

    # DeepDiff marks the missing side of an added/removed item with its ``NotPresent`` sentinel.
    return pointers.MISSING if isinstance(value, NotPresent) else value


def _findings(changes: list[tuple[str, Any, Any]], fails: bool, evidence: str) -> list[Finding]:
    oracle = DRIFT if fails else BASELINE
    out = []
    for path, before, after in changes[:MAX_FINDINGS]:
        if before is pointers.MISSING:
            what = "added since the baseline"
        elif after is pointers.MISSING:
            what = "removed since the baseline"
        else:
            what = "changed since the baseline"
        where = "decision " if fails else ""
        tail = "" if fails else " (not a decision path: reported, not failed)"
        message = f"{where}{path or 'output'} {what}{tail}"
        out.append(Finding(oracle, message, path, _render(before), _render(after), evidence, fails))
    if len(changes) > MAX_FINDINGS:
        more = len(changes) - MAX_FINDINGS
        kind = "decision changes" if fails else "other differences"
        out.append(Finding(oracle, f"... and {more} more {kind}", evidence=evidence, fails=fails))
    return out


def _render(value: Any, limit: int = 500) -> str:
    if value is pointers.MISSING:
        return _ABSENT
    text = json.dumps(json_value(value), sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _touches(pattern: str, pointer: str) -> bool:
    """Whether a change at ``pointer`` lies inside ``pattern`` or contains it (a parent replaced)."""
    want, got = pointers.parse(pattern), pointers.parse(pointer)
    return all(w in ("*", g) for w, g in zip(want, got, strict=False))  # a prefix either way


def _order(pointer: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(t)) if t.isdigit() else (1, t) for t in pointers.parse(pointer))


# ---------------------------------------------------------------------------------------------
# The release summary


@dataclass(frozen=True, slots=True)
class ReleaseEntry:
    """One case as the release summary sees it: this run's verdict beside the baseline's.

    ``passed`` is ``None`` when the case did not run; ``baseline_passed`` is ``None`` when the
    baseline did not record a verdict (or there is no baseline: ``has_baseline=False``).
    """

    case_id: str
    passed: bool | None
    baseline_passed: bool | None
    has_baseline: bool
    drift: bool = False


@dataclass(frozen=True)
class ReleaseSummary:
    """What changed since the last release, per case id (each list sorted)."""

    decision_changed: list[str] = field(default_factory=list)
    new_failures: list[str] = field(default_factory=list)
    newly_passing: list[str] = field(default_factory=list)
    missing_from_run: list[str] = field(default_factory=list)
    missing_baseline: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Whether nothing changed: no drift, no changed verdict, nothing missing."""
        return not any(self.as_dict().values())

    def as_dict(self) -> dict[str, list[str]]:
        """JSON-ready form (see ``report/schema.json``, ``release``)."""
        return {
            "decision_changed": list(self.decision_changed),
            "new_failures": list(self.new_failures),
            "newly_passing": list(self.newly_passing),
            "missing_from_run": list(self.missing_from_run),
            "missing_baseline": list(self.missing_baseline),
        }

    def lines(self, limit: int = 10) -> list[str]:
        """A short text rendering for the terminal: one heading per non-empty list, ids indented."""
        titles = {
            "decision_changed": "decision changed",
            "new_failures": "new failures (passed in the baseline)",
            "newly_passing": "newly passing (failed in the baseline)",
            "missing_from_run": "in the baseline but not run",
            "missing_baseline": "run but without a baseline",
        }
        out: list[str] = []
        for key, ids in self.as_dict().items():
            if not ids:
                continue
            out.append(f"{titles[key]}: {len(ids)}")
            out += [f"  {case_id}" for case_id in ids[:limit]]
            if len(ids) > limit:
                out.append(f"  ... and {len(ids) - limit} more")
        return out or ["no change since the baseline"]


def release_summary(entries: Iterable[ReleaseEntry], *, full_run: bool = True) -> ReleaseSummary:
    """Sort entries into the release summary's lists.

    A *new failure* failed now and passed in the baseline; *newly passing* is the reverse (cases
    whose baseline recorded no verdict are in neither). Cases with a baseline that did not run
    are listed only for a ``full_run``: a ``-k``, ``--agent-sample`` or shard run skips cases on purpose.
    """
    summary = ReleaseSummary()
    for e in sorted(entries, key=lambda e: e.case_id):
        if e.drift:
            summary.decision_changed.append(e.case_id)
        if e.passed is False and e.baseline_passed is True:
            summary.new_failures.append(e.case_id)
        if e.passed is True and e.baseline_passed is False:
            summary.newly_passing.append(e.case_id)
        if e.passed is None and e.has_baseline and full_run:
            summary.missing_from_run.append(e.case_id)
        if e.passed is not None and not e.has_baseline:
            summary.missing_baseline.append(e.case_id)
    return summary


def release_entries(
    store: BaselineStore, outcomes: Iterable[Outcome], verdicts: Mapping[str, bool] | None = None
) -> list[ReleaseEntry]:
    """Entries for one corpus: every case run (its outcomes, repeats included) and every baseline file.

    A case's verdict is taken from ``verdicts`` (e.g. the ``--agent-min-pass`` decision) when
    given, else it passed when every run passed apart from drift — the baseline's recorded
    verdict was taken without a baseline to drift from, and drift has its own list.
    """
    ran: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.case.corpus == store.corpus:
            ran.setdefault(outcome.case.id, []).append(outcome)
    baseline = {r.case_id: r for r in store.records()}
    entries = []
    for case_id in sorted(set(ran) | set(baseline)):
        runs = ran.get(case_id, [])
        record = baseline.get(case_id)
        if not runs:
            passed = None
        elif verdicts is not None and case_id in verdicts:
            passed = verdicts[case_id]
        else:
            passed = all(not any(f.fails and f.oracle != DRIFT for f in o.findings) for o in runs)
        drift = any(f.fails and f.oracle == DRIFT for o in runs for f in o.findings)
        entries.append(
            ReleaseEntry(case_id, passed, record.passed if record else None, record is not None, drift)
        )
    return entries
