"""`wasmscope compare A [B]`: two runs side by side, every figure with its change and whether the
change is beyond the two runs' intervals. B omitted: a fresh run of A's profile, now."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import csv_list, stdout_console
from .exit_codes import PROG, ExitCode

NAME = "compare"
SWEEPS_AT_START = True  # a fresh run removes what dead runs left first


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="two saved runs (or a saved run and a fresh one) side by side: every "
                                  "figure and ratio, its change, and whether it is beyond noise")
    p.add_argument("a", metavar="A", help="profile file with stored [results] (the earlier run)")
    p.add_argument("b", metavar="B", nargs="?",
                   help="profile file with stored [results] (default: measure A's profile again now)")
    p.add_argument("--format", choices=("table", "md", "json"), default="table",
                   help="output format (default table)")
    p.add_argument("--runtimes", type=csv_list, help="fresh run: runtimes (default: those of A's run)")
    p.add_argument("--repeat", type=int, metavar="K", help="fresh run: rounds of every measurement")
    p.add_argument("--save", metavar="FILE", help="fresh run: also write its results into this profile file")
    return p


def _stored(path_text: str):
    from wasmscope.profiles import ProfileError, load_profile, resolve_profile_path

    path = resolve_profile_path(path_text)
    profile = load_profile(path)
    if not profile.results:
        raise ProfileError(f"{path}: no [results] to compare: run `wasmscope bench --profile {path_text} "
                           f"--save {path}` first")
    return path, profile, profile.results


def _fresh(path: Path, profile, stored, ns):
    """A new run of the stored run's runtimes and measurements, on A's profile settings."""
    from wasmscope.profiles import save_results
    from wasmscope.workloads.bench import make_plan, run_benchmark
    from wasmscope.workloads.measurements import bench_names

    from .bench import _measure
    from .common import stderr_console

    runtimes = ns.runtimes or stored.settings.get("runtimes") or list(stored.runtimes)
    chosen = [m for m in (stored.settings.get("measurements") or list(stored.tables)) if m in bench_names()]
    plan = make_plan(profile, runtimes=runtimes, workloads=chosen or None, repeat=ns.repeat)
    err = stderr_console()
    err.print(f"[bold]{PROG}[/] compare: measuring B now — runtimes {', '.join(plan.runtimes)}; "
              f"measurements {', '.join(plan.measurements)}")
    results = _measure(err, lambda control: run_benchmark(profile, plan, control))
    if ns.save:
        save_results(ns.save, results.to_dict(), template=path)
        err.print(f"{PROG}: results saved to {ns.save}")
    return results


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.workloads.compare import compare_results

    from ..render.compare import compare_markdown, compare_tables, header_lines

    path_a, profile_a, a = _stored(ns.a)
    if ns.b:
        path_b, _, b = _stored(ns.b)
        b_label = f"{path_b} ({b.started_at})"
    else:
        b = _fresh(path_a, profile_a, a, ns)
        b_label = f"a fresh run of {path_a.name} ({b.started_at})"
    cmp = compare_results(a, b, f"{path_a} ({a.started_at})", b_label)
    if ns.format == "json":
        json.dump(cmp.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif ns.format == "md":
        sys.stdout.write(compare_markdown(cmp))
    else:
        out = stdout_console(160)
        for line in header_lines(cmp):
            out.print(line, highlight=False, soft_wrap=True)
        for table in compare_tables(cmp):
            out.print(table)
    return ExitCode.OK
