"""View 1, live: a panel per runtime and the recent log.

The live actions (h, b, f, i, w, g, s) run here, each in a thread worker of this view, and their
messages come back to it. What runs where is the session's (`LiveSession.snapshot()`): the
sampler thread and every start/stop post a snapshot and the panels render it; nothing here keeps
a copy of its own.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Iterable

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.worker import get_current_worker

from wasmscope.workloads.errors import Cancelled, WasmscopeError
from wasmscope.workloads.live import LiveState
from wasmscope.workloads.model.results import Results, RuntimeInfo
from wasmscope.workloads.model.samples import ColdStart, GuestTime, LoadTick, Sample
from wasmscope.workloads.runtimes import adapter_class

from .. import keys
from ..messages import (EngineFailed, LoadFinished, RuntimesDescribed, SamplesReady, Streamed, WorkloadStarted,
                        WorkloadStopped)
from ..widgets.log_view import LogView
from ..widgets.runtime_panel import RuntimePanel

if TYPE_CHECKING:
    from ..app import WasmscopeApp

MIB = 1 << 20


def counts_word(runtime: str) -> str:
    """What a panel's RSS figure is the RSS of, in one word, from the adapter's own flags."""
    cls = adapter_class(runtime)
    if cls.kind == "container":
        return "container"
    return "instance" if cls.IN_PROCESS else "process"


class LiveView(Vertical):
    BINDINGS = keys.LIVE
    DEFAULT_CSS = """
    LiveView #live-scroll { height: 1fr; }
    LiveView #panels { layout: grid; grid-size: 3; grid-gutter: 0 1; height: auto; }
    LiveView #recent { height: 5; border-top: solid $panel-lighten-2; color: $text-muted; }
    """

    def __init__(self, runtimes: Iterable[str], window: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.panels: dict[str, RuntimePanel] = {
            rt: RuntimePanel(rt, adapter_class(rt).display_name, window) for rt in runtimes}
        self.selected = next(iter(self.panels), "")
        self.burst_cancel = threading.Event()
        self.load_cancel = threading.Event()
        self.state = LiveState(-1)

    @property
    def wapp(self) -> "WasmscopeApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="live-scroll"):
            with Vertical(id="panels"):
                yield from self.panels.values()
        yield LogView(id="recent", max_lines=200)

    # -- layout and selection ------------------------------------------------------------------
    def on_resize(self, event) -> None:
        self.fit(event.size.width)

    def fit(self, width: int) -> None:
        n = max(1, len(self.panels))
        columns = 1 if width < 72 else min(3, n)
        if n == 4:  # 2×2 rather than 3 + 1, four across where they fit
            columns = 1 if width < 72 else (4 if width >= 140 else 2)
        self.query_one("#panels").styles.grid_size_columns = columns

    def select(self, step: int) -> None:
        names = list(self.panels)
        self.selected = names[(names.index(self.selected) + step) % len(names)]
        self.panels[self.selected].focus()

    def focus_selected(self) -> None:
        if self.selected in self.panels:
            self.panels[self.selected].focus()

    def on_descendant_focus(self, event) -> None:
        """A click (or tab) on a panel selects it."""
        node = event.widget
        while node is not None and not isinstance(node, RuntimePanel):
            node = node.parent
        if isinstance(node, RuntimePanel):
            self.selected = node.runtime

    # -- what the app tells the panels -----------------------------------------------------------
    def describe(self, infos: dict[str, RuntimeInfo]) -> None:
        """The runtimes as probed: each panel, and a line each in the log."""
        for rt, info in infos.items():
            if rt in self.panels:
                self.panels[rt].set_info(info)
                state = f"{info.version}; {info.mode}" if info.available else f"unavailable: {info.reason} — {info.hint}"
                self.wapp.log_line(f"{rt}: {state}")

    def replay(self, results: Results | None) -> None:
        """No engine: each panel says what the stored run knew of it, and its cold start."""
        infos = results.runtimes if results else {}
        for rt, panel in self.panels.items():
            if rt in infos:
                panel.set_info(infos[rt])
            else:
                panel.query_one(".version").update("not part of the replayed run")
                panel.set_status("replay: no stored figures for this runtime")
        table = results.tables.get("startup") if results else None
        for row in table.rows if table else []:
            if row.runtime in self.panels and row.value is not None:
                self.panels[row.runtime].set_cold_start(row.value)

    def recent(self, stamp: str, text: str) -> None:
        self.query_one("#recent", LogView).add(stamp, text)

    def show_sample(self, sample: Sample) -> None:
        """A streamed sample in its runtime's panel (a benchmark's too)."""
        panel = self.panels.get(sample.runtime)
        if panel is not None:
            panel.show_sample(sample, counts_word(sample.runtime))

    # -- keys: on the selected runtime ----------------------------------------------------------
    def action_select(self, step: int) -> None:
        self.select(step)

    def action_run(self, workload: str) -> None:
        self.run_on(self.selected, workload, 1)

    def action_burst(self) -> None:
        self.run_on(self.selected, "hello", self.wapp.BURST)

    def action_start(self, workload: str) -> None:
        self.start_on(self.selected, workload)

    def action_stop(self) -> None:
        self.stop_on(self.selected)

    def action_load(self) -> None:
        self.load_on(self.selected)

    # -- actions on a runtime (keys and the command palette) ------------------------------------
    def usable(self, runtime: str) -> bool:
        if self.wapp.session is None:
            self.notify("replay mode: no runtimes are driven", severity="warning")
            return False
        if not self.panels[runtime].available:
            self.notify(f"{runtime} is unavailable here", severity="warning")
            return False
        return True

    def run_on(self, runtime: str, workload: str, n: int) -> None:
        if not self.usable(runtime):
            return
        self.burst_cancel.clear()
        line = self.wapp.session.command_line(runtime, workload)  # type: ignore[union-attr]
        self.wapp.log_line(f"{runtime}: {workload}: $ {line}" + (f"  × {n}" if n > 1 else ""))
        self.run_worker_thread(runtime, workload, n)

    def start_on(self, runtime: str, workload: str) -> None:
        if not self.usable(runtime):
            return
        self.panels[runtime].set_status(f"starting {workload}…")
        line = self.wapp.session.command_line(runtime, workload)  # type: ignore[union-attr]
        self.wapp.log_line(f"{runtime}: starting {workload}: $ {line}")
        self.start_worker(runtime, workload)

    def stop_on(self, runtime: str) -> None:
        running = self.state.workload(runtime)
        if self.wapp.session is None or not running:
            self.notify(f"nothing is running on {runtime}")
            return
        self.wapp.log_line(f"{runtime}: stopping {running}")
        self.stop_worker(runtime)

    def load_on(self, runtime: str) -> None:
        """An HTTP load against the runtime's server, started first if it is not running."""
        if not self.usable(runtime):
            return
        if self.load_running():
            self.notify("an HTTP load is already running (c cancels it)")
            return
        io = self.wapp.profile.io
        self.load_cancel.clear()
        self.panels[runtime].set_status("HTTP load…", "-running")
        self.wapp.log_line(f"{runtime}: HTTP load, {io.connections} connections for {io.duration_s:g} s "
                           f"(built-in generator; c cancels)")
        self.load_worker(runtime)

    def cancel(self) -> None:
        self.burst_cancel.set()
        self.load_cancel.set()

    def burst_running(self) -> bool:
        return any(w.group == "runs" and w.is_running for w in self.workers)

    def load_running(self) -> bool:
        return any(w.group == "load" and w.is_running for w in self.workers)

    def start_sampling(self) -> None:
        """One producer thread at the profile's rate (exclusive: a second call is a no-op)."""
        if self.wapp.session is not None and not any(
                w.group == "sampler" and w.is_running for w in self.workers):
            self.sampler_worker(1.0 / self.wapp.profile.bench.sample_hz)

    # -- workers (threads) -----------------------------------------------------------------------
    @work(thread=True, group="describe", exit_on_error=False)
    def describe_worker(self) -> None:
        """Availability, version and mode of every runtime (slow: the first Docker contact)."""
        assert self.wapp.session is not None
        self.post_message(RuntimesDescribed(self.wapp.session.describe()))

    @work(thread=True, group="runs", exit_on_error=False)
    def run_worker_thread(self, runtime: str, workload: str, n: int) -> None:
        session = self.wapp.session
        assert session is not None
        try:
            for _ in range(n):
                if self.burst_cancel.is_set() or self.wapp.closing:
                    break
                self.post_message(Streamed(session.run_sample(runtime, workload)))
        except WasmscopeError as err:
            self.post_message(EngineFailed(runtime, str(err)))

    @work(thread=True, group="control", exit_on_error=False)
    def start_worker(self, runtime: str, workload: str) -> None:
        session = self.wapp.session
        assert session is not None
        try:
            inst = session.start(runtime, workload)
        except WasmscopeError as err:
            self.post_message(EngineFailed(runtime, str(err)))
            return
        self.post_message(WorkloadStarted(runtime, workload, inst.started_ms, session.snapshot(sample=False)))

    @work(thread=True, group="control", exit_on_error=False)
    def stop_worker(self, runtime: str) -> None:
        session = self.wapp.session
        assert session is not None
        session.stop(runtime)
        self.post_message(WorkloadStopped(runtime, session.snapshot(sample=False)))

    @work(thread=True, group="load", exit_on_error=False)
    def load_worker(self, runtime: str) -> None:
        session, post = self.wapp.session, self.post_message
        assert session is not None
        server = self.wapp.profile.io.server_workload
        try:
            inst = session.instance(runtime)
            if inst is None or inst.workload != server:
                inst = session.start(runtime, server)
                post(WorkloadStarted(runtime, inst.workload, inst.started_ms, session.snapshot(sample=False)))
            summary = session.load(
                runtime, cancel=self.load_cancel,
                on_tick=lambda t: post(Streamed(LoadTick("", runtime, rps=t.rps, p99_ms=t.p99_ms))))
        except Cancelled:
            post(LoadFinished(runtime, error="cancelled"))
        except WasmscopeError as err:
            post(LoadFinished(runtime, error=str(err)))
        else:
            post(LoadFinished(runtime, summary))

    @work(thread=True, group="sampler", exit_on_error=False)
    def sampler_worker(self, interval_s: float) -> None:
        """One producer thread: sample at the profile's rate, post the session's snapshot."""
        session = self.wapp.session
        assert session is not None
        worker = get_current_worker()
        next_at = time.monotonic()
        while not self.wapp.closing and not worker.is_cancelled:
            next_at += interval_s
            if not self.wapp.paused:
                state = session.snapshot()
                if state.instances or state.exited:
                    self.post_message(SamplesReady(state))
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at, time.monotonic() - interval_s)  # never burst to catch up

    # -- messages from the workers ---------------------------------------------------------------
    def apply(self, state: LiveState) -> None:
        """Render a snapshot: exits are reported (once); an older snapshot than the one shown
        does not undo a start or stop already shown."""
        for gone in state.exited:
            panel = self.panels.get(gone.runtime)
            if panel is not None:
                panel.set_error(f"{gone.workload} exited")
            self.wapp.log_line(f"{gone.runtime}: {gone.workload} exited on its own")
            self.wapp.log_line(f"{gone.runtime}: stopped")
        if state.version < self.state.version:
            return
        self.state = state
        with self.app.batch_update():
            for rt, panel in self.panels.items():
                panel.show_running(state.workload(rt))
            for inst in state.instances:
                panel = self.panels.get(inst.runtime)
                if panel is not None and inst.reading is not None:
                    panel.push_rss(inst.reading.instance_rss / MIB, counts_word(inst.runtime))

    def on_runtimes_described(self, message: RuntimesDescribed) -> None:
        self.describe(message.infos)  # and on to the app (the results' baselines, the demo)

    def on_samples_ready(self, message: SamplesReady) -> None:
        message.stop()
        self.apply(message.state)

    def on_streamed(self, message: Streamed) -> None:
        """A live action's sample (h, b, f, g): the panel, and the log for runs."""
        message.stop()
        sample = message.sample
        self.show_sample(sample)
        if isinstance(sample, (ColdStart, GuestTime)):
            self.wapp.log_line(f"{sample.runtime}: {sample.workload} {sample.ms:.3f} ms  {sample.detail}")

    def on_workload_started(self, message: WorkloadStarted) -> None:
        message.stop()
        self.apply(message.state)
        self.wapp.log_line(f"{message.runtime}: {message.workload} ready after {message.ready_ms:.1f} ms")

    def on_workload_stopped(self, message: WorkloadStopped) -> None:
        message.stop()
        self.apply(message.state)
        self.wapp.log_line(f"{message.runtime}: stopped")

    def on_load_finished(self, message: LoadFinished) -> None:
        message.stop()
        panel, s = self.panels[message.runtime], message.summary
        if s is None:
            cancelled = message.error == "cancelled"
            self.wapp.log_line(f"{message.runtime}: HTTP load {'cancelled' if cancelled else 'failed: ' + message.error}")
            if not cancelled:
                panel.set_error(message.error)
        else:
            p99 = f"{s.p99_ms:.2f} ms" if s.p99_ms is not None else "—"
            bound = "; generator-bound" if s.generator_bound else ""
            self.wapp.log_line(f"{message.runtime}: HTTP {s.rps:,.0f} req/s, p99 {p99}, {s.errors} errors, "
                               f"{s.connections} connections × {s.duration_s:.1f} s ({s.generator}{bound})")
        if panel.running:
            panel.show_idle_status()
        self.app.refresh_bindings()

    def on_engine_failed(self, message: EngineFailed) -> None:
        message.stop()
        if message.runtime in self.panels:
            self.panels[message.runtime].set_error(message.text)
        self.wapp.log_line(f"error: {message.text}")
        self.notify(message.text, severity="error", timeout=6)
