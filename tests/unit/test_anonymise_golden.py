"""Pseudonyms do not drift: every kind's functions and the engine's output match a stored golden file.

A pseudonym is a pure function of (key, value, the set of values): speeding up a kind or the engine
must not change one, or a corpus anonymised again would disagree with the one already committed (the
mapping file pins only what it holds). The golden file was written by the reference implementation;
regenerate it (``python tests/unit/test_anonymise_golden.py``) only when a change of pseudonyms is
intended. All values in it are synthetic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

from pytest_agentreal.anonymise import Anonymiser, PseudonymTable, Report
from pytest_agentreal.anonymise.formats import KINDS, iban_remainder, luhn_check_digit

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "anonymise_golden.json"
KEY = b"golden-key-0123456789abcdef"
ATTEMPTS = (0, 1, 4, 24, 30)
KIND_NAMES = (
    "name",
    "email",
    "phone",
    "iban",
    "card",
    "dob",
    "ip",
    "street",
    "postcode",
    "id_number",
    "city",
    "username",
)
_LOWER = "abcdefghijklmnopqrstuvwxyz"


def _word(rng: random.Random, low: int = 2, high: int = 9) -> str:
    return "".join(rng.choice(_LOWER) for _ in range(rng.randint(low, high)))


def _iban(rng: random.Random, country: str, length: int) -> str:
    bban = "".join(
        rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ" if i < 4 else "0123456789") for i in range(length - 4)
    )
    return f"{country}{98 - iban_remainder(country + '00' + bban):02d}{bban}"


def _card(rng: random.Random, prefix: str, length: int) -> str:
    payload = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return payload + luhn_check_digit(payload)


def values(rng: random.Random) -> dict[str, list[str]]:
    """Varied spellings of every kind (fixed seed: the same list every time)."""
    out: dict[str, list[str]] = {k: [] for k in KIND_NAMES}
    fixed = {
        "name": ["O'Brien", "Ørsted", "JANE", "jane", "Straße", "ＪＡＮＥ", "d'Arcy", "van", "A", "Zoë", "José"],
        "email": ["Jane.Doe@ACME.io", "x@example.com", "a+b@mail.co.uk", "not an email", "JOHN@CORP.DE"],
        "phone": [
            "+44 20 7946 0958",
            "0044 20 7946 0958",
            "020 7946 0958",
            "+1 (415) 555-0132",
            "06.12.34.56.78",
            "+44 (0)20 7946 0958",
            "447700900123",
            "4155550132",
            "12345",
            "+353 87 123 4567",
            "+7 912 345 67 89",
        ],
        "iban": [
            "GB82 WEST 1234 5698 7654 32",
            "fr14 2004 1010 0505 0001 3m02 606",
            "MT84MALT011000012345MTLCAST001S",
            "DE89-3704-0044-0532-0130-00",
            "XX00",
        ],
        "card": [
            "4111 1111 1111 1111",
            "378282246310005",
            "5555-5555-5555-4444",
            "6011111111111117",
            "2223003122003222",
            "4222222222222",
            "30569309025904",
            "6400000000000000",
        ],
        "dob": [
            "1990-04-03",
            "03/04/1990",
            "3.4.1990",
            "12/31/1980",
            "1 March 1975",
            "Mar 3, 1975",
            "1975/3/1",
            "1990-04-03T10:00:00",
            "1990-04-03 10:00",
            "31-12-1999",
            "0001-01-05",
            "9999-12-28",
            "5/5/2001",
            "2000-02-30",
        ],
        "ip": [
            "81.2.69.160",
            "10.0.0.1",
            "192.168.1.1",
            "8.8.8.8",
            "2a00:1450:4009:81f::200e",
            "::1",
            "256.1.1.1",
            "01.2.3.4",
            "100.64.1.1",
            "2001:db8::1",
        ],
        "street": ["17 Ravensworth Gardens", "Flat 2, 3 High St", "ab"],
        "postcode": ["NE4 6XL", "10115", "sw1a 1aa", "ABC"],
        "id_number": ["AB 12 34 56 C", "123-45-6789", "X1234567"],
        "city": ["Newcastle upon Tyne", "Stoke-on-Trent", "Köln"],
        "username": ["jdoe_77", "Jane Doe", "x"],
    }
    for kind, items in fixed.items():
        out[kind].extend(items)
    for _ in range(60):
        word = _word(rng)
        out["name"].append(rng.choice([word, word.capitalize(), word.upper()]))
        out["email"].append(
            f"{_word(rng)}.{_word(rng)}{rng.randint(0, 99)}@{_word(rng, 3, 6)}.{rng.choice(['io', 'de'])}"
        )
        digits = "".join(rng.choice("0123456789") for _ in range(8))
        out["phone"].append(
            rng.choice(
                [
                    f"+44 20 {digits[:4]} {digits[4:]}",
                    f"0{digits}{digits[:2]}",
                    f"+1 {digits[:3]}-{digits[3:6]}-{digits[6:]}{digits[:2]}",
                    f"+33 6 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}",
                ]
            )
        )
        country, length = rng.choice([("GB", 22), ("DE", 22), ("FR", 27), ("NL", 18), ("NO", 15)])
        iban = _iban(rng, country, length)
        out["iban"].append(rng.choice([iban, " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)), iban.lower()]))
        prefix, length = rng.choice([("4", 16), ("37", 15), ("55", 16), ("6011", 16), ("4", 13), ("35", 16)])
        card = _card(rng, prefix, length)
        out["card"].append(rng.choice([card, "-".join(card[i : i + 4] for i in range(0, len(card), 4))]))
        day = dt.date(1900, 1, 1) + dt.timedelta(days=rng.randint(0, 45000))
        out["dob"].append(
            rng.choice(
                [
                    day.isoformat(),
                    f"{day.day:02d}/{day.month:02d}/{day.year}",
                    f"{day.day}.{day.month}.{day.year}",
                    f"{day.day} {day:%B} {day.year}",
                ]
            )
        )
        out["ip"].append(
            rng.choice(
                [
                    f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                    f"2a00:{rng.randint(0, 65535):x}::{rng.randint(1, 65535):x}",
                ]
            )
        )
        out["street"].append(
            f"{rng.randint(1, 300)} {_word(rng).capitalize()} {rng.choice(['Road', 'Street', 'lane'])}"
        )
        out["postcode"].append(
            f"{rng.choice(_LOWER).upper()}{rng.randint(1, 99)} {rng.randint(1, 9)}{_word(rng, 2, 2).upper()}"
        )
        out["city"].append(_word(rng, 4, 10).capitalize())
        out["username"].append(f"{_word(rng)}_{rng.randint(1, 999)}")
        out["id_number"].append(f"{_word(rng, 2, 2).upper()}{rng.randint(100000, 999999)}")
    return out


# Digits that are not ASCII: still digits to str.isdigit (and to a reader), not always to int().
_EXTRA = {
    "ip": ["1.2.3.²", "١.٢.٣.٤", "81.2.69.１６０"],
    "phone": ["+44 20 ７９４６ 0958"],
    "card": ["４１１１ 1111 1111 1111"],
}
_NOISE = ["", " ", "\t", "\u00a0", "-", ".", "/", "(", ")", "+", "'", "’"]
_ODD = ["é", "ß", "²", "١", "１", "Ａ", "ǅ", "İ", "ﬁ", "0", "9", "Z", "z"]


def noisy_values(rng: random.Random) -> dict[str, list[str]]:
    """The same kinds spelled carelessly: case, separators, odd characters (fixed seed)."""
    out: dict[str, list[str]] = {}
    for kind, items in values(random.Random(3)).items():
        noisy = []
        for _ in range(2):
            for value in items:
                chars = list(value)
                for _ in range(rng.randint(1, 3)):
                    where = rng.randrange(len(chars) + 1)
                    action = rng.random()
                    if action < 0.3:
                        chars.insert(where, rng.choice(_NOISE))
                    elif action < 0.5 and chars:
                        chars[min(where, len(chars) - 1)] = rng.choice(_ODD)
                    elif action < 0.7 and chars:
                        del chars[min(where, len(chars) - 1)]
                    elif action < 0.85:
                        chars = list("".join(chars).swapcase())
                noisy.append(rng.choice(["", " ", "\u2003"]) + "".join(chars) + rng.choice(["", " ", "\n"]))
        out[kind] = noisy
    return out


def kind_cases(kinds: dict[str, Any] | None = None, noisy: bool = False) -> list[list[Any]]:
    """``[kind, value, norm, safe, [generate(attempt) …], render]`` for every value (``noisy``: the
    careless spellings, with the first attempt only)."""
    kinds = KINDS if kinds is None else kinds
    rows: list[list[Any]] = []
    cases = noisy_values(random.Random(5)) if noisy else values(random.Random(7))
    if not noisy:
        cases = {kind: items + _EXTRA.get(kind, []) for kind, items in cases.items()}
    for kind, items in cases.items():
        spec = kinds[kind]
        for value in items:
            try:
                norm = spec.normalise(value)
            except Exception:  # the reference implementation crashed here: nothing to compare
                rows.append([kind, value, "crash", None, None, None])
                continue
            if norm is None:
                rows.append([kind, value, None, None, None, None])
                continue
            digest = hashlib.sha256(f"{kind}:{value}".encode()).digest()
            # Careless spellings vary the originals, not the norms: the first candidate is enough.
            generated = [spec.generate(digest, attempt, norm) for attempt in (ATTEMPTS[:1] if noisy else ATTEMPTS)]
            rows.append([kind, value, norm, spec.safe(norm), generated, spec.render(value, generated[0])])
    return rows


def records() -> list[dict[str, Any]]:
    """Flat, nested and free-text records (the engine's fast and general paths)."""
    rng = random.Random(11)
    kinds = values(rng)
    out: list[dict[str, Any]] = []
    for i in range(40):
        first, last = _word(rng, 3, 8).capitalize(), _word(rng, 3, 8).capitalize()
        email = f"{first.lower()}.{last.lower()}@{_word(rng, 3, 6)}.io"
        flat = {
            "id": f"T-{i}",
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": kinds["phone"][i],
            "iban": kinds["iban"][i],
            "card": kinds["card"][i],
            "dob": kinds["dob"][i],
            "ip": kinds["ip"][i],
            "score": i / 7,
            "vip": i % 2 == 0,
            "note": None,
        }
        if i % 5 == 0:
            flat["body"] = f"hi, {first.lower()} here. mail {email}, card {kinds['card'][i]}"
        if i % 7 == 0:
            flat = {"ticket": flat, "lines": [{"ip": kinds["ip"][i + 1]}, {"phone": 447700900100 + i}]}
        out.append(flat)
    out.append(
        {
            "name": "Jane van Doe",
            "address": "17 Ravensworth Gardens, Newcastle NE4 6XL",
            "password": "hunter2hunter2",
            "by_email": {"jane@acme.io": 1},
            "username": "jdoe_77",
            "zip": "NE4 6XL",
            "x_api_key": "k" * 12,
        }
    )
    return out


def engine_output() -> dict[str, Any]:
    """What the engine makes of :func:`records` (output, mapping, report)."""
    table = PseudonymTable(KEY)
    report = Report()
    output = Anonymiser(table, scan=True).anonymise_records(records(), report)
    return {"output": output, "mapping": table.mapping.entries, "report": report.as_dict()}


def current() -> dict[str, Any]:
    """Everything the golden file holds, as JSON would give it back."""
    data: dict[str, Any] = json.loads(
        json.dumps({"kinds": kind_cases(), "engine": engine_output(), "noisy": kind_cases(noisy=True)})
    )
    return data


def test_every_kind_gives_the_stored_pseudonyms() -> None:
    stored = json.loads(GOLDEN.read_text(encoding="utf-8"))["kinds"]
    now = json.loads(json.dumps(kind_cases()))
    assert len(now) == len(stored)
    for got, expected in zip(now, stored, strict=True):
        if expected[2] != "crash":  # where the reference crashed, anything but a crash will do
            assert got == expected, expected[:2]


def test_every_kind_gives_the_stored_pseudonyms_on_careless_spellings() -> None:
    stored = json.loads(GOLDEN.read_text(encoding="utf-8"))["noisy"]
    now = json.loads(json.dumps(kind_cases(noisy=True)))
    assert len(now) == len(stored)
    for got, expected in zip(now, stored, strict=True):
        if expected[2] != "crash":
            assert got == expected, expected[:2]


def test_the_engine_gives_the_stored_output_mapping_and_report() -> None:
    stored = json.loads(GOLDEN.read_text(encoding="utf-8"))["engine"]
    now = json.loads(json.dumps(engine_output()))
    assert now["mapping"] == stored["mapping"]
    assert now["report"] == stored["report"]
    for got, expected in zip(now["output"], stored["output"], strict=True):
        assert got == expected


if __name__ == "__main__":  # pragma: no cover - regenerating is a deliberate act
    GOLDEN.write_text(json.dumps(current(), indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}", file=sys.stderr)
