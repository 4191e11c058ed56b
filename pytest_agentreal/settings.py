"""Parse and check the run's settings (command line, marker, ini, manifest) — pytest-free.

Priority, as SPEC says: command line, then marker, then ini, then ``corpus.yaml``; mutation lists
given in several places intersect. Every bad value raises :class:`SettingError` naming the option
and the valid form; the pytest adapter turns it into a ``pytest.UsageError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RECORD_MODES = ("none", "once", "new_episodes", "all", "off")
GRANULARITIES = ("case", "sample")


class SettingError(ValueError):
    """A command-line or ini value is malformed."""


@dataclass(frozen=True)
class Settings:
    """The resolved run settings shared by every corpus of the session."""

    corpora: tuple[str, ...] = ()
    record: str = "none"
    mutations: str | None = None
    seed: int | None = None
    sample: int | None = None
    shard: tuple[int, int] | None = None
    repeat: int = 1
    min_pass: float = 1.0
    baseline: str | None = None  # "compare" | "update" | None
    report: str | None = None
    explore: int | None = None
    granularity: str = "case"


def parse_record(value: str) -> str:
    """``--agent-record``: one of none / once / new_episodes / all / off."""
    if value not in RECORD_MODES:
        from .errors import did_you_mean

        hint = did_you_mean(value, RECORD_MODES) or "use " + " / ".join(RECORD_MODES)
        raise SettingError(f"--agent-record: '{value}' is not a record mode ({hint})")
    return value


def parse_seed(value: str, last: int | None) -> int:
    """``--agent-seed``: an integer, or ``last`` (the previous run's seed from pytest's cache)."""
    if value == "last":
        if last is None:
            raise SettingError("--agent-seed last: no previous seed in the cache (run once with --agent-seed N)")
        return last
    try:
        return int(value)
    except ValueError:
        raise SettingError(f"--agent-seed: '{value}' is not an integer (use --agent-seed 42 or last)") from None


def parse_positive(option: str, value: str, *, example: str) -> int:
    """A positive integer option (``--agent-sample``, ``--agent-repeat``, ``--agent-explore``)."""
    try:
        number = int(value)
    except ValueError:
        raise SettingError(f"{option}: '{value}' is not a whole number (e.g. {option} {example})") from None
    if number < 1:
        raise SettingError(f"{option}: must be at least 1, got {number} (e.g. {option} {example})")
    return number


_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(value: str) -> tuple[int, int]:
    """``--agent-shard I/N``: 1-based index I of N shards."""
    match = _SHARD.match(value)
    if not match:
        raise SettingError(f"--agent-shard: '{value}' is not I/N (e.g. --agent-shard 2/4, 1-based)")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise SettingError(f"--agent-shard: '{value}' needs 1 <= I <= N (e.g. --agent-shard 1/{max(count, 2)})")
    return index, count


def parse_min_pass(value: str) -> float:
    """``--agent-min-pass R``: a pass rate in [0, 1]."""
    try:
        rate = float(value)
    except ValueError:
        raise SettingError(f"--agent-min-pass: '{value}' is not a number in [0, 1] (e.g. 0.9)") from None
    if not 0.0 <= rate <= 1.0:
        raise SettingError(f"--agent-min-pass: {value} is outside [0, 1] (e.g. --agent-min-pass 0.9)")
    return rate


def parse_granularity(value: str) -> str:
    """``--agent-granularity``: case or sample."""
    if value not in GRANULARITIES:
        raise SettingError(f"--agent-granularity: '{value}' is not case or sample")
    return value


def parse_report(value: str) -> str:
    """``--agent-report PATH``: a ``.json`` or ``.html`` file."""
    if not value.endswith((".json", ".html")):
        raise SettingError(f"--agent-report: '{value}' must end in .json or .html")
    return value
