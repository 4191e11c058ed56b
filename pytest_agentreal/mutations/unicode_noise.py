"""Unicode that changes how text is encoded but not what a reader sees (``out_of_pattern.unicode``).

Every change here is undone by :func:`fold_text` (NFKC, homoglyphs mapped back, invisible
marks and emoji dropped), and none touches digits-with-meaning inside emails, URLs or ids: only
whole alphabetic words, spaces between words, sentence ends and the start of the text.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable

# Latin letters and the Cyrillic/Greek letters that render the same (homoglyphs).
HOMOGLYPHS: dict[str, str] = {
    "a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і",
    "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т",
}  # fmt: skip
_UNHOMOGLYPH = {ord(v): k for k, v in HOMOGLYPHS.items()}


def fold_text(text: str) -> str:
    """What a reader sees: NFKC, homoglyphs mapped back, invisible marks and emoji removed.

    ``out_of_pattern.unicode`` must keep ``fold_text`` unchanged: that is what "the meaning is the
    same" means for it.
    """
    text = unicodedata.normalize("NFKC", text).translate(_UNHOMOGLYPH)
    kept = [ch for ch in text if unicodedata.category(ch) not in ("Cf", "So", "Sk") and ch != "\ufe0f"]
    # Composed again: a homoglyph or an invisible mark between a letter and its combining accent
    # kept NFKC from composing them ("с" + U+0327 reads as "ç" once "с" is "c").
    return unicodedata.normalize("NFC", " ".join("".join(kept).split()))


# A purely alphabetic word that is not part of an email address, a URL or a hyphenated code.
_WORD = re.compile(r"(?<![\w@./:-])[^\W\d_]{3,}(?![\w@/-]|\.\w|:/)")
# Markup and addresses, whose characters carry meaning: nothing inside them is touched.
_PROTECTED = re.compile(r"<[^>]*>|&#?\w+;|\S+://\S+|\S+@\S+")
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060")
_EMOJI = ("🙏", "😊", "👍", "🙂", "😅", "📦")


def _unprotected(text: str, pattern: str | re.Pattern[str]) -> list[re.Match[str]]:
    """Matches of ``pattern`` that overlap no markup, URL or email address."""
    protected = [m.span() for m in _PROTECTED.finditer(text)]
    return [m for m in re.finditer(pattern, text) if not any(s < m.end() and m.start() < e for s, e in protected)]


def _words(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _unprotected(text, _WORD)]


def _zero_width(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        spans = _words(text)
        if not spans:
            break
        start, end = rng.choice(spans)
        at = rng.randint(start + 1, end - 1)
        text = text[:at] + rng.choice(_ZERO_WIDTH) + text[at:]
    return text


def _fullwidth(text: str, rng: random.Random) -> str:
    # Fullwidth forms (what CJK input methods type); NFKC folds them back to ASCII.
    spans = [(s, e) for s, e in _words(text) if text[s:e].isascii()]
    if not spans:
        return text
    start, end = rng.choice(spans)
    return text[:start] + "".join(chr(ord(ch) + 0xFEE0) for ch in text[start:end]) + text[end:]


def _homoglyph(text: str, rng: random.Random) -> str:
    spans = [(s, e) for s, e in _words(text) if any(ch in HOMOGLYPHS for ch in text[s:e])]
    for start, end in rng.sample(spans, min(len(spans), rng.randint(1, 2))):
        positions = [i for i in range(start, end) if text[i] in HOMOGLYPHS]
        at = rng.choice(positions)
        text = text[:at] + HOMOGLYPHS[text[at]] + text[at + 1 :]
    return text


def _rtl_mark(text: str, rng: random.Random) -> str:
    spans = _words(text)
    if not spans:
        return "\u200f" + text
    start, end = rng.choice(spans)
    if rng.random() < 0.5:
        return text[:start] + "\u200f" + text[start:]
    return text[:start] + "\u202b" + text[start:end] + "\u202c" + text[end:]


def _spaces(text: str, rng: random.Random) -> str:
    # No-break and narrow no-break spaces between words (pasted from a word processor).
    positions = [m.start() for m in _unprotected(text, r"(?<=[^\W\d_]) (?=[^\W\d_])")]
    for at in rng.sample(positions, min(len(positions), rng.randint(1, 3))):
        text = text[:at] + rng.choice(("\u00a0", "\u202f")) + text[at + 1 :]
    return text


def _decomposed(text: str, rng: random.Random) -> str:
    # Accents as combining marks (macOS file names, some mail clients), or the "fi" ligature.
    spans = [(s, e) for s, e in _words(text) if unicodedata.normalize("NFD", text[s:e]) != text[s:e]]
    if spans:
        start, end = rng.choice(spans)
        return text[:start] + unicodedata.normalize("NFD", text[start:end]) + text[end:]
    at = next((m.start() for m in _unprotected(text, "fi")), -1)
    return text if at < 0 else text[:at] + "\ufb01" + text[at + 2 :]


def _emoji(text: str, rng: random.Random) -> str:
    ends = [m.end() for m in _unprotected(text, r"[.!?](?=\s|<)")]
    at = rng.choice(ends) if ends else len(text.rstrip())
    # Before markup no space: "Danke!🙏</div>" renders like "Danke!</div>", a space would not.
    space = "" if text[at : at + 1] == "<" else " "
    return text[:at] + space + rng.choice(_EMOJI) + text[at:]


def _bom(text: str, rng: random.Random) -> str:
    return "\ufeff" + text


TECHNIQUES: dict[str, Callable[[str, random.Random], str]] = {
    "zero_width": _zero_width,
    "fullwidth": _fullwidth,
    "homoglyph": _homoglyph,
    "rtl_mark": _rtl_mark,
    "spaces": _spaces,
    "decomposed": _decomposed,
    "emoji": _emoji,
    "bom": _bom,
}


def perturb(text: str, rng: random.Random) -> str:
    """``text`` with two or three of :data:`TECHNIQUES` applied; always differs from ``text``."""
    names = rng.sample(sorted(TECHNIQUES), rng.randint(2, 3))
    result = text
    for name in names:
        result = TECHNIQUES[name](result, rng)
    return result if result != text else _zero_width(text, rng) if _words(text) else _bom(text, rng)
