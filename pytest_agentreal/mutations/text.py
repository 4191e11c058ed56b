"""What the corpus looks like, for operators that must produce production-like inputs.

Operators need to know which fields hold free text (a subject, a body — not ids, emails, dates or
addresses), which languages the corpus speaks, and which values other samples hold. All of it is
read from the values themselves (their shape), computed once per :class:`MutationContext` and
cached, because ``targets()`` runs for every sample at collection time.
"""

from __future__ import annotations

import functools
import json
import re
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from .. import pointers
from ..model import Sample
from .dates import is_date_text, parse_date
from .language import detect_language
from .registry import MutationContext

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_OTHER_DATE = re.compile(r"\d{1,2}[./]\d{1,2}[./]\d{2,4}")
_STREET = re.compile(
    r"^\d+\w?\s+.*\b(street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|blvd|straße|strasse|str|weg|platz|"
    r"rue|avenida|calle|via|viale|laan|straat|rua)\b",
    re.IGNORECASE,
)
# Keys whose values are never free text even when they contain spaces: names and addresses are
# identities, so a "realistic resend" must not touch them (SPEC: never ids or addresses).
_NOT_TEXT_KEYS = frozenset(
    "id uuid ref name email mail address street city zip postcode postal country phone mobile iban url "  # noqa: SIM905
    "sku code status category type currency tag tags company state region".split()
)
_MAX_PROFILED = 2000  # samples read for field statistics: bounded so huge corpora stay cheap
_MAX_VALUES = 50  # distinct values kept per field for "another sample's value"


def id_pointer(ctx: MutationContext) -> str:
    """The sample id's JSON Pointer (the manifest's ``id:`` is a key, or already a pointer)."""
    return _id_pointer(ctx.id_field)


@functools.lru_cache(maxsize=64)
def _id_pointer(id_field: str) -> str:
    return id_field if id_field.startswith("/") else pointers.join([id_field])


def sample_id(sample: Sample, ctx: MutationContext) -> str:
    """The sample's id as text."""
    value = pointers.resolve(sample, id_pointer(ctx))
    return "" if value is pointers.MISSING else str(value)


def is_id_path(pointer: str, ctx: MutationContext) -> bool:
    """Whether ``pointer`` is the sample id or inside it."""
    own = id_pointer(ctx)
    return pointer == own or pointer.startswith(own + "/")


def canonical(value: Any) -> str:
    """A stable text form of a JSON value, for equality and de-duplication."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def key_tokens(pointer: str) -> list[str]:
    """The words of a pointer's last key: ``/customer/billingAddress`` → ``['billing', 'address']``."""
    tokens = pointers.parse(pointer)
    last = next((t for t in reversed(tokens) if not t.isdigit()), "")
    return [w.lower() for w in re.findall(r"[A-Za-z][a-z]*|[0-9]+", last)]


class Leaf(NamedTuple):
    """One leaf of a sample: its pointer, its value, and its field (``/items/*/qty``)."""

    pointer: str
    value: Any
    field: str


_LEAF_CACHE: list[tuple[Sample, list[Leaf]]] = []


def leaves(sample: Sample) -> list[Leaf]:
    """The sample's leaves in document order, remembered for the last few samples.

    The planner asks every operator for targets of one sample in a row; walking and generalising
    the sample once instead of a dozen times keeps collection of large corpora fast. Samples are
    never mutated in place (operators deep-copy), so identity is a safe key.
    """
    for cached_sample, cached in _LEAF_CACHE:
        if cached_sample is sample:
            return cached
    built = [Leaf(pointer, value, pointers.generalise(pointer)) for pointer, value in pointers.iter_leaves(sample)]
    _LEAF_CACHE.insert(0, (sample, built))
    del _LEAF_CACHE[4:]
    return built


def looks_like_free_text(value: Any) -> bool:
    """Whether one value has the shape of free text: several words, mostly letters.

    Not free text: ids, emails, URLs, dates, phone numbers, street addresses.
    """
    if not isinstance(value, str):
        return False
    text = value.strip()
    words = text.split()
    if len(words) < 2:
        return False
    if EMAIL.fullmatch(text) or _URL.fullmatch(text) or is_date_text(text) or _OTHER_DATE.fullmatch(text):
        return False
    if _STREET.match(text):
        return False
    visible = [ch for ch in text if not ch.isspace()]
    letters = sum(ch.isalpha() for ch in visible)
    return letters >= 0.6 * len(visible)


@dataclass
class _FieldStats:
    strings: int = 0
    text_shaped: int = 0
    words: int = 0
    length: int = 0
    multiline: bool = False
    # canonical value -> (value, ids of up to two samples holding it)
    values: dict[str, tuple[Any, tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class CorpusProfile:
    """Field and language statistics of one corpus (generalised pointers: ``/items/*/name``)."""

    text_fields: tuple[str, ...]
    body_field: str | None
    subject_fields: tuple[str, ...]
    # field -> (canonical text, value, ids of up to two samples holding it), first seen first
    values: dict[str, tuple[tuple[str, Any, tuple[str, ...]], ...]]
    languages: tuple[str, ...]
    emails: tuple[str, ...]
    texts: tuple[str, ...]


def _build_profile(ctx: MutationContext) -> CorpusProfile:
    stats: dict[str, _FieldStats] = {}
    emails: dict[str, None] = {}
    for sample in list(ctx.samples)[:_MAX_PROFILED]:
        owner = sample_id(sample, ctx)
        for pointer, value, general in leaves(sample):
            if is_id_path(pointer, ctx):
                continue
            st = stats.setdefault(general, _FieldStats())
            key = canonical(value)
            held, owners = st.values.get(key, (value, ()))
            if (key in st.values or len(st.values) < _MAX_VALUES) and owner not in owners and len(owners) < 2:
                st.values[key] = (held, (*owners, owner))
            if isinstance(value, str):
                st.strings += 1
                st.words += len(value.split())
                st.length += len(value)
                st.multiline = st.multiline or "\n" in value.strip()
                st.text_shaped += looks_like_free_text(value)
                for found in EMAIL.findall(value):
                    emails.setdefault(found.lower(), None)
    text_fields = tuple(
        general
        for general, st in stats.items()
        if st.strings
        and st.text_shaped * 2 >= st.strings
        and st.words >= 3 * st.strings
        and not set(key_tokens(general)) & _NOT_TEXT_KEYS
    )
    body = max(text_fields, key=lambda g: (stats[g].length / stats[g].strings, g), default=None)
    subjects = tuple(
        g for g in text_fields if g != body and not stats[g].multiline and stats[g].length < 200 * stats[g].strings
    )
    texts: list[str] = []
    languages: Counter[str] = Counter()
    if body is not None:
        for sample in list(ctx.samples)[:_MAX_PROFILED]:
            for _, value in pointers.resolve_all(sample, body):
                if isinstance(value, str) and value.strip():
                    texts.append(value)
                    languages[detect_language(value)] += 1
    return CorpusProfile(
        text_fields=text_fields,
        body_field=body,
        subject_fields=subjects,
        values={g: tuple((key, v, owners) for key, (v, owners) in st.values.items()) for g, st in stats.items()},
        languages=tuple(lang for lang, _ in sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        emails=tuple(emails),
        texts=tuple(texts[:200]),
    )


_CACHE: dict[int, tuple[weakref.ref[MutationContext], int, CorpusProfile]] = {}


def profile(ctx: MutationContext) -> CorpusProfile:
    """The corpus profile of ``ctx``, computed once per context object."""
    key = id(ctx)
    cached = _CACHE.get(key)
    if cached is not None and cached[0]() is ctx and cached[1] == len(ctx.samples):
        return cached[2]
    built = _build_profile(ctx)
    _CACHE[key] = (weakref.ref(ctx), len(ctx.samples), built)
    weakref.finalize(ctx, _CACHE.pop, key, None)
    return built


def text_pointers(sample: Sample, ctx: MutationContext) -> list[str]:
    """Concrete pointers of this sample's non-empty free-text values, in document order."""
    fields = profile(ctx).text_fields
    return [
        leaf.pointer
        for leaf in leaves(sample)
        if leaf.field in fields and isinstance(leaf.value, str) and leaf.value.strip()
    ]


def main_text_pointer(sample: Sample, ctx: MutationContext) -> str | None:
    """The sample's main free text (its body), or its longest free text, or None."""
    prof = profile(ctx)
    candidates = text_pointers(sample, ctx)
    for pointer in candidates:
        if pointers.generalise(pointer) == prof.body_field:
            return pointer
    return max(candidates, key=lambda p: len(pointers.resolve(sample, p)), default=None)


def subject_pointers(sample: Sample, ctx: MutationContext) -> list[str]:
    """Pointers of the sample's subject-like texts (short, single-line free text)."""
    subjects = profile(ctx).subject_fields
    return [p for p in text_pointers(sample, ctx) if pointers.generalise(p) in subjects]


def first_unique(items: Sequence[str]) -> list[str]:
    """``items`` without repeats, first occurrence kept (deterministic, unlike ``set``)."""
    return list(dict.fromkeys(items))


def one_per_field(pointer_list: Sequence[str]) -> list[str]:
    """The first concrete pointer of each field (``/items/0/qty`` stands for ``/items/*/qty``).

    One case per field keeps the number of cases proportional to the schema, not to the length
    of a sample's arrays: an agent loops over items uniformly, so item 0 represents them.
    """
    seen: dict[str, str] = {}
    for pointer in pointer_list:
        seen.setdefault(pointers.generalise(pointer), pointer)
    return list(seen.values())


def sample_language(sample: Sample, ctx: MutationContext) -> str:
    """The language of the sample's free text."""
    text = " ".join(str(pointers.resolve(sample, p)) for p in text_pointers(sample, ctx))
    return detect_language(text) if text else (profile(ctx).languages or ("en",))[0]


_FALLBACK_DATE = datetime(2024, 3, 4, 9, 30)


def sample_datetime(sample: Sample) -> datetime:
    """The first plausible date in the sample (its own timeline), or a fixed date: never the clock.

    Sentinels such as ``0001-01-01`` or ``9999-12-31`` are skipped: a thread is dated around
    them, and date arithmetic next to them overflows.
    """
    for leaf in leaves(sample):
        found = parse_date(leaf.value) if isinstance(leaf.value, str) else None
        if found is not None and 1970 <= found.year <= 2200:
            return found
    return _FALLBACK_DATE


def sample_emails(sample: Sample) -> list[str]:
    """Email addresses the sample itself contains, in document order."""
    found: list[str] = []
    for leaf in leaves(sample):
        if isinstance(leaf.value, str):
            found.extend(EMAIL.findall(leaf.value))
    return first_unique(found)
