"""``out_of_pattern``: type confusions, range violations, unknown fields, and free-text operators."""

from __future__ import annotations

import base64
import random
import re
from typing import Any

import pytest

from pytest_agentreal.mutations.dates import parse_date
from pytest_agentreal.mutations.numbers import number_as_words
from pytest_agentreal.mutations.out_of_pattern import confusions, out_of_range_values
from pytest_agentreal.mutations.phrases import OFF_TOPIC
from pytest_agentreal.mutations.registry import MutationContext, get_operator
from pytest_agentreal.mutations.schema import numeric_bounds
from pytest_agentreal.mutations.unicode_noise import TECHNIQUES, fold_text, perturb

INBOX: list[dict[str, Any]] = [
    {
        "id": "M-101",
        "sent": "2024-05-02T14:03:00+02:00",
        "from": "lucas.rossi@example.org",
        "subject": "Double charge on my card",
        "text": "Hi,\n\nI was charged twice for order 7731 (2 x 49.90 EUR). Please refund one of the "
        "payments.\nDetails: https://shop.example.com/orders/7731\n\nBest regards,\nLucas Rossi",
        "order": {"number": "7731", "amount": 49.9, "currency": "EUR", "express": False},
        "lines": [{"sku": "KTL-9", "qty": 2}],
    },
    {
        "id": "M-102",
        "sent": "2024-05-03T08:20:00+02:00",
        "from": "sofia.garcia@correo.es",
        "subject": "Mi pedido no ha llegado",
        "text": "Hola:\n\nmi pedido 7790 todavía no ha llegado y ya han pasado dos semanas. ¿Me pueden "
        "ayudar, por favor? Gracias.\n\nUn saludo,\nSofía García",
        "order": {"number": "7790", "amount": 120.0, "currency": "EUR", "express": True},
        "lines": [{"sku": "VAC-X1", "qty": 1}],
    },
    {
        "id": "M-103",
        "sent": "2024-05-03T09:45:00+02:00",
        "from": "support@shop.example.com",
        "subject": "Re: Return label",
        "text": "Hello,\n\nthe return label for your parcel is attached. Please drop it off within 14 days."
        "\n\nKind regards,\nCustomer Support",
        "order": {"number": "7702", "amount": 15.5, "currency": "EUR", "express": False},
        "lines": [{"sku": "CAB-USB", "qty": 3}],
    },
]
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {"money": {"type": "number", "exclusiveMinimum": 0, "maximum": 10000}},
    "properties": {
        "order": {"type": "object", "properties": {"amount": {"$ref": "#/$defs/money"}}},
        "lines": {
            "type": "array",
            "items": {"properties": {"qty": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}}},
        },
    },
}


def ctx(**kwargs: Any) -> MutationContext:
    return MutationContext(corpus="inbox", samples=INBOX, id_field="id", **kwargs)


def apply(name: str, target: str, seed: int = 0, sample: dict[str, Any] | None = None, **kw: Any) -> Any:
    (out,) = get_operator("out_of_pattern", name).apply(sample or INBOX[0], target, random.Random(seed), ctx(**kw))
    return out


def targets(name: str, sample: dict[str, Any] | None = None, **kw: Any) -> list[str]:
    return list(get_operator("out_of_pattern", name).targets(sample or INBOX[0], ctx(**kw)))


def test_wrong_type_targets_one_case_per_typed_field_and_never_ids_or_text() -> None:
    assert targets("wrong_type") == ["/sent", "/order/number", "/order/amount", "/order/express", "/lines/0/qty"]


def test_wrong_type_confusions_are_the_ones_production_makes() -> None:
    assert "12,50" in confusions(12.5, "de") and "12.50 EUR" in confusions(12.5, "en", "EUR")
    assert "three" in confusions(3, "en") and "drei" in confusions(3, "de") and "3" in confusions(3, "en")
    assert set(confusions(True, "fr")) == {"true", "Y", 1, "oui"}
    assert 123 in confusions("00123", "en") and 12.5 in confusions("12.50", "en")
    dates = confusions("2024-03-05", "en")
    assert {"05/03/2024", "03/05/2024", "5.3.2024", "March 5, 2024"} <= set(dates)
    assert 1709632800 in confusions("2024-03-05T10:00:00Z", "en")  # epoch seconds
    assert confusions("anna@example.org", "en") == []
    assert number_as_words(42) == "forty-two" and number_as_words(305) == "three hundred and five"
    assert number_as_words(5000) is None


def test_wrong_type_changes_only_its_target_and_the_type_or_format() -> None:
    seen = set()
    for seed in range(20):
        out = apply("wrong_type", "/order/amount", seed)
        assert {k: v for k, v in out["order"].items() if k != "amount"} == {
            k: v for k, v in INBOX[0]["order"].items() if k != "amount"
        }
        assert isinstance(out["order"]["amount"], str)
        seen.add(out["order"]["amount"])
        sent = apply("wrong_type", "/sent", seed)["sent"]
        assert isinstance(sent, int) or parse_date(sent) is None
    assert "49,90" in seen and len(seen) >= 3


def test_out_of_range_uses_the_schema_bounds_where_present() -> None:
    assert numeric_bounds(SCHEMA, "/order/amount") == {"exclusiveMinimum": 0, "maximum": 10000}
    assert numeric_bounds(SCHEMA, "/lines/0/qty") == {"minimum": 1}
    assert numeric_bounds(SCHEMA, "/order/express") == {}
    amounts = {
        apply("out_of_range", "/order/amount", seed, input_schema=SCHEMA)["order"]["amount"] for seed in range(20)
    }
    assert amounts == {0, 10000.01}
    qtys = {apply("out_of_range", "/lines/0/qty", seed, input_schema=SCHEMA)["lines"][0]["qty"] for seed in range(10)}
    assert qtys == {0}


def test_out_of_range_without_bounds_is_negative_zero_or_huge_and_dates_are_sentinels() -> None:
    assert out_of_range_values(7, {}) == [-7, 0, 2**31]
    assert out_of_range_values(49.9, {}) == [-49.9, 0, 49900000.0]
    assert out_of_range_values(0, {}) == [-1, 2**31]
    sent = {apply("out_of_range", "/sent", seed)["sent"] for seed in range(20)}
    assert sent == {"0001-01-01T14:03:00+02:00", "9999-12-31T14:03:00+02:00", "2025-06-06T14:03:00+02:00"}
    assert "/order/express" not in targets("out_of_range")  # a boolean has no range


def test_unknown_field_adds_one_top_level_and_one_nested_field_without_clobbering() -> None:
    assert targets("unknown_field") == ["/source_system", "/order/legacy_id"]
    sample = dict(INBOX[0], source_system="crm", order=dict(INBOX[0]["order"], legacy_id="x"))
    assert targets("unknown_field", sample) == ["/custom_fields", "/order/crm_ref"]
    out = apply("unknown_field", "/order/legacy_id")
    assert set(out) == set(INBOX[0]) and set(out["order"]) == {*INBOX[0]["order"], "legacy_id"}


def test_oversize_is_a_realistic_thread_of_the_corpus_text() -> None:
    assert targets("oversize") == ["/text"]
    body = apply("oversize", "/text", 3)["text"]
    assert len(body.encode("utf-8")) >= 100 * 1024
    assert body.startswith(INBOX[0]["text"])
    assert "Sofía García" in body and "Customer Support" in body  # other samples' messages and signatures
    assert re.search(r"^> ", body, re.MULTILINE) or "-----Original Message-----" in body
    assert "support@shop.example.com" in body  # the corpus's own support address answers


def test_unicode_changes_encoding_not_meaning() -> None:
    assert targets("unicode") == ["/subject", "/text"]
    for seed in range(50):
        out = apply("unicode", "/text", seed)
        assert out["text"] != INBOX[0]["text"]
        assert fold_text(out["text"]) == fold_text(INBOX[0]["text"])
        assert "https://shop.example.com/orders/7731" in out["text"]  # URLs and numbers untouched
        assert "7731" in out["text"] and "49.90" in out["text"]
        assert {k: v for k, v in out.items() if k != "text"} == {k: v for k, v in INBOX[0].items() if k != "text"}


@pytest.mark.parametrize("name", sorted(TECHNIQUES))
def test_each_unicode_technique_alone_is_invisible_to_a_reader(name: str) -> None:
    text = "Bonjour, ma commande n'est pas arrivée. Écrivez-moi: claire.martin@exemple.fr. Merci!"
    for seed in range(10):
        changed = TECHNIQUES[name](text, random.Random(seed))
        assert changed != text
        assert fold_text(changed) == fold_text(text)
        assert "claire.martin@exemple.fr" in changed


def test_techniques_combined_on_accented_letters_stay_invisible() -> None:
    # A homoglyph or mark landing between a letter and its decomposed accent ("с" + U+0327)
    # must still read as the accented letter.
    for text in ("Colis jamais reçu", "Où est ma commande ? Réponse: déjà payé, élodie"):
        for seed in range(400):
            assert fold_text(perturb(text, random.Random(seed))) == fold_text(text), seed
    assert fold_text("re\u0441\u0327u") == fold_text("reçu") == fold_text("rec\u200b\u0327u")


def test_perturb_always_changes_even_tiny_text() -> None:
    for seed in range(20):
        assert perturb("ok", random.Random(seed)) != "ok"


def test_injection_asks_for_new_actions_in_every_style() -> None:
    styles = set()
    for seed in range(40):
        text = apply("injection", "/text", seed)["text"]
        original = INBOX[0]["text"]
        assert text.startswith(original.rstrip()) and len(text) > len(original) + 40
        added = text[len(original.rstrip()) :]
        if "base64" in added:
            payload = added.rsplit(": ", 1)[1].strip()
            assert "instructions" in base64.b64decode(payload).decode("utf-8").lower()
            styles.add("base64")
        elif re.search(r"^> ", added, re.MULTILINE):
            assert "it-helpdesk@shop.example-secure.com" in added  # a look-alike of the support domain
            styles.add("quoted")
        elif re.search(r"\bignor", added, re.IGNORECASE):
            styles.add("plain" if re.search(r"\bignore\b", added, re.IGNORECASE) else "other_language")
        else:
            raise AssertionError(added)
    assert styles == {"plain", "base64", "quoted", "other_language"}


def test_injection_in_another_language_uses_one_the_corpus_speaks() -> None:
    texts = [apply("injection", "/text", seed)["text"] for seed in range(60)]
    assert any(re.search(r"\b[Ii]gnora\b", t) for t in texts)  # Spanish is the corpus's other language
    assert not any(re.search(r"Ignoriere|Negeer|Ignorez", t) for t in texts)


def test_injection_is_filled_from_the_sample() -> None:
    texts = "".join(apply("injection", "/text", seed)["text"] for seed in range(60))
    assert "49.90 EUR" in texts and "7731" in texts and "lucas.rossi@example.org" in texts


def test_off_topic_keeps_ids_and_structure_and_replaces_the_free_text() -> None:
    out = apply("off_topic", "", 1, sample=INBOX[1])
    assert {k: v for k, v in out.items() if k not in ("subject", "text")} == {
        k: v for k, v in INBOX[1].items() if k not in ("subject", "text")
    }
    assert out["subject"] != INBOX[1]["subject"] and out["text"] != INBOX[1]["text"]
    assert out["text"].startswith("Hola:") and out["text"].endswith("Sofía García")  # language and sign-off
    assert "7790" not in out["text"]
    assert get_operator("out_of_pattern", "off_topic").oracle(INBOX[1], "", ctx()) == "escalate"


HTML_BODY = (
    '<div>Hallo liebes Team,</div><div>&nbsp;</div><div>bitte <a href="https://shop.example.com/o/7731">'
    "diese Bestellung</a> stornieren. Danke!</div><div>Leonie</div>"
)


def test_unicode_never_touches_markup_urls_or_entities() -> None:
    for seed in range(40):
        out = perturb(HTML_BODY, random.Random(seed))
        assert re.findall(r"<[^>]*>|&\w+;", out) == re.findall(r"<[^>]*>|&\w+;", HTML_BODY)
        assert fold_text(out) == fold_text(HTML_BODY)


def test_added_text_follows_the_body_layout() -> None:
    sample = dict(INBOX[0], text=HTML_BODY)
    samples = [sample, *INBOX[1:]]
    for name in ("injection", "oversize"):
        op = get_operator("out_of_pattern", name)
        for seed in range(8):
            (out,) = op.apply(sample, "/text", random.Random(seed), MutationContext("c", samples, "id"))
            added = out["text"][len(HTML_BODY) :]
            assert out["text"].startswith(HTML_BODY) and "\n" not in added and "<div>" in added
    crlf = dict(INBOX[0], text=INBOX[0]["text"].replace("\n", "\r\n"))
    (out,) = get_operator("out_of_pattern", "injection").apply(crlf, "/text", random.Random(0), ctx())
    assert "\n" not in out["text"].replace("\r\n", "")


def test_a_sample_with_a_subject_and_no_body_still_gets_realistic_text_cases() -> None:
    sample = {k: v for k, v in INBOX[0].items() if k != "text"}
    samples = [sample, *INBOX[1:]]
    context = MutationContext("c", samples, "id")
    off_topic = get_operator("out_of_pattern", "off_topic").apply(sample, "", random.Random(0), context)[0]
    assert off_topic["subject"] in [request for _, request in OFF_TOPIC["en"]]
    near = get_operator("duplicate", "near")
    for seed in range(10):
        resend = near.apply(sample, "", random.Random(seed), context)[1]
        assert resend["subject"].endswith(sample["subject"]) and resend["subject"] != sample["subject"]
        assert set(resend) == set(sample)


def test_operators_chain_over_sentinel_dates_without_overflow() -> None:
    # Explore mode chains operators: a sample may already carry 0001-01-01 or 9999-12-31.
    for sentinel in ("0001-01-01T14:03:00+02:00", "9999-12-31T14:03:00+02:00"):
        sample = dict(INBOX[0], sent=sentinel)
        context = MutationContext("c", [sample, *INBOX[1:]], "id")
        for family, name, target in [
            ("duplicate", "near", ""),
            ("out_of_pattern", "oversize", "/text"),
            ("out_of_pattern", "injection", "/text"),
            ("out_of_pattern", "out_of_range", "/sent"),
            ("out_of_pattern", "wrong_type", "/sent"),
        ]:
            for seed in range(6):
                out = get_operator(family, name).apply(sample, target, random.Random(seed), context)
                assert out[-1]["id"] == "M-101"
