"""A dependency-free progress bar on stderr, shown only when stderr is a terminal.

Long CLI work (anonymising, linting, scrubbing) reports progress; pipes, CI logs and tests get
nothing, so their output stays clean and deterministic.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO


class Progress:
    """``with Progress("anonymising", total) as bar: bar.advance()`` — redraws at most 10 times a second."""

    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units of work."""
        self.done += n
        if self.enabled:
            now = time.monotonic()
            if now - self._last >= 0.1:
                self._last = now
                self._draw()

    def _draw(self) -> None:
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = int(share * 30)
            text = f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {share:4.0%} {self.done:,}/{self.total:,}"
        else:
            text = f"\r{self.label} {self.done:,}"
        self.stream.write(text)
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()
