"""The fast ``oversize`` and ``mail_date`` write exactly what the plain versions wrote.

Recorded cassettes match an oversize case's request by its bytes, so a faster operator must not
change one character: the reference below is the operator as it was before it was made faster.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_agentreal import pointers
from pytest_agentreal.mutations import phrases
from pytest_agentreal.mutations.dates import mail_date
from pytest_agentreal.mutations.layout import join_blocks, line_break, paragraph, plain_lines, quote_block
from pytest_agentreal.mutations.out_of_pattern_text import OVERSIZE_BYTES, _support_address, oversize
from pytest_agentreal.mutations.registry import MutationContext
from pytest_agentreal.mutations.text import (
    profile,
    sample_datetime,
    sample_emails,
    sample_id,
    sample_language,
    subject_pointers,
)


def _reference_mail_date(when: datetime, lang: str = "en") -> str:
    if lang == "en":
        days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        return f"{days[when.weekday()]}, {when.day} {months[when.month - 1]} {when.year} at {when:%H:%M}"
    if lang in ("de", "nl"):
        return f"{when:%d.%m.%Y}, {when:%H:%M}"
    return f"{when:%d/%m/%Y} {when:%H:%M}"


def _reference_oversize(sample: Any, target: str, rng: random.Random, ctx: MutationContext) -> list[Any]:
    body = str(pointers.resolve(sample, target))
    lang = sample_language(sample, ctx)
    pool = list(profile(ctx).texts) or [body]
    rng.shuffle(pool)
    customer = next(iter(sample_emails(sample)), "customer")
    support = _support_address(ctx)
    subjects = subject_pointers(sample, ctx)
    subject = str(pointers.resolve(sample, subjects[0])) if subjects else sample_id(sample, ctx)
    when = sample_datetime(sample)
    br = line_break(body)
    parts = [body]
    size = len(body.encode("utf-8"))
    index = 0
    while size < OVERSIZE_BYTES:
        when -= timedelta(hours=rng.randint(1, 30), minutes=rng.randint(0, 59))
        from_support = index % 2 == 0
        if from_support:
            text = phrases.pick(phrases.SUPPORT_REPLY, lang)
        else:
            text = "\n".join(plain_lines(pool[(index // 2) % len(pool)])).strip()
        sender = support if from_support else customer
        if rng.random() < 0.5:
            header = phrases.pick(phrases.QUOTE_HEADER, lang).format(
                date=_reference_mail_date(when, lang), sender=f"<{sender}>")
            block = paragraph(header, br) + br + quote_block(paragraph(text, br), br)
        else:
            headers = f"From: {sender}\nSent: {_reference_mail_date(when)}\nSubject: RE: {subject}"
            block = paragraph(f"-----Original Message-----\n{headers}\n\n{text}", br)
        parts.append(block)
        size += len(block.encode("utf-8")) + 2 * len(br)
        index += 1
    return [pointers.replace(sample, target, join_blocks(parts, br))]


_LINES = st.lists(st.text(st.sampled_from("ab <>&é\u00a0ü>"), max_size=30), min_size=1, max_size=4)
_BODY = st.one_of(
    _LINES.map("\n".join),
    _LINES.map("\r\n".join),
    _LINES.map(lambda lines: "<div>" + "<br>".join(lines) + "</div>"),
)


@settings(max_examples=30, deadline=None)
@given(bodies=st.lists(_BODY, min_size=1, max_size=4), lang=st.sampled_from(["en", "de", "fr", "nl", "xx"]),
       seed=st.integers(0, 2**32), subject=st.booleans(),
       date=st.sampled_from(["2024-03-04T09:30:00Z", "1999-12-31 23:59", "no date"]))
def test_oversize_writes_what_the_plain_version_wrote(bodies: list[str], lang: str, seed: int, subject: bool,
                                                      date: str) -> None:
    samples = [{"id": f"T-{i}", "body": body, "lang": lang, "from": f"c{i}@example.org", "sent": date,
                **({"subject": f"Order {i}"} if subject else {})} for i, body in enumerate(bodies)]
    ctx = MutationContext(corpus="c", samples=samples, id_field="id")
    for sample in samples:
        fast = oversize(sample, "/body", random.Random(seed), ctx)
        slow = _reference_oversize(sample, "/body", random.Random(seed), ctx)
        assert fast == slow
        assert len(fast[0]["body"].encode("utf-8")) >= OVERSIZE_BYTES


@given(when=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
       lang=st.sampled_from(["en", "de", "nl", "fr", "es"]))
def test_mail_date_writes_what_strftime_wrote(when: datetime, lang: str) -> None:
    assert mail_date(when, lang) == _reference_mail_date(when, lang)
    assert mail_date(when) == _reference_mail_date(when)
