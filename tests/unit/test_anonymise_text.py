"""Free-text scrubbing: what a record says about its people, found again in its text."""

from __future__ import annotations

from pytest_agentreal.anonymise.text import (
    RecordContext,
    date_variants,
    email_name_words,
    header_names,
    plan,
)


def _spans(text: str, context: RecordContext) -> list[tuple[str, str]]:
    return [(r.kind, text[r.start : r.end]) for r in plan(text, context)]


def test_names_in_reply_headers_and_signatures() -> None:
    text = (
        "Thanks!\n\nOn Tue, 3 Jan 2023 at 10:02, Jane Doe <jane.doe@acme.io> wrote:\n"
        '> "Smith, Anna" <anna@corp.io> said\n'
        "> Le mar. 7 mars 2023 à 16:40, Élodie Durand <e.durand@orange.fr> a écrit :\n"
        "From: Cordelia Whitlock [mailto:cw@thornbury.co.uk]\n"
        "Kind regards,\nBartholomew Quigley\n"
    )
    assert set(header_names(text)) == {"Jane", "Doe", "Smith", "Anna", "Élodie", "Durand", "Cordelia",
                                       "Whitlock", "Bartholomew", "Quigley"}  # fmt: skip


def test_only_the_trailing_capitalised_words_before_an_address_are_a_name() -> None:
    assert header_names("please contact Jane Doe <jane@acme.io>") == ["Jane", "Doe"]
    assert header_names("reply to jane doe <jane@acme.io>") == ["jane", "doe"]


def test_reply_header_without_address() -> None:
    assert header_names("On Mon, 4 Mar 2024 at 09:00, Ruth Okafor wrote:") == ["Ruth", "Okafor"]


def test_email_local_parts_give_name_words_but_not_role_words() -> None:
    assert email_name_words("jane.doe77@acme.io") == ["jane", "doe"]
    assert email_name_words("support@acme.io") == []
    assert email_name_words("jane.doe@example.com") == []


def test_known_names_are_found_in_any_case_and_alone() -> None:
    context = RecordContext()
    for word in ("Jane", "Doe"):
        context.add_name(word)
    text = "jane wrote; DOE replied; Doe's dog; Janet and Doerte are others; jane.doe is here"
    assert _spans(text, context) == [("name", "jane"), ("name", "DOE"), ("name", "Doe"), ("name", "jane"),
                                     ("name", "doe")]  # fmt: skip


def test_names_that_are_common_words_are_matched_only_when_capitalised() -> None:
    context = RecordContext()
    context.add_name("Will")
    assert _spans("I will call Will tomorrow", context) == [("name", "Will")]


def test_a_capitalised_word_after_a_known_name_is_a_name_too() -> None:
    context = RecordContext()
    context.add_name("Marguerite")
    text = "marguerite here, it may be under Marguerite Adeyemi"
    context.add_neighbours([text])
    assert "adeyemi" in context.names
    assert "here" not in context.names


def test_structured_values_are_found_literally_whatever_the_case() -> None:
    context = RecordContext()
    context.add_value("street", "17 Ravensworth Gardens", "17 ravensworth gardens")
    context.add_value("postcode", "NE4 6XL", "NE46XL")
    text = "ship to 17 RAVENSWORTH GARDENS (ne4 6xl)"
    assert _spans(text, context) == [("street", "17 RAVENSWORTH GARDENS"), ("postcode", "ne4 6xl")]


def test_a_known_birthday_is_found_in_other_layouts() -> None:
    context = RecordContext()
    context.add_value("dob", "1987-11-23", "1987-11-23")
    text = "born 23/11/1987 (or 11/23/1987, 23 November 1987)"
    spans = plan(text, context)
    assert [text[r.start : r.end] for r in spans] == ["23/11/1987", "11/23/1987", "23 November 1987"]
    assert {r.norm for r in spans} == {"1987-11-23"}
    assert "23.11.1987" in date_variants("1987-11-23")


def test_national_spelling_of_the_records_phone_gets_the_same_value() -> None:
    context = RecordContext()
    context.add_value("phone", "+44 20 7946 0958", "00442079460958")
    (span,) = plan("ring 020 7946 0958", context)
    assert span.norm == "00442079460958"


def test_secrets_win_over_everything_and_are_removed() -> None:
    context = RecordContext()
    context.add_secret("Tr0ub4dor&3")
    text = "password Tr0ub4dor&3, key sk-proj-Q7vX2mL9pT4kR8sW3nB6yH1cJ5dF0gA2"
    spans = plan(text, context)
    assert [(r.kind, r.norm) for r in spans] == [("secret", None), ("api_key", None)]


def test_spans_never_overlap() -> None:
    context = RecordContext()
    context.add_name("Jane")
    context.add_value("email", "jane@acme.io", "jane@acme.io")
    spans = plan("jane@acme.io and Jane", context)
    assert [(r.kind, r.start, r.end) for r in spans] == [("email", 0, 12), ("name", 17, 21)]
