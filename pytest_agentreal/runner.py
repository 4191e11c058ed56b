"""Run one case: build its inputs, open its recording, call the agent, judge the outcome.

A :class:`CorpusRun` holds what one corpus needs for a whole pytest session — the plan, the
mutation context, the policy, the recorder, the original outcomes that later cases compare with —
so per-case work is only the agent call and the checks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import oracles
from .corpus import Corpus
from .invoke import AgentTimeout, OutputError, call_agent, describe_exception, normalise_output
from .manifest import Expectation
from .model import ORIGINAL_MUTATION, Case, Finding, Outcome, Sample, derive_seed
from .mutations.plan import Selection, choose_samples, expectation_for, operators_for, plan_sample, shard_groups
from .mutations.registry import MutationContext, Operator, get_operator

if TYPE_CHECKING:
    from .policy import Policy


@dataclass(frozen=True)
class RunOptions:
    """Session-wide settings that shape how cases run (from the command line, ini and manifest)."""

    record_mode: str = "none"
    baseline: str | None = None  # None, "compare" or "update"
    rootdir: Path | None = None
    record_hint: str = "pytest --agent-corpus DIR --agent-record once"


def instantiate(agent: Any) -> Any:
    """One agent object per case: a class is instantiated, any other callable is used as is."""
    return agent() if isinstance(agent, type) else agent


@dataclass
class CorpusRun:
    """One corpus within one session: plans cases and runs them."""

    corpus: Corpus
    options: RunOptions = field(default_factory=RunOptions)
    seed: int | None = None
    _originals: dict[str, Outcome] = field(default_factory=dict, repr=False)
    # A case's oracle is asked for at setup (does it need the original?) and at run; for a
    # `missing` case it costs two input-schema validations, so it is worked out once per case.
    _oracle_names: dict[str, str] = field(default_factory=dict, repr=False)
    _reads: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = field(default_factory=dict, repr=False)
    _original_paths: dict[str, Path] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        """The corpus name."""
        return self.corpus.name

    @property
    def effective_seed(self) -> int:
        """The mutation seed: ``--agent-seed`` when given, else the manifest's ``seed:``."""
        return self.corpus.manifest.seed if self.seed is None else self.seed

    @cached_property
    def policy(self) -> Policy:
        """The corpus's policy, or the no-policy defaults (writes = POST/PUT/PATCH/DELETE)."""
        from .policy import no_policy

        return self.corpus.policy or no_policy()

    @cached_property
    def context(self) -> MutationContext:
        """What mutation operators may know about this corpus."""
        manifest = self.corpus.manifest
        fields = None
        options: dict[str, dict[str, Any]] = {}
        for family, selection in (manifest.mutations or {}).items():
            options[family] = {"fields": selection.fields, "operators": selection.operators}
            if family == "missing" and selection.fields is not None:
                fields = selection.fields
        return MutationContext(
            corpus=self.name,
            samples=self.corpus.samples,
            id_field=manifest.id,
            input_schema=self.corpus.input_schema.schema if self.corpus.input_schema else None,
            is_required=self.corpus.is_required,
            fields=fields,
            connector_reads=self.connector_reads,
            options=options,
        )

    def _make_recorder(self, mode: str) -> Any:
        from .cassettes import CassetteSettings, Recorder

        manifest = self.corpus.manifest
        settings = CassetteSettings(
            directory=manifest.cassettes or manifest.root / "cassettes",
            mode=mode,
            match_ignore=manifest.match_ignore,
            secrets=manifest.secrets,
            record_hint=self.options.record_hint,
            source=manifest.path,
        )
        return Recorder(settings)

    @cached_property
    def recorder(self) -> Any:
        """The cassette recorder for this corpus (interception installed once per process)."""
        return self._make_recorder(self.options.record_mode)

    @cached_property
    def live_recorder(self) -> Any:
        """Observes live traffic and writes nothing: explore mode's inputs were never recorded."""
        return self._make_recorder("off")

    # --- planning ---------------------------------------------------------------------------

    def operators(self, keys: frozenset[str] | None) -> list[Operator]:
        """The operators this run uses."""
        return operators_for(self.context, self.corpus.manifest.mutations, keys)  # type: ignore[arg-type]

    def plan(self, selection: Selection) -> list[Case]:
        """Every case of the selection, grouped by sample, originals first."""
        ops = self.operators(selection.mutations)
        indices = list(range(len(self.corpus.samples)))
        if selection.sample is not None:
            indices = choose_samples(self.corpus.ids, selection.sample, self.effective_seed)
        groups = [
            plan_sample(self.name, self.corpus.ids[i], self.corpus.samples[i], ops, self.context,
                        self.effective_seed)
            for i in indices
        ]
        if selection.shard is not None:
            index, count = selection.shard
            groups = [groups[g] for g in shard_groups([len(g) for g in groups], index, count)]
        return [case for group in groups for case in group]

    @cached_property
    def has_cassettes(self) -> bool:
        """Whether this corpus records its traffic: then traffic, not the output, is the truth.

        SPEC: without recorded traffic the output's statuses are taken as given; a corpus whose
        agent never calls a connector has no cassettes, and its outputs are believed.
        """
        directory = self.corpus.manifest.cassettes
        if self.options.record_mode in ("once", "new_episodes", "all"):
            return True
        return directory is not None and directory.is_dir() and any(directory.rglob("*.json"))

    def connector_reads(self, sample_id: str) -> Sequence[str]:
        """Connector actions the original's recorded traffic reads (targets of connector faults)."""
        if self.options.record_mode == "off":
            return ()
        from .cassettes import read_interactions

        path = self._original_paths.get(sample_id)
        if path is None:  # every connector_fault operator asks for every sample
            original = Case.make(self.name, sample_id, ORIGINAL_MUTATION, self.effective_seed)
            path = self._original_paths[sample_id] = self.recorder.path_for(original.id)
        if not path.is_file():
            return ()
        # Every connector_fault operator asks, for every sample: read the original's cassette once
        # (again only if it changed, e.g. recorded since).
        stat = path.stat()
        signature = (stat.st_mtime_ns, stat.st_size)
        known = self._reads.get(sample_id)
        if known is not None and known[0] == signature:
            return known[1]
        from .actions import connector_actions

        reads = tuple(connector_actions(read_interactions(path), self.policy, reads_only=True))
        self._reads[sample_id] = (signature, reads)
        return reads

    def expectation(self, case: Case) -> Expectation | None:
        """The manifest's ``expect:`` entry for this case, if any."""
        return expectation_for(case, self.corpus.manifest.expect)

    def oracle_name(self, case: Case) -> str:
        """The oracle that judges this case: ``expect:`` override, else the operator's default."""
        name = self._oracle_names.get(case.id)
        if name is None:
            name = self._oracle_names[case.id] = self._find_oracle_name(case)
        return name

    def _find_oracle_name(self, case: Case) -> str:
        expectation = self.expectation(case)
        if expectation is not None and expectation.oracle:
            return expectation.oracle
        if case.mutation.is_original:
            return "safe"
        op = get_operator(case.mutation.family, case.mutation.operator)
        return op.oracle(self.corpus.sample(case.sample_id), case.mutation.target, self.context)

    def needs_original(self, case: Case) -> bool:
        """Whether judging this case needs the original's outcome."""
        return oracles.get_oracle(self.oracle_name(case)).needs_original

    def inputs(self, case: Case) -> list[Sample]:
        """The inputs to deliver, in order (materialised now, never stored on the case)."""
        sample = self.corpus.sample(case.sample_id)
        if case.mutation.is_original:
            return [sample]
        op = get_operator(case.mutation.family, case.mutation.operator)
        return op.apply(sample, case.mutation.target, random.Random(case.seed), self.context)

    # --- running ----------------------------------------------------------------------------

    def original_outcome(self, case: Case, agent: Any) -> Outcome:
        """The original's outcome for ``case``'s sample, run once per sample per process."""
        key = case.sample_key
        cached = self._originals.get(key)
        if cached is None:
            original = Case.make(self.name, case.sample_id, ORIGINAL_MUTATION, self.effective_seed)
            cached = self.run(original, agent)
        return cached

    def _recording(self, case: Case, read_only: bool) -> AbstractContextManager[Any]:
        fault = None
        if case.mutation.family == "connector_fault":
            from .cassettes import FaultSpec

            action = case.mutation.target
            policy = self.policy

            def applies(method: str, url: str, body: Any) -> bool:
                if method.upper() == "CALL":
                    return policy.action_for_tool(url) == action
                return policy.action_for_request(method, url, body) == action

            fault = FaultSpec(operator=case.mutation.operator, action=action, applies=applies)
        recorder = self.live_recorder if read_only else self.recorder
        recording: AbstractContextManager[Any] = recorder.open(case.id, fault=fault)
        return recording

    def run(self, case: Case, agent: Any, *, read_only: bool = False, inputs: list[Sample] | None = None,
            oracle: str | None = None, repeat: int = 0) -> Outcome:
        """Run ``case`` with ``agent`` (a class is instantiated once for the case) and judge it.

        ``inputs`` and ``oracle`` replace the planned ones (explore mode builds its own inputs);
        ``read_only`` runs against live connectors and writes no cassette (explore mode).
        ``repeat`` numbers the run under ``--agent-repeat``: run 0 is seeded with the case's seed,
        later runs with seeds derived from it, so an agent's own randomness varies across runs
        and every run stays reproducible.
        """
        outcome = Outcome(case=case)
        if oracle is None:
            expectation = self.expectation(case)
            outcome.xfail = expectation.xfail if expectation else None
            oracle = self.oracle_name(case)
        outcome.oracle = oracle
        if inputs is None:
            try:
                inputs = self.inputs(case)
            except Exception as exc:  # a broken operator is a harness problem, reported on the case
                outcome.findings.append(Finding("harness", f"mutation {case.mutation} failed: {exc!r}",
                                                evidence="a mutation operator raised; report it with the case id"))
                return outcome
        outcome.inputs = inputs
        runner = instantiate(agent)
        state = random.getstate()
        random.seed(case.seed if repeat == 0 else derive_seed(case.seed, "repeat", str(repeat)))
        started = time.perf_counter()
        recording_findings: list[Finding] = []
        try:
            with self._recording(case, read_only) as recording:
                agent_ok = self._deliver(outcome, runner, recording)
                recording.finish(agent_ok=agent_ok)
            outcome.traffic = list(recording.interactions)
            recording_findings = list(recording.findings)
        finally:
            random.setstate(state)
            outcome.duration_s = time.perf_counter() - started
        self._judge(outcome, recording_findings, traffic_recorded=self.has_cassettes or bool(outcome.traffic))
        if not outcome.passed or outcome.xfail is not None:
            self.add_input_diff(outcome)
        if case.mutation.is_original:
            self._originals[case.sample_key] = outcome
        return outcome

    def add_input_diff(self, outcome: Outcome) -> None:
        """Show what the mutation changed (``outcome.input_diff``), for a case that is reported.

        Only failing and quarantined cases show it (failure text, report entries), so passing
        cases do not pay for the diff.
        """
        if outcome.case.mutation.is_original or outcome.input_diff or not outcome.inputs:
            return
        from .mutations.diff import input_diff

        outcome.input_diff = input_diff(self.corpus.sample(outcome.case.sample_id), outcome.inputs[-1])

    def _deliver(self, outcome: Outcome, agent: Callable[[Any], Any], recording: Any) -> bool:
        timeout = self.corpus.manifest.timeout
        for index, payload in enumerate(outcome.inputs):
            recording.delivery = index
            try:
                outcome.outputs.append(normalise_output(call_agent(agent, payload, timeout)))
            except AgentTimeout:
                outcome.timed_out = True
                return False
            except OutputError as exc:
                outcome.findings.append(Finding("safe", str(exc), expected="a dict, pydantic model, dataclass "
                                                "or JSON string", got="unusable output"))
                return False
            except Exception as exc:
                outcome.error = describe_exception(exc, index)
                return False
        return True

    def _judge(self, outcome: Outcome, recording_findings: list[Finding], *, traffic_recorded: bool) -> None:
        from .actions import build_timeline, check_policy
        from .policy_stats import PolicyStats

        manifest = self.corpus.manifest
        outcome.actions = build_timeline(outcome.outputs, outcome.traffic, actions_pointer=manifest.actions,
                                         policy=self.policy)
        ctx = oracles.OracleContext(outcome=outcome, corpus=self.corpus, policy=self.policy,
                                    original_outcome=lambda: self._originals_or_fail(outcome.case),
                                    traffic_recorded=traffic_recorded)
        findings = list(recording_findings)
        findings += oracles.safety_findings(ctx)
        stats = PolicyStats(self.name)
        findings += check_policy(outcome.actions, self.policy, traffic_recorded=traffic_recorded,
                                 output_lists_actions=manifest.actions is not None, stats=stats)
        if self.policy.enabled:
            outcome.extras["policy"] = stats.as_dict()
        completed = outcome.error is None and not outcome.timed_out and len(outcome.outputs) == len(outcome.inputs)
        if completed:
            findings += oracles.get_oracle(outcome.oracle).check(ctx)
            if outcome.case.mutation.family == "connector_fault":
                findings += oracles.writes_after_fault(ctx)
        outcome.findings.extend(findings)

    def _originals_or_fail(self, case: Case) -> Outcome:
        outcome = self._originals.get(case.sample_key)
        if outcome is None:
            raise oracles.OriginalFailed(f"the original of {case.sample_key} has not run")
        return outcome
