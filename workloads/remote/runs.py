"""A benchmark on a remote host, and the whole measurement over several hosts.

The profile travels as plain data (`Profile.to_data()`), the plan as it was narrowed here, and
the modules of the user's own workloads as bytes (they are files on this machine; the agent
writes them into a directory of its own, removed when it ends). A user's container image is a
name the remote host's own engine resolves: it is not sent.

Hosts are measured one after another, never side by side: a host's run would otherwise disturb
another's when they share hardware, and this machine, which drives the SSH sessions, is idle
while a remote host measures.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..bench import UsageError, run_benchmark
from ..errors import Cancelled, WasmscopeError
from ..measurements.base import Plan
from ..measurements.control import RunControl
from ..model.results import Results
from ..model.samples import sample_from_dict
from . import protocol
from .address import LOCAL, HostAddress
from .link import AgentLink, results_from

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

MAX_MODULE_BYTES = 64 * 2**20


def profile_request(profile: "Profile") -> dict[str, Any]:
    """The profile as the agent reads it, with the user's modules attached."""
    from ..bench import fetch_modules

    fetch_modules(profile)  # a module named by its npm package travels as the file fetched here
    data = profile.to_data()
    modules: dict[str, dict[str, str]] = {}
    for name, entry in data.get("workloads", {}).items():
        if "module" not in entry:
            continue
        path = profile.workload(name).module
        assert path is not None
        size = path.stat().st_size
        if size > MAX_MODULE_BYTES:
            raise UsageError(f"workloads.{name}.module: {path} is {size / 2**20:.0f} MiB; a remote host gets "
                             f"modules of up to {MAX_MODULE_BYTES // 2**20} MiB: copy it there and use a profile on that host")
        blob = path.read_bytes()
        modules[name] = {"file": path.name, "sha256": hashlib.sha256(blob).hexdigest(),
                         "data": base64.b64encode(blob).decode("ascii")}
    return {"profile": data, "modules": modules}


def follow(control: RunControl) -> Callable[[dict[str, Any]], None]:
    """A remote run's progress, log lines and samples, handed to the local RunControl."""

    def on_message(message: dict[str, Any]) -> None:
        kind = message.get("t")
        if kind == "progress":
            control.done, control.total = int(message.get("done", 0)), int(message.get("total", 0))
            if control.progress:
                control.progress(str(message.get("message", "")), control.done, control.total)
        elif kind == "log":
            control.note(str(message.get("line", "")))
        elif kind == "sample":
            try:
                control.sample(sample_from_dict(message["sample"]))
            except (KeyError, ValueError) as err:
                control.note(f"ignored a sample the agent sent: {err}")

    return on_message


def remote_benchmark(link: AgentLink, profile: "Profile", plan: Plan, control: RunControl | None = None) -> Results:
    """The benchmark run by the host's agent; its Results carry the host and its machine."""
    control = control or RunControl()
    call = link.request("bench", plan=protocol.plan_to_dict(plan), **profile_request(profile))
    reply = call.wait(on_message=follow(control), cancel=control.cancel)
    return results_from(reply, link.label)


@dataclass
class HostRun:
    """One host's part of a measurement over several hosts."""

    host: str  # LOCAL or `user@host:port`
    results: Results | None = None
    error: str = ""  # why there are no results (the connection dropped, the agent failed)


def connect_all(addresses: Sequence[HostAddress], remote_command: str | None = None,
                on_log: Callable[[str], None] | None = None) -> list[AgentLink]:
    """A link to every host, opened before anything is measured: an unreachable or mismatched
    host is said at once (HostUnavailable), not after the local run."""
    links: list[AgentLink] = []
    try:
        for address in addresses:
            link = AgentLink(address, remote_command, on_log)
            link.open()
            links.append(link)
    except BaseException:
        for link in links:
            link.close()
        raise
    return links


def measure_hosts(profile: "Profile", plan: Plan, links: Sequence[AgentLink], *, local: bool,
                  control_for: Callable[[str], RunControl]) -> list[HostRun]:
    """This machine (when `local`), then each linked host, one after another. A host whose
    connection drops keeps its reason and the others go on; the links are closed at the end."""
    runs: list[HostRun] = []
    try:
        if local:
            results = run_benchmark(profile, plan, control_for(LOCAL))
            results.host = LOCAL
            runs.append(HostRun(LOCAL, results))
        for link in links:
            control = control_for(link.label)
            control.check()
            try:
                runs.append(HostRun(link.label, remote_benchmark(link, profile, plan, control)))
            except Cancelled:
                raise
            except WasmscopeError as err:  # dropped, or refused there: its reason, and the next host
                runs.append(HostRun(link.label, error=str(err)))
    finally:
        for link in links:
            link.close()
    return runs
