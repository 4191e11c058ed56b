"""What a corpus asks of its cassettes: where they live, the record mode, matching and secrets.

Validated once when built, so a typo in ``--agent-record`` or a secret that is too short to redact
safely stops the run before any agent runs, with the file, the key and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, unknown_name_fix
from ..pointers import PointerError, parse

RECORD_MODES = ("none", "once", "new_episodes", "all", "off")
"""``--agent-record`` values: replay only, record when missing, record new requests, re-record, live."""

MIN_SECRET_LENGTH = 8
"""Shorter values would match ordinary text everywhere, so they are refused rather than redacted."""


@dataclass(frozen=True)
class CassetteSettings:
    """One corpus's cassette configuration.

    ``secrets`` are environment variable *names* (from ``corpus.yaml``); their values are read
    from ``environ`` (default: ``os.environ``) and never stored anywhere but in memory.
    ``stream_seconds`` bounds the recording of one response stream (a server-sent-event stream that
    never closes is cut there and marked truncated). ``lock_timeout`` bounds the wait for another
    worker recording the same cassette. ``require_cassette`` makes a missing cassette a finding as
    soon as the case opens under ``none``; by default it is reported at the first connector call,
    so an agent without connector traffic needs no cassette.
    """

    directory: Path
    mode: str = "none"
    match_ignore: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    record_hint: str = ""
    source: Path | None = None
    allow_headers: tuple[str, ...] = ()
    stream_seconds: float = 120.0
    lock_timeout: float = 120.0
    require_cassette: bool = False
    environ: Mapping[str, str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "directory", Path(self.directory))
        object.__setattr__(self, "match_ignore", tuple(self.match_ignore))
        object.__setattr__(self, "secrets", tuple(self.secrets))
        object.__setattr__(self, "allow_headers", tuple(h.lower() for h in self.allow_headers))
        if self.mode not in RECORD_MODES:
            raise ConfigError(
                self.source,
                f"unknown record mode {self.mode!r}",
                key="agent_record",
                fix=unknown_name_fix(self.mode, RECORD_MODES),
            )
        for pointer in self.match_ignore:
            try:
                parse(pointer)
            except PointerError as error:
                raise ConfigError(
                    self.source, str(error), key="match_ignore", fix="write it as '/metadata/request_id'"
                ) from None
        if self.stream_seconds <= 0:
            raise ConfigError(self.source, "stream_seconds must be positive", key="stream_seconds")

    @property
    def records(self) -> bool:
        """Whether this mode may write cassettes at all."""
        return self.mode in ("once", "new_episodes", "all")

    @property
    def hint(self) -> str:
        """The command that records a cassette, for error messages."""
        return self.record_hint or "re-run with --agent-record once"

    def secret_values(self) -> dict[str, str]:
        """The secret env vars that are set, name → value; a value under 8 characters is refused.

        Unset or empty variables are skipped: there is nothing of theirs to leak.
        """
        env = os.environ if self.environ is None else self.environ
        values: dict[str, str] = {}
        for name in self.secrets:
            value = env.get(name, "")
            if not value:
                continue
            if len(value) < MIN_SECRET_LENGTH:
                raise ConfigError(
                    self.source,
                    f"the value of ${name} has {len(value)} characters; values shorter than "
                    f"{MIN_SECRET_LENGTH} would match ordinary text and cannot be redacted reliably",
                    key="secrets",
                    fix=f"use a real credential in ${name}, or unset it and remove it from 'secrets'",
                )
            values[name] = value
        return values
