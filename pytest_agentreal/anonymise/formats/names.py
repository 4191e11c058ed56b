"""Person names and user names, drawn from the word pools by keyed digest."""

from __future__ import annotations

from collections.abc import Sequence

from ..pools import pools
from .kinds import Kind, register_kind
from .shapes import as_int, casefold, casefold_many, mimic_case, normalise_words, stream

NAME_WIDEN_AT = 24
"""From this attempt on, a name is double-barrelled (the pools alone are too small)."""


def _normalise_name(text: str) -> str | None:
    token = casefold(text.strip())
    return token if len(token) >= 2 and token.replace("'", "").replace("’", "").isalpha() else None


def _normalise_names(texts: Sequence[str]) -> list[str | None]:
    """:func:`_normalise_name` of many texts (ASCII ones inlined: casefold is their lower case)."""
    out: list[str | None] = []
    append = out.append
    for text in texts:
        if text.isascii():
            token = text.strip().lower()
            append(token if len(token) >= 2 and token.replace("'", "").isalpha() else None)
        else:
            append(_normalise_name(text))
    return out


def _generate_name(digest: bytes, attempt: int, norm: str) -> str:
    firsts, first_set, lasts, _ = _name_pools()
    # The pool depends on the token only (not on where it was seen), so "jane" in a sentence and
    # "Jane" in a first-name field get the same pseudonym.
    pool = firsts if norm in first_set else lasts
    if attempt == 0:
        return pool[int.from_bytes(digest[:8], "big") % len(pool)]
    if attempt < NAME_WIDEN_AT:
        return pool[as_int(stream(digest, attempt)[:8]) % len(pool)]
    # Pools run out on very large corpora: double-barrelled names give len(pool)² more. The first
    # of them reads bytes of the digest that the pool's draw did not (no extra hash).
    data = digest[8:] if attempt == NAME_WIDEN_AT else stream(digest, attempt)
    return (
        f"{pool[int.from_bytes(data[:8], 'big') % len(pool)]}-{lasts[int.from_bytes(data[8:16], 'big') % len(lasts)]}"
    )


def _generate_names(digests: Sequence[bytes], starts: Sequence[int] | None, norms: Sequence[str]) -> list[str]:
    """:func:`_generate_name` of many values (the first draw and the first double-barrelled
    one inlined: nearly every value starts at one of them)."""
    firsts, first_set, lasts, _ = _name_pools()
    n_firsts, n_lasts = len(firsts), len(lasts)
    as_number = int.from_bytes
    if starts is None:
        return [
            firsts[as_number(d[:8], "big") % n_firsts] if n in first_set else lasts[as_number(d[:8], "big") % n_lasts]
            for d, n in zip(digests, norms, strict=True)
        ]
    out: list[str] = []
    append = out.append
    for digest, start, norm in zip(digests, starts, norms, strict=True):
        if start == 0:
            if norm in first_set:
                append(firsts[as_number(digest[:8], "big") % n_firsts])
            else:
                append(lasts[as_number(digest[:8], "big") % n_lasts])
        elif start == NAME_WIDEN_AT:
            pool, size = (firsts, n_firsts) if norm in first_set else (lasts, n_lasts)
            append(f"{pool[as_number(digest[8:16], 'big') % size]}-{lasts[as_number(digest[16:24], 'big') % n_lasts]}")
        else:
            append(_generate_name(digest, start, norm))
    return out


def _mimic_cases(originals: Sequence[str], replacements: Sequence[str]) -> list[str]:
    """:func:`~.shapes.mimic_case` of many pairs (inlined; none upper or lower case, as in a column
    of capitalised names: the replacements as they are)."""
    if not any(map(str.isupper, originals)) and not any(map(str.islower, originals)):
        return list(replacements)
    return [
        r.upper() if len(o) > 1 and o.isupper() else r.lower() if o.islower() else r
        for o, r in zip(originals, replacements, strict=True)
    ]


def _name_pools_of(norms: Sequence[str]) -> list[tuple[str, int]]:
    _, first_set, _, (first, last) = _name_pools()
    return [first if n in first_set else last for n in norms]


def _name_pool(norm: str) -> tuple[str, int]:
    _, first_set, _, (first, last) = _name_pools()
    return first if norm in first_set else last


_NamePools = tuple[tuple[str, ...], frozenset[str], tuple[str, ...], tuple[tuple[str, int], tuple[str, int]]]
_cached: list[_NamePools] = []


def _name_pools() -> _NamePools:
    """First names, their casefolded set, last names, and the two pools' ``(name, size)`` (made
    once: these are asked for once per value)."""
    if not _cached:
        p = pools()
        sizes = (("first", len(p.first_names)), ("last", len(p.last_names)))
        _cached.append((p.first_names, p.first_name_set, p.last_names, sizes))
    return _cached[0]


NAME = register_kind(
    Kind(
        "name",
        _normalise_name,
        _generate_name,
        mimic_case,
        compare=casefold,
        pool=_name_pool,
        pool_many=_name_pools_of,
        generate_many=_generate_names,
        render_many=_mimic_cases,
        normalise_many=_normalise_names,
        widen_at=NAME_WIDEN_AT,
        # A double-barrelled pseudonym's halves (a single word is checked as an original anyway).
        name_words=lambda pseudonym: pseudonym.split("-") if "-" in pseudonym else (),
        compare_many=casefold_many,
    )
)


def _generate_username(digest: bytes, attempt: int, norm: str) -> str:
    p = pools()
    data = stream(digest, attempt)
    first = p.first_names[as_int(data[:8]) % len(p.first_names)].lower()
    last = p.last_names[as_int(data[8:16]) % len(p.last_names)].lower()
    return f"{first}_{last}{as_int(data[16:20]) % 100 if attempt else ''}"


USERNAME = register_kind(
    Kind(
        "username",
        normalise_words,
        _generate_username,
        lambda o, c: c,
        compare=casefold,
        name_words=lambda pseudonym: pseudonym.rstrip("0123456789").split("_"),
    )
)
