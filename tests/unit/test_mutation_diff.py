"""``input_diff``: what a mutation changed, in a few readable lines."""

from __future__ import annotations

from typing import Any

from pytest_agentreal.mutations.diff import Change, changes, input_diff

TICKET: dict[str, Any] = {
    "ticket_id": "T-0042",
    "subject": "Refund for damaged blender",
    "body": "Hello,\n\nmy order 58213 arrived yesterday and the blender jar is cracked. " * 3,
    "customer": {"name": "Anna Schmidt", "email": "a@x.org", "phone": None},
    "items": [{"sku": "BLD-200", "qty": 1}, {"sku": "CAB-USB", "qty": 2}],
    "tags": ["damaged", "refund", "vip"],
}


def edited(**changes: Any) -> dict[str, Any]:
    return {**TICKET, **changes}


def test_equal_inputs_have_no_diff() -> None:
    assert input_diff(TICKET, dict(TICKET)) == []
    assert changes(1, 1.0) == [Change("~", "", 1, 1.0)]  # a type change is a change
    assert input_diff({"qty": [1]}, {"qty": [True]}) == ["~ /qty/0: 1 → true"]


def test_removed_added_and_changed_members_with_pointers() -> None:
    customer = {"name": "Anna Schmidt", "phone": "", "note": "call after 5"}
    assert input_diff(TICKET, edited(customer=customer)) == [
        "- /customer/email: 'a@x.org'",
        "~ /customer/phone: null → ''",
        "+ /customer/note: 'call after 5'",
    ]


def test_dropping_an_array_item_is_one_line_not_a_shift_of_every_later_item() -> None:
    assert input_diff(TICKET, edited(tags=["damaged", "vip"])) == ["- /tags/1: 'refund'"]
    items = [{"sku": "BLD-200", "qty": "1"}, {"sku": "CAB-USB", "qty": 2}]
    assert input_diff(TICKET, edited(items=items)) == ["~ /items/0/qty: 1 → '1'"]


def test_long_strings_are_clipped_around_the_change() -> None:
    body = TICKET["body"].replace("cracked", "broken", 2)
    (line,) = input_diff(TICKET, edited(body=body))
    assert line.startswith("~ /body: '…") and "cracked" in line and "broken" in line
    assert len(line) < 200
    huge = TICKET["body"] + "\n\n> earlier message" * 10_000
    (line,) = input_diff(TICKET, edited(body=huge))
    assert f"({len(huge)} chars)" in line and len(line) < 300


def test_a_prefix_shows_at_the_start() -> None:
    (line,) = input_diff(TICKET, edited(subject="Re: " + TICKET["subject"]))
    assert line == "~ /subject: 'Refund for damaged blender' → 'Re: Refund for damaged blender'"


def test_homoglyphs_and_invisible_characters_are_visible_in_the_diff() -> None:
    (line,) = input_diff(TICKET, edited(subject="Refund for d\u0430maged\u200b blender"))
    assert "\\u0430" in line and "\\u200b" in line


def test_limit_keeps_the_diff_short() -> None:
    mutated = {key: None for key in TICKET}
    lines = input_diff(TICKET, mutated, limit=3)
    assert len(lines) == 4 and lines[-1] == "… and 3 more changes"
