"""Phone numbers reserved for fiction (films, books, examples): never anyone's real number.

Regulators set aside ranges that are never assigned, so example data can look real without
reaching a person: Ofcom's drama numbers (07700 900xxx, 020 7946 0xxx, ...), NANP's 555-0100 to
555-0199, the Bundesnetzagentur's film numbers (030 23125 xxx, ...), ACMA's 5550/7010 ranges and
ARCEP's fiction blocks. A corpus may keep them; ``agentreal lint`` reports any other number.

Ranges live in a registry (:func:`register_fictional_range`) over E.164 digits without the ``+``.
"""

from __future__ import annotations

import re

FICTIONAL_RANGES: dict[str, re.Pattern[str]] = {}


def register_fictional_range(name: str, pattern: str) -> None:
    """Treat numbers whose E.164 digits (country code first, no ``+``) fully match ``pattern`` as fictional."""
    FICTIONAL_RANGES[name] = re.compile(pattern)


register_fictional_range("gb-mobile", r"447700900\d{3}")
register_fictional_range("gb-london", r"442079460\d{3}")
register_fictional_range("gb-cities", r"44(?:11[3-8]|1[2-6]1)4960\d{3}")
register_fictional_range("gb-belfast", r"442896496\d{3}")
register_fictional_range("gb-cardiff", r"442920180\d{3}")
register_fictional_range("gb-other", r"44(?:1632960|3069990|8081570|9098790)\d{3}")
register_fictional_range("nanp-555", r"1(?:[2-9]\d{2})?55501\d{2}")
register_fictional_range("de-film", r"49(?:3023125|6990009|4066969|2214710|8999998)\d{3}")
register_fictional_range("au-fiction", r"61[2378](?:5550|7010)\d{4}|6149157\d{4}")
register_fictional_range("fr-fiction", r"33(?:19900|26191|35301|46571|53649|63998)\d{4}")

# Without a country code, a national number's trunk "0" stands for one of these countries.
_TRUNK_ZERO_COUNTRIES = ("44", "49", "61", "33")


def _candidates(text: str) -> list[str]:
    """E.164 digit strings ``text`` may stand for (several when the country is not written)."""
    stripped = text.strip()
    digits = re.sub(r"\D", "", stripped.replace("(0)", ""))
    if stripped.startswith("+"):
        return [digits]
    if stripped.startswith("00"):
        return [digits[2:]]
    if digits.startswith("0"):
        return [country + digits[1:] for country in _TRUNK_ZERO_COUNTRIES]
    if len(digits) == 10:  # a NANP number written without "1"
        return ["1" + digits]
    return [digits]


def is_fictional_phone(text: str) -> bool:
    """Whether a phone number lies in a range reserved for fiction (so it is no one's number)."""
    return any(pattern.fullmatch(candidate) for candidate in _candidates(text) for pattern in FICTIONAL_RANGES.values())
