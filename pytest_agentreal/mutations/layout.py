"""How a message body is laid out — plain ``\\n``, Windows ``\\r\\n`` or HTML — so text that an
operator adds (a quoted reply, a signature, an injected paragraph) follows the body's own form.

Production inboxes mix all three; a quoted reply in ``> `` lines inside an HTML body would look
like no real mail client ever sent it.
"""

from __future__ import annotations

import html
import re

HTML_BREAK = "<br>"
_HTML = re.compile(r"<(?:br|div|p|span|blockquote|table|html|body)\b[^>]*>", re.IGNORECASE)
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:div|p|li|tr|blockquote)>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_SPACER = "<div>&nbsp;</div>"


def line_break(text: str) -> str:
    """The body's line break: ``<br>`` for HTML, ``\\r\\n`` or ``\\n``."""
    if _HTML.search(text):
        return HTML_BREAK
    return "\r\n" if "\r\n" in text else "\n"


def plain_lines(text: str) -> list[str]:
    """The lines a reader sees (HTML tags dropped and entities decoded)."""
    if _HTML.search(text):
        text = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n", text))).replace("\xa0", " ")
    return text.replace("\r\n", "\n").split("\n")


def paragraph(plain: str, br: str) -> str:
    """New plain text (``\\n`` lines) written in the body's layout."""
    lines = plain.split("\n")
    if br == HTML_BREAK:
        return "<div>" + HTML_BREAK.join(html.escape(line, quote=False) for line in lines) + "</div>"
    return br.join(lines)


def quote_block(body: str, br: str) -> str:
    """An existing message quoted the way a mail client quotes it (``> `` lines, or blockquote)."""
    if br == HTML_BREAK:
        return f'<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">{body}</blockquote>'
    return br.join("> " + line if line else ">" for line in body.split(br))


def join_blocks(blocks: list[str], br: str) -> str:
    """Blocks separated by an empty line (an empty ``div`` in HTML)."""
    return (_SPACER if br == HTML_BREAK else br + br).join(blocks)


def append_paragraph(body: str, plain: str) -> str:
    """``body`` followed by an empty line and new plain text, in the body's layout."""
    br = line_break(body)
    return join_blocks([body.rstrip(), paragraph(plain, br)], br)
