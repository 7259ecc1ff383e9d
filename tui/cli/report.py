"""`wasmscope report`: a profile's stored results and the article's claims, as Markdown or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .exit_codes import PROG, ExitCode

NAME = "report"
SWEEPS_AT_START = True  # the next run of any kind removes what dead runs left


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="a profile's stored results as four tables with the "
                                  "article's claims checked (Markdown for slides, or JSON)")
    p.add_argument("--profile", default="quick", help="profile file with [results], or a shipped name")
    p.add_argument("--format", choices=("md", "json"), default="md", help="output format (default md)")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    return p


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles import ProfileError, load_profile, resolve_profile_path
    from wasmscope.profiles.store import write_atomic

    from ..render.markdown import report_json, report_json_hosts, report_markdown

    path = resolve_profile_path(ns.profile)
    profile = load_profile(path)
    if not profile.results and not profile.remote_results:
        raise ProfileError(f"{path}: no [results] to report: run `wasmscope bench --profile "
                           f"{ns.profile} --save {path}` first")
    runs = ([profile.results] if profile.results else []) + list(profile.remote_results.values())
    for host, r in profile.remote_results.items():
        r.host = r.host or host
    if profile.results and profile.density:  # a `wasmscope density --save` run: its table joins the report
        results = profile.results
        results.tables.update(profile.density.tables)
        results.runtimes = {**profile.density.runtimes, **results.runtimes}
    if len(runs) > 1 and not runs[0].host:
        runs[0].host = "local"
    if ns.format == "json":
        data = (report_json(runs[0], profile.reference) if not profile.remote_results
                else report_json_hosts(runs, profile.reference))
        text = json.dumps(data, indent=2) + "\n"
    else:
        text = report_markdown(runs, profile.reference, path.name)
    if ns.output:
        write_atomic(Path(ns.output), text)
        print(f"{PROG}: report written to {ns.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return ExitCode.OK
