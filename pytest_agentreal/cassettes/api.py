"""Plain functions over cassette files, for planning cases and for the ``agentreal`` command."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..model import Interaction
from .match import RequestKey
from .redact import Redactor
from .store import TEMP_SUFFIX, CassetteData, atomic_write, dumps, load
from .timeline import Entry, to_interaction


def load_cassette(path: str | Path) -> CassetteData:
    """A validated cassette (a :class:`~pytest_agentreal.errors.CassetteError` names what is wrong)."""
    return load(Path(path))


def read_interactions(path: str | Path) -> list[Interaction]:
    """A cassette's timeline as it was recorded: HTTP requests and tool calls, in order."""
    data = load(Path(path))
    interactions = []
    for seq, item in enumerate(data.timeline):
        delivery = int(item.get("delivery", 0))
        if item["type"] == "tool":
            error = item.get("error")
            entry = Entry(seq, "tool", delivery, "CALL", item["name"], RequestKey("CALL", item["name"], ""))
            entry.args, entry.result, entry.fault = item.get("args"), item.get("result"), item.get("fault")
            entry.error = f"{error['type']}: {error.get('message', '')}" if error else None
        else:
            recorded = data.interactions[item["interaction"]]
            request = recorded["request"]
            entry = Entry(seq, "http", delivery, request["method"].upper(), request["uri"], RequestKey("", "", ""))
            entry.request, entry.response = request, recorded["response"]
            entry.fault, entry.error, entry.stream = item.get("fault"), item.get("error"), item.get("stream")
            entry.request_base64 = bool(item.get("request_base64"))
            entry.response_base64 = bool(item.get("response_base64"))
        interactions.append(to_interaction(entry))
    return interactions


def iter_cassettes(directory: str | Path) -> list[Path]:
    """Every cassette file under ``directory`` (JSON or YAML), sorted; temporary files skipped."""
    root = Path(directory)
    files = [
        p
        for pattern in ("*.json", "*.yaml", "*.yml")
        for p in root.rglob(pattern)
        if p.is_file() and not p.name.endswith(TEMP_SUFFIX)
    ]
    return sorted(files)


def scrub_cassette(path: str | Path, secrets: Mapping[str, str] | Iterable[str]) -> int:
    """Redact an existing cassette in place, atomically; returns how many values were redacted.

    ``secrets`` maps env var names to values (or is a list of values). Headers outside the
    allowlist, secret JSON keys and query parameters are redacted as during recording.
    """
    target = Path(path)
    values = dict(secrets) if isinstance(secrets, Mapping) else {f"SECRET_{i}": v for i, v in enumerate(secrets)}
    redactor = Redactor(values)
    original = target.read_text(encoding="utf-8")
    data = load(target)
    count = 0
    for interaction in data.interactions:
        request, response = interaction["request"], interaction["response"]
        request["uri"], n = redactor.url(request["uri"])
        count += n
        for part in (request, response):
            ctype = next((v[0] for k, v in part["headers"].items() if k.lower() == "content-type" and v), "")
            part["headers"], n = redactor.headers(part["headers"])
            count += n
            holder, field = (part, "body") if part is request else (part["body"], "string")
            if holder[field]:
                holder[field], n = redactor.body(holder[field], ctype)
                count += n
    for item in data.timeline:
        for key in ("args", "result"):
            if key in item:
                item[key], n = redactor.json(item[key])
                count += n
        if isinstance(item.get("error"), dict):
            item["error"]["message"], n = redactor.text(str(item["error"].get("message", "")))
            count += n
    if count:
        atomic_write(target, _render(target, original, data))
    return count


def scrub_directory(directory: str | Path, secrets: Mapping[str, str] | Iterable[str]) -> dict[Path, int]:
    """``agentreal scrub DIR``: scrub every cassette under ``directory``; redactions per changed file."""
    counts = {path: scrub_cassette(path, secrets) for path in iter_cassettes(directory)}
    return {path: count for path, count in counts.items() if count}


def _render(path: Path, original: str, data: CassetteData) -> str:
    if not original.lstrip().startswith("{"):
        import yaml

        plain = {"interactions": data.interactions, "version": 1}
        return str(yaml.safe_dump(plain, allow_unicode=True, sort_keys=False))
    document: Any = json.loads(original)
    if isinstance(document, dict) and "metadata" in document:
        return dumps(data)
    return json.dumps({"interactions": data.interactions, "version": 1}, indent=2, ensure_ascii=False) + "\n"
