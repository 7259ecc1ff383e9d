"""`wasmscope sandbox`: what each runtime lets the probe guest reach, under two settings."""

from __future__ import annotations

import argparse
import sys

from .common import csv_list, print_json, stdout_console
from .exit_codes import PROG, ExitCode

NAME = "sandbox"
SWEEPS_AT_START = True  # the next run of any kind removes what dead runs left


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="what each runtime lets a guest reach: host files, env, "
                                  "network, processes (the probe workload, two settings)")
    p.add_argument("--runtimes", type=csv_list, help="comma-separated runtimes (default: every registered one)")
    p.add_argument("--settings", type=csv_list, default=["runtime-defaults", "wasmscope"],
                   help="runtime-defaults (as started from a shell), wasmscope (as benchmarks run), or both (default)")
    p.add_argument("--json", action="store_true", help="print the matrix as JSON on stdout")
    return p


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.workloads.bench import UsageError, check_runtime_names
    from wasmscope.workloads.measurements.control import RunControl
    from wasmscope.workloads.measurements.sandbox import CAPABILITIES, SETTINGS, run_sandbox
    from wasmscope.workloads.runtimes import known_runtimes

    from ..render.sandbox import sandbox_report

    runtimes = check_runtime_names(ns.runtimes or known_runtimes())
    for s in ns.settings:
        if s not in SETTINGS:
            raise UsageError(f"--settings: unknown setting {s!r} (expected {' or '.join(SETTINGS)})")
    rows = run_sandbox(runtimes, settings=ns.settings, control=RunControl(
        progress=lambda m, done, total: print(f"{PROG}: {m} ({done}/{total})", file=sys.stderr, flush=True)))
    if ns.json:
        print_json({"capabilities": dict(CAPABILITIES), "rows": [r.to_dict() for r in rows]})
    else:
        stdout_console(160).print(sandbox_report(rows))
    failed = [r for r in rows if r.error and not r.error.startswith("unavailable")]
    for r in failed:
        print(f"{PROG}: sandbox probe on {r.runtime} ({r.settings}) failed: {r.error}", file=sys.stderr)
    return ExitCode.FAILURE if failed else ExitCode.OK
