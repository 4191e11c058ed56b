"""Bulk work without the cyclic garbage collector.

Anonymising builds millions of small tuples, lists and strings that form no reference cycles. The
cyclic collector is triggered by allocations and walks every live object (all the records, the
table) again and again: ~15% of the time of a large batch, for nothing. Reference counting still
frees everything as usual; the collector runs again as soon as the batch is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (nested uses are fine)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
