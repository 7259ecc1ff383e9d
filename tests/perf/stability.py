"""How stable are wasmscope's headline ratios from one run to the next on this machine?

Runs a profile (the quick one by default) N times in a row (3 by default) and prints, for each
headline ratio, the N values and their spread; then embedded wasmtime's cold start measured
alone (no other runtime), before and after, beside the same figure measured with Docker and the
others interleaved. Closing note, with the targets of issue 20:
  - Docker / embedded wasmtime cold start: spread ≤ 15 %;
  - compute overhead of embedded wasmtime over native: spread ≤ 10 percentage points;
  - embedded wasmtime's cold start with Docker interleaved within 15 % of it measured alone.

Not a test (it asserts nothing and takes minutes): a benchmark of the benchmark. On a shared
machine, run it when the machine is quiet; the load average before each run is printed.

    .venv/bin/python tests/perf/stability.py [--profile quick] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from wasmscope.profiles import load_profile, resolve_profile_path
from wasmscope.workloads.bench import make_plan, run_benchmark
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.measurements.figures import run_figures
from wasmscope.workloads.model.intervals import Estimate, spread_pct
from wasmscope.workloads.model.results import Results

# (table, row, figure, how the spread is read, target)
TARGETS = {("startup", "wasmtime", "docker_over_this"): ("%", 15.0),
           ("compute", "wasmtime", "pct_over_native"): ("pp", 10.0)}
ALONE_TARGET_PCT = 15.0


def load_average() -> str:
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def measure(profile, runtimes: list[str] | None = None, workloads: list[str] | None = None) -> Results:
    plan = make_plan(profile, runtimes=runtimes, workloads=workloads)
    done = {"table": ""}

    def progress(message: str, step: int, total: int) -> None:
        table = message.split(":", 1)[0]
        if table != done["table"]:
            done["table"] = table
            print(f"    {table} ({step}/{total})", file=sys.stderr, flush=True)

    return run_benchmark(profile, plan, RunControl(progress=progress))


def busy_words(results: Results) -> str:
    busy = total = 0
    for table in results.tables.values():
        for row in table.rows:
            flags = row.conditions.get("busy", [])
            busy, total = busy + int(sum(flags)), total + len(flags)
    return f"{busy} of {total} samples taken while the machine was busy"


def headline_estimates(runs: list[Results]) -> dict[tuple[str, str, str], list[Estimate]]:
    """Every ratio of the startup, compute and memory tables, one estimate per run."""
    out: dict[tuple[str, str, str], list[Estimate]] = {}
    for results in runs:
        for table, rows in run_figures(results).items():
            if table not in ("startup", "compute", "memory"):
                continue
            for row, figs in rows.items():
                for figure, est in figs.items():
                    if figure != "value" and est.n:
                        out.setdefault((table, row, figure), []).append(est)
    return {k: v for k, v in out.items() if len(v) == len(runs)}


def coverage_line(figure: str, ests: list[Estimate]) -> str:
    """Each run's interval, and how many of the other runs' values it covers: what an interval
    printed by one run promises about the next."""
    parts, covered, total = [], 0, 0
    for i, est in enumerate(ests):
        others = [e.point for j, e in enumerate(ests) if j != i]
        hits = sum(est.lo <= v <= est.hi for v in others)
        covered, total = covered + hits, total + len(others)
        parts.append(f"{fmt(figure, est.lo)} … {fmt(figure, est.hi)}")
    return f"intervals {' | '.join(parts)}; each run's interval covers {covered} of {total} other runs' values"


def spread(figure: str, values: list[float]) -> tuple[float, str]:
    if figure == "pct_over_native":
        return max(values) - min(values), "pp"
    return spread_pct(values), "%"


def fmt(figure: str, v: float) -> str:
    if figure == "pct_over_native":
        return f"{v:+.1f} %"
    return f"{v:,.0f}×" if v >= 100 else f"{v:.2f}×"


def report(runs: list[Results], alone: list[float]) -> list[str]:
    notes = []
    print("\nHeadline ratios, one value per run, and their spread (max − min; % of the median, or pp):")
    for (table, row, figure), ests in headline_estimates(runs).items():
        values = [e.point for e in ests]
        s, unit = spread(figure, values)
        target = TARGETS.get((table, row, figure))
        mark = "" if target is None else (f"  target ≤ {target[1]:g} {target[0]}: "
                                          + ("met" if s <= target[1] else "NOT met"))
        print(f"  {table:8} {row:13} {figure:17} " + "  ".join(fmt(figure, v) for v in values)
              + f"   spread {s:.1f} {unit}{mark}")
        if target:
            notes.append(f"{table} {row} {figure}: {', '.join(fmt(figure, v) for v in values)} — spread "
                         f"{s:.1f} {unit} (target ≤ {target[1]:g} {target[0]}: {'met' if s <= target[1] else 'NOT met'}); "
                         + coverage_line(figure, ests))
    together = [r.tables["startup"].row("wasmtime").value for r in runs
                if "startup" in r.tables and r.tables["startup"].row("wasmtime") is not None]
    if together and alone:
        mixed, solo = statistics.median(together), statistics.median(alone)
        diff = (mixed / solo - 1) * 100
        line = (f"embedded wasmtime cold start: {mixed:.3f} ms with Docker interleaved (medians "
                f"{', '.join(f'{v:.3f}' for v in together)}) vs {solo:.3f} ms alone ({', '.join(f'{v:.3f}' for v in alone)}): "
                f"{diff:+.1f} % (target within ±{ALONE_TARGET_PCT:g} %: {'met' if abs(diff) <= ALONE_TARGET_PCT else 'NOT met'})")
        print("\n" + line)
        notes.append(line)
    return notes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="quick")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", metavar="DIR", help="also write each run's results as JSON into DIR")
    ns = ap.parse_args(argv)
    profile = load_profile(resolve_profile_path(ns.profile))
    alone: list[float] = []

    def wasmtime_alone(when: str) -> None:
        print(f"wasmtime alone ({when}), load average {load_average()}", file=sys.stderr)
        res = measure(profile, runtimes=["wasmtime"], workloads=["startup"])
        alone.append(res.tables["startup"].row("wasmtime").value)
        print(f"  wasmtime alone ({when}): {alone[-1]:.3f} ms; {busy_words(res)}")

    wasmtime_alone("before")
    runs: list[Results] = []
    for i in range(ns.runs):
        t0 = time.monotonic()
        print(f"run {i + 1}/{ns.runs} of profile {profile.name}, load average {load_average()}", file=sys.stderr)
        runs.append(measure(profile))
        print(f"  run {i + 1}: {time.monotonic() - t0:.0f} s; {busy_words(runs[-1])}")
        if ns.keep:
            Path(ns.keep).mkdir(parents=True, exist_ok=True)
            (Path(ns.keep) / f"run-{i + 1}.json").write_text(json.dumps(runs[-1].to_dict(), indent=1))
    wasmtime_alone("after")
    notes = report(runs, alone)
    print("\nClosing note:")
    for line in notes:
        print(f"  - {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
