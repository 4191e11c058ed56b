"""Record the example's cassettes against the local stand-in, reproducibly.

    python -m examples.support_inbox_llm.record              # record the cases that have no cassette
    python -m examples.support_inbox_llm.record --mode all   # delete the cassettes, record everything

What it does (the same steps by hand are in the example's README):

1. starts the stand-in (:mod:`standin_server`) on 127.0.0.1:8765, the address the agent defaults to
   and so the one in every recorded URL;
2. runs ``pytest --agent-corpus fixtures/support_inbox_llm --agent-record once`` twice: the first run
   records every planned case; ``connector_fault`` cases are planned from the connector actions in
   the originals' recorded traffic, so only the second run sees (and records) them;
3. replays the corpus with the network blocked (``--agent-record none``, the default) — it must pass;
4. checks that the API key is in no cassette (plain, base64 or URL-encoded).

``OPENAI_API_KEY`` is set to the agent's placeholder when unset, so the redaction of the corpus's
``secrets:`` covers it while recording; the stand-in only checks that a key is sent.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from .agent import PLACEHOLDER_API_KEY
from .standin_server import DEFAULT_PORT, StandinServer

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path("fixtures/support_inbox_llm")


def pytest_command(corpus: Path, mode: str, extra: list[str]) -> list[str]:
    """The pytest run over ``corpus`` in record ``mode`` (``none`` replays only)."""
    return [sys.executable, "-m", "pytest", "--agent-corpus", str(corpus), "--agent-record", mode,
            "-q", "-p", "no:cacheprovider", *extra]  # fmt: skip


def leaked(directory: Path, secret: str) -> list[Path]:
    """Cassettes under ``directory`` holding ``secret`` in plain, base64 or URL-encoded form."""
    forms = {secret, base64.b64encode(secret.encode()).decode(), quote(secret, safe="")}
    return sorted(p for p in directory.rglob("*.json") if any(f in p.read_text("utf-8") for f in forms))


def main(argv: list[str] | None = None) -> int:
    """Record, replay, check; returns the exit status (0 when the replay passed and nothing leaked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mode", choices=("once", "all"), default="once",
                        help="once: record what is missing; all: delete the cassettes and record everything")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"the corpus folder (default {CORPUS})")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("OPENAI_API_KEY", PLACEHOLDER_API_KEY)
    for name in ("AGENTREAL_LLM_BASE_URL", "AGENTREAL_SANDBOX_URL"):
        env.pop(name, None)  # the cassettes must hold the default URLs that replay uses
    cassettes = (ROOT / args.corpus / "cassettes").resolve()
    if args.mode == "all" and cassettes.is_dir():
        shutil.rmtree(cassettes)
    with StandinServer(port=DEFAULT_PORT) as server:
        print(f"stand-in on {server.url}", flush=True)
        for step in ("cases", "connector faults"):
            print(f"== recording {step}", flush=True)
            done = subprocess.run(pytest_command(args.corpus, "once", args.pytest_args), cwd=ROOT, env=env)
            if done.returncode != 0:
                print(f"recording {step} failed (exit {done.returncode})", file=sys.stderr)
                return done.returncode
    print("== replaying with the network blocked", flush=True)
    replay = subprocess.run(pytest_command(args.corpus, "none", args.pytest_args), cwd=ROOT, env=env)
    bad = leaked(cassettes, env["OPENAI_API_KEY"])
    for path in bad:
        print(f"the API key is in {path}", file=sys.stderr)
    return replay.returncode or (1 if bad else 0)


if __name__ == "__main__":
    sys.exit(main())
