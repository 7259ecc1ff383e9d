"""`RemoteSession`: what the app drives on a remote host, with LiveSession's interface.

The calls block as LiveSession's do (a container start takes a while; here a round trip
more): a front end calls them from worker threads. `connect()` first. When the link drops,
`on_end` is called once with the reason (the agent there has cancelled and removed what it
ran), `connected` turns False, and every call raises HostDisconnected naming the host.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..guests.catalogue import Workload
from ..live import LiveState
from ..load import LoadSummary, Tick
from ..measurements.base import Plan
from ..measurements.control import RunControl
from ..model.results import Results, RuntimeInfo
from ..model.samples import ColdStart, GuestTime, sample_from_dict
from . import live_wire
from .address import HostAddress
from .link import AgentLink
from .runs import profile_request, remote_benchmark

if TYPE_CHECKING:
    from wasmscope.profiles import Profile


class RemoteSession:
    def __init__(self, profile: "Profile", address: HostAddress, runtimes: Sequence[str] | None = None, *,
                 remote_command: str | None = None, on_log: Callable[[str], None] | None = None,
                 on_end: Callable[[str], None] | None = None) -> None:
        self._profile = profile
        self.address = address
        self.host = address.label  # how panels and tables name it
        self.runtimes = list(runtimes) if runtimes else None
        self.link = AgentLink(address, remote_command, on_log, on_end)
        self._commands: dict[str, dict[str, str]] = {}

    # -- the link --------------------------------------------------------------------------------
    def connect(self) -> dict[str, Any]:
        """SSH, the version check, and a live session on the agent; the agent's hello
        (its host name, Python, pid). HostUnavailable (one line) when the host cannot be used."""
        peer = self.link.open()
        self.link.request("live", runtimes=self.runtimes, **profile_request(self._profile)).wait()
        return peer

    @property
    def connected(self) -> bool:
        return self.link.connected

    @property
    def reason(self) -> str:
        """Why the link ended ('' while it is up)."""
        return "" if self.link.connected else self.link.reason

    @property
    def profile(self) -> "Profile":
        return self._profile

    @profile.setter
    def profile(self, profile: "Profile") -> None:
        """A new profile (the app opened one): the agent's session uses it from its next call."""
        self._profile = profile
        if self.link.connected:
            self.link.tell("call", method="profile", **profile_request(profile))

    def use_profile(self, profile: "Profile") -> None:
        """The setter's work, waiting until the agent's session uses it (the next call runs
        with it; what the agent says of it is raised). Blocks while the user's modules travel."""
        self._profile = profile
        if self.link.connected:
            self.link.request("call", method="profile", **profile_request(profile)).wait()

    # -- LiveSession's calls -----------------------------------------------------------------------
    def describe(self) -> dict[str, RuntimeInfo]:
        value = self.link.call("describe")
        self._commands = value["commands"]
        return live_wire.runtimes_from_dict(value["runtimes"])

    def workload(self, name: str) -> Workload:
        return self._profile.workload(name)

    def command_line(self, runtime: str, workload_name: str) -> str:
        """The command as the host runs it (known from describe(): no round trip on the UI thread)."""
        line = self._commands.get(runtime, {}).get(workload_name)
        return f"{line}  (on {self.host})" if line else f"{workload_name} on {runtime} (on {self.host})"

    def run_sample(self, runtime: str, workload_name: str, cold: bool | None = None) -> ColdStart | GuestTime:
        return sample_from_dict(self.link.call("run_sample", runtime, workload_name, cold))  # type: ignore[return-value]

    def start(self, runtime: str, workload_name: str) -> live_wire.RemoteInstance:
        inst = live_wire.instance_from_dict(self.link.call("start", runtime, workload_name))
        assert inst is not None
        return inst

    def stop(self, runtime: str) -> bool:
        return bool(self.link.call("stop", runtime))

    def running(self) -> dict[str, str]:
        return dict(self.link.call("running"))

    def instance(self, runtime: str) -> live_wire.RemoteInstance | None:
        return live_wire.instance_from_dict(self.link.call("instance", runtime))

    def http_url(self, runtime: str) -> str | None:
        """None: a server on a remote host listens on that host's loopback; load() loads it from there."""
        return None

    def load(self, runtime: str, on_tick: Callable[[Tick], None] | None = None,
             cancel: threading.Event | None = None) -> LoadSummary:
        """HTTP load generated on the host itself, its ticks streamed here."""
        def on_message(message: dict[str, Any]) -> None:
            if message.get("t") == "tick" and on_tick is not None:
                on_tick(live_wire.tick_from_dict(message["tick"]))

        call = self.link.request("call", method="load", args=[runtime])
        return live_wire.summary_from_dict(call.wait(on_message=on_message, cancel=cancel)["value"])

    def snapshot(self, sample: bool = True) -> LiveState:
        """What runs on the host now, as LiveSession.snapshot() there says (exits reported
        once and released there; `version` is that session's)."""
        return live_wire.state_from_dict(self.link.call("snapshot", sample))

    def run_benchmark(self, plan: Plan, control: RunControl | None = None) -> Results:
        """The profile's benchmark on this host (the app's `r`); Results carry the host."""
        return remote_benchmark(self.link, self._profile, plan, control)

    def close(self) -> None:
        """Bye: the agent stops every workload and removes every container it started there."""
        self.link.close()
