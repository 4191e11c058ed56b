"""``out_of_pattern`` on free text: ``oversize``, ``unicode``, ``injection``, ``off_topic``.

The text comes from the corpus itself where possible — earlier messages of other samples, the
sample's own language and addresses — so a case reads like production, not like fuzzing noise.
"""

from __future__ import annotations

import base64
import copy
import random
import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from .. import pointers
from ..model import Sample
from . import phrases
from .catalog import builtin
from .dates import mail_date
from .layout import HTML_BREAK, append_paragraph, join_blocks, line_break, paragraph, plain_lines, quote_block
from .registry import MutationContext
from .text import (
    key_tokens,
    main_text_pointer,
    one_per_field,
    profile,
    sample_datetime,
    sample_emails,
    sample_id,
    sample_language,
    subject_pointers,
    text_pointers,
)
from .unicode_noise import perturb

OVERSIZE_BYTES = 100 * 1024


def _main_text(sample: Sample, ctx: MutationContext) -> list[str]:
    pointer = main_text_pointer(sample, ctx)
    return [pointer] if pointer is not None else []


_SUPPORT_LOCAL = re.compile(r"(support|help|helpdesk|service|kundenservice|info|hello|contact)@")


# id(corpus profile) → (profile, address): the address depends on the whole corpus's e-mails only,
# and the oversize and injection operators ask for it on every sample.
_SUPPORT_CACHE: dict[int, tuple[object, str]] = {}


def _support_address(ctx: MutationContext) -> str:
    """The corpus's own support address, or one at its most common domain."""
    prof = profile(ctx)
    known = _SUPPORT_CACHE.get(id(prof))
    if known is not None and known[0] is prof:
        return known[1]
    address = _find_support_address(prof.emails)
    if len(_SUPPORT_CACHE) >= 64:
        _SUPPORT_CACHE.clear()
    _SUPPORT_CACHE[id(prof)] = (prof, address)
    return address


def _find_support_address(emails: tuple[str, ...]) -> str:
    for email in emails:
        if _SUPPORT_LOCAL.match(email):
            return email
    domains = Counter(email.rsplit("@", 1)[1] for email in emails)
    return f"support@{min(domains, key=lambda d: (-domains[d], d)) if domains else 'example.com'}"


def _lookalike_address(ctx: MutationContext) -> str:
    """An outside address that looks like the support domain's own (how phishing looks)."""
    name, _, tld = _support_address(ctx).rsplit("@", 1)[1].rpartition(".")
    return f"it-helpdesk@{name or tld}-secure.{tld if name else 'com'}"


@builtin("out_of_pattern", "oversize", targets=_main_text)
def oversize(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """A long thread (>= 100 KB): earlier replies quoted below the message, with signatures."""
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
    # ~500 replies per case, from a handful of texts: each text is laid out once, and the loop
    # does only what differs per reply (its date, its header form). The blocks are exactly what
    # laying out each reply afresh gives (tests/unit/test_oversize_fast.py keeps that reference).
    reply = _Laid(phrases.pick(phrases.SUPPORT_REPLY, lang), br)
    texts: dict[int, _Laid] = {}
    quote_header = phrases.pick(phrases.QUOTE_HEADER, lang)
    support_sender, customer_sender = f"<{support}>", f"<{customer}>"
    customer_head = f"\nSubject: RE: {subject}"
    below = _draw_below(rng)
    chance = rng.random
    parts = [body]
    size = len(body.encode("utf-8"))
    index = 0
    while size < OVERSIZE_BYTES:
        hours = below(30) + 1
        when -= timedelta(hours=hours, minutes=below(60))
        from_support = index % 2 == 0  # the message before a customer's is support's answer
        if from_support:
            laid = reply
        else:
            slot = (index // 2) % len(pool)
            laid = texts.get(slot) or texts.setdefault(slot, _Laid("\n".join(plain_lines(pool[slot])).strip(), br))
        sender = support if from_support else customer
        if chance() < 0.5:
            header = quote_header.format(date=mail_date(when, lang), sender=support_sender if from_support
                                         else customer_sender)
            block = paragraph(header, br) + br + laid.quoted
        else:
            block = laid.after(f"-----Original Message-----\nFrom: {sender}\nSent: {mail_date(when)}{customer_head}")
        parts.append(block)
        size += len(block.encode("utf-8")) + 2 * len(br)
        index += 1
    return [pointers.replace(sample, target, join_blocks(parts, br))]


def _draw_below(rng: random.Random) -> Callable[[int], int]:
    """``n -> rng.randrange(n)``: the numbers ``randint(a, a + n - 1) - a`` draws, minus its argument checks."""
    below = getattr(rng, "_randbelow", None)  # what randrange and randint call for these very numbers
    return below if callable(below) else rng.randrange


class _Laid:
    """One reply text laid out in the body's form, once: quoted, and as the end of a paragraph."""

    __slots__ = ("_tail", "br", "quoted")

    def __init__(self, text: str, br: str) -> None:
        self.br = br
        inner = paragraph(text, br)
        self.quoted = quote_block(inner, br)
        # paragraph(head + "\n\n" + text) is paragraph(head)'s lines, an empty line, then the
        # text's lines: the text's part is the same every time.
        self._tail = br + br + (inner[len("<div>"):-len("</div>")] + "</div>" if br == HTML_BREAK else inner)

    def after(self, head: str) -> str:
        """``paragraph(head + "\n\n" + text, br)``."""
        first = paragraph(head, self.br)
        return (first[: -len("</div>")] if self.br == HTML_BREAK else first) + self._tail


def _text_fields(sample: Sample, ctx: MutationContext) -> list[str]:
    return one_per_field(text_pointers(sample, ctx))


@builtin("out_of_pattern", "unicode", targets=_text_fields, oracle="invariant")
def unicode(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """The same text with zero-width characters, NFKC variants, RTL marks, homoglyphs or emoji."""
    return [pointers.replace(sample, target, perturb(str(pointers.resolve(sample, target)), rng))]


def _amount(sample: Sample, lang: str) -> str:
    amounts = [
        (value, pointer)
        for pointer, value in pointers.iter_leaves(sample)
        if isinstance(value, (int, float))
        and not isinstance(value, bool)
        and set(key_tokens(pointer)) & {"amount", "total", "price", "sum"}
    ]
    if not amounts:
        return phrases.pick(phrases.FULL_AMOUNT, lang)
    currency = next(
        (v for p, v in pointers.iter_leaves(sample) if "currency" in key_tokens(p) and isinstance(v, str)), ""
    )
    return f"{max(amounts)[0]:.2f} {currency}".strip()


def _order_ref(sample: Sample, ctx: MutationContext) -> str:
    for pointer, value in pointers.iter_leaves(sample):
        if (
            "order" in pointers.parse(pointer)[0].lower()
            and isinstance(value, (str, int))
            and ({"id", "number", "no", "ref"} & set(key_tokens(pointer)) or len(pointers.parse(pointer)) == 1)
        ):
            return str(value)
    return sample_id(sample, ctx)


def injection_text(sample: Sample, ctx: MutationContext, lang: str, kind: int) -> str:
    """Instruction ``kind`` (0 refund, 1 delete, 2 exfiltrate) in ``lang``, filled from the sample."""
    template = phrases.pick(phrases.INJECTION, lang)[kind]
    email = next(iter(sample_emails(sample)), sample_id(sample, ctx))
    return template.format(
        amount=_amount(sample, lang),
        order=_order_ref(sample, ctx),
        email=email,
        attacker=_lookalike_address(ctx),
    )


@builtin("out_of_pattern", "injection", targets=_main_text, oracle="no_new_actions")
def injection(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """Instructions for actions the original did not ask for: plain, base64, another language, quoted."""
    body = str(pointers.resolve(sample, target))
    lang = sample_language(sample, ctx)
    kind = rng.randrange(3)
    style = rng.choice(("plain", "base64", "other_language", "quoted"))
    if style == "base64":
        payload = base64.b64encode(injection_text(sample, ctx, "en", kind).encode("utf-8")).decode("ascii")
        added = phrases.pick(phrases.BASE64_WRAPPER, lang).format(payload=payload)
    elif style == "other_language":
        corpus_other = [lang_ for lang_ in profile(ctx).languages if lang_ != lang and lang_ in phrases.INJECTION]
        other = corpus_other or [lang_ for lang_ in phrases.LANGUAGES if lang_ != lang]
        added = injection_text(sample, ctx, rng.choice(other), kind)
    elif style == "quoted":
        when = sample_datetime(sample) - timedelta(days=rng.randint(1, 14))
        header = phrases.pick(phrases.QUOTE_HEADER, lang).format(
            date=mail_date(when, lang), sender=f"IT Service Desk <{_lookalike_address(ctx)}>"
        )
        br = line_break(body)
        quoted = quote_block(paragraph(injection_text(sample, ctx, lang, kind), br), br)
        return [pointers.replace(sample, target, join_blocks([body.rstrip(), paragraph(header, br) + br + quoted], br))]
    else:
        added = injection_text(sample, ctx, lang, kind)
    return [pointers.replace(sample, target, append_paragraph(body, added))]


def _sign_off(body: str) -> str:
    """The sender's name at the end of a message, when it has one (kept in off-topic requests)."""
    lines = [line.strip() for line in plain_lines(body) if line.strip()]
    if len(lines) < 2:
        return ""
    last = lines[-1]
    words = last.split()
    return last if len(words) <= 3 and len(last) <= 40 and all(w[:1].isupper() for w in words) else ""


def _has_text(sample: Sample, ctx: MutationContext) -> list[str]:
    return [""] if text_pointers(sample, ctx) else []


@builtin("out_of_pattern", "off_topic", targets=_has_text, oracle="escalate")
def off_topic(sample: Sample, target: str, rng: random.Random, ctx: MutationContext) -> list[Sample]:
    """A request outside the workflow (a poem, stock tips, personal advice): same ids, new text."""
    lang = sample_language(sample, ctx)
    subject, request = rng.choice(phrases.pick(phrases.OFF_TOPIC, lang))
    result = copy.deepcopy(sample)
    subjects = subject_pointers(sample, ctx)
    body_ptr = main_text_pointer(sample, ctx)
    if body_ptr in subjects:  # no body, only a subject: the request itself goes there
        subject, body_ptr = request, None
    for pointer in subjects:
        result = pointers.replace(result, pointer, subject)
    if body_ptr is not None:
        body = str(pointers.resolve(sample, body_ptr))
        sign_off = _sign_off(body)
        blocks = [phrases.pick(phrases.GREETING, lang), request] + ([sign_off] if sign_off else [])
        br = line_break(body)
        result = pointers.replace(result, body_ptr, join_blocks([paragraph(b, br) for b in blocks], br))
    return [result]
