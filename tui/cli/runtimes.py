"""`wasmscope runtimes`: every registered runtime with its availability, version and mode."""

from __future__ import annotations

import argparse
import sys

from .exit_codes import PROG, ExitCode

NAME = "runtimes"
SWEEPS_AT_START = True  # the next run of any kind removes what dead runs left


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(NAME, help="list runtimes with availability, version and mode")


def run(ns: argparse.Namespace) -> ExitCode:
    from rich.console import Console

    from wasmscope.workloads.bench import describe_runtimes
    from wasmscope.workloads.model.results import Results
    from wasmscope.workloads.runtimes import create_adapter, known_runtimes

    from ..render.tables import runtimes_table

    adapters = {n: create_adapter(n) for n in known_runtimes()}
    try:
        res = Results(profile="", started_at="", runtimes=describe_runtimes(adapters))
    finally:
        for a in adapters.values():
            a.close()
    Console().print(runtimes_table(res))
    for info in res.runtimes.values():
        if not info.available:
            print(f"{PROG}: {info.name}: {info.reason} — {info.hint}", file=sys.stderr)
    return ExitCode.OK
