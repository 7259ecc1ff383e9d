"""The live view's actions on one panel — a runtime on a host, `(host, runtime)` — and the
workers behind them: runs, bursts, starts, stops and HTTP loads, this machine's and each remote
host's (the same session calls, `live_runs.py`); connecting the remote hosts, describing the
runtimes and sampling, one producer thread per host. Mixed into `LiveView`."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from wasmscope.workloads.remote.address import LOCAL

from . import live_runs

if TYPE_CHECKING:
    from ..app import WasmscopeApp
    from ..hosts import Session
    from .live import LiveView

Slot = tuple[str, str]  # (host, runtime): one panel


class LiveActions:
    """The panel actions of `LiveView` (its tracks, render_track, state_of, workers)."""

    def session_of(self: "LiveView", host: str) -> "Session | None":
        return self.wapp.hosts.get(host)

    def usable(self: "LiveView", slot: Slot) -> bool:
        """Whether the panel can be driven now; if not, the user is told why in one line."""
        host, runtime = slot
        track, session = self.tracks[slot], self.session_of(host)
        why = ("replay mode: no runtimes are driven" if self.wapp.session is None else
               f"{host}: {track.down}" if track.down else
               f"{host} is not connected yet" if session is None or (host != LOCAL and not session.connected) else
               f"{runtime} is unavailable {'here' if host == LOCAL else 'on ' + host}" if not track.available else "")
        if why:
            self.notify(why, severity="warning")
        return not why

    def _thread(self: "LiveView", body, host: str, *args, group: str, name: str = "") -> None:
        """Run a live_runs body on `host`'s session in a thread worker; its messages come here."""
        self.run_worker(partial(body, self.session_of(host), self.post_message, *args),
                        thread=True, group=group, name=name or group, exit_on_error=False)

    def _said(self: "LiveView", slot: Slot, text: str) -> None:
        """A log line about a panel: its runtime, and its host when it is not this machine."""
        host, runtime = slot
        self.wapp.log_line(f"{runtime}: {text}" if host == LOCAL else f"{host}: {runtime}: {text}")

    def run_on(self: "LiveView", slot: Slot, workload: str, n: int, cold: bool | None = None) -> None:
        if not self.usable(slot):
            return
        self.burst_cancel.clear()
        line = self.session_of(slot[0]).command_line(slot[1], workload)
        self._said(slot, f"{workload}: $ {line}" + (f"  × {n}" if n > 1 else ""))
        stop = lambda: self.burst_cancel.is_set() or self.wapp.closing  # noqa: E731
        self._thread(live_runs.runs, slot[0], slot[1], workload, n, stop, cold, group="runs")

    def start_on(self: "LiveView", slot: Slot, workload: str) -> None:
        if not self.usable(slot):
            return
        self.tracks[slot].activity = f"starting {workload}…"
        self.render_track(slot)
        line = self.session_of(slot[0]).command_line(slot[1], workload)
        self._said(slot, f"starting {workload}: $ {line}")
        self._thread(live_runs.start, slot[0], slot[1], workload, group="control")

    def stop_on(self: "LiveView", slot: Slot) -> None:
        running = self.state_of(slot[0]).workload(slot[1])
        if self.wapp.session is None or not running or self.tracks[slot].down:
            self.notify(f"nothing is running on {slot[1]}" + ("" if slot[0] == LOCAL else f" on {slot[0]}"))
            return
        self._said(slot, f"stopping {running}")
        self._thread(live_runs.stop, slot[0], slot[1], group="control")

    def load_on(self: "LiveView", slot: Slot) -> None:
        """An HTTP load against the runtime's server, started first if it is not running."""
        if not self.usable(slot):
            return
        if self.load_running():
            self.notify("an HTTP load is already running (c cancels it)")
            return
        io = self.wapp.profile.io
        self.load_cancel.clear()
        self.tracks[slot].activity = "HTTP load…"
        self.render_track(slot)
        where = "built-in generator" if slot[0] == LOCAL else f"generated on {slot[0]}"
        self._said(slot, f"HTTP load, {io.connections} connections for {io.duration_s:g} s ({where}; c cancels)")
        self._thread(live_runs.load, slot[0], slot[1], io.server_workload, self.load_cancel, group="load")

    def cancel(self: "LiveView") -> None:
        self.burst_cancel.set()
        self.load_cancel.set()

    def burst_running(self: "LiveView") -> bool:
        return any(w.group == "runs" and w.is_running for w in self.workers)

    def load_running(self: "LiveView") -> bool:
        return any(w.group == "load" and w.is_running for w in self.workers)

    # -- hosts: describing, connecting, sampling -----------------------------------------------------
    def describe_runtimes(self: "LiveView") -> None:
        """Availability, version and mode of every runtime here (slow: the first Docker contact),
        and each remote host connected, then described there."""
        self._thread(live_runs.describe, LOCAL, group="describe")
        for session in self.wapp.hosts.remote:
            self._thread(live_runs.connect, session.host, group="connect", name=f"connect {session.host}")

    def start_sampling(self: "LiveView", host: str = LOCAL) -> None:
        """One producer thread per host at the profile's rate (a second call for a host: no-op)."""
        app, name = self.wapp, f"sampler {host}"
        if app.session is None or not app.autostart_sampling:
            return
        if not any(w.name == name and w.is_running for w in self.workers):
            self._thread(live_runs.sampler, host, 1.0 / app.profile.bench.sample_hz, lambda: app.paused,
                         lambda: app.closing, group="sampler", name=name)

    @property
    def wapp(self: "LiveView") -> "WasmscopeApp":
        return self.app  # type: ignore[return-value]
