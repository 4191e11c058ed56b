"""Free-text scrubbing: what a record says about its people, found again anywhere in its text.

Structured fields tell us who is in a record (``customer.name = "Jane Doe"``). Free text repeats it
in other shapes: ``jane`` in lower case, ``Doe`` alone, ``jane.doe@…`` in a quoted reply header,
``Thanks, Jane`` in a signature. :class:`RecordContext` gathers those values (from the structured
fields, from e-mail local parts, from ``Name <email>`` and ``On …, Name wrote:`` headers) and
:func:`plan` finds them in a text, together with the pattern detectors of :mod:`.detect`.

A plan is a list of :class:`Replacement` spans; the engine registers them in its first pass and
renders them in its second, so the text is scanned the same way twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field

from ..errors import ConfigError
from .composites import STOPWORDS, name_words
from .detect import DETECTORS, SECRET_KINDS
from .formats import KINDS, MONTH_NAMES, casefold, national_alias, reserved_domain, words

# First names that are also everyday words: matched only when capitalised, so that "I will call"
# stays a sentence while "Will" (and "WILL") is still replaced.
COMMON_WORD_NAMES = frozenset(
    words(
        """
    will may mark bill rose grace hope joy faith june april august art sky dawn chase young king
    long little white black brown green gray grey hill wood rich frank earl penny ruby summer
    amber crystal ray guy jack don ivy iris lily daisy page cash case miles major rusty sunny
    """
    )
)

_NAME_CHAIN = r"[^\W\d_][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){0,3}"
_CAP_CHAIN = r"[A-ZÀ-Þ][\w'’-]*(?:[ \t]+[A-ZÀ-Þ][\w'’-]*){0,3}"
_EMAIL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
_HEADER_RES = (
    # Jane Doe <jane@x>   /   Jane Doe [mailto:jane@x]   /   Jane Doe (jane@x)
    re.compile(rf"(?P<name>{_NAME_CHAIN})[ \t]*(?:<|\[mailto:|\()(?:mailto:)?{_EMAIL}"),
    # "Doe, Jane" <jane@x>
    re.compile(rf"\"(?P<name>[^\"\n<>@]{{2,80}})\"[ \t]*<{_EMAIL}>"),
    # On Tue, 3 Jan 2023 at 10:02, Jane Doe wrote:
    re.compile(rf"\bOn\b[^\n]{{0,120}}?,[ \t]*(?P<name>{_CAP_CHAIN})[ \t]+wrote:"),
    # From: Jane Doe   (Outlook quoted headers without an address)
    re.compile(rf"(?m)^[ \t>]*(?:From|To|Cc|Von|An|De|À|Para|Da|A)[ \t]*:[ \t]*(?P<name>{_CAP_CHAIN})[ \t]*$"),
    # Thanks,\nJane
    re.compile(
        rf"(?mi)^[ \t>]*(?:thanks|thank you|many thanks|regards|kind regards|best regards|best|cheers|"
        rf"sincerely|yours sincerely|warm regards|br)[ \t]*[,.!]?[ \t]*\r?\n[ \t>]*(?-i:(?P<name>{_CAP_CHAIN}))[ \t]*$"
    ),
)

NameSource = Callable[[str], Iterable[str]]
NAME_SOURCES: dict[str, NameSource] = {}
"""Extra finders of person names in free text (e.g. Presidio): ``text -> names``."""


def register_name_source(name: str, source: NameSource) -> None:
    """Add a finder of person names in free text (its names are scrubbed like known ones)."""
    NAME_SOURCES[name] = source


def email_name_words(email: str) -> list[str]:
    """Words of an e-mail's local part that may be a name (``jane.doe77`` → jane, doe)."""
    local, _, domain = email.partition("@")
    if reserved_domain(domain):
        return []
    return [w for w in re.split(r"[^A-Za-z]+", local) if len(w) >= 3 and w.lower() not in STOPWORDS]


def header_names(text: str) -> list[str]:
    """Names in e-mail headers, reply lines and signatures of ``text``."""
    found: list[str] = []
    for index, (pattern, needs) in enumerate(_HEADERS):
        if not all(part in text for part in needs):  # cannot match: skip the scan
            continue
        for match in pattern.finditer(text):
            names = name_words(match["name"])
            found.extend(_trailing_name(names) if index == 0 else names)
    for source in NAME_SOURCES.values():
        for name in source(text):
            found.extend(name_words(name))
    return found


_HEADERS = tuple(zip(_HEADER_RES, (("@",), ('"', "@"), ("On", "wrote:"), (":",), ("\n",)), strict=True))
"""Each header pattern with text it cannot match without."""


def _trailing_name(words: list[str]) -> list[str]:
    """The name in "please contact Jane Doe <…>": the trailing capitalised words, else the last two."""
    capitalised: list[str] = []
    for word in reversed(words):
        if not word[:1].isupper():
            break
        capitalised.insert(0, word)
    return capitalised or words[-2:]


@dataclass(frozen=True, slots=True)
class Replacement:
    """Replace ``text[start:end]`` with the pseudonym of ``(kind, norm)``; ``norm=None`` = remove."""

    kind: str
    start: int
    end: int
    norm: str | None


@dataclass
class RecordContext:
    """The people of one record: name words and structured values to find again in its text."""

    names: dict[str, str] = field(default_factory=dict)  # casefolded word → norm
    literals: dict[str, tuple[str, str]] = field(default_factory=dict)  # casefolded value → (kind, norm)
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, norm) → the record's norm

    def add_name(self, word: str) -> None:
        """A word of a person's name."""
        norm = KINDS["name"].normalise(word)
        if norm is not None and norm not in STOPWORDS:
            self.names.setdefault(norm, norm)

    def add_secret(self, text: str) -> None:
        """A secret field's value: removed wherever the text repeats it."""
        if len(text.strip()) >= 6:
            self.literals.setdefault(casefold(text.strip()), ("secret", ""))

    def add_value(self, kind: str, text: str, norm: str) -> None:
        """A structured value (searched for literally, whatever its case)."""
        if len(text.strip()) >= 4:
            self.literals.setdefault(casefold(text.strip()), (kind, norm))
        if kind == "phone" and (national := national_alias(norm)) is not None:
            # The record knows the country: "020 7946 0958" in its text is its "+44 20 7946 0958".
            self.aliases[("phone", national)] = norm
        if kind == "email":
            for word in email_name_words(text):
                self.add_name(word)
        if kind == "dob":
            # The same birthday written another way in the text is still this record's birthday.
            for variant in date_variants(norm):
                self.literals.setdefault(variant, ("dob", norm))

    def add_neighbours(self, texts: Iterable[str]) -> None:
        """A capitalised word right after a known name word is a name word too (a maiden name,
        a middle name: "Marguerite Adeyemi" when only Marguerite is known)."""
        if not self.names:
            return
        known = set(self.names)  # the names known now: the ones found here do not chain on
        for text in texts:
            for _start, _end, after in name_spans(text, known, NEIGHBOUR_RE.match):
                word = after[1] if after is not None else ""
                if casefold(word) not in _NOT_NEIGHBOURS:
                    self.add_name(word)

    def add_text(self, text: str) -> None:
        """Learn names from a free text's headers, and from the local parts of its e-mails."""
        for word in header_names(text):
            self.add_name(word)
        for kind, start, end in DETECTORS["email"](text):
            if kind == "email":
                for word in email_name_words(text[start:end]):
                    self.add_name(word)


TITLE_WORD = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:['’-][A-ZÀ-ÖØ-Þa-zß-öø-ÿ]+)*"
"""A capitalised word (Adeyemi, O'Neill, Smith-Jones)."""
_NOT_NEIGHBOURS = STOPWORDS | frozenset(
    words(
        """
    i a an is was are were be been here there again says said asked told called and but or nor so
    please for with without about after before we you he she they it this that these those my our
    your his her their its will would can could should has have had did does also just only still
    who what when where why how which if then than as by up out via per
    """
    )
)


def date_variants(norm: str) -> list[str]:
    """Other spellings of one date (casefolded), to find a known birthday in free text."""
    iso = norm.rstrip("~")
    year, month, day = (int(p) for p in iso.split("-"))
    name = MONTH_NAMES[month - 1]
    out = [iso, f"{year}/{month:02d}/{day:02d}", f"{day} {name} {year}", f"{name} {day}, {year}",
           f"{day} {name[:3]} {year}", f"{name[:3]} {day}, {year}"]  # fmt: skip
    for sep in "/.-":
        out += [f"{day:02d}{sep}{month:02d}{sep}{year}", f"{day}{sep}{month}{sep}{year}",
                f"{month:02d}{sep}{day:02d}{sep}{year}", f"{month}{sep}{day}{sep}{year}"]  # fmt: skip
    return list(dict.fromkeys(out))


_RUN_RE = re.compile(r"[^\W_]+")
_APOSTROPHES = frozenset("'’")
NEIGHBOUR_RE = re.compile(rf"[ \t]+({TITLE_WORD})(?![^\W_])")
"""What makes the word after a known name a name too: a capitalised word, alone."""
After = Callable[[str, int], "re.Match[str] | None"]


def name_spans(
    text: str, names: Container[str], after: After | None = None
) -> Iterator[tuple[int, int, re.Match[str] | None]]:
    """Where words of ``names`` (casefolded) stand alone in ``text``: left to right, not overlapping.

    What a case-insensitive alternation of the names between word boundaries finds (longest name
    first), without compiling one per record: a name is letters and apostrophes, so it starts and
    ends with a run of letters and digits, and only apostrophes stand between its runs.
    ``after(text, end)``: also required right after the name (its match is yielded third).
    """
    if text.isascii() and "'" not in text:
        # The common case: a name is one run, its casefold the run's lower case.
        lowered = text.lower()
        resume = 0
        for match in _RUN_RE.finditer(lowered):
            start, end = match.span()
            if start >= resume and match[0] in names:
                found = after(text, end) if after is not None else None
                if after is None or found is not None:
                    yield start, end, found
                    resume = found.end() if found is not None else end
        return
    runs = [(m.start(), m.end()) for m in _RUN_RE.finditer(text)]
    count = len(runs)
    index = 0
    while index < count:
        start = runs[index][0]
        last = index  # the runs index..last are joined by apostrophes only
        while last + 1 < count and _APOSTROPHES.issuperset(text[runs[last][1] : runs[last + 1][0]]):
            last += 1
        for stop in range(last, index - 1, -1):  # the longest first
            end = runs[stop][1]
            if casefold(text[start:end]) in names:
                found = after(text, end) if after is not None else None
                if after is None or found is not None:
                    yield start, end, found
                    resume = found.end() if found is not None else end
                    while index < count and runs[index][0] < resume:
                        index += 1
                    break
        else:
            index += 1


def plan(text: str, context: RecordContext) -> list[Replacement]:
    """Every span of ``text`` to replace, non-overlapping, in text order.

    Priority when spans overlap: secrets, then pattern detections, then the record's literal
    values, then name words.
    """
    taken: list[tuple[int, int]] = []
    out: list[Replacement] = []

    def take(kind: str, start: int, end: int, norm: str | None) -> None:
        if start < end and all(end <= s or start >= e for s, e in taken):
            taken.append((start, end))
            out.append(Replacement(kind, start, end, norm))

    if len(text) >= 6:
        for detector in DETECTORS.values():
            for kind, start, end in detector(text):
                if kind in SECRET_KINDS:
                    take(kind, start, end, None)
                    continue
                spec = KINDS.get(kind)
                norm = spec.normalise(text[start:end]) if spec else None
                if norm is not None and spec is not None and not spec.safe(norm):
                    take(kind, start, end, context.aliases.get((kind, norm), norm))
    if context.literals:
        lowered = casefold(text)
        if len(lowered) == len(text):  # casefold can change lengths (ß → ss); then skip literals
            for literal, (kind, norm) in sorted(context.literals.items(), key=lambda item: -len(item[0])):
                start = lowered.find(literal)
                while start >= 0:
                    end = start + len(literal)
                    if _bounded(text, start, end):
                        take(kind, start, end, None if kind == "secret" else norm)
                    start = lowered.find(literal, end)
    if context.names:
        for start, end, _ in name_spans(text, context.names):
            word = text[start:end]
            norm = casefold(word)
            if norm in COMMON_WORD_NAMES and not word[:1].isupper():
                continue
            take("name", start, end, norm)
    out.sort(key=lambda r: r.start)
    return out


def _bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() and text[start].isalnum()) and not (after.isalnum() and text[end - 1].isalnum())


def enable_presidio() -> None:
    """Use Presidio (if installed) as an extra finder of person names; never required."""
    try:
        from presidio_analyzer import AnalyzerEngine  # type: ignore[import-not-found]
    except ImportError:
        raise ConfigError(
            None,
            "--presidio needs the optional package presidio-analyzer (and a spaCy model)",
            fix="pip install presidio-analyzer && python -m spacy download en_core_web_lg, or drop --presidio",
        ) from None
    engine = AnalyzerEngine()

    def persons(text: str) -> list[str]:
        return [text[r.start : r.end] for r in engine.analyze(text=text, language="en", entities=["PERSON"])]

    register_name_source("presidio", persons)
