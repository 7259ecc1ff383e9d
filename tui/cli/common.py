"""What several commands share: list arguments, the JSON and failure output, the start-of-run sweep."""

from __future__ import annotations

import argparse
import json
import sys

from .exit_codes import PROG, ExitCode


def csv_list(value: str) -> list[str]:
    """An argparse type: a comma-separated list with at least one item."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list, e.g. wasmtime,docker")
    return items


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def stdout_console(plain_width: int = 132):
    """Tables on stdout: the terminal's width, or (piped) a fixed width with no 80-column wrap."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else plain_width)


def print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")


def print_results_json(results) -> None:
    from ..render.tables import results_json

    print_json(results_json(results))


def exit_for_failures(results, host: str = "") -> ExitCode:
    """Each failed row as one line on stderr (naming the host, when given); exit 1 when a
    runtime failed a measurement."""
    failures = results.failures()
    where = f" at {host}" if host else ""
    for table, runtime, reason in failures:
        print(f"{PROG}: {table} on {runtime}{where} failed: {reason}", file=sys.stderr)
    return ExitCode.FAILURE if failures else ExitCode.OK


def sweep_at_start() -> None:
    """A run's start removes what dead runs left (containers on the engines they used,
    processes, build leftovers, temporary directories) and says so, one line each on stderr."""
    from wasmscope.workloads.cleanup import sweep_dead_runs
    from wasmscope.workloads.system import sessions

    sessions.set_reporter(lambda line: print(f"{PROG}: {line}", file=sys.stderr, flush=True))
    sweep_dead_runs()
