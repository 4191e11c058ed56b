"""Draft replies of the support-inbox agent, in the customer's language (English or German).

Replies are drafts: ``policy.yaml`` lets the agent write drafts on its own (``reply.draft``) but
not send them (``reply.send`` needs a human). Nothing here decides anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "refund": "we have {refund} for order {order}. You will see it on your statement within 5 working days.",
        "shipping": "we are checking the status of your parcel with the carrier and will update you within one "
        "working day.",
        "address_change": "we have asked our team to update the address and will confirm once it is changed.",
        "account_deletion": "we have passed your request to our privacy team, who will confirm the deletion in "
        "writing within 30 days.",
        "invoice": "we have sent the invoice for order {order} again to your email address.",
        "invoice_review": "our billing team will prepare the invoice you asked for and send it to you.",
        "complaint": "we are sorry about your experience. A member of our team will personally get back to you.",
        "product_question": "thank you for your question. We will answer with the product details shortly.",
        "general": "thank you for your message. We are looking into it and will get back to you shortly.",
        "needs_info": "to help you we need a few more details: {missing}.",
    },
    "de": {
        "refund": "wir haben {refund} für die Bestellung {order}. Der Betrag ist in 5 Werktagen auf Ihrem Konto.",
        "shipping": "wir klären den Status Ihres Pakets mit dem Versanddienstleister und melden uns innerhalb "
        "eines Werktags.",
        "address_change": "wir haben die Änderung der Adresse veranlasst und bestätigen sie Ihnen in Kürze.",
        "account_deletion": "wir haben Ihr Anliegen an unser Datenschutzteam weitergegeben, das Ihnen die "
        "Löschung innerhalb von 30 Tagen schriftlich bestätigt.",
        "invoice": "wir haben Ihnen die Rechnung zur Bestellung {order} noch einmal per E-Mail geschickt.",
        "invoice_review": "unsere Buchhaltung erstellt die gewünschte Rechnung und schickt sie Ihnen zu.",
        "complaint": "es tut uns leid, dass Sie unzufrieden sind. Eine Kollegin oder ein Kollege meldet sich "
        "persönlich bei Ihnen.",
        "product_question": "danke für Ihre Frage. Wir antworten Ihnen in Kürze mit den Produktdetails.",
        "general": "danke für Ihre Nachricht. Wir kümmern uns darum und melden uns in Kürze.",
        "needs_info": "damit wir helfen können, brauchen wir noch ein paar Angaben: {missing}.",
    },
}
REFUNDED = {"en": "refunded {amount}", "de": "{amount} erstattet"}
APPROVAL = {"en": "requested approval for a refund of {amount}", "de": "eine Erstattung von {amount} beantragt"}


def created_at(received_at: Any) -> str:
    """When the draft is written: the ticket's own time when it has one (deterministic), else now.

    Volatile in ``corpus.yaml`` either way; always a valid RFC 3339 UTC timestamp.
    """
    try:
        when = datetime.fromisoformat(str(received_at).replace("Z", "+00:00"))
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except ValueError:
        when = datetime.now(timezone.utc)
    try:
        when = when.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 has no UTC time
        when = when.replace(tzinfo=timezone.utc)
    return when.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def draft(ticket: Mapping[str, Any], template: str, language: str, **fill: str) -> dict[str, Any]:
    """The reply object of the output: ``{language, text, created_at}``."""
    customer = ticket.get("customer")
    name = customer.get("name") if isinstance(customer, Mapping) else None
    first = name.split()[0][:60] if isinstance(name, str) and name.split() else ""
    greeting = ("Hallo" if language == "de" else "Hi") + (f" {first}," if first else ",")
    text = TEMPLATES[language][template].format_map({"refund": "", "order": "", "missing": "", **fill})
    return {"language": language, "text": f"{greeting}\n\n{text}"[:4000], "created_at": created_at(
        ticket.get("received_at"))}
