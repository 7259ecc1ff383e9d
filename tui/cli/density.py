"""`wasmscope density`: how many idle instances of each runtime fit in 1 GiB."""

from __future__ import annotations

import argparse
import sys

from .common import csv_list, exit_for_failures, print_results_json
from .exit_codes import PROG, ExitCode

NAME = "density"
SWEEPS_AT_START = True


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="how many instances fit in 1 GiB, per runtime and hosting model")
    p.add_argument("--profile", default="quick", help="profile file, or a shipped name (its runtimes)")
    p.add_argument("--runtimes", type=csv_list, help="comma-separated runtimes (default: the profile's)")
    p.add_argument("--max", type=int, default=1000, help="most instances per runtime (default 1000)")
    p.add_argument("--kib", type=int, default=64, help="KiB each instance touches (default 64)")
    p.add_argument("--floor-pct", type=float, default=25.0,
                   help="stop before available memory falls below this %% of RAM (default 25)")
    p.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    p.add_argument("--save", metavar="FILE", help="write the run into this profile's [density] table")
    return p


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles import check_save_target, load_profile, resolve_profile_path, save_table
    from wasmscope.workloads.bench import run_density
    from wasmscope.workloads.measurements.control import RunControl
    from wasmscope.workloads.measurements.density import DensitySpec

    from .bench import print_tables

    if ns.save:
        check_save_target(ns.save)  # before measuring: results are never lost to a bad target
    path = resolve_profile_path(ns.profile)
    profile = load_profile(path)
    spec = DensitySpec(max_instances=ns.max, kib=ns.kib, floor_pct=ns.floor_pct)
    last = {"name": ""}

    def on_progress(message: str, done: int, total: int) -> None:
        name = message.split()[1] if len(message.split()) > 1 else message
        if name != last["name"]:
            last["name"] = name
            print(f"{PROG}: density of {name}", file=sys.stderr, flush=True)

    results = run_density(profile, ns.runtimes, spec, RunControl(progress=on_progress))
    if ns.json:
        print_results_json(results)
    else:
        print_tables(results, ["density"], None)
    if ns.save:
        save_table(ns.save, "density", results.to_dict(), template=path)
        print(f"{PROG}: density saved to {ns.save} [density]", file=sys.stderr)
    return exit_for_failures(results)
