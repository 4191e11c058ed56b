"""Under replay, LLM SDK retries do not wait.

The official ``openai`` and ``anthropic`` SDKs retry a failed request after a backoff they compute
in ``_calculate_retry_timeout``. A recorded 429/500 carries ``retry-after-ms`` (see the replay
headers), but a replayed timeout has no response at all, so the SDK falls back to its exponential
backoff: about 1.5 s per case with the default retries, for nothing — the answer is on disk. While
a case replays only (nothing goes to a live connector), the computed delay is capped at 1 ms;
recording and live runs wait as the SDK decides.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from . import active

REPLAY_DELAY_S = 0.001
_MODULES = ("openai._base_client", "anthropic._base_client")
_patched: set[str] = set()


def _replaying() -> bool:
    recording = active.current()
    return recording is not None and not recording.recording


def _wrap(original: Any) -> Any:
    @functools.wraps(original)
    def calculate_retry_timeout(self: Any, *args: Any, **kwargs: Any) -> float:
        delay = float(original(self, *args, **kwargs))
        return min(delay, REPLAY_DELAY_S) if _replaying() else delay

    calculate_retry_timeout.__agentreal_patched__ = True  # type: ignore[attr-defined]
    return calculate_retry_timeout


def patch_loaded_sdks() -> None:
    """Patch the SDKs imported so far (cheap to call per case: a few dict lookups once done)."""
    if len(_patched) == len(_MODULES):
        return
    for name in _MODULES:
        if name in _patched:
            continue
        module = sys.modules.get(name)
        if module is None:
            continue
        base = getattr(module, "BaseClient", None)
        original = getattr(base, "_calculate_retry_timeout", None)
        if base is None or original is None:
            _patched.add(name)  # an SDK version without this hook: nothing to do
            continue
        if not getattr(original, "__agentreal_patched__", False):
            base._calculate_retry_timeout = _wrap(original)
        _patched.add(name)
