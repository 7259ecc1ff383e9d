"""`wasmscope clean`: remove the containers, processes and build leftovers of dead runs."""

from __future__ import annotations

import argparse
import sys

from .exit_codes import PROG, ExitCode

NAME = "clean"
SWEEPS_AT_START = False


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="remove containers and images wasmscope left behind")
    p.add_argument("--all", action="store_true", help="also containers of running wasmscope sessions")
    p.add_argument("--images", action="store_true", help="also remove wasmscope's workload images")
    return p


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.workloads.cleanup import clean_engine
    from wasmscope.workloads.errors import RuntimeUnavailable
    from wasmscope.workloads.runtimes.podman import PodmanAdapter
    from wasmscope.workloads.system.sessions import CleanReport, sweep_local

    unavailable = None
    try:
        report = clean_engine("docker", include_live=ns.all, images=ns.images)
    except RuntimeUnavailable as err:  # processes and build leftovers are still ours to clean
        unavailable = err
        report = CleanReport()
    podman_lines: list[str] = []
    if PodmanAdapter().executable() is not None:  # its own store: containers Docker cannot see
        try:
            extra = clean_engine("podman", include_live=ns.all, images=ns.images)
            podman_lines = [f"podman: {line}" for line in extra.lines()]
        except RuntimeUnavailable as err:
            podman_lines = [f"podman: not cleaned: {err}"]
    # Processes last: a dead run's Podman service served the pass above, and a killed build's
    # files are free once its processes are gone.
    report.merge(sweep_local())
    for line in report.lines() + podman_lines:
        print(line)
    if unavailable is not None:
        print(f"{PROG}: containers not cleaned: {unavailable}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    return ExitCode.OK
