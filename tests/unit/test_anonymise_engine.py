"""The two passes over records: structure and types kept, every personal value replaced once."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from pytest_agentreal.anonymise import Anonymiser, PseudonymTable, Report
from pytest_agentreal.anonymise.formats import REDACTED, iban_valid, luhn_valid

KEY = b"engine-key-0123456789abcdef"


def _run(records: list[Any], **options: Any) -> tuple[list[Any], Report]:
    report = Report()
    out = Anonymiser(PseudonymTable(KEY), **options).anonymise_records(records, report)
    return out, report


def test_structure_types_and_untouched_fields_are_kept() -> None:
    record = {"ticket_id": "T-0042", "priority": 3, "score": 0.5, "vip": False, "note": None,
              "customer": {"name": "Jane Doe", "email": "jane@acme.io", "phone": 447700900123,
                           "dob": dt.date(1990, 4, 3)},
              "items": [{"sku": "A-1", "qty": 2}], "tags": []}  # fmt: skip
    original = copy.deepcopy(record)
    (out,), _ = _run([record])
    assert record == original  # the input is not modified
    assert out["ticket_id"] == "T-0042" and out["priority"] == 3 and out["score"] == 0.5
    assert out["vip"] is False and out["note"] is None and out["items"] == record["items"] and out["tags"] == []
    customer = out["customer"]
    assert list(customer) == ["name", "email", "phone", "dob"]
    assert customer["name"] != "Jane Doe" and len(customer["name"].split()) == 2
    assert customer["email"].endswith(("example.com", "example.org", "example.net"))
    assert isinstance(customer["phone"], int) and str(customer["phone"]).startswith("447")
    assert isinstance(customer["dob"], dt.date) and customer["dob"] != dt.date(1990, 4, 3)


def test_the_same_person_keeps_one_pseudonym_across_records_and_fields() -> None:
    records = [
        {"customer": {"first_name": "Jane", "email": "jane.doe@acme.io"}},
        {"body": "Forwarded by jane.doe@acme.io: jane says hi"},
        {"from": "Jane Doe <JANE.DOE@ACME.IO>"},
    ]
    out, _ = _run(records)
    first, email = out[0]["customer"]["first_name"], out[0]["customer"]["email"]
    assert out[1]["body"] == f"Forwarded by {email}: {first.lower()} says hi"
    assert out[2]["from"].startswith(f"{first} ") and out[2]["from"].endswith(f"<{email.upper()}>")


def test_formats_stay_valid_in_fields_and_in_text() -> None:
    records = [{"iban": "GB82 WEST 1234 5698 7654 32", "card_number": "4111-1111-1111-1111",
                "body": "or DE89370400440532013000 / 5555 5555 5555 4444"}]  # fmt: skip
    (out,), _ = _run(records)
    assert iban_valid(out["iban"]) and out["iban"][:2] == "GB"
    assert luhn_valid(out["card_number"].replace("-", ""))
    iban, card = out["body"].removeprefix("or ").split(" / ")
    assert iban_valid(iban) and iban.startswith("DE") and luhn_valid(card.replace(" ", ""))


def test_secrets_are_removed_not_pseudonymised() -> None:
    records = [{"password": "hunter2hunter2", "token": 12345678, "headers": {"X-Api-Key": "k-999"},
                "body": "my password is hunter2hunter2"}]  # fmt: skip
    (out,), report = _run(records)
    assert out["password"] == out["token"] == out["headers"]["X-Api-Key"] == REDACTED
    assert out["body"] == f"my password is {REDACTED}"
    assert report.kinds["secret"] == 4


def test_keep_leaves_fields_untouched() -> None:
    records = [{"agent": {"name": "Support Bot Anna"}, "customer": {"name": "Jane Doe"}, "id": "jane@acme.io"}]
    (out,), _ = _run(records, keep=["/agent/name", "/id"])
    assert out["agent"]["name"] == "Support Bot Anna" and out["id"] == "jane@acme.io"
    assert out["customer"]["name"] != "Jane Doe"


def test_keep_accepts_wildcards() -> None:
    records = [{"lines": [{"phone": "+44 20 7946 0958"}, {"phone": "+44 20 7946 0959"}]}]
    (out,), _ = _run(records, keep=["/lines/*/phone"])
    assert out == records[0]


def test_keys_that_are_personal_are_renamed() -> None:
    records = [{"by_email": {"jane@acme.io": {"orders": 3}}}]
    (out,), _ = _run(records)
    (key,) = out["by_email"]
    assert key != "jane@acme.io" and key.endswith(("example.com", "example.org", "example.net"))
    assert out["by_email"][key] == {"orders": 3}


def test_report_counts_per_kind_and_field_without_values() -> None:
    records = [
        {"customer": {"name": "Jane Doe", "email": "jane@acme.io"}, "lines": [{"ip": "81.2.69.160"}]},
        {"customer": {"name": "John Roe", "email": "john@acme.io"}, "lines": [{"ip": "81.2.69.161"}]},
    ]
    _, report = _run(records)
    data = report.as_dict()
    assert data["records"] == 2
    assert data["fields"] == {"/customer/email": {"email": 2}, "/customer/name": {"name": 4},
                              "/lines/*/ip": {"ip": 2}}  # fmt: skip
    text = json.dumps(data) + report.render()
    assert not any(v in text for v in ("Jane", "jane", "John", "81.2.69"))


def test_scan_counts_what_still_looks_personal() -> None:
    # A phone spelled in a way the detectors find but cannot parse is reported, never printed.
    anonymiser = Anonymiser(PseudonymTable(KEY), scan=True)
    report = Report()
    out = anonymiser.anonymise_records([{"body": "call +44 20 7946 0958"}], report)
    assert report.findings == 0
    assert "7946" not in out[0]["body"]


def test_values_that_are_not_what_their_field_says_are_scrubbed_as_text() -> None:
    records = [{"email": "Jane Doe <jane@acme.io>", "phone": "ask Jane Doe", "name": "n/a"}]
    (out,), _ = _run(records)
    assert "jane" not in json.dumps(out).lower()
    assert out["name"] == "n/a"
