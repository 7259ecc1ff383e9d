"""`wasmscope bench`: run a profile's measurements and print the comparison tables.

With `--host ssh://…` (or the profile's `bench.hosts`) the whole measurement runs on each of
those hosts too, over SSH, and this machine's (unless `--no-local`) beside them: one table per
measurement with a Host column; every ratio is taken within one host.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager

from .common import csv_list, exit_for_failures, print_json, print_results_json, stderr_console, stdout_console
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
    p.add_argument("--host", action="append", metavar="ssh://[USER@]HOST[:PORT]",
                   help="measure this remote host too, over SSH (repeatable; replaces the profile's "
                        "bench.hosts); this machine is measured as well unless --no-local")
    p.add_argument("--no-local", action="store_true", help="measure only the remote hosts, not this machine")
    p.add_argument("--remote-command", metavar="CMD",
                   help="what starts wasmscope's agent on the hosts (default: $WASMSCOPE_REMOTE_COMMAND, "
                        "else `wasmscope agent`)")
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
    from wasmscope.profiles import check_save_target, load_profile, resolve_profile_path
    from wasmscope.workloads.bench import UsageError, make_plan, override_io, run_benchmark
    from wasmscope.workloads.remote.address import parse_host

    if ns.save:
        check_save_target(ns.save)  # before measuring: results are never lost to a bad target
    path = resolve_profile_path(ns.profile)
    profile = override_io(own_workload(ns, load_profile(path)), connections=ns.connections, rates=ns.rate,
                          duration_s=ns.duration)
    plan = make_plan(profile, runtimes=ns.runtimes, workloads=ns.workloads, runs=ns.runs, repeat=ns.repeat,
                     check=ns.check)
    addresses = [parse_host(h) for h in (ns.host or profile.bench.hosts)]
    if len({a.label for a in addresses}) < len(addresses):
        raise UsageError(f"--host: a host is named twice: {', '.join(a.url for a in addresses)}")
    local = profile.bench.local and not ns.no_local
    if not addresses and not local:
        raise UsageError("--no-local (or bench.local = false) measures remote hosts only: name one with --host")
    err = stderr_console()
    where = ", ".join((["this machine"] if local else []) + [a.label for a in addresses])
    err.print(f"[bold]{PROG}[/] bench: profile {path} — runtimes {', '.join(plan.runtimes)}; "
              f"measurements {', '.join(plan.measurements)}" + (f"; hosts: {where}" if addresses else ""),
              soft_wrap=True)
    if addresses:
        return _run_hosts(ns, err, profile, plan, addresses, local, path)
    with progress_controls(err) as (control_for, _):
        results = run_benchmark(profile, plan, control_for(""))
    if ns.json:
        print_results_json(results)
    else:
        print_tables(results, plan.measurements, profile.reference)
    _save(ns, err, path, [results])
    return exit_for_failures(results)


def _run_hosts(ns, err, profile, plan, addresses, local, path) -> ExitCode:
    """Open every host first (an unreachable or mismatched one is said at once), then measure
    this machine and each host in turn."""
    from ..render.tables import hosts_json
    from wasmscope.workloads.remote.runs import connect_all, measure_hosts

    with progress_controls(err) as (control_for, log):
        links = connect_all(addresses, ns.remote_command, on_log=log)
        for link in links:
            log(f"{link.label}: agent pid {link.peer.get('pid')} on {link.peer.get('host')}, "
                f"Python {link.peer.get('python')}, wasmscope {link.peer.get('wasmscope')}")
        runs = measure_hosts(profile, plan, links, local=local, control_for=control_for)
    measured = [r.results for r in runs if r.results is not None]
    failed = {r.host: r.error for r in runs if r.results is None}
    if ns.json:
        print_json(hosts_json(measured, failed))
    elif measured:
        print_host_tables(measured, plan.measurements, profile.reference)
    for host, why in failed.items():
        print(f"{PROG}: {host}: no results: {why}", file=sys.stderr)
    _save(ns, err, path, measured)
    codes = [exit_for_failures(r, r.host) for r in measured]
    if failed:
        return ExitCode.UNAVAILABLE
    return ExitCode.FAILURE if ExitCode.FAILURE in codes else ExitCode.OK


def _save(ns, err, path, runs) -> None:
    """[results] = this machine's run, [remote_results."host"] = each remote host's: one run, replaced whole."""
    if not ns.save:
        return
    from wasmscope.profiles.store import save_runs
    from wasmscope.workloads.remote.address import LOCAL

    here = next((r for r in runs if r.host in ("", LOCAL)), None)
    remote = {r.host: r.to_dict() for r in runs if r.host not in ("", LOCAL)}
    save_runs(ns.save, here.to_dict() if here else None, remote, template=path)
    err.print(f"{PROG}: results saved to {ns.save}")


@contextmanager
def progress_controls(err):
    """A RunControl per host (named in its progress line), with a progress bar per host on a
    terminal, or one line per table when stderr is piped; and a log function for both."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from wasmscope.workloads.measurements.control import RunControl

    if err.is_terminal:
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=err, transient=True)

        def log(line: str) -> None:
            progress.console.log(line)

        def control_for(host: str) -> RunControl:
            prefix = f"{host}: " if host else ""
            task = progress.add_task(f"{prefix}starting", total=None)

            def on_progress(message: str, done: int, total: int) -> None:
                progress.update(task, description=prefix + message, completed=done, total=total or None)

            return RunControl(progress=on_progress, log=lambda m: log(prefix + m))

        with progress:
            yield control_for, log
        return

    def plain_log(line: str) -> None:
        print(f"{PROG}: {line}", file=sys.stderr, flush=True)

    def plain_control(host: str) -> RunControl:
        last = {"table": ""}
        prefix = f"{host}: " if host else ""

        def on_plain(message: str, done: int, total: int) -> None:
            table = message.split(":", 1)[0]
            if table != last["table"]:
                last["table"] = table
                plain_log(f"{prefix}measuring {table} ({done}/{total})")

        return RunControl(progress=on_plain)

    yield plain_control, plain_log


def print_tables(results, names, reference) -> None:
    """One host's run: see print_host_tables."""
    print_host_tables([results], names, reference)


def print_host_tables(runs, names, reference) -> None:
    """What each host lacks and what ran elsewhere (once), the machines, the runtimes, then each
    measured table (with its derived tables and figures) on stdout; a Host column with several."""
    from rich.text import Text

    from wasmscope.workloads import measurements

    from ..render.plots import figure_text
    from ..render.tables import (elsewhere_line, host_name, hosts_measurement_tables, hosts_runtimes_table,
                                 hosts_table, machine_line, names_hosts, unavailable_line)

    out = stdout_console(160)  # ratios carry their intervals: wider than 132 columns
    several = names_hosts(runs)
    for results in runs:
        for line in (unavailable_line(results), elsewhere_line(results)):
            if line:
                out.print(f"{host_name(results)}: {line}" if several else line, style="bold yellow",
                          highlight=False, soft_wrap=True)
    out.print(hosts_table(runs) if several else machine_line(runs[0]))
    out.print(hosts_runtimes_table(runs, brief=True))
    for name in names:
        if not any(name in r.tables for r in runs):
            continue
        for table in hosts_measurement_tables(runs, name, reference):
            out.print(table)
        for results in runs:
            for fig in measurements.get(name).figures(results):
                if several:
                    out.print(f"{fig.title} — {host_name(results)}")
                out.print(Text.from_ansi(figure_text(fig, width=min(out.width, 110), height=22)))
