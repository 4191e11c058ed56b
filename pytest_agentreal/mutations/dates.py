"""Dates as samples store them (ISO 8601) and as mail clients print them."""

from __future__ import annotations

import re
from datetime import datetime

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def is_date_text(value: str) -> bool:
    """Whether a string is an ISO date or date-time."""
    return bool(ISO_DATE.fullmatch(value) or ISO_DATETIME.fullmatch(value))


def parse_date(value: str) -> datetime | None:
    """An ISO date or date-time string as a naive datetime (zone dropped), or None."""
    if not is_date_text(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T")).replace(tzinfo=None)
    except ValueError:
        return None


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def mail_date(when: datetime, lang: str = "en") -> str:
    """A date as mail clients print it in a quote header (``Mon, 4 Mar 2024 at 09:30`` in English)."""
    # Fields formatted by hand (``oversize`` prints hundreds per case; strftime is 5x slower), the
    # same text as %d.%m.%Y, %H:%M: only %Y before year 1000 is the platform's own, so it asks strftime.
    clock = f"{when.hour:02d}:{when.minute:02d}"
    if lang == "en":
        return f"{_DAYS[when.weekday()]}, {when.day} {_MONTHS[when.month - 1]} {when.year} at {clock}"
    year = when.year if when.year >= 1000 else f"{when:%Y}"
    separator, glue = (".", ",") if lang in ("de", "nl") else ("/", "")
    return f"{when.day:02d}{separator}{when.month:02d}{separator}{year}{glue} {clock}"
