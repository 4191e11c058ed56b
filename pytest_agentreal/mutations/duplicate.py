"""``duplicate``: the same request delivered twice — exactly, as a realistic resend, or in conflict.

Every operator returns ``[original, duplicate]``: both go to one agent object and one connector
session, and the oracle judges the second delivery (SPEC).
"""

from __future__ import annotations

import copy
import random
from datetime import timedelta

from .. import pointers
from ..model import Sample
from . import phrases
from .catalog import builtin
from .dates import mail_date
from .layout import HTML_BREAK, append_paragraph, join_blocks, line_break, paragraph, quote_block
from .registry import MutationContext
from .text import (
    canonical,
    is_id_path,
    leaves,
    main_text_pointer,
    profile,
    sample_datetime,
    sample_emails,
    sample_id,
    sample_language,
    subject_pointers,
    text_pointers,
)


def _has_text(sample: Sample, ctx: MutationContext) -> list[str]:
    return [""] if text_pointers(sample, ctx) else []


@builtin("duplicate", "exact", oracle="idempotent")
def exact(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """The same input delivered twice (a webhook retried, a message fetched twice)."""
    return [copy.deepcopy(sample), copy.deepcopy(sample)]


@builtin("duplicate", "near", targets=_has_text, oracle="idempotent")
def near(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """A realistic resend: ``Re:``/``Fwd:``, a quoted reply, whitespace or signature changes.

    Only free text changes; ids, emails, addresses and numbers stay exactly as they were.
    """
    lang = sample_language(sample, ctx)
    subjects = subject_pointers(sample, ctx)
    body_ptr = main_text_pointer(sample, ctx)
    if body_ptr in subjects:  # no body, only a subject: a resend shows in its prefix
        body_ptr = None
    result = copy.deepcopy(sample)
    style = rng.choice(("reply", "forward", "resend") if body_ptr is not None else ("reply", "forward"))
    when = sample_datetime(sample) - timedelta(hours=rng.randint(2, 72), minutes=rng.randint(0, 59))
    sender = next(iter(sample_emails(sample)), "")
    subject_text = str(pointers.resolve(sample, subjects[0])) if subjects else ""

    if style != "resend":
        table = phrases.REPLY_PREFIX if style == "reply" else phrases.FORWARD_PREFIX
        prefix = rng.choice(phrases.pick(table, lang))
        for pointer in subjects:
            result = pointers.replace(result, pointer, prefix + str(pointers.resolve(result, pointer)))
    if body_ptr is not None:
        body = str(pointers.resolve(sample, body_ptr))
        br = line_break(body)
        if style == "reply":
            header = phrases.pick(phrases.QUOTE_HEADER, lang).format(date=mail_date(when, lang), sender=sender)
            follow_up = rng.choice(phrases.pick(phrases.FOLLOW_UP, lang))
            new_body = join_blocks(
                [paragraph(follow_up, br), paragraph(" ".join(header.split()), br) + br + quote_block(body, br)], br
            )
        elif style == "forward":
            lines = [phrases.pick(phrases.FORWARD_HEADER, lang)]
            if sender:
                lines.append(f"From: <{sender}>")
            lines.append(f"Date: {mail_date(when)}")
            if subject_text:
                lines.append(f"Subject: {subject_text}")
            new_body = join_blocks([paragraph("\n".join(lines), br), body], br)
        else:
            new_body = _change_signature(body, lang, rng) if rng.random() < 0.5 else body
        if style == "resend" or rng.random() < 0.5:
            new_body = _change_whitespace(new_body, br, rng)
        if new_body == body:  # every tweak happened to be a no-op: a resend always looks different
            new_body = _change_signature(body, lang, rng)
        result = pointers.replace(result, body_ptr, new_body)
    return [copy.deepcopy(sample), result]


def _change_whitespace(text: str, br: str, rng: random.Random) -> str:
    """Whitespace a mail client or a copy-paste adds: line endings, trailing blank lines, spaces."""
    if br == HTML_BREAK:
        choices = [text + "<div><br></div>", text.replace("><", ">\n<"), text + "\n"]
    else:
        choices = [text + br + br, " " + text]
        if br == "\n" and "\n" in text:
            choices.append(text.replace("\n", "\r\n"))
        if br == "\r\n":
            choices.append(text.replace("\r\n", "\n"))
        if ". " in text:
            choices.append(text.replace(". ", ".  "))
        if br in text:
            choices.append(br.join(line + " " if line else line for line in text.split(br)))
    return rng.choice([c for c in choices if c != text] or [text + " "])


def _change_signature(text: str, lang: str, rng: random.Random) -> str:
    """Swap a mobile signature for another, or add one (a resend from another device)."""
    signatures = [s for table in phrases.MOBILE_SIGNATURE.values() for s in table]
    stripped = text.rstrip()
    own = phrases.pick(phrases.MOBILE_SIGNATURE, lang)
    for signature in signatures:
        if stripped.endswith(signature):
            others = [s for s in own if s != signature]
            return stripped[: -len(signature)] + rng.choice(others or ["--"])
    br = line_break(text)
    signature = rng.choice(own)
    return append_paragraph(text, signature if br == HTML_BREAK or rng.random() < 0.5 else f"--\n{signature}")


def _conflicts(sample: Sample, ctx: MutationContext, first_only: bool = False) -> list[tuple[str, list[object]]]:
    """Fields whose value differs in another sample, with those values (same JSON type first).

    Structured fields (amounts, emails, products) come before free text: a resend whose amount
    changed is the conflict production sees; a whole new body is a different message.
    """
    prof = profile(ctx)
    own_id = sample_id(sample, ctx)
    texts = set(text_pointers(sample, ctx))
    structured: list[tuple[str, list[object]]] = []
    textual: list[tuple[str, list[object]]] = []
    for pointer, value, general in leaves(sample):
        if is_id_path(pointer, ctx):
            continue
        own = canonical(value)
        others = [v for key, v, owners in prof.values.get(general, ()) if key != own and owners != (own_id,)]
        same_type = [v for v in others if type(v) is type(value)]
        alternatives = same_type or [v for v in others if v is not None]
        if alternatives:
            (textual if pointer in texts else structured).append((pointer, alternatives))
            if first_only:
                break
    return structured or textual


def _conflict_targets(sample: Sample, ctx: MutationContext) -> list[str]:
    return [""] if _conflicts(sample, ctx, first_only=True) else []


@builtin("duplicate", "conflicting", targets=_conflict_targets, oracle="escalate")
def conflicting(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """The same id delivered again with one field's value taken from another sample."""
    candidates = _conflicts(sample, ctx)
    if not candidates:
        return [copy.deepcopy(sample), copy.deepcopy(sample)]
    pointer, alternatives = rng.choice(candidates)
    return [copy.deepcopy(sample), pointers.replace(sample, pointer, copy.deepcopy(rng.choice(alternatives)))]
