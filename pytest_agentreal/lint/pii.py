"""Personal data and secrets left in samples and cassettes, found by the anonymiser's own detectors.

What counts as *left* (so that an anonymised corpus lints clean and a raw export does not):
e-mail addresses outside the domains reserved for examples, phone numbers outside the ranges
reserved for fiction (:mod:`.phones`), card numbers passing Luhn, IBANs passing mod-97, public IP
addresses, national id numbers, API-key shapes, tokens in URLs, values in credential fields, and
the values of the manifest's ``secrets:`` env vars. Names, addresses and dates of birth look the
same whether real or pseudonymous: they are reported only when ``agentreal anonymise`` left an
allowlist of its pseudonyms beside the samples (then anything else is suspicious). A finding names
the file, line, JSON Pointer and kind, never the value.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..pointers import resolve
from .model import LintContext, LintFinding, Severity, show_path
from .phones import is_fictional_phone
from .registry import register_check

SECRET_KINDS = frozenset({"secret", "api_key", "url_token"})
PSEUDONYMOUS_KINDS = frozenset({"name", "username", "address", "street", "postcode", "city", "dob"})
"""Kinds a pseudonym cannot be told from a real value by: reported only against an allowlist."""

KIND_TEXT: dict[str, str] = {
    "email": "an e-mail address on a domain not reserved for examples",
    "phone": "a phone number outside the ranges reserved for fiction",
    "card": "a payment card number (passes Luhn)",
    "iban": "an IBAN (valid checksum)",
    "ip": "a public IP address",
    "id_number": "a national id, passport or tax number",
    "api_key": "an API key or bearer token",
    "url_token": "a token or password in a URL",
    "secret": "a value in a field named like a credential",
    "name": "a person's name that is not a pseudonym written by agentreal anonymise",
    "username": "a user name that is not a pseudonym written by agentreal anonymise",
    "address": "an address that is not a pseudonym written by agentreal anonymise",
    "street": "a street that is not a pseudonym written by agentreal anonymise",
    "postcode": "a postcode that is not a pseudonym written by agentreal anonymise",
    "city": "a city that is not a pseudonym written by agentreal anonymise",
    "dob": "a date of birth that is not a pseudonym written by agentreal anonymise",
}
SAMPLE_FIX = "anonymise the raw export again: agentreal anonymise IN --out OUT"
SECRET_FIX = "remove it (agentreal anonymise replaces secrets with [REDACTED]) and rotate the credential"
CASSETTE_FIX = "anonymise the samples, then record this cassette again"
CASSETTE_SECRET_FIX = "name its env var in secrets: and run agentreal scrub, or record again; rotate it"


def describe(kind: str) -> str:
    """What a detection of ``kind`` is, in words (never the value)."""
    return KIND_TEXT.get(kind, f"personal data ({kind})")


def is_placeholder(text: str) -> bool:
    """What redaction leaves behind: ``[REDACTED]`` (anonymise), ``REDACTED`` / ``REDACTED-<ENV>`` (cassettes)."""
    bare = text.strip().strip("[]")
    return bare == "REDACTED" or bare.startswith("REDACTED-")


def reportable(kind: str, text: str, allowlist: frozenset[str]) -> bool:
    """Whether a detection is personal data *left*: not fictional, not redacted, checkable against an allowlist."""
    if is_placeholder(text):
        return False
    if kind == "phone":
        return not is_fictional_phone(text)
    if kind in PSEUDONYMOUS_KINDS:
        return bool(allowlist)
    return True


def _severity(kind: str) -> Severity:
    return "warning" if kind in PSEUDONYMOUS_KINDS else "error"


def record_detections(record: Any, allowlist: frozenset[str], *, by_name: bool) -> Counter[tuple[str, str]]:
    """``(pointer, kind) → occurrences`` of personal data and secrets left in a JSON-like record."""
    from ..anonymise.detect import scan_record

    found: Counter[tuple[str, str]] = Counter()
    for hit in scan_record(record, by_name=by_name, allow=allowlist):
        value = resolve(record, hit.pointer)
        text = str(value)[hit.start : hit.end] if isinstance(value, (str, int)) else ""
        if reportable(hit.kind, text, allowlist):
            found[(hit.pointer, hit.kind)] += 1
    return found


def text_detections(text: str, allowlist: frozenset[str]) -> Counter[str]:
    """``kind → occurrences`` left in free text."""
    from ..anonymise.detect import is_allowed, scan_text

    found: Counter[str] = Counter()
    for hit in scan_text(text):
        value = text[hit.start : hit.end]
        if not is_allowed(hit.kind, value, allowlist) and reportable(hit.kind, value, allowlist):
            found[hit.kind] += 1
    return found


def _times(count: int) -> str:
    return f" ({count} occurrences)" if count > 1 else ""


def check_samples(context: LintContext) -> Iterator[LintFinding]:
    """Personal data and secrets left in the samples, one finding per sample, field and kind."""
    from ..cassettes import Redactor

    redactor = Redactor(context.secrets) if context.secrets else None
    for row in context.rows:
        file = show_path(row.file)
        where = f"row {row.row}: " if row.line is None else ""
        for (pointer, kind), count in record_detections(row.sample, context.allowlist, by_name=True).items():
            secret = kind in SECRET_KINDS
            yield LintFinding(file, row.line, pointer,
                              f"{where}{'secret' if secret else 'personal data'} left: {describe(kind)}{_times(count)}",
                              SECRET_FIX if secret else SAMPLE_FIX, _severity(kind),
                              "secrets" if secret else "pii")  # fmt: skip
        if redactor is not None:
            for name in redactor.find(json.dumps(row.sample, ensure_ascii=False)):
                yield LintFinding(file, row.line, "", f"{where}the value of ${name} is in this sample",
                                  SECRET_FIX, "error", "secrets")  # fmt: skip
        context.tick(1)


# --------------------------------------------------------------------------- cassettes


def read_document(path: Path) -> tuple[Any, str] | None:
    """A cassette's parsed document and text (JSON or YAML without tags), or ``None`` when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text), text
        except ValueError:
            return None
    import yaml

    try:
        return yaml.safe_load(text), text
    except yaml.YAMLError:
        return None


def json_leaf_lines(document: Any, text: str) -> dict[str, int]:
    """Line of every member of an indented JSON file (one member per line), or ``{}`` for other layouts."""
    from ..pointers import join

    lines: dict[str, int] = {}
    line = 1

    def walk(node: Any, path: tuple[str, ...]) -> None:
        nonlocal line
        items: list[tuple[str, Any]] = []
        if isinstance(node, dict):
            items = [(str(k), v) for k, v in node.items()]
        elif isinstance(node, list):
            items = [(str(i), v) for i, v in enumerate(node)]
        if not items:
            return
        for key, child in items:
            line += 1
            lines[join((*path, key))] = line
            walk(child, (*path, key))
        line += 1  # the closing bracket

    walk(document, ())
    return lines if line == len(text.rstrip("\n").split("\n")) else {}


def _nested_documents(text: str) -> list[tuple[str, Any]]:
    """JSON documents inside a string: a JSON body, or one per server-sent event."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return [("", json.loads(text))]
        except ValueError:
            pass
    documents: list[tuple[str, Any]] = []
    if "data:" in text:
        for line in text.splitlines():
            payload = line[5:].strip() if line.startswith("data:") else ""
            if payload[:1] in ("{", "["):
                try:
                    documents.append((f" of event {len(documents) + 1}", json.loads(payload)))
                except ValueError:
                    continue
    return documents


def cassette_detections(document: Any, allowlist: frozenset[str]) -> Counter[tuple[str, str, str]]:
    """``(pointer, inner pointer, kind) → occurrences`` in a cassette, JSON bodies and events included."""
    from ..pointers import iter_leaves

    found: Counter[tuple[str, str, str]] = Counter()
    for pointer, value in iter_leaves(document):
        if not isinstance(value, str) or len(value) < 6:
            continue
        nested = _nested_documents(value)
        if nested:
            for label, inner in nested:
                for (inner_pointer, kind), count in record_detections(inner, allowlist, by_name=False).items():
                    found[(pointer, f"{label} at {inner_pointer}", kind)] += count
        else:
            for kind, count in text_detections(value, allowlist).items():
                found[(pointer, "", kind)] += count
    return found


def check_cassettes(context: LintContext) -> Iterator[LintFinding]:
    """Personal data and secret shapes left in cassettes (secret values and keys: :mod:`.cassette_checks`)."""
    for path in context.cassette_files:
        loaded = read_document(path)
        context.tick(1)
        if loaded is None:
            continue  # the cassette check reports it
        document, text = loaded
        lines = json_leaf_lines(document, text) if text.lstrip().startswith("{") else {}
        file = show_path(path)
        for (pointer, inner, kind), count in cassette_detections(document, context.allowlist).items():
            secret = kind in SECRET_KINDS
            where = f" (in the JSON{inner})" if inner else ""
            yield LintFinding(file, lines.get(pointer), pointer,
                              f"{'secret' if secret else 'personal data'} left: {describe(kind)}{where}{_times(count)}",
                              CASSETTE_SECRET_FIX if secret else CASSETTE_FIX, _severity(kind),
                              "secrets" if secret else "pii")  # fmt: skip


register_check("samples", check_samples)
register_check("cassettes.pii", check_cassettes)
