"""What comes back to the live view from its workers, each message naming its host: runtimes
described, snapshots, streamed samples, starts and stops, HTTP loads, failures, and a remote
host connected or down (unreachable at the start, or dropped: its panels say so with the reason,
the others go on). Mixed into `LiveView`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wasmscope.workloads.model.samples import ColdStart, GuestTime
from wasmscope.workloads.remote.address import LOCAL

from ..messages import (EngineFailed, HostConnected, HostDown, LoadFinished, RuntimesDescribed, SamplesReady,
                        Streamed, WorkloadStarted, WorkloadStopped)
from .live_hosts import HostState, peer_words

if TYPE_CHECKING:
    from .live import LiveView


class LiveEvents:
    def on_worker_state_changed(self: "LiveView", event) -> None:
        if event.worker.group in ("runs", "load"):
            self.app.refresh_bindings()  # Cancel shows only while there is something to cancel

    def on_runtimes_described(self: "LiveView", message: RuntimesDescribed) -> None:
        self.describe(message.infos, message.host)  # and on to the app

    def on_samples_ready(self: "LiveView", message: SamplesReady) -> None:
        message.stop()
        self.apply(message.state, message.host)

    def on_streamed(self: "LiveView", message: Streamed) -> None:
        """A live action's sample (h, b, f, g): the panel, and the log for runs."""
        message.stop()
        sample = message.sample
        self.show_sample(sample, message.host)
        if isinstance(sample, (ColdStart, GuestTime)):
            self._said((message.host, sample.runtime),
                       f"{sample.workload} {sample.ms:.3f} ms  {sample.detail}")

    def on_workload_started(self: "LiveView", message: WorkloadStarted) -> None:
        message.stop()
        self.apply(message.state, message.host)
        self._said((message.host, message.runtime),
                   f"{message.workload} ready after {message.ready_ms:.1f} ms")

    def on_workload_stopped(self: "LiveView", message: WorkloadStopped) -> None:
        message.stop()
        self.apply(message.state, message.host)
        self._said((message.host, message.runtime), "stopped")

    def on_load_finished(self: "LiveView", message: LoadFinished) -> None:
        message.stop()
        slot = (message.host, message.runtime)
        track, s = self.tracks[slot], message.summary
        track.activity = ""
        if s is None:
            cancelled = message.error == "cancelled"
            self._said(slot, f"HTTP load {'cancelled' if cancelled else 'failed: ' + message.error}")
            if not cancelled:
                track.error = message.error
        else:
            p99 = f"{s.p99_ms:.2f} ms" if s.p99_ms is not None else "—"
            bound = "; generator-bound" if s.generator_bound else ""
            self._said(slot, f"HTTP {s.rps:,.0f} req/s, p99 {p99}, {s.errors} errors, "
                             f"{s.connections} connections × {s.duration_s:.1f} s ({s.generator}{bound})")
        self.render_track(slot)
        self.app.refresh_bindings()

    def on_engine_failed(self: "LiveView", message: EngineFailed) -> None:
        message.stop()
        slot = (message.host, message.runtime)
        if slot in self.tracks:
            track = self.tracks[slot]
            track.error, track.activity = message.text, ""
            self.render_track(slot)
        where = "" if message.host == LOCAL or message.text.startswith(message.host) else f"{message.host}: "
        self.wapp.log_line(f"error: {where}{message.text}")
        self.notify(message.text, severity="error", timeout=6)

    # -- remote hosts ----------------------------------------------------------------------------
    def on_host_connected(self: "LiveView", message: HostConnected) -> None:
        message.stop()
        host, peer = message.host, message.peer
        self.host_states[host] = HostState(host, "connected", peer_words(peer), peer)
        for (h, _), track in self.tracks.items():
            if h == host:
                track.pending = "probing…"
        self.wapp.log_line(f"{host}: connected: {peer_words(peer)}, wasmscope {peer.get('wasmscope')}")
        self.show_host(host)
        self.start_sampling(host)

    def on_host_down(self: "LiveView", message: HostDown) -> None:
        """A host unreachable at the start, or dropped since: its panels say so with the reason
        (what ran there was stopped by its agent); the other hosts' panels go on."""
        message.stop()
        host = message.host
        word = "disconnected" if message.dropped else "unreachable"
        self.host_states[host] = HostState(host, word, message.reason)
        for (h, _), track in self.tracks.items():
            if h == host:
                track.down, track.activity = f"{word}: {message.reason}", ""
                track.show_running(None)
        self.wapp.log_line(f"{host}: {word}: {message.reason.rstrip('.')}"
                           + ("; its agent stopped what it ran there" if message.dropped else ""))
        self.notify(f"{host}: {word}: {message.reason}", severity="error", timeout=8)
        self.show_host(host)

    def show_host(self: "LiveView", host: str) -> None:
        for slot in self.tracks:
            if slot[0] == host:
                self.render_track(slot)
        self.show_hosts()
