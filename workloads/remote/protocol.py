"""The JSON-lines protocol between wasmscope and its agent on a remote host.

One JSON object per line, UTF-8, on the agent's stdin (requests) and stdout (replies). Each
side's first line is a hello naming the protocol number and the wasmscope version; they must
match exactly (a figure is only comparable when both sides measure the same way), else each
side says so in one line naming both versions and the connection ends.

Requests carry an `id`; everything the agent sends about a request carries it back:
`progress`, `log`, `sample` and `tick` while it runs, then one final `result` or `error`.
`cancel` (with the request's id) cancels it; `ping` keeps the line alive (the agent gives up
after WATCHDOG_S of silence); `bye` ends the session. A closed stdin ends it too: the agent
then cancels everything and removes every container and process it started.
"""

from __future__ import annotations

import json
import os
import platform
import socket
from dataclasses import asdict
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from ..bench import UsageError
from ..errors import (BuildError, Cancelled, HostUnavailable, RuntimeUnavailable, SetupError, WasmscopeError,
                      WorkloadError)
from ..measurements.base import Plan

PROTOCOL = 1
PING_S = 5.0  # the local side's heartbeat
WATCHDOG_S = 30.0  # the agent's limit of silence before it treats the link as dropped
FINAL = ("result", "error")


def wasmscope_version() -> str:
    try:
        return version("wasmscope")
    except PackageNotFoundError:
        return "unknown"


WASMSCOPE_VERSION = wasmscope_version()


def hello(role: str) -> dict[str, Any]:
    """This side's first line: protocol, version, and (agent) what a user needs to find it."""
    return {"t": "hello", "role": role, "protocol": PROTOCOL, "wasmscope": WASMSCOPE_VERSION,
            "python": platform.python_version(), "host": socket.gethostname(), "pid": os.getpid()}


def mismatch(theirs: dict[str, Any], where: str) -> str | None:
    """One line naming both versions when the peer's hello differs from ours, else None."""
    p, v = theirs.get("protocol"), theirs.get("wasmscope")
    if p == PROTOCOL and v == WASMSCOPE_VERSION:
        return None
    return (f"{where} runs wasmscope {v} (protocol {p}); this is wasmscope {WASMSCOPE_VERSION} "
            f"(protocol {PROTOCOL}): install wasmscope {WASMSCOPE_VERSION} there")


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")


def decode(line: bytes) -> dict[str, Any]:
    """One line → message; ValueError when it is not a JSON object with a type."""
    message = json.loads(line.decode("utf-8"))
    if not isinstance(message, dict) or not isinstance(message.get("t"), str):
        raise ValueError("not a protocol message")
    return message


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return asdict(plan)


def plan_from_dict(data: dict[str, Any]) -> Plan:
    return Plan(runtimes=list(data["runtimes"]), measurements=list(data["measurements"]), runs=data.get("runs"),
                selections={k: list(v) for k, v in (data.get("selections") or {}).items()}, repeat=data.get("repeat"))


# -- errors across the line ----------------------------------------------------------------------

# Errors that keep their type across the line (a cancel stays a cancel, a bad plan a usage error);
# any other error arrives as a WasmscopeError with the host's message.
_KEPT: dict[str, type[WasmscopeError]] = {c.__name__: c for c in (
    Cancelled, UsageError, RuntimeUnavailable, WorkloadError, BuildError, SetupError, HostUnavailable)}


def error_message(request_id: int | None, err: BaseException) -> dict[str, Any]:
    """An error reply: the nearest kind that keeps its type here (a LoadCancelled is a Cancelled)."""
    kind = next((c.__name__ for c in type(err).__mro__ if c.__name__ in _KEPT), "WasmscopeError")
    lines = str(err).strip().splitlines()
    return {"t": "error", "id": request_id, "kind": kind, "message": lines[0] if lines else kind}


def error_from(message: dict[str, Any], where: str) -> WasmscopeError:
    """The typed error an `error` reply stands for, its message naming the host."""
    cls = _KEPT.get(str(message.get("kind")), WasmscopeError)
    text = str(message.get("message") or "failed")
    return cls(text if cls is Cancelled else f"{where}: {text}")
