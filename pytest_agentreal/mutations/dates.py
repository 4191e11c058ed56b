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


def mail_date(when: datetime, lang: str = "en") -> str:
    """A date as mail clients print it in a quote header (``Mon, 4 Mar 2024 at 09:30`` in English)."""
    if lang == "en":
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        return f"{days[when.weekday()]}, {when.day} {months[when.month - 1]} {when.year} at {when:%H:%M}"
    if lang in ("de", "nl"):
        return f"{when:%d.%m.%Y}, {when:%H:%M}"
    return f"{when:%d/%m/%Y} {when:%H:%M}"
