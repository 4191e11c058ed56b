"""The domain model every module shares: cases, findings, traffic, actions and outcomes.

Data flows one way — corpus → cases → run → outcome → findings → report — and these are the
values that flow. They are plain dataclasses with no behaviour beyond naming and rendering, so
every layer (runner, oracles, policy, baseline, reports) can build and read them without
importing each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Sample = dict[str, Any]
"""One production sample as loaded from the corpus: JSON-like, exactly as stored."""

ORIGINAL = "original"


@dataclass(frozen=True, slots=True, order=True)
class Mutation:
    """Which edge case a case is: ``family.operator`` applied at ``target``.

    ``target`` is a JSON Pointer for field mutations (``/customer/email``), a connector action for
    connector faults (``crm.read``), or empty when the operator takes the sample as a whole.
    """

    family: str
    operator: str = ""
    target: str = ""

    @property
    def is_original(self) -> bool:
        """Whether this is the identity mutation (the sample as stored)."""
        return self.family == ORIGINAL

    @property
    def key(self) -> str:
        """``family.operator`` (or ``original``): the name oracles and selections use."""
        return self.family if self.is_original else f"{self.family}.{self.operator}"

    def __str__(self) -> str:
        return f"{self.key}:{self.target}" if self.target else self.key

    @classmethod
    def parse(cls, text: str) -> Mutation:
        """Inverse of ``str()``: ``missing.drop:/customer/email`` → Mutation."""
        if text == ORIGINAL:
            return cls(ORIGINAL)
        key, _, target = text.partition(":")
        family, _, operator = key.partition(".")
        return cls(family, operator, target)


ORIGINAL_MUTATION = Mutation(ORIGINAL)


def derive_seed(base_seed: int, *parts: str) -> int:
    """A 63-bit seed derived from ``base_seed`` and names, the same on every machine and process.

    ``hash()`` is salted per process (PYTHONHASHSEED), so it must never be used for seeds.
    """
    digest = hashlib.blake2b(
        "\x1f".join([str(base_seed), *parts]).encode("utf-8"), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big") >> 1


@dataclass(frozen=True, slots=True)
class Case:
    """One sample under one mutation: pure data, materialised only when run."""

    corpus: str
    sample_id: str
    mutation: Mutation
    seed: int

    @property
    def id(self) -> str:
        """The stable, readable id: ``support-inbox/T-0042[missing.drop:/customer/email]``."""
        return f"{self.corpus}/{self.sample_id}[{self.mutation}]"

    @property
    def sample_key(self) -> str:
        """``corpus/sample_id``: the group a sample's cases share (xdist, shards, caches)."""
        return f"{self.corpus}/{self.sample_id}"

    @classmethod
    def make(cls, corpus: str, sample_id: str, mutation: Mutation, corpus_seed: int) -> Case:
        """Build a case whose own seed derives from the corpus seed and its id."""
        return cls(corpus, sample_id, mutation, derive_seed(corpus_seed, corpus, sample_id, str(mutation)))


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a check found: what was expected where, what was got, and the evidence.

    ``fails=False`` marks findings that are reported but do not fail the case (baseline
    differences outside the decision paths, executed actions the output does not mention).
    """

    oracle: str
    message: str
    path: str = ""
    expected: str = ""
    got: str = ""
    evidence: str = ""
    fails: bool = True

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, for reports."""
        return {
            "oracle": self.oracle,
            "message": self.message,
            "path": self.path,
            "expected": self.expected,
            "got": self.got,
            "evidence": self.evidence,
            "fails": self.fails,
        }


InteractionKind = Literal["http", "tool"]


@dataclass(frozen=True, slots=True)
class Interaction:
    """One event of a case's connector traffic, in the order it happened.

    HTTP: ``method`` and ``url``; ``request`` is the decoded body (JSON value, text, or None).
    Tool call: ``method`` is ``"CALL"``, ``url`` is the tool's name, ``request`` its arguments.
    ``status`` is the HTTP status (None for a tool call or a transport error such as a timeout);
    ``fault`` names the injected ``connector_fault`` operator when the harness faked the answer.
    """

    seq: int
    kind: InteractionKind
    method: str
    url: str
    request: Any = None
    status: int | None = None
    response: Any = None
    fault: str | None = None
    delivery: int = 0
    error: str | None = None

    @property
    def line(self) -> str:
        """The evidence line: ``POST https://crm.example.com/tickets/7/replies`` or ``send_email(...)``."""
        if self.kind == "tool":
            return f"{self.url}({_short_args(self.request)})"
        return f"{self.method} {self.url}"


def _short_args(args: Any, limit: int = 80) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in args.items()) if isinstance(args, Mapping) else repr(args)
    return text if len(text) <= limit else text[: limit - 1] + "…"


ActionSource = Literal["output", "traffic", "tool"]
EXECUTED = "executed"
PROPOSED = "pending_approval"


@dataclass(frozen=True, slots=True)
class Action:
    """An action of the agent, from its output, its HTTP traffic or its tool calls.

    ``status`` is ``executed`` for traffic and tool calls (attempted counts as executed); for output
    actions it is what the output says (``executed``, ``pending_approval``, ...).
    """

    name: str
    args: Mapping[str, Any]
    status: str
    source: ActionSource
    evidence: str
    seq: int
    delivery: int = 0
    response: Any = None
    http_status: int | None = None

    @property
    def executed(self) -> bool:
        """Whether the agent actually did (or attempted) it."""
        return self.status == EXECUTED


@dataclass(frozen=True, slots=True)
class AgentError:
    """An exception the agent raised: type, message and the agent's own innermost frame."""

    type: str
    message: str
    frame: str
    delivery: int = 0


@dataclass
class Outcome:
    """Everything one case run produced, and what the checks found in it."""

    case: Case
    inputs: list[Sample] = field(default_factory=list)
    outputs: list[Any] = field(default_factory=list)
    error: AgentError | None = None
    timed_out: bool = False
    duration_s: float = 0.0
    traffic: list[Interaction] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    oracle: str = "safe"
    input_diff: list[str] = field(default_factory=list)
    xfail: str | None = None
    # Per-module summaries of this case that reports aggregate (e.g. "policy": PolicyStats.as_dict()).
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def output(self) -> Any:
        """The output that is judged: the last delivery's (the duplicate for ``duplicate.*``)."""
        return self.outputs[-1] if self.outputs else None

    @property
    def input(self) -> Sample | None:
        """The judged delivery's input."""
        return self.inputs[-1] if self.inputs else None

    @property
    def failures(self) -> list[Finding]:
        """Findings that fail the case."""
        return [f for f in self.findings if f.fails]

    @property
    def passed(self) -> bool:
        """Whether no finding fails the case."""
        return not any(f.fails for f in self.findings)

    @property
    def judgeable(self) -> bool:
        """Whether later cases may compare with this outcome: it passed, drift from the baseline aside
        (a changed decision is the release's news, not a broken original)."""
        return not any(f.fails and f.oracle != "drift" for f in self.findings)

    def check(self) -> Outcome:
        """Raise :class:`CaseFailed` with every failing finding; return ``self`` when it passed."""
        if not self.passed:
            raise CaseFailed(self)
        return self


class CaseFailed(AssertionError):
    """A case's findings, raised by :meth:`Outcome.check`; ``str()`` is the readable table."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        from .report.terminal import format_failure

        super().__init__(format_failure(outcome))


def findings_table(findings: Sequence[Finding]) -> list[str]:
    """Findings as aligned rows (oracle, path, expected, got, what is wrong), evidence below each."""
    header = ("oracle", "path", "expected", "got", "finding")
    # The last column is never clipped: a finding's message names what differs and how to fix it
    # (the closest recorded request, the record command), and must reach the reader whole.
    rows = [header] + [(f.oracle, f.path or "-", _clip(f.expected), _clip(f.got), " ".join(f.message.split()))
                       for f in findings]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(row[i].ljust(widths[i]) for i in range(4)) + "  " + row[4])
        finding = findings[index - 1] if index else None
        if finding is not None and finding.evidence:
            lines.append(" " * (sum(widths) + 8) + "evidence: " + _clip(finding.evidence, 400))
    return lines


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
