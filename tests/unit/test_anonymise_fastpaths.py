"""The batched table gives what the one-value-at-a-time reference gives (fast path == slow path).

``reference_mapping`` is the resolution as specified, one value at a time: where each value starts
(its pool, or wider), its first candidate (birthdays: a sweep), the uncontested ones kept, the
rest in digest order. The table hashes in batches, draws first candidates at once and compares
whole sets; the mapping must be the same.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_anonymise_golden import values

from pytest_agentreal.anonymise.analysis import Analyser
from pytest_agentreal.anonymise.classify import TEXT, classify, classify_strings
from pytest_agentreal.anonymise.composites import name_words
from pytest_agentreal.anonymise.detect import _API_KEY_RE as API_KEY_RE
from pytest_agentreal.anonymise.detect import _BEARER_RE as BEARER_RE
from pytest_agentreal.anonymise.detect import DETECTORS
from pytest_agentreal.anonymise.formats import KINDS, Kind, casefold, register_kind, stream
from pytest_agentreal.anonymise.pseudonyms import Hmac, MappingFile, PseudonymTable
from pytest_agentreal.anonymise.text import _HEADER_RES as HEADER_RES
from pytest_agentreal.anonymise.text import NEIGHBOUR_RE, TITLE_WORD, header_names, name_spans
from pytest_agentreal.anonymise.text import _trailing_name as trailing_name

KEY = b"fastpath-key-0123456789abcdef"
SLOW = [HealthCheck.too_slow, HealthCheck.filter_too_much]  # shared machines: no flaky health checks


def reference_mapping(kind: str, norms: list[str], stored: dict[str, str] | None = None) -> dict[str, str]:
    """Labels → pseudonyms as the resolution is specified (:mod:`~.resolve`), one value at a time."""
    spec = KINDS[kind]
    hmac = Hmac(KEY)
    pending = {n: hmac(f"{kind}\x1f{n}".encode()) for n in norms}
    stored = dict(stored or {})
    used = {spec.compare(p) for p in stored.values()}
    fresh = [(digest, norm, digest[:16].hex()) for norm, digest in pending.items()]
    fresh = [item for item in fresh if item[2] not in stored]
    # Where each value starts: pools take at most 3/4 of their size, a keyed share of the rest widens.
    start: dict[str, int] = {norm: 0 for _, norm, _ in fresh}
    if spec.pool is not None:
        wanting: dict[tuple[str, int], int] = {}
        for _, norm, _ in fresh:
            wanting[spec.pool(norm)] = wanting.get(spec.pool(norm), 0) + 1
        for digest, norm, _ in fresh:
            room, want = spec.pool(norm)[1] * 3 // 4, wanting[spec.pool(norm)]
            if want > room and int.from_bytes(digest[24:32], "big") >= room * 2**64 // want:
                start[norm] = spec.widen_at
    # First candidates (birthdays: swept in the order of their first candidates, ties by digest).
    first: dict[str, str | None] = {}
    if kind == "dob":
        used_days = {dt.date.fromisoformat(u).toordinal() for u in used}
        previous = 0
        targets = []
        for digest, norm, _ in fresh:
            target = dt.date.fromisoformat(spec.generate(digest, 0, norm)).toordinal()
            targets.append((target, digest, norm))
        for target, _digest, norm in sorted(targets):
            base = dt.date.fromisoformat(norm[:10]).toordinal()
            day = max(target, previous + 1)
            while day == base or day in used_days or (norm.endswith("~") and dt.date.fromordinal(day).day > 12):
                day += 1
            first[norm] = dt.date.fromordinal(day).isoformat()
            previous = day
    else:
        for digest, norm, _ in fresh:
            first[norm] = spec.generate(digest, start[norm], norm)
    # Kept: candidates no other value wants, not used, no real value.
    wanted: dict[str, int] = {}
    for candidate in first.values():
        key = spec.compare(candidate)  # type: ignore[arg-type]
        wanted[key] = wanted.get(key, 0) + 1
    taken = set()
    rest = []
    for digest, norm, label in fresh:
        key = spec.compare(first[norm])  # type: ignore[arg-type]
        if wanted[key] == 1 and key not in used and not (spec.avoid_originals and key in pending):
            taken.add(key)
            stored[label] = first[norm]  # type: ignore[assignment]
        else:
            rest.append((digest, norm, label))
    # The others in digest order: the first free candidate from where they started.
    for digest, norm, label in sorted(rest):
        for attempt in range(start[norm], 100_000):
            drawn = spec.generate(digest, attempt, norm)
            key = spec.compare(drawn)
            if key not in used and key not in taken and not (spec.avoid_originals and key in pending):
                break
        taken.add(key)
        stored[label] = drawn
    return stored


def batched_mapping(kind: str, norms: list[str], stored: dict[str, str] | None = None) -> dict[str, str]:
    mapping = MappingFile(None, "test", {kind: dict(stored)} if stored else {})
    table = PseudonymTable(KEY, mapping)
    table.register_many(kind, norms[: len(norms) // 2])
    for norm in norms[len(norms) // 2 :]:
        table.register(kind, norm)
    table.resolve()
    return table.mapping.entries.get(kind, {})


@pytest.fixture
def tiny_kind() -> Iterator[str]:
    """A pool of 4 names, widened at attempt 3: every path of the resolution, on a few values."""

    def generate(digest: bytes, attempt: int, norm: str) -> str:
        data = stream(digest, attempt)
        base = "ABCD"[data[0] % 4]
        return base if attempt < 3 else f"{base}{data[1]}"

    register_kind(Kind("tiny", lambda t: t.strip().lower() or None, generate, lambda o, c: c,
                       compare=str.lower, pool=lambda n: ("vowel" if n[0] in "aeiou" else "other", 4),
                       widen_at=3))  # fmt: skip
    yield "tiny"
    del KINDS["tiny"]


WORDS = st.text("abcdefghij", min_size=1, max_size=4)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, *SLOW])
@given(st.lists(WORDS, max_size=40, unique=True), st.integers(0, 10))
def test_tiny_pools_resolve_as_the_reference(tiny_kind: str, norms: list[str], pinned: int) -> None:
    stored = dict(list(reference_mapping(tiny_kind, norms[:pinned]).items())[:pinned])
    assert batched_mapping(tiny_kind, norms, stored) == reference_mapping(tiny_kind, norms, stored)


DATES = st.dates(dt.date(1990, 1, 1), dt.date(1990, 12, 31)).map(dt.date.isoformat)


@settings(max_examples=60, deadline=None, suppress_health_check=SLOW)
@given(st.lists(DATES, max_size=300, unique=True))
def test_crowded_birthdays_resolve_as_the_reference(norms: list[str]) -> None:
    assert batched_mapping("dob", norms) == reference_mapping("dob", norms)


@settings(max_examples=60, deadline=None, suppress_health_check=SLOW)
@given(st.lists(st.sampled_from(["jane@acme.io", "x@corp.de", "maria.garcia@example.org"]) | WORDS.map(
    lambda w: f"{w}@acme.io"), max_size=30, unique=True))  # fmt: skip
def test_emails_resolve_as_the_reference(norms: list[str]) -> None:
    assert batched_mapping("email", norms) == reference_mapping("email", norms)


def test_used_up_pools_resolve_as_the_reference() -> None:
    # Enough names and addresses to use up their pools (a share of them widens).
    rng = random.Random(1)
    names = sorted({"".join(rng.choice("abcdefghijklmnop") for _ in range(7)) for _ in range(3600)})
    names += ["maria", "james", "anna"]  # the first-name pool too
    assert batched_mapping("name", names) == reference_mapping("name", names)
    ips = [f"81.{i >> 8}.{i & 255}.7" for i in range(700)] + ["2a00::1", "2a00::2"]
    assert batched_mapping("ip", ips) == reference_mapping("ip", ips)


KIND_TUPLES = st.sampled_from(
    [("name",), ("email", "name"), ("name", "email"), ("phone",), ("iban",), ("card",), ("dob",), ("ip",),
     ("address",), ("secret",), ("postcode",), ("city",), ("username",)]
)  # fmt: skip
SAMPLES = ["", "Jane", "jane", "Lord", "O'Brien", "José", "JANE DOE", "x@example.com", "jane@acme.io", "A", "ab",
           "+44 20 7946 0958", "GB82 WEST 1234 5698 7654 32", "4111 1111 1111 1111", "1990-04-03", "10.0.0.1",
           "81.2.69.160", "17 High St, Leeds LS1 4AB", "NE4 6XL", "n/a"]  # fmt: skip
STRINGS = st.lists(
    st.sampled_from(SAMPLES) | st.text(max_size=10),
    max_size=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(KIND_TUPLES, STRINGS)
def test_a_column_is_classified_as_each_of_its_values(kinds: tuple[str, ...], values: list[str]) -> None:
    column = classify_strings(kinds, values)
    for position, value in enumerate(values):
        expected = classify(kinds, value)
        assert column.entry(position) == (expected if expected is not None else TEXT if value else None)


# --------------------------------------------------------------------------- names in free text

NAME_WORDS = st.from_regex(r"[a-e]{1,3}(['’][a-e]{1,2})?", fullmatch=True)
TEXTS = st.text(st.sampled_from("abcdeABCDE '’_-.,\t\n2é"), max_size=40)


def _alternation_spans(text: str, names: set[str]) -> list[tuple[int, int]]:
    """The reference: one alternation of the names, compiled for the record (longest first)."""
    body = "|".join(re.escape(w) for w in sorted(names, key=lambda w: (-len(w), w)))
    pattern = re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_])", re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(text) if casefold(m[0]) in names]


def _alternation_neighbours(text: str, names: set[str]) -> list[str]:
    body = "|".join(re.escape(w) for w in sorted(names, key=lambda w: (-len(w), w)))
    pattern = re.compile(rf"(?<![^\W_])(?i:{body})[ \t]+({TITLE_WORD})(?![^\W_])")
    return [m[1] for m in pattern.finditer(text)]


@settings(max_examples=400, deadline=None, suppress_health_check=SLOW)
@given(TEXTS, st.sets(NAME_WORDS, min_size=1, max_size=5))
def test_names_are_found_where_a_compiled_alternation_finds_them(text: str, names: set[str]) -> None:
    assert [(s, e) for s, e, _ in name_spans(text, names)] == _alternation_spans(text, names)
    found = [m[1] for _, _, m in name_spans(text, names, NEIGHBOUR_RE.match) if m is not None]
    assert found == _alternation_neighbours(text, names)


# --------------------------------------------------------------------------- scans skipped when they cannot match

FRAGMENTS = st.sampled_from(["sk-", "sk-proj-", "ghp_", "Bearer ", "BEARER ", "baſic ", "toKen ", "bearer\t", "eyJ",
                             "AKIA", "_live_", "sk_live_", "On Mon, 3 Jan, ", " wrote:", "From: ", "\n", "Thanks,\n",
                             "<", "@", "\"", "Jane Doe", "jane@acme.io", "ABCDEFGHIJKLMNOP", "x9Y8z7W6v5U4t3S2r1Q0",
                             "abcdefghij0123456789", ".", " "])  # fmt: skip
SCANNED = st.lists(FRAGMENTS | st.text(max_size=4), max_size=14).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=SLOW)
@given(SCANNED)
@example("auth: baſic ABCDEFGHIJKLMNOP")  # case-insensitive matching folds ſ into s, K into k, ı into i
@example("toKen x9Y8z7W6v5U4t3S2r1Q0, or Bearer abcdefghij0123456789")
@example("On Mon, 3 Jan, Jane Doe wrote:\nFrom: Jane Doe\nThanks,\nJane")
def test_skipped_scans_are_ones_that_find_nothing(text: str) -> None:
    keys = [("api_key", m.start(), m.end()) for m in API_KEY_RE.finditer(text)]
    keys += [("api_key", m.start(1), m.end(1)) for m in BEARER_RE.finditer(text)]
    assert list(DETECTORS["api_key"](text)) == keys
    names: list[str] = []
    for index, pattern in enumerate(HEADER_RES):
        for match in pattern.finditer(text):
            words = name_words(match["name"])
            names.extend(trailing_name(words) if index == 0 else words)
    assert header_names(text) == names


# --------------------------------------------------------------------------- flat records, one at a time

FLAT = st.dictionaries(
    st.sampled_from(["first_name", "email", "phone", "dob", "notes", "id", "password", "jane@acme.io", "by_email"]),
    st.sampled_from(SAMPLES) | st.integers(0, 10**12) | st.none() | st.booleans() | st.floats(allow_nan=False),
    max_size=6,
)


@settings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(FLAT, st.lists(st.sampled_from(["/email", "/notes"]), max_size=1))
def test_a_flat_record_is_analysed_as_the_general_walk_does(record: dict[str, Any], keep: list[str]) -> None:
    analyser = Analyser(keep)
    assert analyser._flat_leaves(record) == analyser._walk(record)
    assert analyser._flat_leaves({"nested": {"a": 1}}) is None


def test_a_canonical_pseudonym_compares_as_its_normal_form() -> None:
    # The Kind contract: the table compares pseudonyms with originals by it, and the allowlist
    # takes a pseudonym of a kind compared by str as its own normal form.
    for kind, items in values(random.Random(2)).items():
        spec = KINDS[kind]
        for value in items:
            norm = spec.normalise(value)
            if norm is None:
                continue
            for attempt in (0, 1, 5, 24, 30):
                canonical = spec.generate(bytes(range(attempt, attempt + 32)), attempt, norm)
                if kind == "name" and "-" in canonical:  # double-barrelled: never equal to a name word
                    assert spec.normalise(canonical) is None
                    continue
                assert spec.normalise(canonical) == spec.compare(canonical), (kind, canonical)


# --------------------------------------------------------------------------- kinds' batch functions

_ORIGINALS = [
    "+44 20 7946 0958", "020 7946 0958", "(415) 555-0100", "+1 415 555 0100", "0044 20 7946 0958",
    "447700900123", "+44 (0)20 7946 0958", "12345678", " +33 1 23 45 67 89 ", "07700 900123", "１２３",
    "abc 123", "+49-30-1234567", "", "4111 1111 1111 1111", "4111111111111111", "GB98 west 1234",
    "gb98WEST12", "ÄB12", "Jane", "JANE", "jane", "J", "mcDonald", "X1", "81.2.3.4",
]  # fmt: skip
_CANONICALS = [
    "00442079460958", "02079460958", "4155550100", "0014155550100", "0033123456789", "123", "0049301234567",
    "00447700900123", "0044", "00", "1234567890123456", "GB11ABCD1234", "12", "", "Maria", "x",
]  # fmt: skip


_MORE_TEXTS = [
    "jane@acme.io", " Jane@Acme.IO ", "x@example.com", "a b@c.de", "1990-04-03", " 1990-04-03", "1990-02-30",
    "03/04/1990", "3 April 1990", "81.2.3.4", " 81.2.3.4", "010.2.3.4", "2001:db8::5", "\x1c4111111111111111",
    "4111-1111-1111-1111\x0b", "\t+44 20 7946 0958", " (020) 7946-0958 ", "+44\r20 7946 0958", "00442079460958",
    "0044 20", "DE89 3704 0044 0532 0130 00", "de89-3704-0044-0532-0130-00", "\u00a0GB82WEST12345698765432",
]  # fmt: skip


@given(st.lists(st.tuples(st.sampled_from(_ORIGINALS), st.sampled_from(_CANONICALS), st.integers(0, 9))))
@example([(o, c, 0) for o in _ORIGINALS for c in _CANONICALS])
def test_batch_renders_are_the_kinds_renders(pairs: list[tuple[str, str, int]]) -> None:
    """``render_many`` and ``normalise_many`` of a kind give what ``render`` and ``normalise`` give."""
    originals = [o if not digits else re.sub(r"\d", str(digits), o, count=1) for o, _c, digits in pairs]
    canonicals = [c for _o, c, _d in pairs]
    texts = originals + canonicals + [" Jane ", "o'neil", "A", "Zoë", "JOSÉ", "Mary-Ann", "ab’c", "x y", "''"]
    texts += _MORE_TEXTS
    for kind in KINDS.values():
        if kind.normalise_many is not None:
            assert kind.normalise_many(texts) == list(map(kind.normalise, texts)), kind.name
        if kind.render_many is not None:
            expected = list(map(kind.render, originals, canonicals))
            assert kind.render_many(originals, canonicals) == expected, kind.name


_NORMS = [
    "jane", "smith", "zz", "1.2.3.4", "81.2.3.4", "::1", "2001:db8::5", "o'neil", "jane.doe@acme.io",
    "x@corp.example.org", "00442079460958", "02079460958", "4155550100", "0014155550100", "4111111111111111",
    "378282246310005", "6011111111111117", "5555555555554444", "GB82WEST12345698765432", "DE89370400440532013000",
    "NL91ABNA0417164300", "FR1420041010050500013M02606", "1990-04-03", "1990-04-03~",
]  # fmt: skip


_STARTS = st.sampled_from([0, 2, 4, 24, 30])


@given(st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.sampled_from(_NORMS), _STARTS)), st.booleans())
def test_batch_candidates_are_the_kinds_candidates(items: list[tuple[bytes, str, int]], from_zero: bool) -> None:
    """``generate_many`` and ``pool_many`` of a kind give what ``generate`` and ``pool`` give."""
    for kind in KINDS.values():
        # Each kind is given norms of its own (what it is given when resolving).
        own = [(d, n, s) for d, n, s in items if kind.normalise(n) == n]
        digests = [d for d, _n, _s in own]
        norms = [n for _d, n, _s in own]
        starts = None if from_zero else [s for _d, _n, s in own]
        if kind.generate_many is not None:
            expected = list(map(kind.generate, digests, starts or [0] * len(norms), norms))
            assert kind.generate_many(digests, starts, norms) == expected, kind.name
        if kind.pool_many is not None and kind.pool is not None:
            assert kind.pool_many(norms) == list(map(kind.pool, norms)), kind.name


_PSEUDONYMS = [
    "Jane", "jane", "Zoë", "ÉMILE", "Jane-Smith", "smith-jane", "Ann-Marie-Lee", "ﬁona", "jane.smith@example.com",
    "jane.smith12@example.org", "smith.jane@example.net", "jane_smith", "jane_smith42", "o'neil-jane", "x",
    "lee.marie@example.org", "marie.o'neil@example.net", "a.b.c@example.com", "jane@example.com", "x.y@a.b.c",
    "fiona.lee@jane.com", "zoë.smith@example.org", "jane-lee-marie", "x-y", "jane.smith@example.com\nlee.x@example.org",
]  # fmt: skip
@given(st.lists(st.sampled_from(_PSEUDONYMS)))
@example(_PSEUDONYMS)
def test_batch_compares_are_the_kinds_compares(pseudonyms: list[str]) -> None:
    """``compare_many`` of a kind gives what ``compare`` gives."""
    for kind in KINDS.values():
        if kind.compare_many is not None:
            assert kind.compare_many(pseudonyms) == list(map(kind.compare, pseudonyms)), kind.name


_SHORT_ASCII = st.text(alphabet=" \t\r\x0b\x0c\x1c+()-./:@0123456789abcdeGBWESTx", max_size=26)


@given(st.lists(st.one_of(_SHORT_ASCII, st.sampled_from(_MORE_TEXTS + _ORIGINALS)), min_size=1))
@example([t for t in _MORE_TEXTS + _ORIGINALS if t.isascii()])
def test_batch_normalisers_are_the_kinds_normalisers(texts: list[str]) -> None:
    """``normalise_many`` gives what ``normalise`` gives, on batches of ASCII values too (made at once)."""
    for kind in KINDS.values():
        if kind.normalise_many is not None:
            assert kind.normalise_many(texts) == list(map(kind.normalise, texts)), kind.name


_SAFE_OR_NOT = [
    "81.2.3.4", "10.0.0.1", "192.168.1.1", "127.0.0.1", "203.0.113.7", "172.16.0.1", "100.64.0.1", "2001:db8::5",
    "::1", "8.8.8.8", "١٢.٣.٤.٥", "jane@acme.io", "x@example.com", "y@mail.example", "z@host.test", "q@a.invalid",
    "w@examples.io", "v@localhost.localhost", "u@sub.example.org",
]  # fmt: skip


@given(st.lists(st.sampled_from(_SAFE_OR_NOT), min_size=1))
@example(["81.2.3.4", "8.8.8.8"])
@example(["jane@acme.io"])
def test_a_quick_look_never_misses_a_safe_value(texts: list[str]) -> None:
    """``may_be_safe`` says False only when ``safe`` holds for none of the norms."""
    for kind in KINDS.values():
        if kind.may_be_safe is not None:
            norms = [n for n in map(kind.normalise, texts) if n is not None]
            if norms and not kind.may_be_safe(norms):
                assert not any(map(kind.safe, norms)), (kind.name, norms)
