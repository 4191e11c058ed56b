"""The pytest adapter: options, ini keys, the marker, collection of cases, fixtures, summary.

Everything here translates between pytest and the pytest-free core (corpus, runner, oracles,
reports). Heavy modules are imported only once a run asks for corpora, so that merely having the
plugin installed costs a normal test run almost nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# The process-wide "which case is recording" slot must exist exactly once. Importing it with the
# plugin (it is tiny) keeps it from being re-imported, and so duplicated, when pytester's
# in-process runs restore sys.modules between runs.
from .cassettes import active as _active_recording  # noqa: F401

if TYPE_CHECKING:
    from .gc_steward import GcSteward
    from .model import Outcome
    from .session import AgentSession

SESSION_PLUGIN = "agentreal-session"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--agent-*`` options and their ini keys."""
    group = parser.getgroup("agentreal", "pytest-agentreal: test AI agents against real-data edge cases")
    group.addoption("--agent-corpus", action="append", default=[], metavar="DIR",
                    help="run this corpus folder (repeatable); without test paths, only the corpora run")
    group.addoption("--agent-record", default=None, metavar="MODE",
                    help="cassette mode: none (default, replay only, network blocked), once, new_episodes, all, "
                         "off (live connectors, nothing written)")
    group.addoption("--agent-mutations", default=None, metavar="LIST",
                    help="families/operators to run, e.g. 'missing,duplicate.exact'; 'none' = originals only")
    group.addoption("--agent-seed", default=None, metavar="N|last", help="mutation seed (printed in the header)")
    group.addoption("--agent-sample", default=None, metavar="N",
                    help="run N samples chosen for the seed, spread over the corpus, with all their cases")
    group.addoption("--agent-shard", default=None, metavar="I/N",
                    help="run this CI job's share of samples (1-based); a sample's cases stay together")
    group.addoption("--agent-repeat", default=None, metavar="K", help="run each case K times (pass^k, pass@k)")
    group.addoption("--agent-min-pass", default=None, metavar="R",
                    help="a repeated case passes when its pass rate is at least R (default 1.0)")
    group.addoption("--agent-baseline", action="store_true", default=False,
                    help="compare every case's decision with the corpus's baseline")
    group.addoption("--agent-update-baseline", action="store_true", default=False,
                    help="rewrite the corpus's baseline from this run")
    group.addoption("--agent-report", default=None, metavar="PATH", help="write a .json or .html report")
    group.addoption("--agent-explore", default=None, metavar="N",
                    help="hypothesis search for N examples from real samples (needs --agent-record other than none)")
    group.addoption("--agent-granularity", default=None, metavar="case|sample",
                    help="one pytest item per case (default) or per sample")
    parser.addini("agent_corpus", "corpus folders added to every run", type="args", default=[])
    parser.addini("agent_record", "default --agent-record mode", default="none")
    parser.addini("agent_mutations", "default --agent-mutations list", default="")
    parser.addini("agent_seed", "default --agent-seed", default="")
    parser.addini("agent_min_pass", "default --agent-min-pass", default="")
    parser.addini("agent_baseline", "compare with the baseline by default", type="bool", default=False)
    parser.addini("agent_granularity", "default --agent-granularity", default="case")


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker; when corpora are asked for, build the session (errors are UsageErrors)."""
    config.addinivalue_line(
        "markers",
        "agent_corpus(path, mutations=None): parametrize this test with the `agent_case` fixture over the "
        "corpus at path (relative to the test file)",
    )
    wants = bool(config.getoption("agent_corpus") or config.getini("agent_corpus"))
    uses_marker_only = not wants
    if uses_marker_only and not any(
        config.getoption(name) not in (None, False, [])
        for name in ("agent_record", "agent_seed", "agent_report", "agent_baseline", "agent_update_baseline")
    ):
        # A plain test run: the session is built lazily, only if a test uses the marker.
        config.pluginmanager.register(_LazySession(config), SESSION_PLUGIN)
        return
    holder = _LazySession(config, eager=True)
    config.pluginmanager.register(holder, SESSION_PLUGIN)
    manifests = [str(p) for p in holder.get().manifest_paths()]
    if config.getoption("agent_corpus") and config.args_source != pytest.Config.ArgsSource.ARGS:
        # `pytest --agent-corpus DIR` with no test paths runs the corpora alone, not `testpaths`.
        config.args = manifests
    else:
        config.args = [*config.args, *(m for m in manifests if m not in config.args)]


class _LazySession:
    """Holds the :class:`AgentSession`, created on first need (marker use) or at configure."""

    def __init__(self, config: pytest.Config, eager: bool = False) -> None:
        self.config = config
        self._session: AgentSession | None = None
        self._gc: GcSteward | None = None
        self._spools: Path | None = None
        if eager:
            self.get()

    def get(self) -> AgentSession:
        if self._session is None:
            from .errors import ConfigError
            from .session import AgentSession
            from .settings import SettingError

            try:
                self._session = AgentSession.from_pytest(self.config)
            except (ConfigError, SettingError) as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._session

    @property
    def active(self) -> bool:
        return self._session is not None

    # --- header and collection --------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str] | None:
        if self._session is None:
            return None
        return self._session.header_lines()

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        if self._session is None:
            return None
        corpus = self._session.corpus_for_manifest(file_path)
        if corpus is None:
            return None
        return CorpusFile.from_parent(parent, path=file_path, corpus_key=str(file_path))

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marker = metafunc.definition.get_closest_marker("agent_corpus")
        if marker is None or "agent_case" not in metafunc.fixturenames:
            return
        if not marker.args:
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: @pytest.mark.agent_corpus needs a path")
        folder = Path(metafunc.definition.path).parent / str(marker.args[0])
        session = self.get()
        from .errors import ConfigError
        from .settings import SettingError

        try:
            run, cases = session.plan_for_marker(folder, marker.kwargs.get("mutations"))
        except (ConfigError, SettingError) as exc:
            raise pytest.UsageError(str(exc)) from None
        handles = [CaseHandle(session, run, case) for case in cases]
        metafunc.parametrize("agent_case", handles, ids=[h.case.id for h in handles])

    # --- reporting --------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        record = item.stash.get(_RECORD_KEY, None)
        if record is not None and report.when == "call":
            # Plain data on the report survives xdist serialisation to the controller; a worker
            # sends it as one JSON string (json's C encoder, instead of execnet serialising and
            # the controller rebuilding a nested structure in Python, for every case).
            report.agentreal = json.dumps(record) if hasattr(item.config, "workerinput") else record
        elif report.when == "setup" and report.failed:
            case_id = item.stash.get(_CASE_ID_KEY, None)
            if case_id:
                message = str(call.excinfo.value) if call.excinfo is not None else "not judged"
                report.agentreal = {"cases": [{"id": case_id, "kind": "errors", "family": _family(case_id),
                                               "message": message}]}
        return report

    @pytest.hookimpl(wrapper=True)
    def pytest_collection(self, session: pytest.Session) -> Any:
        # Collecting a corpus builds thousands of items and cases that live until the end and
        # almost no garbage: the collector's full passes over them (0.4 s at 10,000 cases) find
        # nothing. Paused while collecting; collected and frozen right after (large runs).
        import gc

        paused = self._session is not None and gc.isenabled()
        if paused:
            gc.disable()
        try:
            return (yield)
        finally:
            if paused:
                gc.enable()

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self._session is None:
            return
        if len(session.items) >= _LARGE_RUN:
            self._steward()
        if hasattr(self.config, "workerinput"):
            from .xdist_batching import batch_on_worker

            ours = (CaseItem, SampleItem, ExploreItem)
            batch_on_worker(self.config, [isinstance(item, ours) for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        # The xdist controller collects nothing itself but keeps every report it receives.
        if self._session is not None and self._gc is None and len(ids) >= _LARGE_RUN:
            self._steward()

    def _steward(self) -> None:
        from .gc_steward import GcSteward

        self._gc = GcSteward()
        self._gc.settle()  # the items, cases and plans live until the end

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self._gc is not None and report.when == "teardown":
            self._gc.item_done()
        data = getattr(report, "agentreal", None)
        # An xdist worker only sends the record on: the controller counts, summarises and reports.
        if data and self._session is not None and not hasattr(self.config, "workerinput"):
            self._session.tally_report(json.loads(data) if isinstance(data, str) else data, report)
            # Counted; pytest keeps every report until the end (100k cases), so drop the copy.
            del report.agentreal

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        if self._session is not None and items:
            self._session.deselected = True

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if self._session is None or not self._session.has_results():
            return
        terminalreporter.section("agentreal")
        for line in self._session.summary_lines():
            terminalreporter.write_line(line)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self._session is None:
            return
        self._session.finish(is_worker=hasattr(session.config, "workerinput"))
        if session.testscollected >= _LARGE_RUN:
            # Thousands of items, reports and cases stay alive until the process exits; the
            # collections still to come (pytest's at unconfigure and cleanup, the interpreter's at
            # exit) would walk them all for nothing: 1.3 s at 12,000 cases, in every xdist worker.
            import gc

            gc.freeze()

    @pytest.hookimpl(optionalhook=True, tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        """xdist: keep each sample's cases on one worker (its original runs once)."""
        if self._session is None or config.getvalue("dist") != "load":
            return None
        from .xdist_scheduling import SampleScheduling

        return SampleScheduling(config, log)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist: hand workers the controller's resolved seed, so `last` means one thing, and take
        each corpus item's events as one message (:mod:`.xdist_batching`)."""
        if self._session is not None:
            node.workerinput["agentreal_seed"] = self._session.seed_for_workers()
            from .xdist_batching import unpack_on_controller

            unpack_on_controller(node, self._spool_dir())

    def _spool_dir(self) -> Path:
        """A private folder for the workers' event spools, removed when pytest ends."""
        if self._spools is None:
            import shutil
            import tempfile

            spools = self._spools = Path(tempfile.mkdtemp(prefix="agentreal-xdist-"))
            self.config.add_cleanup(lambda: shutil.rmtree(spools, ignore_errors=True))
        return self._spools


def _family(case_id: str) -> str:
    from .report.terminal import family_of

    return family_of(case_id)


_RECORD_KEY = pytest.StashKey[dict[str, Any]]()
_LARGE_RUN = 5_000  # items; the pytester runs inside this project's tests stay below
_CASE_ID_KEY = pytest.StashKey[str]()


class CaseHandle:
    """What the ``agent_case`` fixture gives a test: one case, ready to run with an agent."""

    def __init__(self, session: AgentSession, run: Any, case: Any) -> None:
        self.session = session
        self.corpus_run = run
        self.case = case

    def __repr__(self) -> str:
        return f"<agent_case {self.case.id}>"

    @property
    def inputs(self) -> list[Any]:
        """The inputs this case delivers, in order."""
        result: list[Any] = self.corpus_run.inputs(self.case)
        return result

    def run(self, agent: Any) -> Outcome:
        """Run this case with ``agent`` and return its :class:`~pytest_agentreal.Outcome`."""
        from .oracles import OriginalFailed

        try:
            outcome: Outcome = self.session.run_case(self.corpus_run, self.case, agent)
        except OriginalFailed as exc:
            pytest.fail(f"original failed: {exc}", pytrace=False)
        return outcome


@pytest.fixture
def agent(request: pytest.FixtureRequest) -> Any:
    """The corpus manifest's ``agent:`` (a class is instantiated once per case by the runner).

    Override it with your own ``agent`` fixture in conftest.py to build the agent with other
    fixtures (clients, settings); the runner calls whatever it returns with each input.
    """
    handle = _handle_for(request)
    if handle is None:
        raise pytest.UsageError("the `agent` fixture is only available in agent_corpus cases")
    return handle.corpus_run.corpus.import_agent(request.config.rootpath)


def _handle_for(request: pytest.FixtureRequest) -> CaseHandle | None:
    node = request.node
    handle = getattr(node, "agent_handle", None)
    if handle is not None:
        return handle  # type: ignore[no-any-return]
    callspec = getattr(node, "callspec", None)
    if callspec is not None and isinstance(callspec.params.get("agent_case"), CaseHandle):
        return callspec.params["agent_case"]  # type: ignore[no-any-return]
    return None


@pytest.fixture
def agent_case(request: pytest.FixtureRequest) -> CaseHandle:
    """The current case (``agent_case.run(agent)`` → Outcome; ``.check()`` raises with all findings)."""
    handle = _handle_for(request)
    if handle is None:
        raise pytest.UsageError("`agent_case` needs @pytest.mark.agent_corpus('dir') on the test")
    return handle


class CorpusFile(pytest.Module):
    """A requested ``corpus.yaml``: collects one item per case (or per sample).

    A :class:`pytest.Module` (with a stand-in module object, nothing is imported) rather than a
    plain :class:`pytest.File`, so that module-scoped fixtures of other plugins (pytest-recording's
    autouse ``vcr`` needs ``vcr_cassette_dir``) find their scope node on case items.
    """

    def __init__(self, *, corpus_key: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.corpus_key = corpus_key

    def _getobj(self) -> Any:
        import types

        module = types.ModuleType(f"agentreal_corpus_{self.path.parent.name}")
        module.__file__ = str(self.path)  # fixtures read request.module.__file__ to place files
        return module

    def collect(self) -> Iterator[pytest.Item]:
        holder = self.config.pluginmanager.get_plugin(SESSION_PLUGIN)
        assert isinstance(holder, _LazySession)
        session = holder.get()
        from .errors import ConfigError

        try:
            run, groups = session.plan_corpus(self.corpus_key)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        # Fixture resolution is computed once per corpus file, not per case item (100k items).
        manager = self.session._fixturemanager
        sample_fixtureinfo = manager.getfixtureinfo(self, _sample_test, None)  # type: ignore[arg-type]
        # Lean items: when `agent` is this plugin's own fixture (not overridden in a conftest), the
        # item gets the manifest's agent directly and pytest resolves only the autouse fixtures —
        # the fixture machinery (a request object per item) costs as much as a small agent call.
        lean = _plugin_agent(sample_fixtureinfo)
        item_fixtureinfo = manager.getfixtureinfo(self, _no_fixtures, None) if lean else sample_fixtureinfo  # type: ignore[arg-type]
        granularity = session.settings.granularity
        for sample_id, cases in groups:
            if granularity == "sample":
                handles = [CaseHandle(session, run, c) for c in cases]
                yield SampleItem.from_parent(self, name=f"{run.name}/{sample_id}", callobj=_sample_test,
                                             fixtureinfo=item_fixtureinfo, lean=lean,
                                             handles=handles, sample_key=f"{run.name}/{sample_id}")
                continue
            for case in cases:
                item = CaseItem.from_parent(self, name=case.id, callobj=_case_test, fixtureinfo=item_fixtureinfo,
                                            lean=lean, handle=CaseHandle(session, run, case))
                yield item
        if session.settings.explore and groups:
            first = groups[0][1][0]
            yield ExploreItem.from_parent(self, name=f"{run.name}/explore", callobj=_sample_test,
                                          fixtureinfo=sample_fixtureinfo, handle=CaseHandle(session, run, first))


def _case_test(agent: Any, agent_case: CaseHandle) -> None:
    """Run one corpus case (the body of every collected case item)."""
    agent_case.session.run_item_case(agent_case, agent)


def _sample_test(agent: Any) -> None:
    """Run every case of one sample (``--agent-granularity sample``)."""


def _no_fixtures() -> None:
    """The fixture signature of a lean item: only autouse fixtures are resolved by pytest."""


def _plugin_agent(fixtureinfo: Any) -> bool:
    """Whether ``agent`` resolves to this plugin's own fixture (no conftest overrides it)."""
    definitions = fixtureinfo.name2fixturedefs.get("agent") or ()
    func = getattr(definitions[-1], "func", None) if definitions else None
    return getattr(func, "__module__", None) == __name__ and getattr(func, "__name__", None) == "agent"


def _fill_agent(item: pytest.Function, handle: CaseHandle) -> None:
    """A lean item's ``agent``: what the plugin's ``agent`` fixture would return.

    ``request`` too, when an autouse fixture put it in the closure: its value is the item's own
    request, which pytest 9 would otherwise wrap in a new pseudo fixture definition per item.
    """
    funcargs = item.funcargs
    if "agent" not in funcargs:
        funcargs["agent"] = handle.corpus_run.corpus.import_agent(item.config.rootpath)
    if "request" in item.fixturenames and "request" not in funcargs:
        funcargs["request"] = item._request


class CaseItem(pytest.Function):
    """One corpus case as a pytest item."""

    def __init__(self, *, handle: CaseHandle, lean: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.agent_handle = handle
        self.lean = lean
        self.stash[_CASE_ID_KEY] = handle.case.id
        self.agent_outcome: Outcome | None = None
        xfail = handle.corpus_run.expectation(handle.case)
        if xfail is not None and xfail.xfail:
            self.add_marker(pytest.mark.xfail(reason=xfail.xfail, strict=False))

    def setup(self) -> None:
        handle = self.agent_handle
        if self.lean:
            _fill_agent(self, handle)
        super().setup()
        handle.session.ensure_original(handle.corpus_run, handle.case, self.funcargs["agent"])

    def runtest(self) -> None:
        handle = self.agent_handle
        outcomes = handle.session.run_repeated(handle.corpus_run, handle.case, self.funcargs["agent"])
        self.stash[_RECORD_KEY] = record = handle.session.record_for(outcomes)
        if len(outcomes) > 1:
            # Repeats: the pass rate lands in JUnit XML as properties of the test case.
            case = record["cases"][0]
            self.user_properties += [("agentreal_runs", case["runs"]), ("agentreal_passes", case["passes"]),
                                     ("agentreal_pass_rate", round(case["passes"] / case["runs"], 4))]
        handle.session.raise_if_failed(outcomes)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from .model import CaseFailed

        if isinstance(excinfo.value, CaseFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def _repr_failure_py(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        # Setup errors ("original failed") are diagnoses, not bugs: no traceback.
        from .oracles import OriginalFailed

        if isinstance(excinfo.value, OriginalFailed):
            return str(excinfo.value)
        return super()._repr_failure_py(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name


class SampleItem(pytest.Function):
    """Every case of one sample as one pytest item; each failing case is reported by its own id."""

    def __init__(self, *, handles: list[CaseHandle], sample_key: str, lean: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handles = handles
        self.sample_key = sample_key
        self.lean = lean

    def setup(self) -> None:
        if self.lean:
            _fill_agent(self, self.handles[0])
        super().setup()

    def runtest(self) -> None:
        session = self.handles[0].session
        agent_obj = self.funcargs["agent"]
        all_outcomes = []
        for handle in self.handles:
            all_outcomes.append(session.run_repeated(handle.corpus_run, handle.case, agent_obj, in_sample=True))
        self.stash[_RECORD_KEY] = session.record_for_sample(all_outcomes)
        session.raise_if_sample_failed(all_outcomes)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from .model import CaseFailed
        from .session import SampleFailed

        if isinstance(excinfo.value, (CaseFailed, SampleFailed)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name


class ExploreItem(pytest.Function):
    """``--agent-explore N``: a hypothesis search over chains of operators on real samples."""

    def __init__(self, *, handle: CaseHandle, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.agent_handle = handle

    def runtest(self) -> None:
        handle = self.agent_handle
        message = handle.session.explore(handle.corpus_run, self.funcargs["agent"])
        if message:
            raise ExploreFailed(message)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ExploreFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name


class ExploreFailed(AssertionError):
    """Explore mode found a failing chain of operators."""
