"""The benchmark table: pytest-agentreal against the stack a team would write, and at scale.

    python bench/run.py [--quick] [--json] [--samples N] [--only NAME,...] [--keep DIR]

Builds a synthetic corpus (default 2,000 samples; an agent making 3 httpx calls to a local
connector on 127.0.0.1), records it once (``--agent-record once``), then times the full default
mutation set in replay with every check on (input and output schemas, policy, oracles) in a
``pytest`` subprocess; in the same run, on the same samples, the DIY stack of ``bench/diy/``
(parametrized test + pytest-recording + jsonschema + DeepDiff) records and replays the same cases.
Further rows: 100,000 cases of a trivial in-process agent with ``--agent-granularity sample``, the
default per-case items, the plugin's import time, the xdist speed-up, and the rows of
``bench/replay.py`` and ``bench/anonymise.py``.

Wall times include interpreter start-up and collection (what CI pays); µs per case is wall time
divided by cases; peak RSS is the pytest process's (``wait4`` rusage; with xdist, the largest of
its processes). Each subprocess runs in a scratch folder with its own empty ``pytest.ini``;
bytecode is cached under the scratch folder (``PYTHONPYCACHEPREFIX``) so no run compiles the world.
``--json`` prints one JSON object as the last line (keys ``cases``, ``wall_s``, ``per_case_us``,
``peak_rss_mib``, ``diy_per_case_us``, ``ratio_vs_diy``, plus ``rows``). ``--quick`` (fewer samples
and cases) finishes in under two minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import synthetic  # noqa: E402  (bench/ is not a package)

TARGET_RATIO = 0.33
TARGET_SCALE_S = 60.0
TARGET_SCALE_MIB = 1024.0
TARGET_IMPORT_MS = 50.0
TARGET_XDIST = 1.7
ROWS = ("main", "scale", "items", "import", "xdist", "replay", "anonymise")


@dataclass
class Run:
    """One finished pytest subprocess."""

    wall_s: float
    peak_rss_mib: float
    returncode: int
    output: str

    def cases(self) -> int:
        """Cases counted by the agentreal summary (``total`` row), else pytest's own outcome counts."""
        totals = re.findall(r"^\s*total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", self.output, re.M)
        if totals:
            return sum(int(n) for n in totals[-1])
        last = self.output.strip().splitlines()[-1] if self.output.strip() else ""
        return sum(int(n) for n, _ in re.findall(r"(\d+) (passed|failed|errors?|xfailed|xpassed)", last))

    def failures(self) -> int:
        """Failed plus errored cases (agentreal summary), else pytest's counts."""
        totals = re.findall(r"^\s*total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", self.output, re.M)
        if totals:
            return int(totals[-1][1]) + int(totals[-1][2])
        last = self.output.strip().splitlines()[-1] if self.output.strip() else ""
        return sum(int(n) for n, _ in re.findall(r"(\d+) (failed|errors?)", last))


class Bench:
    """A scratch folder, the subprocess environment, and the rows collected so far."""

    def __init__(self, root: Path, quick: bool, verbose: bool, repeat: int = 1) -> None:
        self.root = root
        self.quick = quick
        self.verbose = verbose
        self.repeat = max(1, repeat)
        self.rows: list[dict[str, Any]] = []
        self.summary: dict[str, Any] = {}
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        env.pop("PYTEST_ADDOPTS", None)
        env.pop("PYTEST_XDIST_AUTO_NUM_WORKERS", None)
        self.env = env

    def log(self, text: str) -> None:
        if self.verbose:
            print(f"  [{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def folder(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        (path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        return path

    def pytest(self, cwd: Path, args: Sequence[str], env: dict[str, str] | None = None) -> Run:
        """Run ``python -m pytest ARGS`` in ``cwd``; wall time and the peak RSS of that process tree."""
        log = cwd / f"pytest-{time.monotonic_ns()}.log"
        command = [sys.executable, "-m", "pytest", "-q", *args]
        with open(log, "wb") as out:
            started = time.perf_counter()
            process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                       env={**self.env, **(env or {})})
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        text = log.read_text(encoding="utf-8", errors="replace")
        run = Run(wall, usage.ru_maxrss / 1024, process.returncode, text)
        self.log(f"pytest {' '.join(args)[:90]}: exit {run.returncode}, {wall:.1f}s, {run.peak_rss_mib:.0f} MiB")
        if run.returncode not in (0, 1):
            raise RuntimeError(f"pytest {' '.join(args)} exited {run.returncode}:\n{text[-3000:]}")
        return run

    def case_row(self, name: str, run: Run, cases: int | None = None, result: str = "") -> dict[str, Any]:
        count = run.cases() if cases is None else cases
        row = {"name": name, "cases": count, "wall_s": round(run.wall_s, 2),
               "per_case_us": round(run.wall_s / max(count, 1) * 1e6, 1),
               "peak_rss_mib": round(run.peak_rss_mib, 1), "result": result}
        self.rows.append(row)
        return row

    def value_row(self, name: str, value: float, unit: str, result: str = "") -> None:
        self.rows.append({"name": name, "value": value, "unit": unit, "result": result})


def _verdict(ok: bool, text: str) -> str:
    return f"{text} {'ok' if ok else 'MISSED'}"


# --- the main row: agentreal vs DIY on the connector corpus ---------------------------------------------


def bench_main(bench: Bench, samples: int, serializer: str) -> None:
    """Record once, replay the full default mutation set; the DIY stack on the same cases.

    With ``--keep DIR`` a second run reuses what the first recorded (same sample count): only the
    replays are timed again.
    """
    work = bench.folder("main")
    diy = bench.folder("diy")
    corpus = work / "corpus"
    marker = {"samples": samples, "serializer": serializer}
    env = {"DIY_CASES": str(diy / "cases.jsonl"), "DIY_CORPUS": str(corpus), "DIY_WORK": str(diy / "work"),
           "DIY_SERIALIZER": serializer}
    ours = ["-p", "no:recording", "--agent-corpus", "corpus"]
    diy_args = ["-p", "no:agentreal", "test_diy.py"]
    if _recorded(work, marker) and _recorded(diy, marker):
        bench.log("reusing the recorded corpus and DIY cassettes")
    else:
        with synthetic.connector_server() as url:
            synthetic.write_corpus(corpus, synthetic.make_samples(samples), base_url=url)
            # Originals first: connector_fault cases are planned from what the original's traffic reads.
            bench.log(f"recording {samples} samples against {url}")
            bench.pytest(work, [*ours, "--agent-record", "once", "--agent-mutations", "none"])
            recorded = bench.pytest(work, [*ours, "--agent-record", "once"])
            bench.log(f"recorded {recorded.cases()} cases ({recorded.failures()} failing)")
            _mark(work, marker)
            shutil.copy(HERE / "diy" / "test_diy.py", diy / "test_diy.py")
            cases = synthetic.plan_cases(corpus)
            with open(diy / "cases.jsonl", "w", encoding="utf-8") as handle:
                for case in cases:
                    handle.write(json.dumps(case) + "\n")
            bench.log(f"DIY: recording {len(cases)} cases ({serializer} cassettes)")
            bench.pytest(diy, [*diy_args, "--record-mode=once"], env={**env, "DIY_UPDATE": "1"})
            _mark(diy, marker)
    # Alternate the two stacks and keep each one's fastest run: other load on the machine only
    # ever adds time, so the minimum is the measurement (as timeit does).
    replays, diy_runs = [], []
    for _ in range(bench.repeat):
        replays.append(bench.pytest(work, ours))
        diy_runs.append(bench.pytest(diy, diy_args, env=env))
    replay = min(replays, key=lambda r: r.wall_s)
    diy_run = min(diy_runs, key=lambda r: r.wall_s)
    row = bench.case_row(f"agentreal: {samples:,} samples, full default mutations, replay", replay)
    row["failing"] = replay.failures()
    diy_row = bench.case_row(f"DIY: parametrize + pytest-recording ({serializer}) + jsonschema + DeepDiff", diy_run)
    ratio = row["per_case_us"] / diy_row["per_case_us"]
    row["result"] = _verdict(ratio <= TARGET_RATIO, f"{ratio:.2f}x DIY per case (target <= {TARGET_RATIO})")
    diy_row["result"] = f"{diy_run.failures()} failing; no policy, oracles or faults"
    bench.summary.update({
        "cases": row["cases"], "wall_s": row["wall_s"], "per_case_us": row["per_case_us"],
        "peak_rss_mib": row["peak_rss_mib"], "diy_per_case_us": diy_row["per_case_us"],
        "ratio_vs_diy": round(ratio, 3),
    })


def _recorded(folder: Path, marker: dict[str, Any]) -> bool:
    path = folder / "recorded.json"
    return path.is_file() and json.loads(path.read_text(encoding="utf-8")) == marker


def _mark(folder: Path, marker: dict[str, Any]) -> None:
    (folder / "recorded.json").write_text(json.dumps(marker), encoding="utf-8")


# --- scale rows: a trivial in-process agent --------------------------------------------------------------


def _cases_per_sample(kind: str) -> float:
    probe = synthetic.write_corpus(Path(tempfile.mkdtemp(prefix="probe-")), synthetic.make_samples(30), kind=kind)
    try:
        return len(synthetic.plan_cases(probe)) / 30
    finally:
        shutil.rmtree(probe, ignore_errors=True)


def _trivial_corpus(bench: Bench, name: str, cases: int, kind: str = "trivial") -> tuple[Path, int]:
    per_sample = _cases_per_sample(kind)
    samples = math.ceil(cases / per_sample)
    work = bench.folder(name)
    synthetic.write_corpus(work / "corpus", synthetic.make_samples(samples), kind=kind)
    return work, samples


def bench_scale(bench: Bench) -> None:
    """100,000 cases with --agent-granularity sample: wall time and peak RSS."""
    target = 20_000 if bench.quick else 100_000
    work, samples = _trivial_corpus(bench, "scale", target)
    run = bench.pytest(work, ["-p", "no:recording", "--agent-corpus", "corpus", "--agent-granularity", "sample"])
    ok = run.wall_s <= TARGET_SCALE_S * target / 100_000 and run.peak_rss_mib <= TARGET_SCALE_MIB
    bench.case_row(f"agentreal: trivial agent, {samples:,} samples, --agent-granularity sample", run,
                   result=_verdict(ok, f"target <= {TARGET_SCALE_S * target / 100_000:.0f} s, <= 1 GiB"))


def bench_items(bench: Bench) -> None:
    """The default granularity: one pytest item per case."""
    target = 5_000 if bench.quick else 20_000
    work, samples = _trivial_corpus(bench, "items", target)
    run = bench.pytest(work, ["-p", "no:recording", "--agent-corpus", "corpus"])
    bench.case_row(f"agentreal: trivial agent, {samples:,} samples, one item per case", run,
                   result="µs per item, all in")


# --- import time ------------------------------------------------------------------------------------------

_IMPORT_PROBE = """
import time, pytest
started = time.perf_counter()
import pytest_agentreal.plugin
print(time.perf_counter() - started)
"""


def bench_import(bench: Bench) -> None:
    """``import pytest_agentreal.plugin`` after pytest, in fresh interpreters (best of 7)."""
    timings = []
    for _ in range(7):
        done = subprocess.run([sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True,
                              env=bench.env, check=True)
        timings.append(float(done.stdout.strip()) * 1e3)
    best = min(timings)
    bench.value_row("plugin import, no --agent-* option (after pytest)", round(best, 1), "ms",
                    _verdict(best <= TARGET_IMPORT_MS, f"target <= {TARGET_IMPORT_MS:.0f} ms"))


# --- xdist ------------------------------------------------------------------------------------------------


def bench_xdist(bench: Bench) -> None:
    """A 2 ms-per-delivery agent (waiting, as on a model): -n 2 against one process, per case and per sample.

    Both workers collect every case and each sample stays on one worker (its duplicate pairs and
    the original its other cases compare with); with one item per case, pytest and xdist's own
    per-item work (three reports serialised and sent to the controller) is part of what is spread.
    """
    target = 2_000 if bench.quick else 12_000
    work, _ = _trivial_corpus(bench, "xdist", target, kind="slow")
    speedups = []
    for granularity in ("case", "sample"):
        args = ["-p", "no:recording", "--agent-corpus", "corpus", "--agent-granularity", granularity]
        ones, twos = [], []
        for _ in range(bench.repeat):
            ones.append(bench.pytest(work, [*args, "-p", "no:xdist"]))
            twos.append(bench.pytest(work, [*args, "-n", "2"]))
        one = min(ones, key=lambda r: r.wall_s)
        two = min(twos, key=lambda r: r.wall_s)
        speedup = one.wall_s / two.wall_s
        speedups.append(speedup)
        label = "one item per case" if granularity == "case" else "--agent-granularity sample"
        bench.case_row(f"agentreal: 2 ms agent, {label}, one process", one)
        bench.case_row(f"agentreal: 2 ms agent, {label}, -n 2", two,
                       result=_verdict(speedup >= TARGET_XDIST, f"{speedup:.2f}x speed-up (target >= {TARGET_XDIST})"))
    bench.summary["xdist_speedup"] = round(speedups[0], 2)
    bench.summary["xdist_speedup_sample"] = round(speedups[1], 2)


# --- rows from the other bench scripts ---------------------------------------------------------------------


def _imported_rows(bench: Bench, module: str) -> None:
    import importlib

    rows: list[dict[str, Any]] = importlib.import_module(module).run(bench.quick)
    for row in rows:
        value = row["value"]
        bench.value_row(
            row["name"], round(value, 3) if isinstance(value, float) else value, row["unit"], row.get("result", "")
        )


def bench_replay(bench: Bench) -> None:
    """bench/replay.py: replay per request vs cassette size, agentreal and vcrpy."""
    _imported_rows(bench, "replay")


def bench_anonymise(bench: Bench) -> None:
    """bench/anonymise.py: anonymisation rows per second."""
    _imported_rows(bench, "anonymise")


# --- table ------------------------------------------------------------------------------------------------


def render(rows: Sequence[dict[str, Any]]) -> str:
    """The table: case rows with their measures, value rows with value and unit."""
    width = max(len(r["name"]) for r in rows) + 2
    head = f"{'benchmark':<{width}}{'cases':>9}{'wall s':>9}{'µs/case':>10}{'RSS MiB':>9}  result"
    lines = [head, "-" * len(head)]
    for row in rows:
        if "cases" in row:
            lines.append(f"{row['name']:<{width}}{row['cases']:>9,}{row['wall_s']:>9.2f}{row['per_case_us']:>10,.0f}"
                         f"{row['peak_rss_mib']:>9.0f}  {row['result']}")
        else:
            value = row["value"]
            shown = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
            text = f"{shown} {row['unit']}" + (f"  {row['result']}" if row["result"] else "")
            lines.append(f"{row['name']:<{width}}{'':>37}  {text}")
    return "\n".join(lines)


BENCHES: dict[str, Callable[..., None]] = {
    "scale": bench_scale,
    "items": bench_items,
    "import": bench_import,
    "xdist": bench_xdist,
    "replay": bench_replay,
    "anonymise": bench_anonymise,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and cases (under two minutes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--samples", type=int, default=None, help="samples of the main corpus (default 2000)")
    parser.add_argument("--only", default=",".join(ROWS), help=f"comma-separated subset of {','.join(ROWS)}")
    parser.add_argument("--keep", default=None,
                        help="work in this folder and keep it (default: a temp folder); a later run with the "
                             "same --keep and sample count reuses the recordings and times only the replays")
    parser.add_argument("--diy-serializer", choices=("yaml", "json"), default="yaml",
                        help="cassette format of the DIY stack (yaml: pytest-recording's default)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time the main replays and the xdist pair this many times, alternating, and keep "
                             "each one's fastest run (other load on the machine only adds time)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each step to stderr")
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(ROWS))
    if unknown:
        parser.error(f"unknown rows {unknown}; choose from {', '.join(ROWS)}")
    samples = args.samples or (80 if args.quick else 2000)
    # tmpfs when there is one: recording writes (and fsyncs) one cassette per case.
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="agentreal-bench-", dir=base))
    root.mkdir(parents=True, exist_ok=True)
    bench = Bench(root, args.quick, args.verbose, args.repeat)
    started = time.perf_counter()
    try:
        if "main" in only:
            bench_main(bench, samples, args.diy_serializer)
        for name in only:
            if name != "main":
                BENCHES[name](bench)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(render(bench.rows))
    print(f"({'quick, ' if args.quick else ''}{time.perf_counter() - started:.0f} s in all; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    if args.json:
        print(json.dumps({**bench.summary, "rows": bench.rows}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
