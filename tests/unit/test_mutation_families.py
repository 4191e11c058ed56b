"""Built-in families: duplicate, missing and connector_fault on a small realistic inbox."""

from __future__ import annotations

import copy
import json
import os
import random
import re
import subprocess
import sys
from typing import Any

import pytest

from pytest_agentreal.mutations.language import detect_language
from pytest_agentreal.mutations.registry import MutationContext, families, get_operator
from pytest_agentreal.mutations.text import profile, sample_language, text_pointers

TICKETS: list[dict[str, Any]] = [
    {
        "ticket_id": "T-0042",
        "received_at": "2024-03-04T09:12:00Z",
        "subject": "Refund for damaged blender",
        "body": "Hello,\n\nmy order 58213 arrived yesterday and the blender jar is cracked. I would like a "
        "refund or a replacement. You can reach me at anna.schmidt@example.org.\n\nThanks,\nAnna Schmidt",
        "customer": {
            "name": "Anna Schmidt",
            "email": "anna.schmidt@example.org",
            "phone": "+49 170 5550123",
            "address": {"street": "12 Lindenstraße", "city": "Berlin", "zip": "10115"},
        },
        "order": {"order_id": "58213", "total": 89.9, "currency": "EUR", "placed_at": "2024-02-28", "paid": True},
        "items": [{"sku": "BLD-200", "name": "Blender Pro 200", "qty": 1, "unit_price": 89.9}],
        "tags": ["damaged", "refund"],
        "priority": 2,
    },
    {
        "ticket_id": "T-0043",
        "received_at": "2024-03-04T10:40:00Z",
        "subject": "Lieferung fehlt noch",
        "body": "Guten Tag,\n\nich habe am 1. März bestellt und die Lieferung ist immer noch nicht da. Können "
        "Sie bitte nachsehen, wo mein Paket ist?\n\nMit freundlichen Grüßen\nJonas Weber",
        "customer": {
            "name": "Jonas Weber",
            "email": "j.weber@mailbox.de",
            "phone": None,
            "address": {"street": "Hauptstr. 5", "city": "Köln", "zip": "50667"},
        },
        "order": {"order_id": "58301", "total": 24.5, "currency": "EUR", "placed_at": "2024-03-01", "paid": True},
        "items": [
            {"sku": "CAB-USB", "name": "USB-C cable 2m", "qty": 2, "unit_price": 9.5},
            {"sku": "CHG-65", "name": "Charger 65W", "qty": 1, "unit_price": 5.5},
        ],
        "tags": [],
        "priority": 3,
    },
    {
        "ticket_id": "T-0044",
        "received_at": "2024-03-05T08:03:00Z",
        "subject": "Changer l'adresse de livraison",
        "body": "Bonjour,\n\nje voudrais changer l'adresse de livraison de ma commande 58320 avant "
        "l'expédition. Merci de me confirmer.\n\nCordialement,\nClaire Martin",
        "customer": {
            "name": "Claire Martin",
            "email": "claire.martin@exemple.fr",
            "phone": "+33 6 12 34 56 78",
            "address": {"street": "8 rue des Lilas", "city": "Lyon", "zip": "69003"},
        },
        "order": {"order_id": "58320", "total": 142.0, "currency": "EUR", "placed_at": "2024-03-04", "paid": False},
        "items": [{"sku": "VAC-X1", "name": "Vacuum X1", "qty": 1, "unit_price": 142.0}],
        "tags": ["address-change"],
        "priority": 1,
    },
]
READS = {"T-0042": ["crm.read", "orders.read", "crm.read"], "T-0043": [], "T-0044": ["crm.read"]}


def make_ctx(samples: list[dict[str, Any]] | None = None, **kwargs: Any) -> MutationContext:
    return MutationContext(
        corpus="support-inbox",
        samples=TICKETS if samples is None else samples,
        id_field="ticket_id",
        connector_reads=lambda sample_id: READS.get(sample_id, []),
        **kwargs,
    )


def run(family: str, name: str, sample: dict[str, Any], target: str, seed: int = 0, **kw: Any) -> list[Any]:
    return get_operator(family, name).apply(sample, target, random.Random(seed), make_ctx(**kw))


def test_families_and_operators_are_registered_in_spec_order_with_spec_oracles() -> None:
    registered = {family: list(ops) for family, ops in families().items()}
    assert list(registered)[:4] == ["duplicate", "missing", "out_of_pattern", "connector_fault"]
    assert registered["duplicate"] == ["exact", "near", "conflicting"]
    assert registered["missing"] == ["drop", "null", "empty"]
    assert registered["out_of_pattern"] == [
        "wrong_type", "out_of_range", "oversize", "unicode", "injection", "off_topic", "unknown_field",
    ]  # fmt: skip
    assert registered["connector_fault"] == [
        "http_500", "http_429", "timeout", "malformed_json", "empty_result", "duplicate_result", "missing_field",
    ]  # fmt: skip
    ctx, sample = make_ctx(), TICKETS[0]
    expected = {
        "duplicate.exact": "idempotent",
        "duplicate.near": "idempotent",
        "duplicate.conflicting": "escalate",
        "out_of_pattern.unicode": "invariant",
        "out_of_pattern.injection": "no_new_actions",
        "out_of_pattern.off_topic": "escalate",
        "out_of_pattern.wrong_type": "safe",
        "out_of_pattern.oversize": "safe",
        "connector_fault.timeout": "escalate",
    }
    for key, oracle in expected.items():
        family, name = key.split(".")
        op = get_operator(family, name)
        for target in op.targets(sample, ctx):
            assert op.oracle(sample, target, ctx) == oracle, key
    assert all(op.description for ops in families().values() for op in ops.values())


def test_registration_order_does_not_depend_on_which_module_is_imported_first() -> None:
    script = (
        "import pytest_agentreal.mutations.out_of_pattern_text, pytest_agentreal.mutations.connector_fault\n"
        "from pytest_agentreal.mutations.registry import families\n"
        "print(','.join(families()))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "duplicate,missing,out_of_pattern,connector_fault"


def test_profile_finds_free_text_by_shape_not_names_addresses_or_ids() -> None:
    prof = profile(make_ctx())
    assert prof.text_fields == ("/subject", "/body")
    assert prof.body_field == "/body" and prof.subject_fields == ("/subject",)
    assert prof.languages == ("de", "en", "fr")
    assert text_pointers(TICKETS[0], make_ctx()) == ["/subject", "/body"]
    assert [sample_language(t, make_ctx()) for t in TICKETS] == ["en", "de", "fr"]
    assert detect_language("Hola, mi pedido no ha llegado todavía, gracias por la ayuda") == "es"


def test_exact_duplicate_is_two_equal_independent_copies() -> None:
    first, second = run("duplicate", "exact", TICKETS[0], "")
    assert first == second == TICKETS[0]
    assert first is not second and first["customer"] is not second["customer"]


def _tokens_that_must_survive(text: str) -> list[str]:
    return re.findall(r"[\w.+-]+@[\w.-]+\w|\d+", text)


def test_near_duplicate_is_a_realistic_resend_of_free_text_only() -> None:
    styles: set[str] = set()
    for seed in range(40):
        for sample in TICKETS:
            original, resend = run("duplicate", "near", sample, "", seed)
            assert original == sample
            assert {k: v for k, v in resend.items() if k not in ("subject", "body")} == {
                k: v for k, v in sample.items() if k not in ("subject", "body")
            }
            assert resend != sample
            for token in _tokens_that_must_survive(sample["body"]):  # ids, emails, numbers stay
                assert token in resend["body"]
            subject = resend["subject"]
            if subject != sample["subject"]:
                assert subject.endswith(sample["subject"])
                styles.add("forward" if re.match(r"(Fwd|FW|WG|TR|RV|I|Doorst|ENC) ?: ", subject) else "reply")
            else:
                styles.add("resend")
            if re.search(r"^> ", resend["body"], re.MULTILINE):  # a quoted reply quotes the original
                assert any(f"> {line}" in resend["body"] for line in sample["body"].splitlines() if line)
    assert styles == {"reply", "forward", "resend"}


def test_near_duplicate_uses_the_sample_language() -> None:
    subjects = {run("duplicate", "near", TICKETS[1], "", seed)[1]["subject"] for seed in range(30)}
    assert any(s.startswith("AW: ") for s in subjects) and any(s.startswith("WG: ") for s in subjects)


def test_no_near_duplicate_without_free_text() -> None:
    orders = [{"id": "O-1", "sku": "BLD-200", "qty": 1}, {"id": "O-2", "sku": "VAC-X1", "qty": 2}]
    ctx = MutationContext(corpus="orders", samples=orders, id_field="id")
    assert list(get_operator("duplicate", "near").targets(orders[0], ctx)) == []
    assert list(get_operator("duplicate", "conflicting").targets(orders[0], ctx)) == [""]


def test_conflicting_duplicate_keeps_the_id_and_takes_one_structured_value_from_another_sample() -> None:
    changed: set[str] = set()
    for seed in range(60):
        original, conflict = run("duplicate", "conflicting", TICKETS[0], "", seed)
        assert original == TICKETS[0] and conflict["ticket_id"] == "T-0042"
        diffs = [(k, sub) for k in conflict for sub in _leaf_diffs(TICKETS[0][k], conflict[k], f"/{k}")]
        assert len(diffs) == 1, diffs
        pointer, new = diffs[0][1]
        assert not pointer.startswith(("/subject", "/body"))  # structured fields exist: they come first
        others = [json.dumps(t) for t in TICKETS[1:]]
        assert any(json.dumps(new) in other for other in others)
        changed.add(pointer)
    assert len(changed) > 5  # the field varies with the seed


def _leaf_diffs(old: Any, new: Any, path: str) -> list[tuple[str, Any]]:
    if isinstance(old, dict):
        return [d for k in old for d in _leaf_diffs(old[k], new.get(k), f"{path}/{k}")]
    if isinstance(old, list):
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True)) for d in _leaf_diffs(a, b, f"{path}/{i}")]
    return [] if old == new and type(old) is type(new) else [(path, new)]


def test_no_conflicting_duplicate_in_a_corpus_of_one() -> None:
    ctx = make_ctx([TICKETS[0]])
    assert list(get_operator("duplicate", "conflicting").targets(TICKETS[0], ctx)) == []


def test_missing_targets_every_field_once_nested_and_array_items_but_never_the_id() -> None:
    ctx = make_ctx()
    drop = get_operator("missing", "drop")
    targets = list(drop.targets(TICKETS[1], ctx))
    assert "/ticket_id" not in targets
    assert {"/customer/address/zip", "/customer/phone", "/items/0/sku", "/items/0/qty"} <= set(targets)
    assert not any(t.startswith("/items/1/") for t in targets)  # /items/0/* stands for every item
    assert "/tags" in targets  # an empty array is a leaf too
    assert len(targets) == len(set(targets))
    null_targets = get_operator("missing", "null").targets(TICKETS[1], ctx)
    assert "/customer/phone" not in null_targets  # already null: the case would be the original
    empty_targets = get_operator("missing", "empty").targets(TICKETS[1], ctx)
    assert "/order/total" not in empty_targets and "/order/paid" not in empty_targets
    assert "/tags" not in empty_targets and "/customer/email" in empty_targets


def test_missing_fields_from_the_manifest_narrow_the_targets() -> None:
    ctx = make_ctx(fields=["/customer/email", "/items/*/qty", "/items/1/sku", "/order", "/ticket_id", "/nope"])
    assert list(get_operator("missing", "drop").targets(TICKETS[1], ctx)) == [
        "/customer/email",
        "/items/0/qty",
        "/items/1/sku",
        "/order",
    ]
    (emptied,) = run("missing", "empty", TICKETS[1], "/order", fields=["/order"])
    assert emptied["order"] == {} and emptied["customer"] == TICKETS[1]["customer"]


def test_missing_operators_produce_absent_null_and_empty() -> None:
    (dropped,) = run("missing", "drop", TICKETS[0], "/customer/email")
    assert "email" not in dropped["customer"] and dropped["customer"]["name"] == "Anna Schmidt"
    (spliced,) = run("missing", "drop", TICKETS[0], "/tags/0")
    assert spliced["tags"] == ["refund"]
    (nulled,) = run("missing", "null", TICKETS[0], "/items/0/qty")
    assert nulled["items"][0] == {"sku": "BLD-200", "name": "Blender Pro 200", "qty": None, "unit_price": 89.9}
    (emptied,) = run("missing", "empty", TICKETS[0], "/subject")
    assert emptied["subject"] == "" and emptied["body"] == TICKETS[0]["body"]
    assert TICKETS[0]["customer"]["email"] == "anna.schmidt@example.org"


def test_missing_oracle_is_escalate_exactly_on_required_fields() -> None:
    ctx = make_ctx(is_required=lambda sample, pointer: pointer in ("/customer/email", "/body"))
    for name in ("drop", "null", "empty"):
        op = get_operator("missing", name)
        assert op.oracle(TICKETS[0], "/customer/email", ctx) == "escalate"
        assert op.oracle(TICKETS[0], "/customer/phone", ctx) == "safe"


def test_connector_faults_target_each_read_action_once_and_keep_the_input() -> None:
    ctx = make_ctx()
    op = get_operator("connector_fault", "http_500")
    assert list(op.targets(TICKETS[0], ctx)) == ["crm.read", "orders.read"]
    assert list(op.targets(TICKETS[1], ctx)) == []  # no connector calls: no case
    (same,) = op.apply(TICKETS[0], "crm.read", random.Random(1), ctx)
    assert same == TICKETS[0] and same is not TICKETS[0]
    assert op.oracle(TICKETS[0], "crm.read", ctx) == "escalate"


def test_integer_ids_are_read_as_text() -> None:
    samples = [dict(copy.deepcopy(t), ticket_id=i) for i, t in enumerate(TICKETS, start=41)]
    ctx = MutationContext(corpus="c", samples=samples, id_field="ticket_id", connector_reads=lambda sid: [sid])
    assert list(get_operator("connector_fault", "timeout").targets(samples[1], ctx)) == ["42"]


_DIGEST_SCRIPT = """
import hashlib, json, random, sys
sys.path.insert(0, {here!r})
from test_mutation_families import make_ctx, TICKETS
from pytest_agentreal.mutations.registry import iter_operators
ctx, digest = make_ctx(), hashlib.sha256()
for sample in TICKETS:
    for op in iter_operators():
        for target in op.targets(sample, ctx):
            out = op.apply(sample, target, random.Random(7), ctx)
            digest.update(json.dumps([op.key, target, out], sort_keys=True).encode())
print(digest.hexdigest())
"""


def test_cases_are_identical_across_processes_with_different_hash_seeds() -> None:
    script = _DIGEST_SCRIPT.format(here=os.path.dirname(__file__))
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1 and len(next(iter(digests)).strip()) == 64


@pytest.mark.parametrize("sample", TICKETS, ids=[t["ticket_id"] for t in TICKETS])
def test_every_sample_gets_at_least_fifteen_cases(sample: dict[str, Any]) -> None:
    ctx = make_ctx()
    count = sum(len(op.targets(sample, ctx)) for ops in families().values() for op in ops.values())
    assert count >= 15
