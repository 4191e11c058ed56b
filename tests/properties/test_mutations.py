"""Properties of the built-in mutation operators over realistic generated support tickets.

Each operator must be deterministic for a seed, leave its input untouched, keep the sample id,
and change the input exactly as its family declares — nothing more.
"""

from __future__ import annotations

import copy
import datetime
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_agentreal import pointers
from pytest_agentreal.mutations.dates import parse_date
from pytest_agentreal.mutations.diff import Change, changes
from pytest_agentreal.mutations.registry import MutationContext, Operator, get_operator, iter_operators
from pytest_agentreal.mutations.unicode_noise import fold_text

FIRST = ["Anna", "Jonas", "Claire", "Marco", "Sofia", "Liam", "Emma", "Lucas"]
LAST = ["Schmidt", "Weber", "Martin", "Rossi", "Garcia", "Jansen", "Silva", "Brown"]
DOMAINS = ["example.org", "mailbox.de", "exemple.fr", "posteo.net"]
TEXT: dict[str, dict[str, list[str]]] = {
    "en": {
        "greeting": ["Hello,", "Hi there,", "Dear support team,"],
        "subject": ["Refund for damaged blender", "Where is my parcel?", "Wrong item delivered", "Cancel my order"],
        "sentence": [
            "My order arrived yesterday and the box was crushed.",
            "I would like a refund or a replacement, please.",
            "The tracking page has not changed for a week.",
            "I was charged twice for the same order.",
            "Could you please change the delivery address before it ships?",
        ],
        "closing": ["Thanks,", "Best regards,", "Cheers,"],
    },
    "de": {
        "greeting": ["Guten Tag,", "Hallo,"],
        "subject": ["Lieferung fehlt noch", "Rückerstattung für defekten Mixer", "Falscher Artikel geliefert"],
        "sentence": [
            "Ich habe vor einer Woche bestellt und die Lieferung ist immer noch nicht da.",
            "Bitte erstatten Sie mir den Betrag zurück.",
            "Der Mixer ist beim ersten Benutzen kaputt gegangen.",
            "Können Sie bitte nachsehen, wo mein Paket ist?",
        ],
        "closing": ["Mit freundlichen Grüßen", "Viele Grüße"],
    },
    "fr": {
        "greeting": ["Bonjour,", "Madame, Monsieur,"],
        "subject": ["Changer l'adresse de livraison", "Colis jamais reçu", "Remboursement de ma commande"],
        "sentence": [
            "Je voudrais changer l'adresse de livraison de ma commande avant l'expédition.",
            "Mon colis n'est toujours pas arrivé et je n'ai pas de nouvelles.",
            "Merci de me rembourser le montant de la commande.",
        ],
        "closing": ["Cordialement,", "Bien à vous,"],
    },
}
SKUS = [("BLD-200", "Blender Pro 200"), ("CAB-USB", "USB-C cable 2m"), ("VAC-X1", "Vacuum X1"), ("KTL-9", "Kettle")]
TEXT_FIELDS = {"/subject", "/body"}


@st.composite
def tickets(draw: st.DrawFn, number: int) -> dict[str, Any]:
    """One support ticket: nested customer and order, an items list, free-text subject and body."""
    lang = draw(st.sampled_from(sorted(TEXT)))
    words = TEXT[lang]
    first, last = draw(st.sampled_from(FIRST)), draw(st.sampled_from(LAST))
    sentences = draw(st.lists(st.sampled_from(words["sentence"]), min_size=1, max_size=4))
    body = (
        f"{draw(st.sampled_from(words['greeting']))}\n\n{' '.join(sentences)}\n\n"
        f"{draw(st.sampled_from(words['closing']))}\n{first} {last}"
    )
    customer: dict[str, Any] = {
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}@{draw(st.sampled_from(DOMAINS))}",
        "address": {"street": f"{draw(st.integers(1, 99))} Lindenstraße", "city": "Berlin", "zip": "10115"},
    }
    phone = draw(st.sampled_from(["+49 170 5550123", None, "absent"]))
    if phone != "absent":
        customer["phone"] = phone
    items: list[dict[str, Any]] = [
        {"sku": sku, "name": name, "qty": draw(st.integers(1, 5)), "unit_price": draw(st.integers(199, 19999)) / 100}
        for sku, name in draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=3, unique=True))
    ]
    ticket: dict[str, Any] = {
        "ticket_id": f"T-{number:04d}",
        "received_at": f"{draw(st.dates(min_value=_date(2023), max_value=_date(2025))).isoformat()}T09:12:00Z",
        "subject": draw(st.sampled_from(words["subject"])),
        "body": body,
        "customer": customer,
        "order": {
            "order_id": str(draw(st.integers(10000, 99999))),
            "total": round(sum(i["qty"] * i["unit_price"] for i in items), 2),
            "currency": draw(st.sampled_from(["EUR", "USD", "GBP"])),
            "placed_at": draw(st.dates(min_value=_date(2023), max_value=_date(2025))).isoformat(),
            "paid": draw(st.booleans()),
        },
        "items": items,
        "tags": draw(st.lists(st.sampled_from(["refund", "damaged", "shipping", "vip"]), max_size=3, unique=True)),
    }
    if draw(st.booleans()):
        ticket["priority"] = draw(st.integers(1, 5))
    return ticket


def _date(year: int) -> datetime.date:
    return datetime.date(year, 1, 1)


@st.composite
def corpora(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Two to four tickets with unique ids."""
    return [draw(tickets(n)) for n in range(1, draw(st.integers(2, 4)) + 1)]


def context(samples: list[dict[str, Any]]) -> MutationContext:
    return MutationContext(
        corpus="support-inbox",
        samples=samples,
        id_field="ticket_id",
        is_required=lambda sample, pointer: pointer == "/body",
        connector_reads=lambda sample_id: ["crm.read", "orders.read"],
    )


def cases(sample: dict[str, Any], ctx: MutationContext) -> list[tuple[Operator, str]]:
    return [(op, target) for op in iter_operators() for target in op.targets(sample, ctx)]


PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(corpora(), st.integers(0, 2**32))
def test_every_operator_is_deterministic_and_leaves_its_input_alone(samples: list[dict[str, Any]], seed: int) -> None:
    ctx = context(samples)
    sample = samples[0]
    before = copy.deepcopy(sample)
    for op, target in cases(sample, ctx):
        first = op.apply(sample, target, random.Random(seed), ctx)
        second = op.apply(sample, target, random.Random(seed), ctx)
        assert first == second, f"{op.key}:{target} is not deterministic"
        assert sample == before, f"{op.key}:{target} mutated its input"
        assert all(s is not sample for s in first), f"{op.key}:{target} returned its input object"
        assert all(s["ticket_id"] == sample["ticket_id"] for s in first), f"{op.key}:{target} changed the id"


@PROPERTY
@given(corpora())
def test_targets_are_unique_readable_and_never_the_id(samples: list[dict[str, Any]]) -> None:
    ctx = context(samples)
    for sample in samples:
        ids = [f"{op.key}:{target}" for op, target in cases(sample, ctx)]
        assert len(ids) == len(set(ids))
        assert len(ids) >= 15
        for op, target in cases(sample, ctx):
            assert "ticket_id" not in target
            if op.family in ("missing", "out_of_pattern") and target:
                pointers.parse(target)  # a valid JSON Pointer
                assert target.isprintable()


def _remove(document: Any, tokens: tuple[str, ...]) -> Any:
    """An independent removal, to check ``missing.drop`` against."""
    if isinstance(document, dict):
        if len(tokens) == 1:
            return {k: v for k, v in document.items() if k != tokens[0]}
        return {k: (_remove(v, tokens[1:]) if k == tokens[0] else v) for k, v in document.items()}
    index = int(tokens[0])
    if len(tokens) == 1:
        return document[:index] + document[index + 1 :]
    return [(_remove(v, tokens[1:]) if i == index else v) for i, v in enumerate(document)]


@PROPERTY
@given(corpora(), st.integers(0, 2**32))
def test_missing_drop_removes_exactly_its_target(samples: list[dict[str, Any]], seed: int) -> None:
    ctx = context(samples)
    op = get_operator("missing", "drop")
    targets = op.targets(samples[0], ctx)
    assert "/customer/address/zip" in targets and "/items/0/sku" in targets
    for target in targets:
        (mutated,) = op.apply(samples[0], target, random.Random(seed), ctx)
        assert mutated == _remove(samples[0], pointers.parse(target))
        assert pointers.resolve(mutated, target) is pointers.MISSING or target.startswith("/tags/")


def _only(found: list[Change], kind: str, target: str) -> Change:
    assert len(found) == 1, found
    assert (found[0].kind, found[0].pointer) == (kind, target)
    return found[0]


@PROPERTY
@given(corpora(), st.integers(0, 2**32))
def test_each_mutation_changes_what_it_declares(samples: list[dict[str, Any]], seed: int) -> None:
    ctx = context(samples)
    sample = samples[0]
    others = samples[1:]
    for op, target in cases(sample, ctx):
        out = op.apply(sample, target, random.Random(seed), ctx)
        found = changes(sample, out[-1])
        key = op.key
        if op.family == "duplicate":
            assert len(out) == 2 and out[0] == sample
        else:
            assert len(out) == 1
        if key in ("duplicate.exact",) or op.family == "connector_fault":
            assert found == []
        elif key == "duplicate.near":
            assert found and {c.pointer for c in found} <= TEXT_FIELDS
            assert all(c.kind == "~" and isinstance(c.new, str) for c in found)
        elif key == "duplicate.conflicting":
            (change,) = found
            general = pointers.generalise(change.pointer)
            assert any(change.new == v for other in others for _, v in pointers.resolve_all(other, general))
        elif key == "missing.drop":
            _only(found, "-", target)
        elif key == "missing.null":
            assert _only(found, "~", target).new is None
        elif key == "missing.empty":
            assert _only(found, "~", target).new in ("", [], {})
        elif key == "out_of_pattern.wrong_type":
            change = _only(found, "~", target)
            assert type(change.new) is not type(change.old) or parse_date(change.new) is None
        elif key == "out_of_pattern.out_of_range":
            change = _only(found, "~", target)
            if isinstance(change.old, str):
                assert change.new[:4] in ("0001", "9999") or change.new > change.old
            else:
                assert change.new <= 0 or change.new >= 1000 * max(change.old, 1)
        elif key == "out_of_pattern.unicode":
            change = _only(found, "~", target)
            assert target in TEXT_FIELDS and fold_text(change.new) == fold_text(change.old)
        elif key == "out_of_pattern.injection":
            change = _only(found, "~", "/body")
            assert change.new.startswith(change.old.rstrip()) and len(change.new) > len(change.old) + 40
        elif key == "out_of_pattern.oversize":
            change = _only(found, "~", "/body")
            assert change.new.startswith(change.old) and len(change.new.encode("utf-8")) >= 100 * 1024
        elif key == "out_of_pattern.off_topic":
            assert {c.pointer for c in found} == TEXT_FIELDS and all(c.kind == "~" for c in found)
        elif key == "out_of_pattern.unknown_field":
            _only(found, "+", target)
        else:
            raise AssertionError(f"no declared change for {key}")


@PROPERTY
@given(corpora())
def test_missing_oracle_follows_required_fields(samples: list[dict[str, Any]]) -> None:
    ctx = context(samples)
    for name in ("drop", "null", "empty"):
        op = get_operator("missing", name)
        for target in op.targets(samples[0], ctx):
            assert op.oracle(samples[0], target, ctx) == ("escalate" if target == "/body" else "safe")


JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 2))
    | st.text(max_size=30)
    | st.sampled_from(["2024-03-05", "2024-03-05T10:00:00Z", "0001-01-01", "00123", "12.50", "a@b.org"])
    | st.sampled_from(TEXT["en"]["sentence"] + TEXT["de"]["sentence"])
)
JSON = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(st.text(min_size=1, max_size=8), JSON, max_size=5), min_size=1, max_size=3))
def test_operators_accept_any_json_sample(bodies: list[dict[str, Any]]) -> None:
    samples = [{**body, "ticket_id": f"T-{n}"} for n, body in enumerate(bodies)]
    ctx = context(samples)
    for sample in samples:
        for op, target in cases(sample, ctx):
            first = op.apply(sample, target, random.Random(1), ctx)
            assert first == op.apply(sample, target, random.Random(1), ctx)
            assert all(s["ticket_id"] == sample["ticket_id"] for s in first)
