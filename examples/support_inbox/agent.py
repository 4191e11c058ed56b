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
from typing import Any

from . import replies
from . import text as tx

Output = dict[str, Any]
Fingerprint = tuple[str, str, list[str]]

REFUND_AUTO_LIMIT = 50.0  # policy.yaml: refund.issue runs on its own up to this amount
MEMORY_SIZE = 10_000  # tickets remembered per agent object (oldest forgotten first)

# Keywords per category, folded (lower case, ``ß`` → ``ss``), found as substrings of the words.
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
                         "do you offer", "do you sell", "wholesale", "caffeine", "koffein", "gift wrap",
                         "before i buy", "vor dem kauf"),
    "general": ("discount code", "gutschein", "voucher", "coupon", "password", "passwort", "log in", "login",
                "newsletter", "unsubscribe", "no answer", "call me back", "keine antwort"),
}  # fmt: skip
# Business risk weighs the evidence and breaks ties (dict order): erasure and complaints first.
WEIGHT = {"account_deletion": 4, "complaint": 3, "refund": 3}
OFF_TOPIC = ("poem", "poème", "poema", "poesia", "gedicht", "which three stocks", "welche drei aktien",
             "should i leave", "soll ich mich trennen", "homework", "hausaufgabe", "horoscope", "horoskop")  # fmt: skip
LEGAL_THREAT = ("lawyer", "anwalt", "chargeback", "consumer protection", "consumer centre", "verbraucherzentrale")
INVOICE_CHANGE = ("corrected", "company", "firma", "made out to", "pro forma", "wrong")
ESCALATE_TO = {"account_deletion": "privacy", "complaint": "complaints", "invoice": "billing", "off_topic": "triage"}
# Stop words: enough to tell this shop's two languages apart when the customer record has none.
GERMAN = frozenset(("der", "die", "das", "und", "ich", "nicht", "mit", "mein", "meine", "bitte", "für", "habe"))
ENGLISH = frozenset(("the", "and", "is", "my", "you", "to", "of", "for", "please", "with", "have", "this"))
_REPLY_PREFIX = re.compile(r"^(?:\s*(?:re|aw|fwd?|wg|tr|rv|sv|antw|doorst|enc)\s*:\s*)+")


def _text(value: Any) -> str | None:
    """A usable string (some words left after folding), or None."""
    return value if isinstance(value, str) and tx.words(tx.fold(value)) else None


def _token(value: Any) -> str | None:
    """An identifier as our systems store it: folded, only letters, digits and ``-_.``, upper case."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return re.sub(r"[^\w.-]", "", tx.fold(str(value))).upper() or None


def _money(value: Any) -> float | None:
    """A positive finite number (0 counts as empty: no order line or total is free), or None."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")
    return float(value) if ok else None


def missing_fields(ticket: Mapping[str, Any]) -> list[str]:
    """JSON Pointers of the required fields (schemas/input.json) that are absent, null, empty or unusable."""
    missing = [f"/{key}" for key in ("ticket_id", "channel", "subject", "body") if not _text(ticket.get(key))]
    customer = ticket.get("customer")
    if not isinstance(customer, Mapping):
        return [*missing, "/customer"]
    missing += ["/customer/id"] if not _text(customer.get("id")) else []
    missing += ["/customer/email"] if "@" not in (_text(customer.get("email")) or "") else []
    order = ticket.get("order")
    if order is None:  # optional: absent or null
        return missing
    if not isinstance(order, Mapping):
        return [*missing, "/order"]
    missing += [f"/order/{key}" for key in ("id", "currency") if not _text(order.get(key))]
    missing += ["/order/total"] if _money(order.get("total")) is None else []
    items = order.get("items")
    if not isinstance(items, list) or not items:
        return [*missing, "/order/items"]
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            missing.append(f"/order/items/{i}")
            continue
        missing += [f"/order/items/{i}/sku"] if not _text(item.get("sku")) else []
        missing += [f"/order/items/{i}/{key}" for key in ("qty", "price") if _money(item.get(key)) is None]
    return missing


def classify(subject: str, body: str) -> tuple[str, list[str]]:
    """The category of clean subject and body text, and the keywords that decided it.

    Subject hits count twice; each keyword counts once (a long thread repeating "parcel" is not
    more about shipping). ``off_topic`` when the body asks for something outside support, or
    when the body matches no category at all (whatever the subject says).
    """
    subject_words, body_words = tx.words(subject), tx.words(body)
    if any(k in body_words for k in OFF_TOPIC):
        return "off_topic", []
    scores = {
        category: WEIGHT.get(category, 1)
        * (2 * sum(k in subject_words for k in keywords) + sum(k in body_words for k in keywords))
        for category, keywords in KEYWORDS.items()
    }
    best = max(scores, key=lambda category: scores[category])
    if not any(k in body_words for keywords in KEYWORDS.values() for k in keywords):
        return "off_topic", []
    return best, [k for k in KEYWORDS[best] if k in subject_words or k in body_words]


def detect_language(ticket: Mapping[str, Any], body: str) -> str:
    """``de`` or ``en``: the customer record's language, else the body's stop words."""
    customer = ticket.get("customer")
    stored = _token(customer.get("language")) if isinstance(customer, Mapping) else None
    if stored in ("DE", "EN"):
        return stored.lower()
    tokens = tx.words(body).split()[:400]
    return "de" if sum(w in GERMAN for w in tokens) > sum(w in ENGLISH for w in tokens) else "en"


def fingerprint(ticket: Mapping[str, Any]) -> Fingerprint:
    """What identifies a request: the structured fields exactly, the subject without Re:/Fwd:, the body's words."""
    fields = json.dumps({k: v for k, v in ticket.items() if k not in ("subject", "body")}, sort_keys=True, default=str)
    subject = tx.words(_REPLY_PREFIX.sub("", tx.fold(str(ticket.get("subject", "")))))
    body = tx.words(tx.fold(tx.strip_html(str(ticket.get("body", ""))[:20_000]))).split()[:3000]
    return fields, subject, body


def same_request(first: Fingerprint, again: Fingerprint) -> bool:
    """Whether a second delivery is the first one resent: same fields and subject, its body's words kept.

    A resend quotes the first message, forwards it, or swaps the signature: at least 80 % of the
    first body's words survive in order. Another ticket's body keeps far fewer.
    """
    if first[:2] != again[:2]:
        return False
    matcher = difflib.SequenceMatcher(None, first[2], again[2], autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) >= 0.8 * len(first[2])


def action(name: str, status: str = "executed", **args: Any) -> dict[str, Any]:
    """One entry of the output's ``actions`` (``status``: executed, pending_approval or skipped)."""
    return {"name": name, "args": args, "status": status}


def result(ticket: Mapping[str, Any], category: str, priority: str, status: str, actions: list[dict[str, Any]],
           reasons: list[str], reply: dict[str, Any] | None = None) -> Output:
    """The output object (schemas/output.json)."""
    raw_id = ticket.get("ticket_id")
    output: Output = {
        "ticket_id": str(raw_id)[:64] if isinstance(raw_id, (str, int)) else None,
        "category": category,
        "priority": priority,
        "status": status,
        "actions": actions,
        "reasons": [reason[:300] for reason in reasons],
    }
    if reply is not None:
        output["reply"] = reply
    return output


class SupportAgent:
    """Triage one ticket per call; remembers the tickets it has processed (see the module docstring)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[Fingerprint, Output]] = {}

    def __call__(self, ticket: Any) -> Output:
        if not isinstance(ticket, Mapping):
            return result({}, "unknown", "normal", "needs_info", [], ["the input is not a ticket object"])
        ticket_id = _token(ticket.get("ticket_id"))
        if ticket_id and ticket_id in self._seen:
            return self.redelivered(ticket, ticket_id)
        output = self.triage(ticket, ticket_id)
        if ticket_id:
            self._seen[ticket_id] = (fingerprint(ticket), copy.deepcopy(output))
            if len(self._seen) > MEMORY_SIZE:
                self._seen.pop(next(iter(self._seen)))
        return output

    def redelivered(self, ticket: Mapping[str, Any], ticket_id: str) -> Output:
        """A ticket id seen before: the same request replays with no side effect; different data escalates."""
        first, previous = self._seen[ticket_id]
        if same_request(first, fingerprint(ticket)):
            output = copy.deepcopy(previous)
            for entry in output["actions"]:
                entry["status"] = "skipped"  # done on the first delivery: never twice
            output["reasons"].append("duplicate delivery: every action was taken on the first one")
            return output
        escalation = action("escalate.human", ticket_id=ticket_id, queue="triage", reason="conflicting_duplicate")
        return result(ticket, previous["category"], "high", "escalated", [escalation],
                      ["the same ticket id arrived again with different data"])

    def triage(self, ticket: Mapping[str, Any], ticket_id: str | None) -> Output:
        """Decide category, priority, status, actions and a draft reply for a ticket seen for the first time."""
        subject, cut_subject = tx.clean(_text(ticket.get("subject")) or "")
        body, cut_body = tx.clean(_text(ticket.get("body")) or "")
        language = detect_language(ticket, body)
        reasons = ["ignored instructions addressed to an assistant"] if cut_subject or cut_body else []
        missing = missing_fields(ticket)
        if missing:
            category = classify(subject, body)[0] if subject or body else "unknown"
            actions = [action("ticket.tag", ticket_id=ticket_id, tags=["needs_info"])] if ticket_id else []
            reply = None  # nobody to reply to, or nothing safe to say: a person follows up
            if not any(p.startswith("/customer") for p in missing):
                readable = ", ".join(p.strip("/").replace("/", " ") for p in missing)
                reply = replies.draft(ticket, "needs_info", language, missing=readable)
            return result(ticket, category, "normal", "needs_info", actions,
                          [*reasons, "missing or unusable: " + ", ".join(missing)], reply)

        category, matched = classify(subject, body)
        reasons.append(f"category {category}" + (": " + ", ".join(matched) if matched else ""))
        actions = [action("ticket.tag", ticket_id=ticket_id, tags=[category, language])]
        order: Mapping[str, Any] | None = ticket.get("order")  # validated above: a full order or None
        order_id = _token(order["id"]) if order else None
        words = tx.words(subject + " " + body)
        status, template, fill = "triaged", category, {"order": order_id or ""}

        if category == "refund" and order:
            total, currency = float(order["total"]), _token(order["currency"])
            # The customer may ask for part of the order back, never for more than its total.
            amount = round(next((a for a in tx.amounts(body) if a <= total), total), 2)
            auto = amount <= REFUND_AUTO_LIMIT
            actions.append(action("refund.issue", "executed" if auto else "pending_approval",
                                  ticket_id=ticket_id, order_id=order_id, amount=amount, currency=currency))
            fill["refund"] = (replies.REFUNDED if auto else replies.APPROVAL)[language].format(
                amount=f"{amount:.2f} {currency}")
            reasons.append(f"refund {amount:.2f} {currency}: " + ("automatic" if auto else "needs approval"))
        elif category == "refund":
            status, template, fill["missing"] = "needs_info", "needs_info", "order number"
        elif category == "address_change":
            actions.append(action("address.update", "pending_approval", ticket_id=ticket_id,
                                  customer_id=_token(ticket["customer"]["id"]), order_id=order_id))
        elif category == "invoice" and order and not any(k in words for k in INVOICE_CHANGE):
            actions.append(action("invoice.resend", ticket_id=ticket_id, order_id=order_id))
        elif category in ESCALATE_TO:
            actions.append(action("escalate.human", ticket_id=ticket_id, queue=ESCALATE_TO[category],
                                  reason=category))
            status, template = "escalated", "invoice_review" if category == "invoice" else category

        reply = None
        if category != "off_topic":
            reply = replies.draft(ticket, template, language, **fill)
            actions.append(action("reply.draft", ticket_id=ticket_id, template=template, language=language))
        priority = self.priority(category, words, ticket["customer"], actions)
        return result(ticket, category, priority, status, actions, reasons, reply)

    @staticmethod
    def priority(category: str, words: str, customer: Mapping[str, Any], actions: list[dict[str, Any]]) -> str:
        """urgent (legal threats), high (VIPs, complaints, erasure, approvals waiting), normal or low."""
        if category == "complaint" and any(k in words for k in LEGAL_THREAT):
            return "urgent"
        waiting = any(entry["status"] == "pending_approval" for entry in actions)
        if waiting or _token(customer.get("tier")) == "VIP" or category in ("complaint", "account_deletion"):
            return "high"
        return "low" if category in ("product_question", "general") else "normal"
