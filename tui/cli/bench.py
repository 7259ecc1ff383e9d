"""`wasmscope bench`: run a profile's measurements and print the comparison tables."""

from __future__ import annotations

import argparse
import sys

from .common import csv_list, exit_for_failures, print_results_json, stderr_console, stdout_console
from .exit_codes import PROG, ExitCode

NAME = "bench"
SWEEPS_AT_START = True  # removes what dead runs left before measuring


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="run a profile's measurements and print the comparison tables")
    p.add_argument("--profile", default="quick", help="profile file, or a shipped name: quick, article")
    p.add_argument("--runtimes", type=csv_list, help="comma-separated runtimes (default: the profile's)")
    p.add_argument("--workloads", type=csv_list,
                   help="comma-separated workloads or measurements, e.g. hello,fib or startup")
    p.add_argument("--runs", type=int, help="runs per runtime and round for startup and compute")
    p.add_argument("--repeat", type=int, metavar="K",
                   help="K independent rounds of every measurement (each a full interleaved pass); "
                        "intervals come from their spread (default: the profile's rounds)")
    p.add_argument("--check", action="store_true",
                   help="self-check: beside each cold-start figure, a bare harness of the same definition "
                        "measured in the same run, and each row's harness overhead")
    p.add_argument("--connections", type=csv_list,
                   help="HTTP: connections of the closed-loop load; several (1,8,32,128) = a sweep")
    p.add_argument("--rate", type=csv_list,
                   help="HTTP: fixed-rate load at R req/s (open loop); several (500,1000,2000) = a sweep")
    p.add_argument("--duration", type=float, help="HTTP: seconds of load per target and round")
    p.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    p.add_argument("--save", metavar="FILE", help="write the results into this profile file")
    return p


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles import load_profile, resolve_profile_path, save_results
    from wasmscope.workloads.bench import make_plan, override_io, run_benchmark

    path = resolve_profile_path(ns.profile)
    profile = override_io(load_profile(path), connections=ns.connections, rates=ns.rate,
                          duration_s=ns.duration)
    plan = make_plan(profile, runtimes=ns.runtimes, workloads=ns.workloads, runs=ns.runs, repeat=ns.repeat,
                     check=ns.check)
    err = stderr_console()
    err.print(f"[bold]{PROG}[/] bench: profile {path} — runtimes {', '.join(plan.runtimes)}; "
              f"measurements {', '.join(plan.measurements)}")
    results = _measure(err, lambda control: run_benchmark(profile, plan, control))
    if ns.json:
        print_results_json(results)
    else:
        print_tables(results, plan.measurements, profile.reference)
    if ns.save:
        save_results(ns.save, results.to_dict(), template=path)
        err.print(f"{PROG}: results saved to {ns.save}")
    return exit_for_failures(results)


def _measure(err, run_with):
    """Run with a progress bar on a terminal, or one line per table when stderr is piped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from wasmscope.workloads.measurements.control import RunControl

    if err.is_terminal:
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=err, transient=True)
        task = progress.add_task("starting", total=None)

        def on_progress(message: str, done: int, total: int) -> None:
            progress.update(task, description=message, completed=done, total=total or None)

        with progress:
            return run_with(RunControl(progress=on_progress, log=lambda m: progress.console.log(m)))
    last = {"table": ""}

    def on_plain(message: str, done: int, total: int) -> None:
        table = message.split(":", 1)[0]
        if table != last["table"]:
            last["table"] = table
            print(f"{PROG}: measuring {table} ({done}/{total})", file=sys.stderr, flush=True)

    return run_with(RunControl(progress=on_plain))


def print_tables(results, names, reference) -> None:
    """The runtimes this machine lacks (once), the machine, the runtimes, then each measured
    table (with its derived tables and figures) on stdout."""
    from rich.text import Text

    from wasmscope.workloads import measurements

    from ..render.plots import figure_text
    from ..render.tables import machine_line, measurement_tables, runtimes_table, unavailable_line

    out = stdout_console(160)  # ratios carry their intervals: wider than 132 columns
    if missing := unavailable_line(results):
        out.print(missing, style="bold yellow", highlight=False, soft_wrap=True)
    out.print(machine_line(results))
    out.print(runtimes_table(results, brief=True))
    for name in names:
        if name not in results.tables:
            continue
        for table in measurement_tables(results, name, reference):
            out.print(table)
        for fig in measurements.get(name).figures(results):
            out.print(Text.from_ansi(figure_text(fig, width=min(out.width, 110), height=22)))
