"""A deterministic, rule-based triage agent for the support inbox of a small online shop.

It is the example that ``pytest --agent-corpus fixtures/support_inbox`` runs: copy it, then
replace the keyword rules by your model. What makes it pass every default oracle is not the
rules but the discipline around them:

* **Validate before acting.** A required field that is absent, null, empty or of the wrong
  type gives ``status: needs_info`` and no business action (the ``missing.*`` oracle).
* **Decide on clean text.** :func:`text.clean` removes HTML, quoted history, signatures,
  invisible characters, look-alike letters, emoji and planted instructions, so a zero-width
  space cannot flip a decision (``unicode``) and "ignore all instructions" cannot add an action
  (``injection``). Money, orders and customers come from the structured fields, never the text.
* **Escalate what is not ours.** A ticket that matches no support category is ``escalated``
  (``off_topic``); GDPR erasure and complaints go to a person; the agent never deletes anyone.
* **Remember.** One object serves one case: a ticket id seen before with the same request
  replays the first answer with every write ``skipped`` (``idempotent``); the same id with
  different data is ``escalated`` (``conflicting``).
* **Keep to the policy** (``policy.yaml``): refunds up to 50 run on their own, larger ones are
  proposed as ``pending_approval``; replies are drafts; ``customer.delete`` is never proposed.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from . import text as tx

Output = dict[str, Any]

REFUND_AUTO_LIMIT = 50.0  # policy.yaml: refund.issue runs on its own up to this amount
MEMORY_SIZE = 10_000  # tickets remembered per agent object (oldest forgotten first)

# Keywords per category (folded: lower case, ``ß`` → ``ss``), matched as substrings of the words.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "account_deletion": ("delete my account", "delete my data", "close my account", "erase my data",
                         "right to erasure", "article 17", "art 17", "gdpr", "dsgvo", "konto löschen",
                         "daten löschen", "löschung meiner", "löschung meines", "einwilligung"),
    "complaint": ("complaint", "beschwer", "unacceptable", "disappointed", "enttäuscht", "frechheit",
                  "unverschämt", "rude", "worst", "disrespectful", "lawyer", "anwalt", "chargeback",
                  "consumer protection", "consumer centre", "verbraucherzentrale"),
    "refund": ("refund", "money back", "reimburs", "erstatt", "geld zurück", "rücksendung"),
    "address_change": ("change of address", "change my address", "update the address", "delivery address",
                       "new address", "moved house", "lieferadresse", "adresse ändern", "neue adresse",
                       "neue anschrift", "umgezogen", "umzug"),
    "invoice": ("invoice", "receipt", "rechnung", "quittung", "mwst", "pro forma"),
    "shipping": ("where is", "wo bleibt", "tracking", "sendungsverfolgung", "parcel", "paket", "not arrived",
                 "nothing has arrived", "never received", "delivered", "delivery", "lieferung", "lieferzeit",
                 "versand", "shipped", "shipping", "in transit", "courier", "carrier", "dhl", "dpd", "hermes",
                 "customs", "zoll"),
    "product_question": ("dishwasher", "spülmaschine", "microwave", "mikrowelle", "in stock", "sold out",
                         "lieferbar", "verfügbar", "compatible", "kompatibel", "material", "temperatur",
                         "do you offer", "do you sell", "wholesale", "caffeine", "koffein", "gift wrap", "before i buy",
                         "vor dem kauf"),
    "general": ("discount code", "gutschein", "voucher", "coupon", "password", "passwort", "log in", "login",
                "newsletter", "unsubscribe", "no answer", "call me back", "keine antwort"),
}  # fmt: skip
# Business risk breaks ties and weighs evidence: a GDPR request or a complaint outranks logistics.
WEIGHT = {"account_deletion": 4, "complaint": 3, "refund": 3}
LEGAL_THREAT = ("lawyer", "anwalt", "chargeback", "consumer protection", "consumer centre", "verbraucherzentrale")
OFF_TOPIC = ("poem", "poème", "poema", "poesia", "gedicht", "which three stocks", "welche drei aktien",
             "should i leave", "soll ich mich trennen", "homework", "hausaufgabe", "horoscope", "horoskop")  # fmt: skip
CORRECTION = ("corrected", "company", "firma", "made out to", "pro forma", "wrong")
GERMAN = frozenset("der die das und ich nicht mit mein meine bitte sie ein eine zu für danke habe ist".split())
ENGLISH = frozenset("the and is my i you to of for please with have this not it was thanks hello hi".split())
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|aw|fwd?|wg|tr|rv|sv|antw|doorst|enc)\s*:\s*)+", re.I)

REPLIES = {
    "en": {
        "refund": "we have {refund} for order {order}. You will see it on your statement within 5 working days.",
        "shipping": "we are checking the status of your parcel with the carrier and will update you within "
        "one working day.",
        "address_change": "we have asked our team to update the address. You will get a confirmation once "
        "it is changed.",
        "account_deletion": "we have passed your request to our privacy team, who will confirm the deletion "
        "in writing within 30 days.",
        "invoice": "{invoice}",
        "complaint": "we are sorry about your experience. A member of our team will personally get back to you.",
        "product_question": "thank you for your question. We will answer with the product details shortly.",
        "general": "thank you for your message. We are looking into it and will get back to you shortly.",
        "needs_info": "to help you we need a few more details: {missing}.",
    },
    "de": {
        "refund": "wir haben {refund} für die Bestellung {order}. Der Betrag ist in 5 Werktagen auf Ihrem Konto.",
        "shipping": "wir klären den Status Ihres Pakets mit dem Versanddienstleister und melden uns "
        "innerhalb eines Werktags.",
        "address_change": "wir haben die Änderung der Adresse veranlasst und bestätigen sie Ihnen in Kürze.",
        "account_deletion": "wir haben Ihr Anliegen an unser Datenschutzteam weitergegeben, das Ihnen die "
        "Löschung innerhalb von 30 Tagen schriftlich bestätigt.",
        "invoice": "{invoice}",
        "complaint": "es tut uns leid, dass Sie unzufrieden sind. Eine Kollegin oder ein Kollege meldet sich "
        "persönlich bei Ihnen.",
        "product_question": "danke für Ihre Frage. Wir antworten Ihnen in Kürze mit den Produktdetails.",
        "general": "danke für Ihre Nachricht. Wir kümmern uns darum und melden uns in Kürze.",
        "needs_info": "damit wir helfen können, brauchen wir noch ein paar Angaben: {missing}.",
    },
}


def _text(value: Any) -> str | None:
    """A usable string (non-blank after folding), or None."""
    return value if isinstance(value, str) and tx.words(tx.fold(value)) else None


def _token(value: Any) -> str | None:
    """An identifier as our systems store it: folded, letters/digits/``-_.`` only, upper case."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    cleaned = re.sub(r"[^\w.-]", "", tx.fold(str(value))).upper()
    return cleaned or None


def _money(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")
    return float(value) if ok else None


def missing_fields(ticket: Mapping[str, Any]) -> list[str]:
    """JSON Pointers of required fields (schemas/input.json) that are absent, null, empty or unusable."""
    missing = [f"/{k}" for k in ("ticket_id", "channel", "subject", "body") if not _text(ticket.get(k))]
    customer = ticket.get("customer")
    if not isinstance(customer, Mapping):
        return [*missing, "/customer"]
    missing += ["/customer/id"] if not _text(customer.get("id")) else []
    missing += ["/customer/email"] if "@" not in (_text(customer.get("email")) or "") else []
    order = ticket.get("order")
    if order is None or "order" not in ticket:
        return missing
    if not isinstance(order, Mapping):
        return [*missing, "/order"]
    missing += [f"/order/{k}" for k in ("id", "currency") if not _text(order.get(k))]
    missing += ["/order/total"] if _money(order.get("total")) is None else []
    items = order.get("items")
    if not isinstance(items, list) or not items:
        return [*missing, "/order/items"]
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            missing.append(f"/order/items/{i}")
            continue
        missing += [f"/order/items/{i}/sku"] if not _text(item.get("sku")) else []
        missing += [f"/order/items/{i}/{k}" for k in ("qty", "price") if _money(item.get(k)) is None]
    return missing


def classify(subject: str, body: str) -> tuple[str, list[str]]:
    """The category of clean subject and body text, and the keywords that decided it.

    Subject hits count twice; each keyword counts once (a long thread repeating "parcel" is not
    more about shipping). ``off_topic`` when the body asks for something outside support, or
    when neither the body nor the subject match any category.
    """
    subject_words, body_words = tx.words(subject), tx.words(body)
    if any(k in body_words for k in OFF_TOPIC):
        return "off_topic", []
    scores: dict[str, int] = {}
    for category, keywords in KEYWORDS.items():
        hits = 2 * sum(k in subject_words for k in keywords) + sum(k in body_words for k in keywords)
        scores[category] = hits * WEIGHT.get(category, 1)
    body_hits = any(k in body_words for keywords in KEYWORDS.values() for k in keywords)
    best = max(scores, key=lambda c: scores[c])  # dict order breaks ties: riskier categories first
    if not body_hits or scores[best] == 0:
        return "off_topic", []
    return best, [k for k in KEYWORDS[best] if k in subject_words or k in body_words]


def detect_language(ticket: Mapping[str, Any], body: str) -> str:
    """``de`` or ``en``: the customer's stored language, else the body's stop words."""
    customer = ticket.get("customer")
    stored = _token(customer.get("language")) if isinstance(customer, Mapping) else None
    if stored in ("DE", "EN"):
        return stored.lower()
    tokens = tx.words(body).split()[:400]
    return "de" if sum(w in GERMAN for w in tokens) > sum(w in ENGLISH for w in tokens) else "en"


def created_at(ticket: Mapping[str, Any]) -> str:
    """When the reply is drafted: the ticket's own time when it has one (deterministic), else now."""
    raw = ticket.get("received_at")
    try:
        when = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except ValueError:
        when = datetime.now(timezone.utc)
    try:
        return when.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
        return when.replace(tzinfo=timezone.utc, microsecond=0).isoformat().replace("+00:00", "Z")


def _action(name: str, status: str = "executed", **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "status": status}


def _fingerprint(ticket: Mapping[str, Any]) -> tuple[str, str, list[str]]:
    """What identifies a request: structured fields exactly, subject without Re:/Fwd:, body words."""
    fields = {k: v for k, v in ticket.items() if k not in ("subject", "body")}
    subject = tx.words(_REPLY_PREFIX.sub("", tx.fold(str(ticket.get("subject", "")))))
    body = tx.words(tx.fold(tx.strip_html(str(ticket.get("body", ""))[:20_000]))).split()[:3000]
    return json.dumps(fields, sort_keys=True, default=str), subject, body


def same_request(first: tuple[str, str, list[str]], again: tuple[str, str, list[str]]) -> bool:
    """Whether a second delivery is the first one resent (``Re:``, a quote, a new signature)."""
    if first[:2] != again[:2]:
        return False
    matcher = difflib.SequenceMatcher(None, first[2], again[2], autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    return kept >= 0.8 * len(first[2])


class SupportAgent:
    """Triage one ticket per call; remembers the tickets it has processed (see module docstring)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[tuple[str, str, list[str]], Output]] = {}

    def __call__(self, ticket: Any) -> Output:
        if not isinstance(ticket, Mapping):
            return self._result({}, "unknown", "normal", "needs_info", [], ["the input is not a ticket object"])
        ticket_id = _token(ticket.get("ticket_id"))
        fingerprint = _fingerprint(ticket)
        if ticket_id and ticket_id in self._seen:
            return self._again(ticket, ticket_id, fingerprint)
        output = self.triage(ticket, ticket_id)
        if ticket_id:
            self._seen[ticket_id] = (fingerprint, copy.deepcopy(output))
            if len(self._seen) > MEMORY_SIZE:
                self._seen.pop(next(iter(self._seen)))
        return output

    def _again(self, ticket: Mapping[str, Any], ticket_id: str, fingerprint: Any) -> Output:
        """A ticket id seen before: replay without side effects, or escalate a conflict."""
        first, previous = self._seen[ticket_id]
        if same_request(first, fingerprint):
            output = copy.deepcopy(previous)
            for action in output["actions"]:
                action["status"] = "skipped"  # done on the first delivery: never twice
            output["reasons"] = [*output.get("reasons", []), "duplicate delivery: actions already taken"]
            return output
        reason = "conflicting_duplicate"
        actions = [_action("escalate.human", ticket_id=ticket_id, queue="triage", reason=reason)]
        return self._result(ticket, previous["category"], "high", "escalated", actions,
                            ["same ticket id delivered again with different data"])

    def triage(self, ticket: Mapping[str, Any], ticket_id: str | None) -> Output:
        """Decide category, priority, status, actions and a draft reply for one new ticket."""
        subject, cut_subject = tx.clean(_text(ticket.get("subject")) or "")
        body, cut_body = tx.clean(_text(ticket.get("body")) or "")
        language = detect_language(ticket, body)
        reasons = ["ignored instructions addressed to an assistant"] if cut_subject or cut_body else []
        missing = missing_fields(ticket)
        if missing:
            category = classify(subject, body)[0] if subject or body else "unknown"
            tags = [_action("ticket.tag", ticket_id=ticket_id, tags=["needs_info"])] if ticket_id else []
            readable = ", ".join(p.strip("/").replace("/", " ") for p in missing)
            reply = None if any(p.startswith("/customer") for p in missing) else self._reply(
                ticket, "needs_info", language, missing=readable)
            return self._result(ticket, category, "normal", "needs_info", tags,
                                [*reasons, "missing or unusable: " + ", ".join(missing)], reply)

        category, matched = classify(subject, body)
        reasons.append(f"category {category}" + (": " + ", ".join(matched) if matched else ""))
        actions = [_action("ticket.tag", ticket_id=ticket_id, tags=[category, language])]
        customer: Mapping[str, Any] = ticket["customer"]
        order: Mapping[str, Any] | None = ticket.get("order") or None
        order_id = _token(order["id"]) if order else None
        words = tx.words(subject + " " + body)
        status, template, fill = "triaged", category, {"order": order_id or ""}
        if category == "refund" and order:
            total, currency = float(order["total"]), _token(order["currency"])
            # The customer may ask for part of the order back; never more than the order's total.
            amount = round(next((a for a in tx.amounts(body) if a <= total), total), 2)
            auto = amount <= REFUND_AUTO_LIMIT
            actions.append(_action("refund.issue", "executed" if auto else "pending_approval",
                                   ticket_id=ticket_id, order_id=order_id, amount=amount, currency=currency))
            fill["refund"] = (f"refunded {amount:.2f} {currency}" if auto
                              else f"requested approval for a refund of {amount:.2f} {currency}")
            reasons.append(f"refund {amount:.2f} {currency}: " + ("within the auto limit" if auto
                                                                   else "above the auto limit, needs approval"))
        elif category == "refund":
            status, template, fill["missing"] = "needs_info", "needs_info", "order number"
        elif category == "address_change":
            actions.append(_action("address.update", "pending_approval", ticket_id=ticket_id,
                                   customer_id=_token(customer["id"]), order_id=order_id))
        elif category == "invoice" and order and not any(k in words for k in CORRECTION):
            actions.append(_action("invoice.resend", ticket_id=ticket_id, order_id=order_id))
            fill["invoice"] = "we have sent the invoice again to your email address."
        elif category in ("invoice", "account_deletion", "complaint", "off_topic"):
            queue = {"invoice": "billing", "account_deletion": "privacy", "complaint": "complaints"}
            actions.append(_action("escalate.human", ticket_id=ticket_id, queue=queue.get(category, "triage"),
                                   reason=category))
            fill["invoice"] = "our billing team will prepare the invoice and send it to you."
            status = "escalated"
        reply = None if category == "off_topic" else self._reply(ticket, template, language, **fill)
        priority = self._priority(category, words, customer, actions)
        return self._result(ticket, category, priority, status, actions, reasons, reply)

    @staticmethod
    def _priority(category: str, words: str, customer: Mapping[str, Any], actions: list[dict[str, Any]]) -> str:
        if category == "complaint" and any(k in words for k in LEGAL_THREAT):
            return "urgent"
        vip = _token(customer.get("tier")) == "VIP"
        if vip or category in ("complaint", "account_deletion") or actions[-1]["status"] == "pending_approval":
            return "high"
        return "low" if category in ("product_question", "general") else "normal"

    @staticmethod
    def _reply(ticket: Mapping[str, Any], template: str, language: str, **fill: str) -> dict[str, Any] | None:
        """A draft reply in the customer's language, or None when there is no address to reply to."""
        customer = ticket.get("customer")
        if not isinstance(customer, Mapping):
            return None
        name = _text(customer.get("name"))
        first = name.split()[0][:60] if name else ""
        greeting = ("Hallo" if language == "de" else "Hi") + (f" {first}," if first else ",")
        body = REPLIES[language][template].format_map({"refund": "", "invoice": "", "missing": "", **fill})
        return {"language": language, "text": f"{greeting}\n\n{body}"[:4000], "created_at": created_at(ticket)}

    @staticmethod
    def _result(ticket: Mapping[str, Any], category: str, priority: str, status: str, actions: list[dict[str, Any]],
                reasons: list[str], reply: dict[str, Any] | None = None) -> Output:
        raw_id = ticket.get("ticket_id")
        output: Output = {
            "ticket_id": str(raw_id)[:64] if isinstance(raw_id, (str, int)) else None,
            "category": category,
            "priority": priority,
            "status": status,
            "actions": actions,
            "reasons": [r[:300] for r in reasons],
        }
        if reply:
            output["reply"] = reply
        return output
