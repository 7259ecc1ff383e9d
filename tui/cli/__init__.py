"""The `wasmscope` command: the Textual app by default, headless subcommands beside it.

One module per subcommand (its parser and its `run`); exit codes in `exit_codes.py`. Data goes
to stdout, progress and errors to stderr; an error is one line prefixed with the program name.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Sequence

from . import advise, agent, bench, build_workloads, clean, compare, density, doctor, report, runtimes, sandbox, serve
from .exit_codes import PROG, ExitCode, exit_code_for, is_reported_error

__all__ = ["ExitCode", "PROG", "build_parser", "exit_code_for", "main"]

# Order = the order of `wasmscope --help`.
SUBCOMMANDS = (doctor, bench, compare, clean, build_workloads, runtimes, density, sandbox, report, advise, serve, agent)
BY_NAME = {m.NAME: m for m in SUBCOMMANDS}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=(
        "Measure, on this machine, how WebAssembly runtimes compare with containers and native code."))
    parser.add_argument("--profile", default="quick",
                        help="profile the app opens: a file, or a shipped name (quick, article)")
    parser.add_argument("--demo", nargs="?", const="", metavar="PROFILE",
                        help="meetup mode: loop through the profile's benchmark on its own, in presentation mode")
    parser.add_argument("--replay", action="store_true",
                        help="show the profile's stored results without driving any runtime")
    parser.add_argument("--host", action="append", dest="app_hosts", metavar="ssh://[USER@]HOST[:PORT]",
                        help="a remote host whose runtimes the app shows beside this machine's, over SSH "
                             "(repeatable; replaces the profile's bench.hosts)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def open_app(ns: argparse.Namespace) -> ExitCode:
    """No subcommand: the Textual app on the profile (or the demo's profile)."""
    from wasmscope.profiles import load_profile, resolve_profile_path

    from ..app import WasmscopeApp

    name = ns.demo if ns.demo else ns.profile
    app = WasmscopeApp(load_profile(resolve_profile_path(name)), demo=ns.demo is not None, live=not ns.replay,
                       hosts=ns.app_hosts)
    try:
        app.run()
    finally:  # however it ends, every workload is stopped and every container removed (there too)
        if app.bench_control is not None:
            app.bench_control.cancel.set()
        app.hosts.close_all()
    return ExitCode(app.return_code or 0)


def _sigterm_to_interrupt(signum, frame) -> None:  # so `finally` blocks remove containers
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    ns = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
    from wasmscope.workloads.system.sessions import mark_environ

    mark_environ()  # whatever we start, even with the inherited environment, is traceable to us
    command = BY_NAME.get(ns.command) if ns.command else None
    try:
        if command is None or command.SWEEPS_AT_START:
            from .common import sweep_at_start

            sweep_at_start()
        return int(command.run(ns) if command else open_app(ns))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; containers it started were removed", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except Exception as err:  # every error the user can act on is one plain line
        if not is_reported_error(err):
            raise
        print(f"{PROG}: {err}", file=sys.stderr)
        return int(exit_code_for(err))
