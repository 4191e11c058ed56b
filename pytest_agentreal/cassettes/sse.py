"""Server-sent events: split a recorded stream back into its events, and decode them for reports.

vcrpy's httpx stub joins a stream into one body; replaying it as one chunk changes what an SDK sees.
The recorded body keeps every byte, and replay delivers it again event by event, in order.
"""

from __future__ import annotations

import json
import re
from typing import Any

_BOUNDARY = re.compile(rb"\r\n\r\n|\n\n|\r\r")


def is_event_stream(content_type: str) -> bool:
    """Whether a response's content type is ``text/event-stream``."""
    return content_type.split(";", 1)[0].strip().lower() == "text/event-stream"


def split_events(body: bytes) -> list[bytes]:
    """The body's events, each with its terminating blank line; concatenated they are the body."""
    chunks = []
    start = 0
    for match in _BOUNDARY.finditer(body):
        chunks.append(body[start : match.end()])
        start = match.end()
    if start < len(body):
        chunks.append(body[start:])  # an unterminated last event (a stream cut while recording)
    return chunks


def event_data(body: str) -> list[Any]:
    """The ``data`` of every event, JSON-decoded where possible (for reports and action extraction)."""
    values: list[Any] = []
    for event in split_events(body.encode("utf-8")):
        lines = [
            line[5:].removeprefix(" ")
            for line in event.decode("utf-8", "replace").splitlines()
            if line.startswith("data:")
        ]
        if not lines:
            continue
        data = "\n".join(lines)
        try:
            values.append(json.loads(data))
        except ValueError:
            values.append(data)
    return values
