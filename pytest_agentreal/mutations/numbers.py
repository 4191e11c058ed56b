"""Numbers written as words, the way a person types them into a form (``"three"`` for 3)."""

from __future__ import annotations

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "  # noqa: SIM905
    "sixteen seventeen eighteen nineteen".split()
)
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905
_SMALL: dict[str, tuple[str, ...]] = {
    lang: tuple(words.split())
    for lang, words in {
        "de": "null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf",
        "fr": "zéro un deux trois quatre cinq six sept huit neuf dix onze douze",
        "es": "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce",
        "it": "zero uno due tre quattro cinque sei sette otto nove dieci undici dodici",
        "nl": "nul een twee drie vier vijf zes zeven acht negen tien elf twaalf",
        "pt": "zero um dois três quatro cinco seis sete oito nove dez onze doze",
    }.items()
}


def number_as_words(value: int, lang: str = "en") -> str | None:
    """``value`` in words in ``lang`` (0-12), or in English (0-999); None beyond that."""
    small = _SMALL.get(lang)
    if small is not None and 0 <= value < len(small):
        return small[value]
    if not 0 <= value < 1000:
        return None
    if value < 20:
        return _ONES[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return _TENS[tens] + ("-" + _ONES[ones] if ones else "")
    hundreds, rest = divmod(value, 100)
    words = f"{_ONES[hundreds]} hundred"
    return words + (f" and {number_as_words(rest)}" if rest else "")
