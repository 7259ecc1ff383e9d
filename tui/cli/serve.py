"""`wasmscope serve`: the app in a browser (textual-serve), on loopback unless --public."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .exit_codes import PROG, ExitCode

NAME = "serve"
SWEEPS_AT_START = True  # the next run of any kind removes what dead runs left


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="serve the app to a browser (textual-serve)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--public", action="store_true",
                   help="allow a non-loopback --host (anyone who reaches it can start containers here)")
    return p


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(ns: argparse.Namespace) -> ExitCode:
    import shlex

    from textual_serve.server import Server

    from wasmscope.workloads.bench import UsageError

    loopback = _is_loopback(ns.host)
    if not loopback and not ns.public:
        raise UsageError(f"--host {ns.host}: not a loopback address; the served app can start containers on "
                         f"this machine, so serving it beyond it needs --public")
    if not loopback:
        print(f"{PROG}: WARNING: serving on {ns.host}: anyone who reaches it can run workloads and start "
              "containers on this machine", file=sys.stderr)
    app_cmd = [sys.executable, "-m", "wasmscope.tui.cli", "--profile", ns.profile]
    if ns.replay:
        app_cmd.append("--replay")
    if ns.demo is not None:
        app_cmd += ["--demo", ns.demo or ns.profile]
    print(f"{PROG}: serving the app on http://{ns.host}:{ns.port}", file=sys.stderr)
    # our own page: the font from textual-serve's static files (no web-font host), keys on load
    templates = Path(__file__).resolve().parent.parent / "templates"
    Server(shlex.join(app_cmd), host=ns.host, port=ns.port, title="wasmscope", templates_path=templates).serve()
    return ExitCode.OK
