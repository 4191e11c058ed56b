"""Small corpora for end-to-end tests, written into a pytester directory."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

INPUT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["ticket_id", "body", "customer"],
    "properties": {
        "ticket_id": {"type": "string"},
        "body": {"type": "string", "minLength": 1},
        "customer": {
            "type": "object",
            "required": ["email"],
            "properties": {"email": {"type": "string", "minLength": 3}, "phone": {"type": "string"}},
        },
        "amount": {"type": "number", "minimum": 0},
    },
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["ticket_id", "status", "category", "actions"],
    "properties": {
        "ticket_id": {"type": "string"},
        "status": {"enum": ["done", "escalated"]},
        "category": {"type": "string"},
        "actions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "status"],
                "properties": {"name": {"type": "string"}, "args": {"type": "object"}, "status": {"type": "string"}},
            },
        },
    },
    "additionalProperties": False,
}

SAMPLES: list[dict[str, Any]] = [
    {"ticket_id": "T-1", "body": "Where is my parcel?", "customer": {"email": "ann@example.com", "phone": "+1 555"}},
    {"ticket_id": "T-2", "body": "Please refund order 7", "customer": {"email": "bo@example.org"}, "amount": 20},
    {"ticket_id": "T-3", "body": "My invoice is wrong", "customer": {"email": "cy@example.net"}},
]

AGENT = '''
class Agent:
    """A tiny deterministic agent for end-to-end tests."""

    def __init__(self):
        self.seen = set()

    def __call__(self, ticket):
        customer = ticket.get("customer") or {}
        body = ticket.get("body")
        if not isinstance(body, str) or not body or not isinstance(customer, dict) or not customer.get("email"):
            return {"ticket_id": str(ticket.get("ticket_id")), "status": "escalated", "category": "unknown",
                    "actions": []}
        category = "refund" if "refund" in body.lower() else "general"
        status = "skipped" if ticket["ticket_id"] in self.seen else "executed"
        self.seen.add(ticket["ticket_id"])
        return {"ticket_id": ticket["ticket_id"], "status": "done", "category": category,
                "actions": [{"name": "ticket.tag", "args": {"tag": category}, "status": status}]}
'''


def manifest_text(**overrides: Any) -> str:
    """A corpus.yaml with sensible defaults; ``None`` removes a key."""
    keys: dict[str, Any] = {
        "name": "mini",
        "samples": "samples.jsonl",
        "id": "ticket_id",
        "agent": "mini_agent:Agent",
        "input_schema": "input.json",
        "output_schema": "output.json",
        "actions": "/actions",
        "escalation": {"path": "/status", "in": ["escalated"]},
        "decision": ["/category", "/actions"],
        "timeout": 5,
    }
    keys.update(overrides)
    import yaml

    return yaml.safe_dump({k: v for k, v in keys.items() if v is not None}, sort_keys=False)


def corpus_writer(pytester: pytest.Pytester) -> Callable[..., Path]:
    """A function that writes a corpus folder with samples, schemas and an agent module."""

    def make(
        folder: str = "corpus",
        *,
        samples: Sequence[dict[str, Any]] | str = SAMPLES,
        agent_code: str = AGENT,
        manifest: str | None = None,
        **overrides: Any,
    ) -> Path:
        root = pytester.path / folder
        root.mkdir(parents=True, exist_ok=True)
        (root / "corpus.yaml").write_text(manifest if manifest is not None else manifest_text(**overrides))
        if isinstance(samples, str):
            (root / "samples.jsonl").write_text(samples)
        else:
            (root / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
        (root / "input.json").write_text(json.dumps(INPUT_SCHEMA))
        (root / "output.json").write_text(json.dumps(OUTPUT_SCHEMA))
        (root / "mini_agent.py").write_text(textwrap.dedent(agent_code))
        return root

    return make
