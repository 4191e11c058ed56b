"""Text clean-up for the support-inbox agent: what a ticket *says*, without the noise around it.

Production text carries HTML, quoted earlier mails, signatures, invisible characters, look-alike
letters and emoji. The agent decides on :func:`clean` text only, so none of those can change a
decision, and instructions planted in a ticket (in a quote, base64, or plainly) are cut out before
anything reads them.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Cyrillic and Greek letters that render like Latin ones; an attacker's (or a keyboard's) swap.
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁАВЕКМНОРСТХІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧο",
    "aeopcyxijsdABEKMHOPCTXIJSABEZHIKMNOPTYXo",
)
# Invisible format marks (zero-width, bidi, soft hyphen), emoji, symbols and variation selectors.
_DROP_CATEGORIES = frozenset({"Cf", "Cs", "Co", "So", "Sk"})
_BLOCK_TAG = re.compile(r"<\s*/?\s*(br|p|div|li|ul|ol|tr|table|blockquote|html|body)\b[^<>]{0,300}>", re.I)
_ANY_TAG = re.compile(r"<[^<>]{0,300}>")
# A line that opens an earlier message: everything after it is history, not the request.
_QUOTE_HEADER = re.compile(
    r"^\s*(?:(?:on|am|le|el|il giorno|op|em)\b.{0,200}\b(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef"
    r"|escreveu)\b.{0,200}:"
    r"|-{2,}\s*(?:original message|ursprüngliche nachricht)\s*-{2,}|_{10,}|--\s*)\s*$",
    re.M,
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")
# Instructions addressed to a machine rather than to a shop, in the languages customers write.
_INJECTION = re.compile(
    r"\b(?:ignor\w*|negeer|disregard|forget|vergiss|missachte\w*|oublie\w*)\b[^.!?\n]{0,60}?"
    r"\b(?:instru\w*|istruzion\w*|anweisung\w*|rules|regeln|prompt\w*|guidelines|richtlinien)"
    r"|^\W*(?:system|système|sistema|systeem|assistant|developer)\s*:"
    r"|\bautomat\w*\s+as+ist\w*|\bas+ist\w*\s+automat\w*"
    r"|\byou are now\b|\bdu bist (?:jetzt|nun|ab sofort)\b|\bmaintenance mode\b|\bwartungsmodus\b"
    r"|\b(?:without|ohne|sans|sin|senza|zonder|sem)\s+(?:\w+\s+){0,2}(?:approval|freigabe|genehmigung"
    r"|approbation|aprobación|approvazione|goedkeuring|aprovação)",
    re.I | re.M,
)
_SENTENCE_END = re.compile(r"[.!?]\s")
_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(?:\d{2,4})?")
_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,6})[.,](\d{2})(?![\d])")


def fold(text: str) -> str:
    """NFKC, look-alike letters mapped back, invisible marks and emoji removed, casefolded."""
    text = unicodedata.normalize("NFKC", text).translate(_HOMOGLYPHS)
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in _DROP_CATEGORIES)
    return kept.replace("\ufe0f", "").casefold()


def strip_html(text: str) -> str:
    """Tags to line breaks (block tags) or spaces, entities decoded."""
    return html.unescape(_ANY_TAG.sub(" ", _BLOCK_TAG.sub("\n", text)))


def without_history(text: str) -> str:
    """Drop quoted lines (``>``) and everything after a quote header or a signature delimiter."""
    header = _QUOTE_HEADER.search(text)
    if header:
        text = text[: header.start()]
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))


def without_injection(text: str) -> tuple[str, bool]:
    """Cut, in every paragraph, from the sentence holding planted instructions to its end.

    Returns the text and whether anything was cut. Real requests come before a customer's
    "P.S."; what follows an instruction to a machine is part of that instruction.
    """
    text = _BASE64.sub(lambda m: " " if re.search(r"[0-9+/=]", m.group()) else m.group(), text)
    found = False
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text):
        match = _INJECTION.search(paragraph)
        if match:
            found = True
            starts = [m.end() for m in _SENTENCE_END.finditer(paragraph, 0, match.start())]
            paragraph = paragraph[: starts[-1] if starts else 0]
        paragraphs.append(paragraph)
    return "\n\n".join(paragraphs), found


def clean(text: str, limit: int = 20_000) -> tuple[str, bool]:
    """What the customer wrote, folded: no HTML, history, planted instructions or invisible marks.

    Only the first ``limit`` characters are read: the newest message of a thread comes first.
    """
    folded = fold(strip_html(text[:limit]))
    return without_injection(without_history(folded))


def words(text: str) -> str:
    """Folded text as single-spaced words, for keyword look-ups."""
    return " ".join(re.findall(r"\w+", text))


def amounts(text: str) -> list[float]:
    """Money amounts with cents (``12,90``, ``54.50``) in order; dates like ``27.02.`` are skipped."""
    text = _DATE.sub(lambda m: " " if int(m[1]) <= 31 and int(m[2]) <= 12 else m.group(), text)
    return [int(m[1]) + int(m[2]) / 100 for m in _AMOUNT.finditer(text)]
