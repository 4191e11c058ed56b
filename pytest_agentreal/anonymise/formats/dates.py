"""Dates of birth: parsed from the usual layouts, shifted by a keyed number of days, written back alike."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence

from .kinds import Kind, register_kind
from .shapes import mimic_case, stream, words

MONTH_NAMES = words("january february march april may june july august september october november december")
_MONTHS = MONTH_NAMES
_ISO_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(T.*|\s+\d{1,2}:\d{2}.*)?")
_DMY_DATE = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_TEXT_DATE = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})|([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})")


def _month(word: str) -> int | None:
    lowered = word.lower()
    for index, name in enumerate(_MONTHS, 1):
        if len(lowered) >= 3 and name.startswith(lowered):
            return index
    return None


def parse_date(text: str) -> tuple[_dt.date, bool] | None:
    """``(date, ambiguous)`` for the layouts dates of birth come in; ambiguous = D/M vs M/D unknown."""
    text = text.strip()
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":  # the common ISO case, fast
            return _dt.date.fromisoformat(text), False
        if m := _ISO_DATE.fullmatch(text):
            return _dt.date(int(m[1]), int(m[3]), int(m[4])), False
        if m := _DMY_DATE.fullmatch(text):
            a, b, year = int(m[1]), int(m[3]), int(m[4])
            if m[2] == "." or a > 12:
                return _dt.date(year, b, a), False
            if b > 12:
                return _dt.date(year, a, b), False
            return _dt.date(year, b, a), a != b
        if m := _TEXT_DATE.fullmatch(text):
            day_text, word, year_text = (m[1], m[2], m[3]) if m[1] else (m[5], m[4], m[6])
            month_number = _month(word)
            return (_dt.date(int(year_text), month_number, int(day_text)), False) if month_number else None
    except ValueError:
        return None
    return None


def _normalise_dob(text: str) -> str | None:
    parsed = parse_date(text)
    if parsed is None:
        return None
    date, ambiguous = parsed
    # An ambiguous D/M date must stay valid read either way, so it is a different value to fake.
    return date.isoformat() + ("~" if ambiguous else "")


def _normalise_dobs(texts: Sequence[str]) -> list[str | None]:
    """:func:`_normalise_dob` of many texts (a valid ISO date is its own norm: no date written out)."""
    out: list[str | None] = []
    append = out.append
    fromiso = _dt.date.fromisoformat
    for text in texts:
        if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
            try:
                fromiso(text)
            except ValueError:
                append(_normalise_dob(text))
            else:
                append(text)
        else:
            append(_normalise_dob(text))
    return out


def _shift(data: bytes, span: int) -> int:
    shift = 1 + int.from_bytes(data[:8], "big") % span
    return shift if data[8] & 1 else -shift


def _shifted(base: int, shift: int) -> int:
    # Day numbers instead of timedelta arithmetic: the same dates, fewer objects.
    day = base + shift
    return day if 0 < day <= _LAST_DAY else base - shift  # near year 1 or 9999: the other way


def _generate_dob(digest: bytes, attempt: int, norm: str) -> str:
    data = stream(digest, attempt)
    span = 365 + 120 * attempt  # the window widens only when a collision asks for it
    # Collisions ask for attempt after attempt of one value: its day number is parsed once.
    global _last
    last = _last  # one read: another thread may replace it meanwhile
    if last[0] != norm:
        last = _last = (norm, _dt.date.fromisoformat(norm[:10]).toordinal())
    shifted = _dt.date.fromordinal(_shifted(last[1], _shift(data, span)))
    if norm[-1] == "~" and shifted.day > 12:
        shifted = shifted.replace(day=1 + (shifted.day - 1) % 12)
    return shifted.isoformat()


_LAST_DAY = _dt.date.max.toordinal()
_last: tuple[str, int] = ("", 0)


def _place_dobs(digests: Sequence[bytes], norms: Sequence[str], used: set[str]) -> list[str | None]:
    """Every date at once: the first free day from its keyed shift on (see :attr:`Kind.place_many`).

    Consecutive birthdays over decades leave no day free: drawn one by one, half of the values
    would collide, each several times. Instead the values are swept in the order of their first
    candidates (ties by digest): each takes its candidate, or the day after the one placed before
    it, skipping days ``used`` already, its own day and (for D/M-ambiguous dates) days above 12.
    The result depends only on the set of values, and shifts stay within about a year and a half
    (a queue forms only where more candidates than days fall). ``None``: past year 9999.
    """
    count = len(norms)
    fromiso, fromordinal = _dt.date.fromisoformat, _dt.date.fromordinal
    bases: list[int] = []
    keys: list[int] = []
    odd: set[int] = set()
    index_bits = max(count.bit_length(), 1)
    for index, (digest, norm) in enumerate(zip(digests, norms, strict=True)):
        base = fromiso(norm[:10]).toordinal()
        shift = 1 + int.from_bytes(digest[:8], "big") % 365  # what _generate_dob draws at attempt 0
        if not digest[8] & 1:
            shift = -shift
        target = base + shift
        if not 0 < target <= _LAST_DAY:
            target = base - shift
        if norm[-1] == "~":  # a D/M-ambiguous date: its first candidate has a day of at most 12
            odd.add(index)
            shifted = fromordinal(target)
            if shifted.day > 12:
                target = shifted.replace(day=1 + (shifted.day - 1) % 12).toordinal()
        bases.append(base)
        # Ordered by (first candidate, digest); the position rides along in the lowest bits, so
        # that plain integers are sorted, in C.
        keys.append(((target << 128 | int.from_bytes(digest[:16], "big")) << index_bits) | index)
    keys.sort()
    taken = _Taken(used, count)
    out: list[str | None] = [None] * count
    previous = 0
    mask = (1 << index_bits) - 1
    for key in keys:
        i = key & mask
        target, base = key >> (128 + index_bits), bases[i]
        day = target if target > previous else previous + 1
        if day == base or (taken and day in taken) or (odd and i in odd):
            day = _free_day(day, base, taken, i in odd)
        if day > _LAST_DAY:
            continue  # left to the generic resolution
        out[i] = fromordinal(day).isoformat()
        previous = day
    return out


def _free_day(day: int, base: int, taken: _Taken, ambiguous: bool) -> int:
    """The first day from ``day`` on that is not ``base`` nor taken (day of month <= 12 if ``ambiguous``)."""
    while day <= _LAST_DAY:
        if day == base:
            day += 1
        elif day in taken:
            day = taken.after(day)
        elif ambiguous and (date := _dt.date.fromordinal(day)).day > 12:
            day = (date.replace(day=28) + _dt.timedelta(days=4)).replace(day=1).toordinal()  # the 1st of next month
        else:
            break
    return day


class _Taken:
    """Day numbers of the pseudonyms already handed out, with a skip over long runs of them."""

    def __init__(self, used: set[str], count: int) -> None:
        self._used = used
        self._jump: dict[int, int] = {}
        self._days: set[int] | None = None
        if used and len(used) <= 4 * count + 4096:  # else look each probe up as a string (few values)
            self._days = {d for d in map(_day_number, used) if d is not None}

    def __bool__(self) -> bool:
        return bool(self._used)

    def __contains__(self, day: int) -> bool:
        if self._days is not None:
            return day in self._days
        return 0 < day <= _LAST_DAY and _dt.date.fromordinal(day).isoformat() in self._used

    def after(self, day: int) -> int:
        """The first day after ``day`` not taken (path compression: runs are walked once)."""
        path = []
        jump = self._jump
        while day in self:
            path.append(day)
            day = jump.get(day, day + 1)
        for step in path:
            jump[step] = day
        return day


def _day_number(text: str) -> int | None:
    try:
        return _dt.date.fromisoformat(text).toordinal()
    except ValueError:
        return None


def _pad(template: str, value: int) -> str:
    return f"{value:0{len(template)}d}" if template.startswith("0") or len(template) == 2 else str(value)


def _render_dob(original: str, canonical: str) -> str:
    if len(original) == 10 and original[4] == "-" and original[7] == "-":
        return canonical  # ISO in, ISO out
    new = _dt.date.fromisoformat(canonical)
    text = original.strip()
    if m := _ISO_DATE.fullmatch(text):
        return f"{new.year:04d}{m[2]}{_pad(m[3], new.month)}{m[2]}{_pad(m[4], new.day)}{m[5] or ''}"
    if m := _DMY_DATE.fullmatch(text):
        a, b = int(m[1]), int(m[3])
        month_first = m[2] != "." and a <= 12 < b
        first, second = (new.month, new.day) if month_first else (new.day, new.month)
        return f"{_pad(m[1], first)}{m[2]}{_pad(m[3], second)}{m[2]}{new.year:04d}"
    if m := _TEXT_DATE.fullmatch(text):
        groups = (1, 2, 3) if m[1] else (5, 4, 6)
        word = m[groups[1]]
        name = _MONTHS[new.month - 1]
        name = mimic_case(word, (name[:3] if len(word) == 3 else name).capitalize())
        values = {groups[0]: str(new.day), groups[1]: name, groups[2]: f"{new.year:04d}"}
        out, last = [], 0
        for group in sorted(values, key=m.start):
            out.append(text[last : m.start(group)] + values[group])
            last = m.end(group)
        return "".join(out) + text[last:]
    return canonical


DOB = register_kind(
    Kind(
        "dob",
        _normalise_dob,
        _generate_dob,
        _render_dob,
        avoid_originals=False,  # birthdays are shared by many people; only distinctness matters
        place_many=_place_dobs,
        cost=1.1,
        normalise_many=_normalise_dobs,
    )
)
