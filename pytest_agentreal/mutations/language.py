"""Which language a text is in, by stop words: cheap, deterministic, good enough to choose the
language of a follow-up line or of an injected instruction."""

from __future__ import annotations

import re

_STOPWORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and is my i you to of for please with have this not it was thanks hello hi",
        "de": "der die das und ist ich nicht mit mein meine bitte sie ein eine zu für danke habe",
        "fr": "le les et est je pas mon ma vous une des pour merci avec bonjour ai été",
        "es": "el los las y es mi por para una con gracias hola que pero está he",
        "it": "il di è non mio mia per una con grazie buongiorno che sono ho ancora",
        "nl": "het een en ik niet mijn met voor bedankt graag van u dat heb is",
        "pt": "o os e é meu minha não para uma com obrigado obrigada olá que está",
    }.items()
}


def detect_language(text: str) -> str:
    """A two-letter language code by stop words (``en`` when unsure): cheap and deterministic."""
    words = re.findall(r"[^\W\d_]+", text.lower())[:400]
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])  # first of equal scores: dict order is fixed
    return best if scores[best] >= 2 else "en"
