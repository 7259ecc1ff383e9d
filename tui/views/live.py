"""View 1, live: every runtime as a panel (grid) or a line (list), the selected runtime's detail
line, and the recent log.

The live actions (h, b, f, i, w, g, s) run here as thread workers (their bodies are in
live_runs.py) and their messages come back here. What runs where is the session's
(`LiveSession.snapshot()`): the sampler and every start/stop post a snapshot, and the panels
render it; each runtime's figures are kept once, in its `Track`, which both its panel and its
row render. The selection is a runtime name, kept across views, layouts and runs.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Iterable

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll

from wasmscope.workloads.live import LiveState
from wasmscope.workloads.model.results import Results, RuntimeInfo
from wasmscope.workloads.model.samples import ColdStart, GuestTime, MemorySample, Sample
from wasmscope.workloads.runtimes import adapter_class

from .. import keys
from ..messages import (EngineFailed, LoadFinished, RuntimesDescribed, SamplesReady, Streamed, WorkloadStarted,
                        WorkloadStopped)
from ..widgets.log_view import LogView
from ..widgets.readout import Readout
from ..widgets.runtime_panel import RuntimePanel
from ..widgets.runtime_row import RuntimeRow
from ..widgets.track import Track
from . import live_runs
from .live_layout import grid_shape

if TYPE_CHECKING:
    from ..app import WasmscopeApp

MIB = 1 << 20


def counts_word(runtime: str) -> str:
    """What a panel's RSS figure is the RSS of, in one word: the adapter says (INSTANCE_WORD)."""
    return adapter_class(runtime).INSTANCE_WORD


class LiveView(Vertical):
    BINDINGS = keys.LIVE
    DEFAULT_CSS = """
    LiveView #live-scroll { height: 1fr; scrollbar-size-vertical: 1; }
    LiveView #panels { layout: grid; grid-size: 3; grid-gutter: 0 1; grid-rows: 9; height: auto; }
    LiveView #rows { height: auto; display: none; }
    LiveView.-list #panels { display: none; }
    LiveView.-list #rows { display: block; }
    LiveView #detail { color: $text-muted; background: $boost; padding: 0 1; }
    LiveView #recent { height: 5; border-top: solid $panel-lighten-2; color: $text-muted; }
    """

    def __init__(self, runtimes: Iterable[str], window: int, *, layout: str = "grid",
                 hide_unavailable: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tracks = {rt: Track(rt, adapter_class(rt).display_name, counts_word(rt), window) for rt in runtimes}
        self.panels = {rt: RuntimePanel(t) for rt, t in self.tracks.items()}
        self.rows = {rt: RuntimeRow(t) for rt, t in self.tracks.items()}
        self.selected = next(iter(self.tracks), "")
        self.hide_unavailable = hide_unavailable
        self.set_class(layout == "list", "-list")
        self.burst_cancel = threading.Event()
        self.load_cancel = threading.Event()
        self.state = LiveState(-1)

    @property
    def wapp(self) -> "WasmscopeApp":
        return self.app  # type: ignore[return-value]

    @property
    def layout_name(self) -> str:
        return "list" if self.has_class("-list") else "grid"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="live-scroll"):
            with Vertical(id="panels"):
                yield from self.panels.values()
            with Vertical(id="rows"):
                yield RuntimeRow(None)
                yield from self.rows.values()
        yield Readout("", id="detail")
        yield LogView(id="recent", max_lines=200)

    # -- layout, selection, toggles ----------------------------------------------------------------
    def shown(self) -> list[str]:
        """The runtimes on screen (all, or the available ones when unavailable ones are hidden)."""
        return [rt for rt, t in self.tracks.items() if not (self.hide_unavailable and not t.available)] or \
            list(self.tracks)[:1]

    def on_resize(self, event) -> None:
        self.fit()

    def fit(self) -> None:
        """Columns and panel height for this size (whole rows; graphs take the spare height)."""
        shown = set(self.shown())
        for rt in self.tracks:
            self.panels[rt].display = self.rows[rt].display = rt in shown
        recent = 3 if self.app.size.height < 30 else 5
        self.query_one("#recent").styles.height = recent
        presentation = self.app.presenting  # type: ignore[attr-defined]
        extra = 0 if presentation else recent
        min_h = 12 if presentation else (11 if any(t.io for t in self.tracks.values()) else 9)
        shape = grid_shape(len(shown), self.size.width, self.size.height - 1 - extra, min_h, 38 if presentation else 26)
        grid = self.query_one("#panels")
        grid.styles.grid_size_columns = shape.columns
        grid.set_styles(f"grid-rows: {shape.panel_height};")
        if self.selected not in shown:
            self.selected = self.shown()[0]
        self.show_selection()

    def select(self, step: int) -> None:
        names = self.shown()
        at = names.index(self.selected) if self.selected in names else -1
        self.selected = names[(at + step) % len(names)]
        self.focus_selected()

    def focus_selected(self) -> None:
        widget = (self.rows if self.layout_name == "list" else self.panels).get(self.selected)
        if widget is not None:
            widget.focus()
            widget.scroll_visible(animate=False)
        self.show_selection()

    def show_selection(self) -> None:
        for rt in self.tracks:
            self.panels[rt].set_class(rt == self.selected, "-selected")
            self.rows[rt].set_class(rt == self.selected, "-selected")
        self.show_detail()

    def show_detail(self) -> None:
        track = self.tracks.get(self.selected)
        self.query_one("#detail", Readout).update(f"▸ {track.summary()}" if track else "")

    def on_descendant_focus(self, event) -> None:
        """A click (or tab) on a panel or a row selects it."""
        node = event.widget
        while node is not None and not isinstance(node, (RuntimePanel, RuntimeRow)):
            node = node.parent
        if node is not None and node.track is not None:
            self.selected = node.track.runtime
            self.show_selection()

    def action_layout(self) -> None:
        """`v`: the grid of panels, or one line per runtime."""
        self.set_class(self.layout_name == "grid", "-list")
        for rt in self.tracks:  # the other representation was not kept up to date
            self.render_track(rt)
        self.focus_selected()

    def action_hide_unavailable(self) -> None:
        """`u`: hide the runtimes this machine cannot run (or show them again)."""
        self.hide_unavailable = not self.hide_unavailable
        self.fit()
        self.focus_selected()

    # -- rendering the tracks ----------------------------------------------------------------------
    def render_track(self, runtime: str) -> None:
        """Repaint a runtime where it shows (its panel, or its row in the list), and the detail
        line when it is the selected one (4 times a second for each running runtime)."""
        (self.rows if self.layout_name == "list" else self.panels)[runtime].refresh_track()
        if runtime == self.selected:
            self.show_detail()

    def describe(self, infos: dict[str, RuntimeInfo]) -> None:
        """The runtimes as probed: each track, and a line each in the log."""
        for rt, info in infos.items():
            if rt in self.tracks:
                self.tracks[rt].info = info
                self.render_track(rt)
                state = f"{info.version}; {info.mode}" if info.available else f"unavailable: {info.reason} — {info.hint}"
                self.wapp.log_line(f"{rt}: {state}")
        self.fit()

    def replay(self, results: Results | None) -> None:
        """No engine: each runtime as the stored run knew it, with its stored cold start."""
        infos = results.runtimes if results else {}
        table = results.tables.get("startup") if results else None
        cold = {row.runtime: row.value for row in (table.rows if table else []) if row.value is not None}
        for rt, track in self.tracks.items():
            track.info = infos.get(rt)
            track.note = "" if rt in infos else "replay: not part of the stored run"
            track.cold_ms = cold.get(rt)
            self.render_track(rt)
        self.fit()

    def recent(self, stamp: str, text: str) -> None:
        self.query_one("#recent", LogView).add(stamp, text)

    def show_sample(self, sample: Sample) -> None:
        """A streamed sample in its runtime's track (a benchmark's too)."""
        if sample.runtime in self.tracks:
            track = self.tracks[sample.runtime]
            io_before = track.io
            track.add(sample)
            self.render_track(sample.runtime)
            if track.io != io_before:
                self.fit()  # req/s and p99 graphs need taller panels

    def apply(self, state: LiveState) -> None:
        """Render a snapshot: exits are reported (once); an older snapshot than the one shown
        does not undo a start or stop already shown."""
        for gone in state.exited:
            if gone.runtime in self.tracks:
                self.tracks[gone.runtime].error = f"{gone.workload} exited"
            self.wapp.log_line(f"{gone.runtime}: {gone.workload} exited on its own")
            self.wapp.log_line(f"{gone.runtime}: stopped")
        if state.version < self.state.version:
            return
        self.state = state
        with self.app.batch_update():
            for rt, track in self.tracks.items():
                changed = track.show_running(state.workload(rt))
                reading = state.reading(rt)
                if reading is not None and reading.reading is not None:
                    track.add(MemorySample("", rt, mib=reading.reading.instance_rss / MIB))
                if changed or reading is not None or rt in {g.runtime for g in state.exited}:
                    self.render_track(rt)

    # -- keys: on the selected runtime -------------------------------------------------------------
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
        if not self.tracks[runtime].available:
            self.notify(f"{runtime} is unavailable here", severity="warning")
            return False
        return True

    def _thread(self, body, *args, group: str) -> None:
        """Run a live_runs body in a thread worker; its messages come to this view."""
        self.run_worker(partial(body, self.wapp.session, self.post_message, *args), thread=True, group=group,
                        exit_on_error=False)

    def run_on(self, runtime: str, workload: str, n: int) -> None:
        if not self.usable(runtime):
            return
        self.burst_cancel.clear()
        line = self.wapp.session.command_line(runtime, workload)  # type: ignore[union-attr]
        self.wapp.log_line(f"{runtime}: {workload}: $ {line}" + (f"  × {n}" if n > 1 else ""))
        stop = lambda: self.burst_cancel.is_set() or self.wapp.closing  # noqa: E731
        self._thread(live_runs.runs, runtime, workload, n, stop, group="runs")

    def start_on(self, runtime: str, workload: str) -> None:
        if not self.usable(runtime):
            return
        self.tracks[runtime].activity = f"starting {workload}…"
        self.render_track(runtime)
        line = self.wapp.session.command_line(runtime, workload)  # type: ignore[union-attr]
        self.wapp.log_line(f"{runtime}: starting {workload}: $ {line}")
        self._thread(live_runs.start, runtime, workload, group="control")

    def stop_on(self, runtime: str) -> None:
        running = self.state.workload(runtime)
        if self.wapp.session is None or not running:
            self.notify(f"nothing is running on {runtime}")
            return
        self.wapp.log_line(f"{runtime}: stopping {running}")
        self._thread(live_runs.stop, runtime, group="control")

    def load_on(self, runtime: str) -> None:
        """An HTTP load against the runtime's server, started first if it is not running."""
        if not self.usable(runtime):
            return
        if self.load_running():
            self.notify("an HTTP load is already running (c cancels it)")
            return
        io = self.wapp.profile.io
        self.load_cancel.clear()
        self.tracks[runtime].activity = "HTTP load…"
        self.render_track(runtime)
        self.wapp.log_line(f"{runtime}: HTTP load, {io.connections} connections for {io.duration_s:g} s "
                           f"(built-in generator; c cancels)")
        self._thread(live_runs.load, runtime, io.server_workload, self.load_cancel, group="load")

    def cancel(self) -> None:
        self.burst_cancel.set()
        self.load_cancel.set()

    def burst_running(self) -> bool:
        return any(w.group == "runs" and w.is_running for w in self.workers)

    def load_running(self) -> bool:
        return any(w.group == "load" and w.is_running for w in self.workers)

    def describe_runtimes(self) -> None:
        """Availability, version and mode of every runtime (slow: the first Docker contact)."""
        session, post = self.wapp.session, self.post_message
        assert session is not None
        self.run_worker(lambda: post(RuntimesDescribed(session.describe())), thread=True, group="describe",
                        exit_on_error=False)

    def start_sampling(self) -> None:
        """One producer thread at the profile's rate (exclusive: a second call is a no-op)."""
        app = self.wapp
        if app.session is not None and not any(w.group == "sampler" and w.is_running for w in self.workers):
            self._thread(live_runs.sampler, 1.0 / app.profile.bench.sample_hz, lambda: app.paused,
                         lambda: app.closing, group="sampler")

    # -- messages from the workers -----------------------------------------------------------------
    def on_worker_state_changed(self, event) -> None:
        if event.worker.group in ("runs", "load"):
            self.app.refresh_bindings()  # Cancel shows only while there is something to cancel

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
        track, s = self.tracks[message.runtime], message.summary
        track.activity = ""
        if s is None:
            cancelled = message.error == "cancelled"
            self.wapp.log_line(f"{message.runtime}: HTTP load {'cancelled' if cancelled else 'failed: ' + message.error}")
            if not cancelled:
                track.error = message.error
        else:
            p99 = f"{s.p99_ms:.2f} ms" if s.p99_ms is not None else "—"
            bound = "; generator-bound" if s.generator_bound else ""
            self.wapp.log_line(f"{message.runtime}: HTTP {s.rps:,.0f} req/s, p99 {p99}, {s.errors} errors, "
                               f"{s.connections} connections × {s.duration_s:.1f} s ({s.generator}{bound})")
        self.render_track(message.runtime)
        self.app.refresh_bindings()

    def on_engine_failed(self, message: EngineFailed) -> None:
        message.stop()
        if message.runtime in self.tracks:
            track = self.tracks[message.runtime]
            track.error, track.activity = message.text, ""
            self.render_track(message.runtime)
        self.wapp.log_line(f"error: {message.text}")
        self.notify(message.text, severity="error", timeout=6)
