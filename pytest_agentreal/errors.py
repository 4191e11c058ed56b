"""Errors that diagnose: each names the file, the key or line, and the fix.

Every user-facing configuration problem (corpus manifest, samples, schemas, policy, cassette,
baseline) is raised as a :class:`ConfigError`. The pytest adapter turns it into a
``pytest.UsageError`` so the run stops before any agent runs, without a Python traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class AgentRealError(Exception):
    """Base class of every error pytest-agentreal raises on purpose."""


class ConfigError(AgentRealError):
    """A file the user wrote is wrong: where, what, and how to fix it.

    ``str(error)`` reads ``<file>:<line>: key '<key>': <message> (<fix>)`` with the parts that are
    known, so a reader can jump straight to the spot.
    """

    def __init__(
        self,
        file: str | Path | None,
        message: str,
        *,
        key: str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.message = message
        self.key = key
        self.line = line
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        """The one-line diagnosis shown to users."""
        where = self.file or "<configuration>"
        if self.line is not None:
            where += f":{self.line}"
        text = f"{where}: "
        if self.key:
            text += f"key '{self.key}': "
        text += self.message
        if self.fix:
            text += f" ({self.fix})"
        return text


class CassetteError(ConfigError):
    """A cassette file is unreadable, corrupted or unsafe to load."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest valid spelling of ``word`` among ``choices``, as a fix hint, or ``None``."""
    options = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:
        # A different case or a missing separator is a common slip that difflib scores low.
        lowered = {o.lower().replace("-", "_"): o for o in options}
        hit = lowered.get(word.lower().replace("-", "_"))
        return f"did you mean '{hit}'?" if hit else None
    return f"did you mean '{close[0]}'?"


def unknown_name_fix(word: str, choices: Iterable[str]) -> str:
    """A fix hint for an unknown name: the nearest valid one, else the list of valid ones."""
    options = sorted({str(c) for c in choices})
    hint = did_you_mean(word, options)
    if hint:
        return hint
    return "valid: " + ", ".join(options)
