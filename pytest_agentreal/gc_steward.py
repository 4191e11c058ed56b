"""Garbage collection for runs of thousands of cases.

Every case leaves long-lived objects behind (its item, its reports, its counted record), so the
heap grows all run long and CPython's full collections, each walking every live object, come
back again and again: 10% of a 10,000-case replay. None of those objects is ever garbage before
the process exits. The steward collects and then *freezes* what is alive (``gc.freeze``: moved to
a generation no collection walks) once after collection and then every ``every`` cases, so each
full collection walks only what the last cases left, not the whole run.

Garbage is collected before each freeze, so only live objects are frozen; an object frozen alive
and dropped later is still freed by reference counting (only a reference cycle among frozen
objects would stay until exit). Used for large runs only (the plugin decides).
"""

from __future__ import annotations

import gc


class GcSteward:
    """Collect-then-freeze every ``every`` finished items (and once at the start)."""

    def __init__(self, every: int = 1000) -> None:
        self.every = every
        self._count = 0

    def settle(self) -> None:
        """Collect what is garbage now, freeze the rest."""
        gc.collect()
        gc.freeze()

    def item_done(self) -> None:
        """One more item finished; settle every ``every`` of them."""
        self._count += 1
        if self._count >= self.every:
            self._count = 0
            self.settle()
