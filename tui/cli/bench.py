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
    p.add_argument("--runs", type=int, help="runs per runtime for startup and compute")
    p.add_argument("--connections", type=csv_list,
                   help="HTTP: connections of the closed-loop load; several (1,8,32,128) = a sweep")
    p.add_argument("--rate", type=csv_list,
                   help="HTTP: fixed-rate load at R req/s (open loop); several (500,1000,2000) = a sweep")
    p.add_argument("--duration", type=float, help="HTTP: seconds of load per target and round")
    p.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    p.add_argument("--save", metavar="FILE", help="write the results into this profile file")
    own = p.add_argument_group("your own program (instead of the profile's workloads)")
    own.add_argument("--module", metavar="X.wasm", help="a WASI command module; ARGS after -- are its arguments")
    own.add_argument("--name", help="the workload's name (default: the module's file name)")
    own.add_argument("--dir", action="append", default=[], metavar="HOST:GUEST[:rw]",
                     help="grant a host directory (read-only unless :rw); repeatable")
    own.add_argument("--env", action="append", default=[], metavar="K=V", help="a guest environment variable")
    own.add_argument("--stdin", metavar="FILE", help="a file the program reads on stdin")
    own.add_argument("--native", metavar="COMMAND", help="the same program as a host command (the native baseline)")
    own.add_argument("--image", metavar="REPO:TAG", help="the same program in a local image (the container baseline)")
    own.add_argument("--expect-file", action="append", default=[], metavar="GUEST_PATH",
                     help="a file each run must write (in a :rw directory); repeatable")
    own.add_argument("--expect-stdout", metavar="REGEX", help="a pattern each run's stdout must contain")
    own.add_argument("guest_args", nargs="*", metavar="ARGS", help="after --: the program's arguments")
    return p


def own_workload(ns: argparse.Namespace, profile):
    """The profile measuring the program given with --module/--native/--image, or as it is."""
    import shlex
    from pathlib import Path

    from wasmscope.profiles.workloads import command_line_workload, with_workload
    from wasmscope.workloads.bench import UsageError

    if not (ns.module or ns.native or ns.image):
        if ns.guest_args:
            raise UsageError(f"arguments after -- ({' '.join(ns.guest_args)}) need --module, --native or --image")
        return profile
    entry: dict = {"args": list(ns.guest_args), "dirs": list(ns.dir)}
    entry.update({k: v for k, v in (("module", ns.module), ("image", ns.image)) if v})
    if ns.native:
        entry["native"] = shlex.split(ns.native)
    if ns.env:
        entry["env"] = dict(e.split("=", 1) if "=" in e else (e, "") for e in ns.env)
    if ns.stdin:
        entry["stdin"] = {"file": ns.stdin}
    if ns.expect_file or ns.expect_stdout:
        entry["expect"] = {"files": list(ns.expect_file), **({"stdout": ns.expect_stdout} if ns.expect_stdout else {})}
    name = ns.name or Path(ns.module or ns.image or entry["native"][0]).stem.split(":")[0]
    return with_workload(profile, command_line_workload(entry, name, Path.cwd()))


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles import load_profile, resolve_profile_path, save_results
    from wasmscope.workloads.bench import make_plan, override_io, run_benchmark

    path = resolve_profile_path(ns.profile)
    profile = override_io(own_workload(ns, load_profile(path)), connections=ns.connections, rates=ns.rate,
                          duration_s=ns.duration)
    plan = make_plan(profile, runtimes=ns.runtimes, workloads=ns.workloads, runs=ns.runs)
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

    out = stdout_console()
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
