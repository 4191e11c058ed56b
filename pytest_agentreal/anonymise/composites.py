"""Values made of several personal pieces: a person's name (words) and a postal address.

``Jane van Doe`` is two name words and a particle; ``17 Ravensworth Gardens, Newcastle NE4 6XL`` is
a street, a town and a postcode. Each piece gets its own pseudonym, so that the pieces found alone
in free text (``jane``, ``Ravensworth Gardens``, ``NE4 6XL``) get the same ones, and two different
composites stay different (the pieces are pseudonymised one-to-one).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .formats import casefold, words

Piece = tuple[int, int, str]
"""``(start, end, kind)`` of one piece inside a composite value."""

STOPWORDS = frozenset(
    words(
        """
    mr mrs ms miss mx dr prof sir madam dame lord lady rev jr sr ii iii iv
    van von de da del della der den di du la le les el al bin ibn ter ten
    on at in the and or of to from cc bcc re fwd fw wrote writes sent date subject
    am pm mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday
    saturday sunday jan feb mar apr jun jul aug sep sept oct nov dec january february march
    april june july august september october november december
    hi hello dear hey thanks thank thx regards best cheers kind sincerely yours many warm
    team support customer service sales billing help desk admin info contact office mail email
    noreply reply no not do orders order account accounts hr jobs careers marketing news
    newsletter notifications notification alerts security privacy legal finance invoice invoices
    shop store web webmaster postmaster abuse root user users test dev ops bot agent
    schrieb escribió scritto geschreven écrit ecrit
    """
    )
)
"""Words that sit in or next to names (titles, particles, header words) but identify nobody."""

NAME_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_PERSON_NAME_RE = re.compile(r"[^\W\d_](?:[^\W\d_]|['’., -]){0,79}")


def name_words(text: str) -> list[str]:
    """The words of a person's name worth replacing (no initials, titles or particles)."""
    return [w for w in NAME_WORD_RE.findall(text) if len(w) >= 2 and casefold(w) not in STOPWORDS]


def name_pieces(text: str) -> list[Piece]:
    """The name words of a value that looks like a person's name (letters only), else nothing."""
    if text.isalpha():  # one word, the common case of first_name / last_name fields
        return [(0, len(text), "name")] if len(text) >= 2 and casefold(text) not in STOPWORDS else []
    if not _PERSON_NAME_RE.fullmatch(text.strip()):
        return []
    return [
        (m.start(), m.end(), "name")
        for m in NAME_WORD_RE.finditer(text)
        if len(m[0]) >= 2 and casefold(m[0]) not in STOPWORDS
    ]


_ADDRESS_PART_RE = re.compile(r"[^,\n;]+")
_STREET_RE = re.compile(r"\d+[A-Za-z]?\b[\s,./-]*[^\W\d_]")
# A postcode may be two tokens ("NE4 6XL"); a town several words ("Stoke on Trent").
_PIECE_RE = re.compile(r"(?P<code>\S*\d\S*(?: \S*\d\S*)?)|[^\W\d_]+(?:[ '’-][^\W\d_]+)*(?!\w)")


def address_pieces(text: str) -> list[Piece]:
    """Street (the first line, or a line starting with a house number), towns and postcodes."""
    pieces: list[Piece] = []
    first = True
    for part in _ADDRESS_PART_RE.finditer(text):
        stripped = part[0].strip()
        if not stripped:
            continue
        start = part.start() + len(part[0]) - len(part[0].lstrip())
        if (first and any(c.isalpha() for c in stripped)) or _STREET_RE.match(stripped):
            pieces.append((start, start + len(stripped), "street"))
        else:
            for match in _PIECE_RE.finditer(stripped):
                kind = "postcode" if match["code"] else "city"
                pieces.append((start + match.start(), start + match.end(), kind))
        first = False
    return pieces


COMPOSITES: dict[str, Callable[[str], list[Piece]]] = {"name": name_pieces, "address": address_pieces}
"""Field kinds whose values split into pieces (registry: add a splitter to add a composite)."""
