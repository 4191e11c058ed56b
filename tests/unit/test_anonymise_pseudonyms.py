"""Keyed pseudonyms: consistent, key-dependent, collision-free, pinned by the mapping file."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_agentreal.anonymise.formats import KINDS, Kind, register_kind, stream
from pytest_agentreal.anonymise.pseudonyms import Hmac, MappingFile, PseudonymTable
from pytest_agentreal.errors import ConfigError

KEY = b"test-key-0123456789abcdef"
OTHER_KEY = b"other-key-0123456789abcdef"


@pytest.fixture
def tiny_kind() -> Iterator[str]:
    """A kind whose pool has 4 names: collisions on every few values."""

    def generate(digest: bytes, attempt: int, norm: str) -> str:
        data = stream(digest, attempt)
        base = "ABCD"[data[0] % 4]
        return base if attempt < 6 else f"{base}{data[1]}{data[2]}"

    register_kind(Kind("tiny", lambda t: t.strip().lower() or None, generate, lambda o, c: c,
                       compare=str.lower, pool=lambda n: ("all", 4), widen_at=6))  # fmt: skip
    yield "tiny"
    del KINDS["tiny"]


def _mapping(table: PseudonymTable, kind: str, values: list[str]) -> dict[str, str]:
    return {v: table.lookup(kind, v) for v in values}


def test_our_hmac_is_hmac_sha256() -> None:
    for message in (b"", b"name\x1fjane", bytes(range(200))):
        assert Hmac(KEY)(message) == hmac.digest(KEY, message, "sha256")
    long_key = b"k" * 100
    assert Hmac(long_key)(b"x") == hmac.digest(long_key, b"x", "sha256")


def test_same_value_same_pseudonym_across_tables() -> None:
    first, second = PseudonymTable(KEY), PseudonymTable(KEY)
    assert first.pseudonym("email", "Jane.Doe@acme.io") == second.pseudonym("email", "jane.doe@ACME.io")


def test_another_key_gives_other_pseudonyms() -> None:
    values = [f"person{i}@acme.io" for i in range(20)]
    ours = _mapping(PseudonymTable(KEY), "email", values)
    theirs = _mapping(PseudonymTable(OTHER_KEY), "email", values)
    assert sum(ours[v] == theirs[v] for v in values) == 0


def test_collisions_are_resolved_and_independent_of_order(tiny_kind: str) -> None:
    values = [f"value-{i}" for i in range(40)]
    shuffled = values[:]
    random.Random(7).shuffle(shuffled)
    mappings = []
    for order in (values, shuffled):
        table = PseudonymTable(KEY)
        for value in order:
            table.register(tiny_kind, value)
        table.resolve()
        mappings.append(_mapping(table, tiny_kind, values))
    assert mappings[0] == mappings[1]
    assert len(set(mappings[0].values())) == len(values)


def test_pseudonyms_avoid_real_values_of_the_same_kind(tiny_kind: str) -> None:
    table = PseudonymTable(KEY)
    for value in ("a", "b", "c", "x", "y"):
        table.register(tiny_kind, value)
    table.resolve()
    fakes = {table.lookup(tiny_kind, v).lower() for v in ("a", "b", "c", "x", "y")}
    assert not fakes & {"a", "b", "c", "x", "y"}


def test_five_thousand_distinct_names_get_distinct_pseudonyms() -> None:
    letters = "abcdefghijklmnopqrstuvwxyz"
    names = [f"n{letters[i % 26]}{letters[i // 26 % 26]}{letters[i // 676 % 26]}" for i in range(5000)]
    table = PseudonymTable(KEY)
    for name in names:
        table.register("name", name)
    table.resolve()
    fakes = [table.lookup("name", n).casefold() for n in names]
    assert len(set(fakes)) == len(names)
    assert not set(fakes) & set(names)


def test_mapping_pins_earlier_pseudonyms_and_holds_no_originals(tmp_path: Path, tiny_kind: str) -> None:
    path = tmp_path / "key.mapping.json"
    first = PseudonymTable(KEY, MappingFile.load(path, KEY))
    early = [f"early-{i}" for i in range(10)]
    for value in early:
        first.register(tiny_kind, value)
    first.resolve()
    before = _mapping(first, tiny_kind, early)
    first.mapping.save()

    text = path.read_text(encoding="utf-8")
    assert not any(value in text for value in early)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # A later run sees new values first; the early ones keep their pseudonyms all the same.
    second = PseudonymTable(KEY, MappingFile.load(path, KEY))
    late = [f"late-{i}" for i in range(30)]
    for value in late + early:
        second.register(tiny_kind, value)
    second.resolve()
    assert _mapping(second, tiny_kind, early) == before
    assert len(set(_mapping(second, tiny_kind, early + late).values())) == 40


def test_mapping_of_another_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    table = PseudonymTable(KEY, MappingFile.load(path, KEY))
    table.pseudonym("email", "a@acme.io")
    table.mapping.save()
    with pytest.raises(ConfigError, match="another key"):
        MappingFile.load(path, OTHER_KEY)


@pytest.mark.parametrize("content", ["{not json", json.dumps({"format": "something-else"}), "[]"])
def test_broken_mapping_is_a_config_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError):
        MappingFile.load(path, KEY)


def test_mapping_keys_are_truncated_keyed_digests() -> None:
    table = PseudonymTable(KEY)
    table.pseudonym("email", "a@acme.io")
    (digest,) = table.mapping.entries["email"]
    expected = hmac.digest(KEY, b"email\x1fa@acme.io", "sha256")[:16].hex()
    assert digest == expected
    assert hashlib.sha256(b"a@acme.io").hexdigest()[:32] != digest


def test_safe_values_and_non_values_are_left_alone() -> None:
    table = PseudonymTable(KEY)
    assert table.pseudonym("email", "someone@example.com") == "someone@example.com"
    assert table.pseudonym("email", "not an email") is None
    assert table.mapping_size() == 0


def test_is_pseudonym_recognises_written_values_in_any_layout() -> None:
    table = PseudonymTable(KEY)
    fake = table.pseudonym("phone", "+44 20 7946 0958")
    assert fake is not None
    assert table.is_pseudonym("phone", fake)
    national = "0" + fake.removeprefix("+44 ")
    assert table.is_pseudonym("phone", national)
    assert not table.is_pseudonym("phone", "+44 20 7946 0958")


def test_mapping_file_is_json_sorted_by_kind_and_digest(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    table = PseudonymTable(KEY, MappingFile.load(path, KEY))
    for i in range(40):
        table.pseudonym("email", f"p{i}@acme.io")
        table.pseudonym("name", "Jo" + "abcdefghijklmnopqrstuvwxyz"[i % 26] * (1 + i // 26))
    table.mapping.save()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {"format": "agentreal-mapping", "version": 1, "key_id": table.mapping.key_id,
                    "kinds": table.mapping.entries}  # fmt: skip
    assert list(data["kinds"]) == sorted(data["kinds"])
    assert all(list(entries) == sorted(entries) for entries in data["kinds"].values())
    assert MappingFile.load(path, KEY).entries == table.mapping.entries


def _day(text: str) -> int:
    return dt.date.fromisoformat(text[:10]).toordinal()


def test_consecutive_birthdays_stay_distinct_and_close() -> None:
    # Every day of eleven years is someone's birthday: no day is free, yet no two collide.
    norms = [(dt.date(1950, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(4000)]
    shuffled = norms[:]
    random.Random(3).shuffle(shuffled)
    mappings = []
    for order in (norms, shuffled):
        table = PseudonymTable(KEY)
        table.register_many("dob", order)
        table.resolve()
        mappings.append({n: table.lookup("dob", n) for n in norms})
    fakes = mappings[0]
    assert mappings[1] == fakes
    assert len(set(fakes.values())) == len(norms)
    shifts = [_day(fake) - _day(real) for real, fake in fakes.items()]
    assert 0 not in shifts and max(map(abs, shifts)) <= 2 * 365


def test_birthdays_of_a_later_run_avoid_the_pinned_ones() -> None:
    early = [(dt.date(1950, 1, 1) + dt.timedelta(days=2 * i)).isoformat() for i in range(1500)]
    late = [(dt.date(1950, 1, 2) + dt.timedelta(days=2 * i)).isoformat() for i in range(1500)]
    first = PseudonymTable(KEY)
    first.register_many("dob", early)
    first.resolve()
    pinned = {n: first.lookup("dob", n) for n in early}
    # Ambiguous D/M dates ("~") must stay valid read either way: a day of the month of at most 12.
    ambiguous = [f"1951-0{1 + i % 9}-0{1 + i % 9}~" for i in range(9)] + ["1951-03-04~", "1951-04-03~"]
    second = PseudonymTable(KEY, MappingFile(None, first.mapping.key_id, {"dob": dict(first.mapping.entries["dob"])}))
    second.register_many("dob", late + early + ambiguous)
    second.resolve()
    assert {n: second.lookup("dob", n) for n in early} == pinned
    fakes = [second.lookup("dob", n) for n in late + ambiguous]
    assert len(set(fakes)) == len(fakes) and not set(fakes) & set(pinned.values())
    assert all(dt.date.fromisoformat(second.lookup("dob", n)).day <= 12 for n in ambiguous)


def test_the_mapping_file_escapes_what_json_escapes(tmp_path: Path) -> None:
    # Pseudonyms are written without a JSON encoder call each; odd ones must still be escaped.
    odd = ['x"y', "a\\b", "tab\there", "\x7f", "\u2028", "Zoë", "plain"]
    mapping = MappingFile(tmp_path / "m.json", "k", {"city": {f"{i:032x}": text for i, text in enumerate(odd)}})
    mapping.save()
    text = (tmp_path / "m.json").read_text(encoding="utf-8")
    assert json.loads(text)["kinds"] == mapping.entries
    body = json.dumps(dict(sorted(mapping.entries["city"].items())), ensure_ascii=False, separators=(",\n   ", ": "))
    assert body[1:-1] in text


@pytest.mark.parametrize("order", ["names first", "emails first", "one kind at a time"])
def test_no_pseudonym_is_built_of_a_real_name(order: str) -> None:
    """E-mails, user names and double-barrelled names are made of pool names: none of those words
    may be a real name of the run (else "jane.x@example.net" reads as the real Jane's address)."""
    from pytest_agentreal.anonymise.pools import pools

    firsts = [n.casefold() for n in pools().first_names]
    real = random.Random(11).sample(firsts, len(firsts) * 4 // 5)  # most of the pool: words collide often
    emails = [f"person{i}@corp.test.io" for i in range(300)]
    users = [f"user{i}" for i in range(300)]
    table = PseudonymTable(KEY)
    registrations = [("name", real), ("email", emails), ("username", users)]
    if order != "names first":
        registrations.reverse()
    for kind, norms in registrations:
        table.register_many(kind, norms)
    if order == "one kind at a time":  # as the engine resolves a batch (names are known, not resolved)
        for kind, norms in registrations:
            table.resolve_aligned(kind, [norms])
    table.resolve()
    real_set = set(real)
    words_of = {
        "email": lambda p: p.partition("@")[0].rstrip("0123456789").split("."),
        "username": lambda p: p.rstrip("0123456789").split("_"),
        "name": lambda p: p.split("-"),
    }
    for kind, norms in registrations:
        fakes = [table.lookup(kind, n).casefold() for n in norms]
        assert len(set(fakes)) == len(norms)
        clashes = [f for f in fakes if real_set.intersection(words_of[kind](f))]
        assert clashes == [], (kind, clashes[:5])
    assert any("-" in table.lookup("name", n) for n in real)  # the pool ran short: some are double-barrelled
