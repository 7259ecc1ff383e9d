"""`wasmscope agent` (hidden): the remote end of `--host ssh://…`, started by SSH.

It speaks the JSON-lines protocol on stdin/stdout (workloads/remote/protocol.py) and nothing
else: not a command for people. When its stdin closes it cancels and removes everything it
started; a SIGHUP or SIGTERM does the same.
"""

from __future__ import annotations

import argparse
import signal

from .exit_codes import ExitCode

NAME = "agent"
SWEEPS_AT_START = True  # a dead run's leftovers on this host go before anything is measured


def add_parser(sub) -> argparse.ArgumentParser:
    # no help=: it stays out of `wasmscope --help`
    return sub.add_parser(NAME, description="the remote end of `wasmscope bench --host ssh://…` "
                                            "(speaks a JSON-lines protocol on stdin/stdout)")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles.schema import build_profile
    from wasmscope.workloads.remote.agent import Agent, stdio_channel

    signal.signal(signal.SIGHUP, _interrupt)  # a hung-up session cleans up as a closed stdin does
    inp, out = stdio_channel()
    agent = Agent(inp, out, lambda data: build_profile(data, None, "the profile sent to this host"))
    return ExitCode(agent.serve())
