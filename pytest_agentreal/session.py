"""One test session's agentreal state: settings, corpora, runs, results — without pytest.

The pytest adapter hands this object its config (read duck-typed: ``getoption``, ``getini``,
``cache``) and calls it to plan, run and summarise; nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .corpus import load_corpus
from .errors import ConfigError
from .model import Case, CaseFailed, Outcome
from .mutations.plan import Selection, intersect, parse_mutation_list
from .oracles import OriginalFailed
from .report.terminal import CorpusTally, family_of, format_failure, summary_lines
from .runner import CorpusRun, RunOptions
from .settings import (
    SettingError,
    Settings,
    parse_granularity,
    parse_min_pass,
    parse_positive,
    parse_record,
    parse_report,
    parse_seed,
    parse_shard,
)

SEED_CACHE_KEY = "agentreal/seed"


class SampleFailed(AssertionError):
    """Cases of one sample failed (``--agent-granularity sample``); ``str()`` lists each by id."""


def _option(config: Any, name: str) -> Any:
    return config.getoption(name)


def settings_from_config(config: Any) -> Settings:
    """Resolve :class:`Settings` from the command line, then ini (SettingError on bad values)."""
    workerinput = getattr(config, "workerinput", None)
    corpora = tuple(_option(config, "agent_corpus") or ()) + tuple(config.getini("agent_corpus") or ())
    record = parse_record(_option(config, "agent_record") or config.getini("agent_record") or "none")
    seed_text = _option(config, "agent_seed") or config.getini("agent_seed") or None
    seed: int | None = None
    if workerinput is not None and "agentreal_seed" in workerinput:
        seed = workerinput["agentreal_seed"]
    elif seed_text:
        cache = getattr(config, "cache", None)
        last = cache.get(SEED_CACHE_KEY, None) if cache is not None else None
        seed = parse_seed(str(seed_text), last)
    mutations = _option(config, "agent_mutations")
    ini_mutations = config.getini("agent_mutations") or None
    sample = _option(config, "agent_sample")
    shard = _option(config, "agent_shard")
    repeat = _option(config, "agent_repeat")
    min_pass = _option(config, "agent_min_pass") or config.getini("agent_min_pass") or None
    baseline = None
    if _option(config, "agent_update_baseline"):
        baseline = "update"
    elif _option(config, "agent_baseline") or config.getini("agent_baseline"):
        baseline = "compare"
    report = _option(config, "agent_report")
    explore = _option(config, "agent_explore")
    granularity = parse_granularity(_option(config, "agent_granularity") or config.getini("agent_granularity")
                                    or "case")
    settings = Settings(
        corpora=corpora,
        record=record,
        mutations=",".join(m for m in (mutations, ini_mutations) if m) if (mutations or ini_mutations) else None,
        seed=seed,
        sample=parse_positive("--agent-sample", sample, example="20") if sample is not None else None,
        shard=parse_shard(shard) if shard is not None else None,
        repeat=parse_positive("--agent-repeat", repeat, example="5") if repeat is not None else 1,
        min_pass=parse_min_pass(str(min_pass)) if min_pass is not None else 1.0,
        baseline=baseline,
        report=parse_report(report) if report is not None else None,
        explore=parse_positive("--agent-explore", explore, example="200") if explore is not None else None,
        granularity=granularity,
    )
    if settings.explore is not None and settings.record == "none":
        raise SettingError("--agent-explore needs live or recording connectors: add --agent-record off "
                           "(or once/new_episodes/all); replay-only runs cannot answer new inputs")
    return settings


class AgentSession:
    """The corpora of one pytest session, how they run, and what they produced."""

    def __init__(self, settings: Settings, rootdir: Path, invocation_dir: Path, cache: Any = None) -> None:
        self.settings = settings
        self.rootdir = rootdir
        self.invocation_dir = invocation_dir
        self.cache = cache
        self._runs: dict[str, CorpusRun] = {}
        self._manifest_index: dict[str, str] = {}
        self._tallies: dict[str, CorpusTally] = {}
        self._failures: list[str] = []
        self._rates: dict[str, tuple[int, int]] = {}
        self._policy: dict[str, Any] = {}
        self._records: dict[str, dict[str, Any]] = {}
        self._single_run_verdicts: tuple[bool, bool] | None = None
        self._report_entries: list[dict[str, Any]] = []
        self._started = _now()
        self.deselected = False
        self._cli_mutations = (
            parse_mutation_list(settings.mutations) if settings.mutations is not None else None
        )
        for folder in settings.corpora:
            self._add_corpus(self._resolve(folder))

    @classmethod
    def from_pytest(cls, config: Any) -> AgentSession:
        """Build from a pytest config (read duck-typed)."""
        settings = settings_from_config(config)
        cache = getattr(config, "cache", None)
        return cls(settings, Path(config.rootpath), Path(config.invocation_params.dir), cache)

    def _resolve(self, folder: str | Path) -> Path:
        path = Path(folder)
        if not path.is_absolute():
            path = self.invocation_dir / path
        return path.resolve()

    def _add_corpus(self, folder: Path) -> CorpusRun:
        manifest_path = folder / "corpus.yaml" if folder.is_dir() or not folder.suffix else folder
        key = str(manifest_path.resolve())
        if key in self._manifest_index:
            return self._runs[self._manifest_index[key]]
        corpus = load_corpus(folder)
        if corpus.manifest.agent is not None:
            # Fail before any agent runs when `agent:` does not import (names module and attribute).
            corpus.import_agent(self.rootdir)
        if corpus.name in self._runs:
            other = self._runs[corpus.name].corpus.manifest.path
            raise ConfigError(corpus.manifest.path, f"corpus name '{corpus.name}' is also used by {other}",
                              key="name", line=corpus.manifest.line_of("name"),
                              fix="names must be unique among the corpora of one run")
        options = RunOptions(record_mode=self.settings.record, baseline=self.settings.baseline,
                             rootdir=self.rootdir, record_hint=self._record_hint(folder))
        run = CorpusRun(corpus, options, seed=self.settings.seed)
        self._runs[corpus.name] = run
        self._manifest_index[key] = corpus.name
        return run

    def _record_hint(self, folder: Path) -> str:
        try:
            shown = folder.relative_to(self.invocation_dir)
        except ValueError:
            shown = folder
        return f"pytest --agent-corpus {shown} --agent-record once"

    # --- collection ---------------------------------------------------------------------------

    def manifest_paths(self) -> list[Path]:
        """The ``corpus.yaml`` of every corpus requested by option or ini."""
        return [Path(k) for k in self._manifest_index]

    def corpus_for_manifest(self, path: Path) -> str | None:
        """The corpus key for a collected file, when it is a requested manifest."""
        key = str(Path(path).resolve())
        return key if key in self._manifest_index else None

    def _selection(self, run: CorpusRun, marker_mutations: str | None = None) -> Selection:
        keys = self._cli_mutations
        if marker_mutations is not None:
            keys = intersect(keys, parse_mutation_list(marker_mutations, source="agent_corpus(mutations=...)"))
        return Selection(mutations=keys, sample=self.settings.sample, shard=self.settings.shard)

    def plan_corpus(self, key: str) -> tuple[CorpusRun, list[tuple[str, list[Case]]]]:
        """The run and its cases grouped by sample, for a requested manifest."""
        run = self._runs[self._manifest_index[key]]
        return run, _group(run.plan(self._selection(run)))

    def plan_for_marker(self, folder: Path, mutations: str | Sequence[str] | None) -> tuple[CorpusRun, list[Case]]:
        """The run and cases for ``@pytest.mark.agent_corpus(folder, mutations=...)``."""
        run = self._add_corpus(folder.resolve())
        text = mutations if mutations is None or isinstance(mutations, str) else ",".join(mutations)
        return run, run.plan(self._selection(run, text))

    # --- running ------------------------------------------------------------------------------

    def ensure_original(self, run: CorpusRun, case: Case, agent: Any) -> None:
        """Before a case that compares with its original: run it (once) and stop if it failed."""
        if case.mutation.is_original or not run.needs_original(case):
            return
        original = run.original_outcome(case, agent)
        if not original.judgeable:
            raise OriginalFailed(f"original failed: {original.case.id} — fix it first; this case compares with it")

    def run_case(self, run: CorpusRun, case: Case, agent: Any, repeat: int = 0) -> Outcome:
        """Run one case once (the original first when the oracle needs it), with baseline checks."""
        self.ensure_original(run, case, agent)
        outcome = run.run(case, agent, repeat=repeat)
        if self.settings.baseline is not None:
            self._baseline(run, outcome)
            if not outcome.passed:  # drift: now it is reported, with what its input changed
                run.add_input_diff(outcome)
        return outcome

    def _baseline(self, run: CorpusRun, outcome: Outcome) -> None:
        from .baseline import BaselineStore

        manifest = run.corpus.manifest
        store = BaselineStore(manifest.baseline or manifest.root / "baseline", run.name)
        if self.settings.baseline == "update":
            if outcome.error is None and not outcome.timed_out:
                store.write(outcome.case.id, outcome.output, manifest.volatile, passed=outcome.passed)
        else:
            outcome.findings.extend(store.compare(outcome.case.id, outcome.output, manifest.decision,
                                                  manifest.volatile))

    def run_repeated(self, run: CorpusRun, case: Case, agent: Any, in_sample: bool = False) -> list[Outcome]:
        """Run a case ``--agent-repeat`` times (a fresh agent object each time)."""
        outcomes = []
        for index in range(self.settings.repeat):
            try:
                outcomes.append(self.run_case(run, case, agent, repeat=index))
            except OriginalFailed:
                if not in_sample:
                    raise
                from .model import Finding

                failed = Outcome(case=case, findings=[Finding("original", "original failed; not judged")])
                outcomes.append(failed)
                break
        return outcomes

    def passes(self, outcomes: Sequence[Outcome]) -> bool:
        """Whether a (repeated) case passes: its pass rate reaches ``--agent-min-pass``."""
        from .report.passk import CaseRate

        if len(outcomes) == 1:
            # A single run is asked about twice per case: the two possible answers, worked out once.
            if self._single_run_verdicts is None:
                self._single_run_verdicts = (CaseRate("", "", 1, 0).meets(self.settings.min_pass),
                                             CaseRate("", "", 1, 1).meets(self.settings.min_pass))
            return self._single_run_verdicts[outcomes[0].passed]
        first = outcomes[0].case
        return CaseRate(first.id, first.corpus, len(outcomes), sum(o.passed for o in outcomes)).meets(
            self.settings.min_pass)

    def raise_if_failed(self, outcomes: Sequence[Outcome]) -> None:
        """Raise :class:`CaseFailed` (the readable table) when the case did not pass."""
        if self.passes(outcomes):
            return
        worst = next(o for o in outcomes if not o.passed)
        if len(outcomes) > 1:
            rate = sum(o.passed for o in outcomes) / len(outcomes)
            worst.findings.insert(0, _rate_finding(rate, len(outcomes), self.settings.min_pass))
        raise CaseFailed(worst)

    def raise_if_sample_failed(self, groups: Sequence[Sequence[Outcome]]) -> None:
        """Raise :class:`SampleFailed` listing every failing case of a sample by its own id."""
        texts = [format_failure(next(o for o in outs if not o.passed)) for outs in groups if not self.passes(outs)]
        if texts:
            raise SampleFailed(f"{len(texts)} failing case(s)\n" + "\n\n".join(texts))

    def run_item_case(self, handle: Any, agent: Any) -> None:
        """Used by ``agent_case.run`` in user tests: nothing extra; kept for symmetry."""
        outcomes = self.run_repeated(handle.corpus_run, handle.case, agent)
        self.raise_if_failed(outcomes)

    def explore(self, run: CorpusRun, agent: Any) -> str | None:
        """Run explore mode for a corpus; the failure text with its reproduce command, or None."""
        from .explore import explore

        examples = self.settings.explore or 0
        result = explore(run, agent, examples, run.effective_seed)
        if result.failing is None:
            return None
        folder = run.options.record_hint.split("--agent-corpus ", 1)[-1].split(" ", 1)[0]
        lines = [
            f"explore: {result.examples} examples; minimal failing chain on sample '{result.sample_id}':",
            *(f"  {i + 1}. {step}" for i, step in enumerate(result.chain)),
            format_failure(result.failing),
            f"reproduce: pytest --agent-corpus {folder} --agent-explore {examples} "
            f"--agent-seed {run.effective_seed} --agent-record {self.settings.record} -k '{run.name}/explore'",
        ]
        return "\n".join(lines)

    # --- results ------------------------------------------------------------------------------

    def _case_record(self, outcomes: Sequence[Outcome]) -> dict[str, Any]:
        first = outcomes[0]
        passed = self.passes(outcomes)
        kind = "passed" if passed else ("xfailed" if first.xfail else "failed")
        failing = next((o for o in outcomes if not o.passed), None)
        record: dict[str, Any] = {
            "id": first.case.id,
            "family": first.case.mutation.family,
            "operator": first.case.mutation.key,
            "target": first.case.mutation.target,
            "kind": kind,
            "runs": len(outcomes),
            "passes": sum(o.passed for o in outcomes),
            "fields": sorted({f.path for f in failing.failures if f.path.startswith("/")}) if failing else [],
            "drift": any(f.fails and f.oracle == "drift" for o in outcomes for f in o.findings),
            # The baseline recorded its verdict without a baseline to drift from; drift is listed apart.
            "passed_apart_from_drift": all(not any(f.fails and f.oracle != "drift" for f in o.findings)
                                           for o in outcomes),
        }
        if self.settings.report:
            from .report.json_report import case_entry

            run = self._runs.get(first.case.corpus)
            ruling = run.policy.ruling if run is not None and run.policy.enabled else None
            record["report"] = case_entry(outcomes, min_pass=self.settings.min_pass, ruling=ruling)
        return record

    def record_for(self, outcomes: Sequence[Outcome]) -> dict[str, Any]:
        """Plain data about one item's cases, carried on its report (survives xdist)."""
        return self.record_for_sample([outcomes])

    def record_for_sample(self, groups: Sequence[Sequence[Outcome]]) -> dict[str, Any]:
        """Plain data about every case of a sample item."""
        policy = [o.extras["policy"] for g in groups for o in g[:1] if "policy" in o.extras]
        return {"cases": [self._case_record(g) for g in groups if g], "policy": policy}

    def tally_report(self, data: dict[str, Any], report: Any) -> None:
        """Count an item's cases for the terminal matrix (runs on the xdist controller too)."""
        from .policy_stats import PolicyStats

        for stats in data.get("policy", []):
            case_stats = PolicyStats.from_dict(stats)
            self._policy.setdefault(case_stats.corpus, PolicyStats(case_stats.corpus)).merge(case_stats)
        for record in data.get("cases", []):
            corpus = record["id"].split("/", 1)[0]
            if self.settings.baseline == "compare":  # only the release summary reads them
                self._records[record["id"]] = {k: v for k, v in record.items() if k != "report"}
            if "report" in record:
                self._report_entries.append(record["report"])
            elif record["kind"] == "errors" and self.settings.report:
                from .report.json_report import error_entry

                self._report_entries.append(error_entry(record["id"], record.get("message", "not judged")))
            if self.settings.repeat > 1:  # only the pass^k table reads them
                self._rates[record["id"]] = (record.get("runs", 1),
                                             record.get("passes", int(record["kind"] == "passed")))
            tally = self._tallies.setdefault(corpus, CorpusTally())
            kind = record["kind"]
            if kind == "passed" and getattr(report, "outcome", "") == "failed" and len(data["cases"]) == 1:
                kind = "failed"
            family = record.get("family") or family_of(record["id"])
            tally.families[family]  # materialise the row even when zero
            counts = tally.families[family]
            setattr(counts, kind, getattr(counts, kind) + 1)
            if kind == "failed":
                if record.get("operator") and family != "original":
                    tally.failing_operators[record["operator"]] += 1
                for path in record.get("fields", []):
                    from .pointers import generalise

                    tally.failing_fields[generalise(path)] += 1

    def has_results(self) -> bool:
        """Whether any case was counted."""
        return bool(self._tallies)

    def summary_lines(self) -> list[str]:
        """The terminal summary."""
        from .mutations.registry import families

        lines = summary_lines(self._tallies, list(families()))
        for stats in self._policy.values():
            lines += stats.lines()
        for corpus, release in self._releases().items():
            lines.append(f"release summary ({corpus}, against {self._runs[corpus].corpus.manifest.baseline}):")
            lines += ["  " + line for line in release.lines()]
        if self.settings.report:
            lines.append(f"report written to {self.settings.report}")
        if self.settings.repeat > 1:
            lines += self._passk_lines()
            if self.settings.record == "none" and any(r.has_cassettes for r in self._runs.values()):
                lines.append("note: under replay, recorded traffic makes repeated runs identical unless the agent "
                             "has randomness of its own; record with --agent-record all to sample the live model")
        return lines

    def _passk_lines(self) -> list[str]:
        from .report.passk import CaseRate, passk_table

        by_corpus: dict[str, list[CaseRate]] = {}
        for case_id, (runs, passes) in self._rates.items():
            corpus = case_id.split("/", 1)[0]
            by_corpus.setdefault(corpus, []).append(CaseRate(case_id, corpus, runs, passes))
        lines = []
        for corpus, rates in by_corpus.items():
            table = passk_table(corpus, rates)
            cells = ", ".join(f"k={r.k}: pass^k {r.pass_hat_k:.3f} pass@k {r.pass_at_k:.3f}" for r in table.rows)
            lines.append(f"corpus {corpus}: {table.cases} case(s) x {table.runs} runs; {cells}")
        return lines

    def header_lines(self) -> list[str]:
        """Lines for pytest's header: seed, record mode, corpora."""
        if not self._runs:
            return []
        seeds = ", ".join(f"{run.name}={run.effective_seed}" for run in self._runs.values())
        return [f"agentreal: seed {seeds} (reproduce with --agent-seed), record mode {self.settings.record}"]

    def seed_for_workers(self) -> int | None:
        """The seed the controller resolved (``last`` included), for xdist workers."""
        return self.settings.seed

    def _releases(self) -> dict[str, Any]:
        """Per corpus, the release summary against its baseline (``--agent-baseline`` only)."""
        if self.settings.baseline != "compare":
            return {}
        from .baseline import BaselineStore, ReleaseEntry, release_summary

        full_run = self.settings.sample is None and self.settings.shard is None and not self.deselected
        releases = {}
        for name, run in self._runs.items():
            manifest = run.corpus.manifest
            store = BaselineStore(manifest.baseline or manifest.root / "baseline", name)
            baseline = {r.case_id: r for r in store.records()}
            ran = {k: v for k, v in self._records.items() if k.startswith(name + "/")}
            if not ran:
                continue
            entries = []
            for case_id in sorted(set(ran) | set(baseline)):
                record = ran.get(case_id)
                base = baseline.get(case_id)
                passed = None if record is None else bool(record.get("passed_apart_from_drift"))
                entries.append(ReleaseEntry(case_id, passed, base.passed if base else None, base is not None,
                                            bool(record and record.get("drift"))))
            releases[name] = release_summary(entries, full_run=full_run)
        return releases

    def write_report(self) -> None:
        """Write ``--agent-report`` (JSON or self-contained HTML) from every case entry."""
        if not self.settings.report or not self._report_entries:
            return
        from .report.json_report import PolicySummary, RunMeta, assemble_report, write_report

        policies = {}
        for name, run in self._runs.items():
            if run.policy.enabled:
                policies[name] = PolicySummary(file=str(run.corpus.manifest.policy), default=run.policy.default,
                                               modes={a: r.mode for a, r in run.policy.actions.items()})
        meta = RunMeta(seed=self.settings.seed if self.settings.seed is not None else next(
            (r.effective_seed for r in self._runs.values()), None), corpora=list(self._runs),
            record_mode=self.settings.record, started=self._started, ended=_now(), repeat=self.settings.repeat,
            min_pass=self.settings.min_pass, baseline=self.settings.baseline, policies=policies,
            releases=self._releases())
        path = Path(self.settings.report)
        if not path.is_absolute():
            path = self.invocation_dir / path
        path.parent.mkdir(parents=True, exist_ok=True)
        write_report(path, assemble_report(self._report_entries, meta))

    def finish(self, *, is_worker: bool) -> None:
        """Write the report (controller only) and remember the seed for ``--agent-seed last``."""
        if is_worker or not self._runs:
            return
        self.write_report()
        if self.cache is None:
            return
        seed = self.settings.seed
        if seed is None:
            seed = next(iter(self._runs.values())).effective_seed
        self.cache.set(SEED_CACHE_KEY, seed)


def _now() -> Any:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def _rate_finding(rate: float, runs: int, minimum: float) -> Any:
    from .model import Finding

    return Finding("repeat", f"passed {rate:.0%} of {runs} runs", expected=f">= {minimum:.0%}", got=f"{rate:.0%}")


def _group(cases: Sequence[Case]) -> list[tuple[str, list[Case]]]:
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(case.sample_id, []).append(case)
    return list(groups.items())


def _group_outcomes(outcomes: Sequence[Outcome]) -> list[list[Outcome]]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.case.id, []).append(outcome)
    return list(groups.values())

