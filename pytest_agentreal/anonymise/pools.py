"""Word pools that pseudonyms are drawn from: first names, last names, street suffixes, cities.

Faker's provider tables are the source (several locales, so that a pool is large enough to keep
collisions rare), but only their static data is read: no ``Faker()`` instance, no random stream.
The pools are built once per process, on first use, because importing Faker costs ~0.2-0.5 s.
Faker upgrades may change a pool; the mapping file pins every pseudonym already handed out.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache

_PERSON_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "sv_SE")


@dataclass(frozen=True, slots=True)
class Pools:
    """Sorted, de-duplicated, ASCII-only word lists (so they also fit e-mail local parts)."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    first_name_set: frozenset[str]
    street_suffixes: tuple[str, ...]
    city_suffixes: tuple[str, ...]


def _clean(words: object) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for word in words:  # type: ignore[attr-defined]
        text = str(word)
        # Plain letters only: pseudonyms must tokenise exactly like the names they replace.
        if len(text) >= 2 and text.isascii() and text.isalpha():
            seen.setdefault(text.casefold(), text[:1].upper() + text[1:].lower())
    return tuple(sorted(seen.values()))


@lru_cache(maxsize=1)
def pools() -> Pools:
    """The process-wide pools (built on first call)."""
    firsts: list[str] = []
    lasts: list[str] = []
    for locale in _PERSON_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        firsts.extend(getattr(provider, "first_names", ()))
        lasts.extend(getattr(provider, "last_names", ()))
    address = importlib.import_module("faker.providers.address.en_US").Provider
    first_names = _clean(firsts)
    first_name_set = frozenset(n.casefold() for n in first_names)
    # A word in both lists stays a first name, so each token has exactly one pool.
    last_names = tuple(n for n in _clean(lasts) if n.casefold() not in first_name_set)
    return Pools(
        first_names=first_names,
        last_names=last_names,
        first_name_set=first_name_set,
        street_suffixes=_clean(address.street_suffixes),
        city_suffixes=tuple(sorted({str(s) for s in address.city_suffixes if str(s).isalpha()})),
    )


@lru_cache(maxsize=1)
def pool_words() -> frozenset[str]:
    """Every first and last name of the pools, casefolded: the words pseudonyms are built of."""
    p = pools()
    return frozenset(name.casefold() for name in (*p.first_names, *p.last_names))
