"""Streets, postcodes, cities and identity numbers (the pieces of addresses and ids)."""

from __future__ import annotations

import re

from ..pools import pools
from .kinds import Kind, register_kind
from .shapes import as_int, casefold, classes, collapse, fill, mimic_case, normalise_words, stream


def _normalise_street(text: str) -> str | None:
    collapsed = collapse(text)
    return collapsed if len(collapsed) >= 3 and any(c.isalpha() for c in collapsed) else None


def _city(data: bytes) -> str:
    p = pools()
    return p.last_names[as_int(data[:8]) % len(p.last_names)] + p.city_suffixes[data[8] % len(p.city_suffixes)]


def _generate_street(digest: bytes, attempt: int, norm: str) -> str:
    p = pools()
    data = stream(digest, attempt)
    return (
        f"{1 + as_int(data[:4]) % 999} {p.last_names[as_int(data[4:12]) % len(p.last_names)]} "
        f"{p.street_suffixes[as_int(data[12:16]) % len(p.street_suffixes)]}"
    )


STREET = register_kind(
    Kind("street", _normalise_street, _generate_street, lambda o, c: mimic_case(o, c), compare=casefold)
)

# --------------------------------------------------------------------------- codes and cities


def _normalise_code(text: str) -> str | None:
    compact = re.sub(r"[\s./-]", "", text).upper()
    return compact if 3 <= len(compact) <= 24 and compact.isalnum() and any(c.isdigit() for c in compact) else None


def _generate_code(digest: bytes, attempt: int, norm: str) -> str:
    return classes(norm, stream(digest, attempt))


POSTCODE = register_kind(Kind("postcode", _normalise_code, _generate_code, lambda o, c: fill(o, c, keep_case=True)))
ID_NUMBER = register_kind(Kind("id_number", _normalise_code, _generate_code, lambda o, c: fill(o, c, keep_case=True)))


CITY = register_kind(
    Kind(
        "city",
        normalise_words,
        lambda digest, attempt, norm: _city(stream(digest, attempt)),
        lambda o, c: mimic_case(o, c),
        compare=casefold,
    )
)
