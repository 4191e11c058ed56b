"""Scan cassette text for anything that should have been redacted (the check after every write)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..model import Finding
from .redact import PLACEHOLDER, SECRET_KEYS, Redactor, header_is_secret


def scan_text(text: str, redactor: Redactor, where: str) -> list[Finding]:
    """Findings (oracle ``secret``) for secret values, secret keys with values, credential headers."""
    findings = [
        Finding(
            oracle="secret",
            message=f"the value of ${name} is in the cassette (plain, base64 or URL-encoded)",
            path=where,
            expected="redacted",
            got=f"${name}",
            evidence=where,
        )
        for name in redactor.find(text)
    ]
    try:
        document = json.loads(text)
    except ValueError:
        return findings
    for location, problem in _structural(document):
        findings.append(Finding(oracle="secret", message=problem, path=location, expected="redacted", evidence=where))
    return findings


def _structural(document: Any) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    interactions = document.get("interactions") if isinstance(document, dict) else None
    for index, item in enumerate(interactions if isinstance(interactions, list) else []):
        if not isinstance(item, dict):
            continue
        for side in ("request", "response"):
            part = item.get(side)
            if not isinstance(part, dict):
                continue
            where = f"interactions[{index}].{side}"
            headers = part.get("headers")
            for name in headers if isinstance(headers, dict) else {}:
                if header_is_secret(str(name)):
                    problems.append((f"{where}.headers", f"credential header {name!r} kept"))
            uri = part.get("uri")
            if isinstance(uri, str):
                for key, value in parse_qsl(urlsplit(uri).query, keep_blank_values=True):
                    if key.lower() in SECRET_KEYS and value not in ("", PLACEHOLDER):
                        problems.append((f"{where}.uri", f"query parameter {key!r} has a value"))
            body = part.get("body")
            if isinstance(body, dict):
                body = body.get("string")
            problems.extend((f"{where}.body{p}", m) for p, m in _json_keys_in(body))
    metadata = document.get("metadata") if isinstance(document, dict) else None
    problems.extend((f"metadata{p}", m) for p, m in _secret_keys(metadata, ""))
    return problems


def _json_keys_in(text: Any) -> list[tuple[str, str]]:
    if not isinstance(text, str):
        return []
    found: list[tuple[str, str]] = []
    candidates = [text]
    if "data:" in text:  # server-sent events carry one JSON document per data line
        candidates += [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
    for candidate in candidates:
        if candidate.lstrip()[:1] not in ("{", "["):
            continue
        try:
            found.extend(_secret_keys(json.loads(candidate), ""))
        except ValueError:
            continue
    return found


def _secret_keys(value: Any, path: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            here = f"{path}/{key}"
            if isinstance(key, str) and key.lower() in SECRET_KEYS and child not in (None, "", PLACEHOLDER, {}, []):
                found.append((here, f"secret key {key!r} has a value"))
            else:
                found.extend(_secret_keys(child, here))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_secret_keys(child, f"{path}/{index}"))
    elif isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        with contextlib.suppress(ValueError):
            found.extend(_secret_keys(json.loads(value), path))
    return found


def scan_cassette(path: Path, secrets: Mapping[str, str] | None = None) -> list[Finding]:
    """Secrets left in a cassette file (for ``agentreal lint``); ``secrets`` maps env names to values."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return scan_text(text, Redactor(secrets or {}), str(path))
