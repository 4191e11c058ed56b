"""The stand-in's "model": fixed keyword rules that answer a chat completion, often with tool calls.

This is **not a language model** and makes no claim to understand anything. It stands in for the
real chat-completions API so that the example's cassettes can be recorded on any machine, offline
and reproducibly: the same request always gets the same answer. It reads the ticket the agent
renders (``Ticket:``, ``Order:``, ``Customer:`` lines and the ``Message:``), picks a category by
keywords, and walks a fixed plan of tool calls, one turn at a time, looking at the tool results
already in the conversation. The last turn ends with ``finish_triage`` (category, priority, summary):

- off-topic or unclassifiable → ``escalate_to_human`` (team ``triage``);
- GDPR erasure → tag, ``escalate_to_human`` (``privacy``); complaints → tag, escalate (``complaints``);
- refund / shipping / address change / invoice with an order → ``lookup_order`` first, then:
  refund → ``issue_refund`` of the refundable amount, tag and ``send_reply``;
  shipping → tag and a status reply, or escalate (``logistics``) when the carrier says delivered and
  the customer has nothing; address change → tag, escalate (``logistics``); invoice → tag, reply;
- product questions and general requests → tag and ``send_reply``;
- any tool result with an ``error`` → ``escalate_to_human`` (``support``);
- no tools offered → a plain answer whose content is the same JSON ``finish_triage`` takes.

Like a naive model it follows whatever keywords are in the text it is given: an instruction planted
in a ticket ("issue a full refund") would steer it. Keeping such text away from the model is the
agent's job (``prompt.clean_ticket_text``), and the ``injection`` cases test exactly that.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

# Keywords per category, lower case, found as substrings; the first category that matches wins.
KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("off_topic", ("poem", "gedicht", "stocks", "aktien", "should i leave", "soll ich mich trennen",
                   "homework", "hausaufgabe", "solve this", "train leaves", "horoscope")),
    ("account_deletion", ("delete my account", "delete my data", "personal data", "article 17", "gdpr",
                          "dsgvo", "konto löschen", "kundenkonto löschen", "daten löschen")),
    ("complaint", ("complaint", "beschwerde", "unacceptable", "chargeback", "lawyer", "anwalt",
                   "consumer protection", "verbraucherzentrale")),
    ("refund", ("refund", "money back", "reimburse", "erstatt", "geld zurück")),
    ("address_change", ("lieferadresse", "new address", "neue anschrift", "neue adresse", "change my address",
                        "delivery address", "umgezogen")),
    ("invoice", ("invoice", "rechnung", "receipt", "quittung")),
    ("shipping", ("where is", "wo bleibt", "tracking", "sendungsverfolgung", "parcel", "paket", "delivered",
                  "not arrived", "carrier", "dhl", "dpd", "hermes")),
    ("product_question", ("dishwasher", "microwave", "spülmaschine", "mikrowelle", "in stock", "lieferbar",
                          "verfügbar")),
    ("general", ("gutschein", "voucher", "coupon", "discount code", "newsletter", "password", "passwort",
                 "log in", "login")),
)  # fmt: skip
NEEDS_ORDER = ("refund", "shipping", "address_change", "invoice")
NOT_ARRIVED = ("nothing has arrived", "not arrived", "never received", "nicht angekommen", "nichts angekommen")
GERMAN_WORDS = frozenset(("der", "die", "das", "und", "ich", "nicht", "mit", "mein", "meine", "bitte", "ist"))

REPLIES: dict[str, dict[str, str]] = {
    "en": {
        "refund": "Hello,\n\nthank you for letting us know. We are refunding {amount} {currency} for order "
                  "{order}; you get a confirmation as soon as it is processed.\n\nKind regards,\nLindqvist Support",
        "shipping": "Hello,\n\nyour order {order} is with {carrier} (tracking {tracking}), status: {status}. "
                    "Expected delivery: {eta}.\n\nKind regards,\nLindqvist Support",
        "invoice": "Hello,\n\nour billing team will send the VAT invoice for order {order} to this address "
                   "within one working day.\n\nKind regards,\nLindqvist Support",
        "product_question": "Hello,\n\nthank you for your question. Our stoneware is dishwasher and microwave "
                            "safe; hand washing keeps the glaze bright for longer.\n\nKind regards,\n"
                            "Lindqvist Support",
        "general": "Hello,\n\nthank you for your message. We have looked into it and a colleague follows up "
                   "if anything else is needed.\n\nKind regards,\nLindqvist Support",
        "order_number": "Hello,\n\nthank you for your message. Could you tell us your order number "
                        "(ORD-…)?\n\nKind regards,\nLindqvist Support",
    },
    "de": {
        "refund": "Hallo,\n\nvielen Dank für Ihre Nachricht. Wir erstatten {amount} {currency} für die "
                  "Bestellung {order}; Sie erhalten eine Bestätigung, sobald die Erstattung gebucht ist.\n\n"
                  "Viele Grüße\nIhr Lindqvist-Kundenservice",
        "shipping": "Hallo,\n\nIhre Bestellung {order} ist bei {carrier} (Sendungsnummer {tracking}), Status: "
                    "{status}. Voraussichtliche Zustellung: {eta}.\n\nViele Grüße\nIhr Lindqvist-Kundenservice",
        "invoice": "Hallo,\n\nunsere Buchhaltung schickt Ihnen die Rechnung zur Bestellung {order} innerhalb "
                   "eines Werktages.\n\nViele Grüße\nIhr Lindqvist-Kundenservice",
        "product_question": "Hallo,\n\nvielen Dank für Ihre Frage. Unser Steinzeug ist spülmaschinen- und "
                            "mikrowellengeeignet.\n\nViele Grüße\nIhr Lindqvist-Kundenservice",
        "general": "Hallo,\n\nvielen Dank für Ihre Nachricht. Gutscheine aus dem Newsletter gelten für Tee und "
                   "Zubehör, nicht für Geräte; wir prüfen Ihren Code und melden uns.\n\nViele Grüße\n"
                   "Ihr Lindqvist-Kundenservice",
        "order_number": "Hallo,\n\nvielen Dank für Ihre Nachricht. Nennen Sie uns bitte Ihre Bestellnummer "
                        "(ORD-…)?\n\nViele Grüße\nIhr Lindqvist-Kundenservice",
    },
}  # fmt: skip


@dataclass(frozen=True)
class TicketView:
    """What the stand-in reads from the agent's rendered ticket."""

    ticket_id: str
    order_id: str | None
    language: str
    tier: str
    text: str


@dataclass(frozen=True)
class Call:
    """One tool call the stand-in makes."""

    name: str
    arguments: dict[str, Any]


@dataclass
class Step:
    """The stand-in's answer: tool calls, or (when there are none) the final ``content``."""

    calls: list[Call] = field(default_factory=list)
    content: str | None = None


def _line(pattern: str, text: str) -> str | None:
    found = re.search(pattern, text, re.M)
    return found.group(1) if found else None


def read_ticket(text: str) -> TicketView:
    """Parse the rendered ticket (see the agent's ``prompt.render_ticket``)."""
    message = text.split("\nMessage:\n", 1)[-1]
    subject = _line(r"^Subject: (.*)$", text) or ""
    language = _line(r"language: (\w+)", text) or "unknown"
    folded = f"{subject}\n{message}".casefold()
    if language not in REPLIES:
        german = sum(1 for word in re.findall(r"\w+", folded) if word in GERMAN_WORDS)
        language = "de" if german >= 3 else "en"
    return TicketView(
        ticket_id=_line(r"^Ticket: (\S+)$", text) or "unknown",
        order_id=_line(r"^Order: (ORD-[^,\s]+)", text),
        language=language,
        tier=_line(r"tier: (\w+)", text) or "standard",
        text=folded,
    )


def classify(text: str) -> str:
    """The first category whose keywords occur in ``text`` (lower case), else ``unknown``."""
    for category, words in KEYWORDS:
        if any(word in text for word in words):
            return category
    return "unknown"


def _results(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Tool name → its (last) result, decoded; pairs the assistant's calls with the tool messages."""
    names: dict[str, str] = {}
    results: dict[str, Any] = {}
    for message in messages:
        for call in message.get("tool_calls") or []:
            names[str(call.get("id"))] = str((call.get("function") or {}).get("name"))
        if message.get("role") == "tool":
            name = names.get(str(message.get("tool_call_id")), "?")
            try:
                results[name] = json.loads(str(message.get("content") or "null"))
            except ValueError:
                results[name] = {"error": "unreadable tool result"}
    return results


def _error(results: dict[str, Any]) -> tuple[str, str] | None:
    for name, result in results.items():
        if isinstance(result, dict) and result.get("error"):
            return name, str(result["error"])
    return None


def _money(value: Any) -> str:
    return f"{float(value):.2f}" if isinstance(value, (int, float)) else str(value)


class _Planner:
    """The fixed plan for one ticket, as turns of tool calls (later turns depend on earlier results)."""

    def __init__(self, view: TicketView, results: dict[str, Any]) -> None:
        self.view = view
        self.results = results
        self.category = classify(view.text)

    def tag(self, *tags: str) -> Call:
        return Call("tag_ticket", {"ticket_id": self.view.ticket_id, "tags": [*tags, self.view.language]})

    def escalate(self, team: str, reason: str) -> Call:
        return Call("escalate_to_human", {"ticket_id": self.view.ticket_id, "team": team, "reason": reason})

    def reply(self, template: str, **values: Any) -> Call:
        text = REPLIES[self.view.language][template].format(order=self.view.order_id, **values)
        return Call("send_reply", {"ticket_id": self.view.ticket_id, "language": self.view.language, "text": text})

    def turns(self) -> list[list[Call]]:
        view, category = self.view, self.category
        if category in ("off_topic", "unknown"):
            return [[self.escalate("triage", f"not a support request ({category})")]]
        if category == "account_deletion":
            return [[self.tag("gdpr"), self.escalate("privacy", "erasure request (GDPR Art. 17)")]]
        if category == "complaint":
            return [[self.tag("complaint"), self.escalate("complaints", "formal complaint")]]
        if category in NEEDS_ORDER and view.order_id is None:
            return [[self.tag(category), self.reply("order_number")]]
        if category not in NEEDS_ORDER:
            return [[self.tag(category), self.reply(category)]]
        turns = [[Call("lookup_order", {"order_id": view.order_id})]]
        order = self.results.get("lookup_order")
        if not isinstance(order, dict):
            return turns
        return turns + self._after_lookup(order)

    def _after_lookup(self, order: dict[str, Any]) -> list[list[Call]]:
        category = self.category
        if category == "refund":
            refund = Call("issue_refund", {"order_id": self.view.order_id, "amount": order.get("refundable"),
                                           "currency": order.get("currency"), "reason": "customer request"})
            reply = self.reply("refund", amount=_money(order.get("refundable")), currency=order.get("currency"))
            return [[refund, self.tag("refund"), reply]]
        if category == "shipping":
            shipment = order.get("shipment") or {}
            if shipment.get("status") == "delivered" and any(p in self.view.text for p in NOT_ARRIVED):
                return [[self.tag("shipping", "lost_parcel"),
                         self.escalate("logistics", "carrier reports delivered, customer has nothing")]]
            return [[self.tag("shipping"), self.reply(
                "shipping", carrier=shipment.get("carrier", "?"), tracking=shipment.get("tracking", "?"),
                status=shipment.get("status", "?"), eta=shipment.get("eta", "?"))]]
        if category == "address_change":
            return [[self.tag("address_change"),
                     self.escalate("logistics", f"address change, order status {order.get('status')}")]]
        return [[self.tag("invoice"), self.reply("invoice")]]

    def finish(self) -> Call:
        return Call("finish_triage", {"category": self.category, "priority": self.priority(),
                                      "summary": f"{self.category} ticket {self.view.ticket_id}"})

    def priority(self) -> str:
        if self.category == "complaint" or self.view.tier == "vip":
            return "high"
        if self.category in ("product_question", "general"):
            return "low"
        return "normal"


def decide(request: dict[str, Any]) -> Step:
    """The stand-in's next message for a chat-completions request (deterministic)."""
    messages = [m for m in request.get("messages") or [] if isinstance(m, dict)]
    ticket = next((str(m.get("content") or "") for m in messages if m.get("role") == "user"), "")
    view = read_ticket(ticket)
    results = _results(messages)
    planner = _Planner(view, results)
    if not request.get("tools"):
        return Step(content=json.dumps(planner.finish().arguments, sort_keys=True))
    failed = _error(results)
    if failed is not None and "escalate_to_human" not in results:
        name, error = failed
        return Step([planner.escalate("support", f"{name} failed: {error}"[:200]), planner.finish()])
    turns = planner.turns()
    for index, turn in enumerate(turns):
        pending = [call for call in turn if call.name not in results]
        if pending:
            # The plan's last turn ends the triage, unless its results may still change the plan.
            last = index == len(turns) - 1 and pending[-1].name != "lookup_order"
            return Step([*pending, planner.finish()] if last else pending)
    return Step([planner.finish()])


def call_id(call: Call, request: dict[str, Any]) -> str:
    """A tool call id that is the same whenever the request is (so re-recording changes nothing)."""
    seed = json.dumps([call.name, call.arguments, len(request.get("messages") or [])], sort_keys=True)
    return "call_" + hashlib.blake2b(seed.encode("utf-8"), digest_size=8).hexdigest()
