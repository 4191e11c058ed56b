"""Synthetic corpora, agents and a local connector server for the benchmarks.

Everything here is deterministic (seeded), writes only under the folder it is given and talks
only to 127.0.0.1. Three agents:

- ``connector``: a support-ticket triage agent making 3 httpx calls per delivery to a local
  connector (read the customer, read the order, tag the ticket) — the main benchmark;
- ``trivial``: the same decisions, in process, no connector (the 100k-case rows);
- ``slow``: ``trivial`` plus 2 ms of waiting per delivery, as an agent waiting on a model would
  (the xdist row: the agent's own work dominates).

The agent escalates what it cannot handle and remembers what it did, so nearly every case of the
default mutation set passes, as a healthy CI run's would.
"""

from __future__ import annotations

import json
import random
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CORPUS_NAME = "bench"

INPUT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["ticket_id", "body", "customer", "order"],
    "properties": {
        "ticket_id": {"type": "string", "pattern": "^S-[0-9]+$"},
        "subject": {"type": "string"},
        "body": {"type": "string", "minLength": 1},
        "customer": {
            "type": "object",
            "required": ["id", "email"],
            "properties": {"id": {"type": "string"}, "email": {"type": "string", "format": "email"}},
        },
        "order": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string"}, "total": {"type": "number", "minimum": 0}},
        },
    },
}

OUTPUT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["ticket_id", "status", "category", "actions"],
    "additionalProperties": False,
    "properties": {
        "ticket_id": {"type": "string"},
        "status": {"enum": ["done", "escalated"]},
        "category": {"enum": ["refund", "shipping", "invoice", "conflict", "unknown", "off_topic"]},
        "tier": {"type": ["string", "null"]},
        "actions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "status"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "args": {"type": "object"},
                    "status": {"enum": ["executed", "skipped", "pending_approval"]},
                },
            },
        },
    },
}

_TOPICS = {
    "refund": ("Refund for order {order}", "Hello, the kettle I received is broken. Please refund order {order}."),
    "shipping": ("Where is my parcel?", "Hi, my parcel for order {order} has not arrived yet. Can you check?"),
    "invoice": ("Invoice wrong", "Dear team, the invoice for order {order} shows the wrong address."),
}


def make_samples(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` support tickets (ids ``S-00000``...), each one of three topics."""
    rng = random.Random(seed)
    samples = []
    for i in range(count):
        topic = ("refund", "shipping", "invoice")[i % 3]
        order = f"ORD-{10000 + i}"
        subject, body = _TOPICS[topic]
        samples.append({
            "ticket_id": f"S-{i:05d}",
            "subject": subject,
            "body": body.format(order=order) + f"\n\nThanks,\nCustomer {i}",
            "customer": {"id": f"C-{rng.randrange(10_000):04d}", "email": f"user{i}@example.com"},
            "order": {"id": order, "total": round(rng.uniform(5, 200), 2)},
        })
    return samples


# --- the agent (written into the corpus folder as a module) --------------------------------------------

AGENT_CODE = '''
"""Benchmark agent: triage a support ticket ({kind})."""
import time
import unicodedata

BASE = {base!r}
KIND = {kind!r}
_ZW = dict.fromkeys(map(ord, "\\u200b\\u200c\\u200d\\u2060\\ufeff\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u202e"))
_ZW.update(zip(map(ord, "\\u0430\\u0435\\u043e\\u0440\\u0441\\u0443\\u0445\\u0456"), "aeopcyxi"))  # homoglyphs
_client = None


def client():
    # One client for the process, as a service keeps one connection pool.
    global _client
    if _client is None:
        import httpx

        _client = httpx.Client(base_url=BASE, timeout=5.0)
    return _client


def clean(text):
    return unicodedata.normalize("NFKC", text).translate(_ZW).lower()


def escalate(tid, category):
    return {{"ticket_id": tid, "status": "escalated", "category": category, "actions": []}}


def topic(text):
    if "refund" in text:
        return "refund"
    if "parcel" in text:
        return "shipping"
    if "invoice" in text:
        return "invoice"
    return None


class Agent:
    def __init__(self):
        self.done = {{}}

    def __call__(self, ticket):
        if KIND == "slow":
            time.sleep(0.002)  # waiting on a model, as real agents do
        tid = str(ticket.get("ticket_id"))
        body = ticket.get("body")
        customer = ticket.get("customer")
        order = ticket.get("order")
        email = customer.get("email") if isinstance(customer, dict) else None
        cid = customer.get("id") if isinstance(customer, dict) else None
        oid = order.get("id") if isinstance(order, dict) else None
        if not all(isinstance(v, str) and v.strip() for v in (body, email, cid, oid)):
            return escalate(tid, "unknown")
        fingerprint = (email, cid, oid, repr(order.get("total")))
        if tid in self.done and self.done[tid] != fingerprint:
            return escalate(tid, "conflict")
        category = topic(clean(body))
        if category is None:
            return escalate(tid, "off_topic")
        tier = None
        if KIND == "connector":
            http = client()
            try:
                who = http.get(f"/customers/{{cid}}")
                what = http.get(f"/orders/{{oid}}")
                if who.status_code != 200 or what.status_code != 200:
                    return escalate(tid, category)
                tier = who.json()["tier"]
                if not isinstance(what.json()["status"], str):
                    return escalate(tid, category)
            except Exception:  # a connector that fails or answers garbage: a human looks
                return escalate(tid, category)
        if tid in self.done:
            return {{"ticket_id": tid, "status": "done", "category": category, "tier": tier,
                    "actions": [{{"name": "ticket.tag", "args": {{"tag": category}}, "status": "skipped"}}]}}
        if KIND == "connector":
            try:
                tagged = client().post(f"/tickets/{{tid}}/tags", json={{"tag": category}})
            except Exception:
                return escalate(tid, category)
            if tagged.status_code != 200:
                return escalate(tid, category)
        self.done[tid] = fingerprint
        return {{"ticket_id": tid, "status": "done", "category": category, "tier": tier,
                "actions": [{{"name": "ticket.tag", "args": {{"tag": category}}, "status": "executed"}}]}}
'''

POLICY = """\
default: approval
actions:
  crm.read: {{mode: auto, write: false}}
  ticket.tag: auto
connectors:
  - {{method: POST, url: "{base}/tickets/*/tags", action: ticket.tag}}
  - {{method: GET, url: "{base}/**", action: crm.read}}
"""


def write_corpus(folder: Path, samples: list[dict[str, Any]], *, kind: str = "connector",
                 base_url: str = "http://127.0.0.1:9") -> Path:
    """A corpus folder (manifest, samples, schemas, policy, agent module); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples), encoding="utf-8")
    (folder / "input.json").write_text(json.dumps(INPUT_SCHEMA, indent=1), encoding="utf-8")
    (folder / "output.json").write_text(json.dumps(OUTPUT_SCHEMA, indent=1), encoding="utf-8")
    (folder / "policy.yaml").write_text(POLICY.format(base=base_url), encoding="utf-8")
    module = f"bench_agent_{kind}"
    (folder / f"{module}.py").write_text(textwrap.dedent(AGENT_CODE.format(base=base_url, kind=kind)),
                                         encoding="utf-8")
    manifest = textwrap.dedent(f"""\
        name: {CORPUS_NAME}
        samples: samples.jsonl
        id: ticket_id
        agent: {module}:Agent
        input_schema: input.json
        output_schema: output.json
        policy: policy.yaml
        actions: /actions
        escalation: {{path: /status, in: [escalated]}}
        decision: [/category, /actions]
        volatile: [/tier]
        seed: 0
        timeout: 10
        """)
    if kind == "connector":
        manifest += "cassettes: cassettes\n"
    (folder / "corpus.yaml").write_text(manifest, encoding="utf-8")
    return folder


# --- the local connector ----------------------------------------------------------------------


class _Connector(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the agent's client reuses its connection
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def _send(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "customers":
            self._send(200, {"id": parts[1], "tier": "gold" if parts[1].endswith("7") else "standard"})
        elif len(parts) == 2 and parts[0] == "orders":
            self._send(200, {"id": parts[1], "status": "shipped", "carrier": "DHL"})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        self._send(200, {"ok": True, "tag": payload.get("tag")})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def connector_server() -> Iterator[str]:
    """A local connector on 127.0.0.1 (an ephemeral port) for as long as the block runs; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Connector)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="bench-connector", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def plan_cases(folder: Path) -> list[dict[str, Any]]:
    """Every case of the corpus at ``folder`` with its inputs: what the DIY stack gets handed for free."""
    from pytest_agentreal.corpus import load_corpus
    from pytest_agentreal.mutations.plan import Selection
    from pytest_agentreal.runner import CorpusRun, RunOptions

    corpus = load_corpus(folder)
    run = CorpusRun(corpus, RunOptions(record_mode="off"))
    return [{"id": case.id, "inputs": run.inputs(case)} for case in run.plan(Selection())]
