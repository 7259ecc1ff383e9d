"""The wasmscope Textual app: a live panel per runtime, results, charts and a log.

The UI thread only renders. Every engine call (describe, run, start/stop, sample, benchmark)
runs in a thread worker and comes back as a message (tui/messages.py).
"""

from __future__ import annotations

import threading
from collections import deque
import time
from pathlib import Path
from typing import Callable

from textual import work
from textual.worker import get_current_worker
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import ContentSwitcher, Footer, Header, Label, ProgressBar

from wasmscope.profiles import (Profile, ProfileError, default_profile_path, load_profile,
                                resolve_profile_path, save_results, save_table, write_atomic)
from wasmscope.workloads.bench import make_plan, run_benchmark
from wasmscope.workloads.errors import Cancelled, WasmscopeError
from wasmscope.workloads.live import LiveSession
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.model.results import Results
from wasmscope.workloads.model.samples import ColdStart, GuestTime, LoadTick
from wasmscope.workloads.runtimes import adapter_class, known_runtimes

from .commands import WasmscopeCommands
from .messages import (
    BenchFinished,
    BenchProgress,
    EngineFailed,
    LoadFinished,
    LogLine,
    RuntimesDescribed,
    SamplesReady,
    SandboxFinished,
    Streamed,
    WorkloadStarted,
    WorkloadStopped,
)
from .screens.help import HelpScreen
from .screens.path_dialog import PathDialog
from .screens.setup import SetupScreen
from .screens.wizard import WizardScreen
from .widgets.charts import ChartsView
from .widgets.density_view import DensityView
from .widgets.log_view import LogView
from .widgets.results_tables import ResultsTables
from .widgets.runtime_panel import RuntimePanel
from .widgets.sandbox_view import SandboxView

VIEWS = ("live", "results", "charts", "log")
WINDOW_S = 60.0  # rolling window of the sparklines
MIB = 1 << 20


class WasmscopeApp(App):
    """`live=False` replays a profile's stored results with no engine at all (tests, talks)."""

    TITLE = "wasmscope"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {WasmscopeCommands}
    BURST = 20
    VIEWS_GROUP = Binding.Group("Views", compact=True)
    # Footer order = importance: at 80 columns the first ones must fit (all are in ? and ctrl+p).
    BINDINGS = [
        Binding("left,shift+tab", "select(-1)", "Prev panel", show=False, id="panel.prev",
                tooltip="select the previous runtime panel"),
        Binding("right,tab", "select(1)", "Next panel", show=False, id="panel.next",
                tooltip="select the next runtime panel"),
        Binding("h", "run('hello')", "Hello", id="run.hello", tooltip="run hello once on the selected runtime (a cold start)"),
        Binding("b", "burst", "Burst", id="run.burst", tooltip="cold-start burst: 20 hello runs, each a latency point"),
        Binding("f", "run('fib')", "Fib", id="run.fib", tooltip="run fib on the selected runtime"),
        Binding("i", "start('idle')", "Idle", id="start.idle", tooltip="start the idle workload (memory sampled live)"),
        Binding("w", "start('http')", "HTTP", id="start.http", show=False,
                tooltip="start the http server workload (g also loads it)"),
        Binding("g", "load", "Load", id="http.load",
                tooltip="HTTP load on the selected runtime's server (starts http first): req/s and p99 stream"),
        Binding("s", "stop", "Stop", id="workload.stop", tooltip="stop the selected runtime's workload"),
        Binding("r", "bench", "Bench", id="bench.run", tooltip="run the profile's whole benchmark"),
        Binding("c,escape", "cancel", "Cancel", id="bench.cancel", tooltip="cancel the running benchmark (or burst)"),
        Binding("1", "view('live')", "Live", id="view.live", group=VIEWS_GROUP,
                tooltip="view: live panels"),
        Binding("2", "view('results')", "Results", id="view.results", group=VIEWS_GROUP,
                tooltip="view: results tables"),
        Binding("3", "view('charts')", "Charts", id="view.charts", group=VIEWS_GROUP,
                tooltip="view: charts"),
        Binding("4,l", "view('log')", "Log", id="view.log", group=VIEWS_GROUP,
                tooltip="view: log of commands and events"),
        Binding("5", "view('density')", "Density", id="view.density", group=VIEWS_GROUP,
                tooltip="view: density (instances per GiB)"),
        Binding("d", "density", "Density run", id="density.run", show=False,
                tooltip="measure density: how many idle instances of each runtime fit in 1 GiB"),
        Binding("6", "view('sandbox')", "Sandbox", id="view.sandbox", group=VIEWS_GROUP,
                tooltip="view: sandbox (what a guest can reach on each runtime)"),
        Binding("x", "sandbox", "Sandbox probe", id="sandbox.run", show=False,
                tooltip="run the probe guest on every runtime: host files, env, network, processes"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="this help"),
        Binding("q", "quit_app", "Quit", id="app.quit",
                tooltip="quit: stops every workload, removes every container"),
        Binding("ctrl+o", "open_profile", "Open", id="profile.open",
                tooltip="open a profile (stored results show without re-running)"),
        Binding("ctrl+s", "save_profile", "Save", id="profile.save",
                tooltip="save the profile with this session's results"),
        Binding("p", "pause", "Pause", id="sampling.pause", tooltip="pause/resume live sampling"),
        Binding("a", "advise", "Advise", id="app.advise",
                tooltip="decision wizard: Wasm, containers or both?"),
        Binding("D", "setup", "Set-up", id="app.setup", show=False,
                tooltip="set-up (doctor): what this machine lacks for the profile, and the fixes"),
        Binding("ctrl+c", "quit_app", "Quit", id="app.quit-now", priority=True, show=False,
                tooltip="quit now (cancels a running benchmark)"),
    ]

    def __init__(self, profile: Profile | None = None, *, profile_path: str | Path | None = None,
                 live: bool = True, demo: bool = False,
                 session_factory: Callable[[Profile], LiveSession] | None = None,
                 runtimes: tuple[str, ...] | None = None, autostart_sampling: bool = True) -> None:
        """`profile` or `profile_path` (a file or shipped name; default: the default profile).
        `session_factory` builds the LiveSession (tests); `autostart_sampling=False` starts no
        sampler thread (deterministic pictures); `live=False` drives no runtime at all."""
        super().__init__()
        if profile is None:
            path = resolve_profile_path(str(profile_path)) if profile_path else default_profile_path()
            profile = load_profile(path)
        self.profile = profile
        self.live = live
        self.demo = demo
        self.autostart_sampling = autostart_sampling
        self.runtimes = tuple(runtimes or known_runtimes())
        self.session: LiveSession | None = (
            (session_factory or (lambda p: LiveSession(p, self.runtimes)))(profile) if live else None)
        self.results: Results | None = None
        self.results_note = ""
        self.panels: dict[str, RuntimePanel] = {}
        self.selected = 0
        self.paused = False
        self.bench_control: RunControl | None = None
        self.burst_cancel = threading.Event()
        self.load_cancel = threading.Event()
        self.closing = False
        self.density: Results | None = None  # a density run (measured here or stored)
        self.sandbox_rows: list | None = None  # the last sandbox probe matrix (measured here)
        self.history: deque[str] = deque(maxlen=5000)  # every log line, for the log view and tests
        self._charts_due = False
        hz = profile.bench.sample_hz
        self.window = max(10, int(WINDOW_S * hz))

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial="live", id="views"):
            with Vertical(id="live"):
                with VerticalScroll(id="live-scroll"):
                    with Vertical(id="panels"):
                        for rt in self.runtimes:
                            panel = RuntimePanel(rt, adapter_class(rt).display_name, self.window)
                            self.panels[rt] = panel
                            yield panel
                yield LogView(id="recent", max_lines=200)
            yield ResultsTables(id="results")
            yield ChartsView(id="charts")
            yield LogView(id="log")
            yield DensityView(id="density")
            yield SandboxView(id="sandbox")
        with Horizontal(id="bench-bar"):
            yield Label("", id="bench-label")
            yield ProgressBar(id="bench-progress", show_eta=False)
        yield Footer(compact=True)

    def on_unmount(self) -> None:
        if self.live:
            from wasmscope.workloads.system import sessions

            sessions.set_reporter(None)

    def on_mount(self) -> None:
        self.sub_title = self.profile_label()
        self.query_one(ResultsTables).set_class(self.demo, "-headline")  # large figures for a room
        self._fit_panels(self.size.width)
        first = next(iter(self.panels.values()), None)
        if first is not None:
            first.focus()
        if self.profile.results:
            self._show_stored_results(self.profile)
        if self.live:
            from wasmscope.workloads.system import sessions

            # leftovers of a dead run removed on a first Docker contact are said in the log view
            post = self.post_message
            sessions.set_reporter(lambda line: post(LogLine(line)))
            self.log_line(f"profile {self.profile_label()}; probing runtimes")
            self.describe_worker()
            if self.autostart_sampling:
                self.start_sampling()
        else:
            infos = self.results.runtimes if self.results else {}
            for rt, panel in self.panels.items():
                if rt in infos:
                    panel.set_info(infos[rt])
                else:
                    panel.query_one(".version").update("not part of the replayed run")
                    panel.set_status("replay: no stored figures for this runtime")
            self._replay_cold_starts()

    def on_resize(self, event) -> None:
        self._fit_panels(event.size.width)

    def _fit_panels(self, width: int) -> None:
        panels = self.query_one("#panels")
        n = max(1, len(self.panels))
        columns = 1 if width < 72 else min(3, n)
        if n == 4:  # 2×2 rather than 3 + 1, four across where they fit
            columns = 1 if width < 72 else (4 if width >= 140 else 2)
        panels.styles.grid_size_columns = columns
        footer = self.query_one(Footer)
        if footer.show_command_palette != (width >= 100):  # at 80 columns the keys need the room
            footer.show_command_palette = width >= 100
            footer.refresh(recompose=True)

    def start_sampling(self) -> None:
        """One producer thread at the profile's rate (exclusive: a second call is a no-op)."""
        if self.session is not None and not any(
                w.group == "sampler" and w.is_running for w in self.workers):
            self.sampler_worker(1.0 / self.profile.bench.sample_hz)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Cancel only shows when there is something to cancel; Bench dims while one runs."""
        if action == "cancel":
            return self.bench_running or self._burst_running() or self._load_running()
        if action == "bench" and self.bench_running:
            return None
        return True

    def _burst_running(self) -> bool:
        return any(w.group == "runs" and w.is_running for w in self.workers)

    def _load_running(self) -> bool:
        return any(w.group == "load" and w.is_running for w in self.workers)

    def profile_label(self) -> str:
        return f"{self.profile.name} ({self.profile.path.name})" if self.profile.path else self.profile.name

    # -- helpers -------------------------------------------------------------------------------
    @property
    def bench_running(self) -> bool:
        return self.bench_control is not None

    def selected_runtime(self) -> str:
        return list(self.panels)[self.selected % len(self.panels)]

    def on_descendant_focus(self, event) -> None:
        """A click (or tab) on a panel selects it."""
        node = event.widget
        while node is not None and not isinstance(node, RuntimePanel):
            node = node.parent
        if isinstance(node, RuntimePanel):
            self.selected = list(self.panels).index(node.runtime)

    def clock(self) -> str:
        """Time stamp of log lines (tests freeze it for snapshots)."""
        return time.strftime("%H:%M:%S")

    def log_line(self, text: str) -> None:
        stamp = self.clock()
        self.history.append(text)
        for log_id in ("#log", "#recent"):
            self.query_one(log_id, LogView).add(stamp, text)

    def _usable(self, runtime: str) -> bool:
        if self.session is None:
            self.notify("replay mode: no runtimes are driven", severity="warning")
            return False
        if not self.panels[runtime].available:
            self.notify(f"{runtime} is unavailable here", severity="warning")
            return False
        return True

    # -- actions -------------------------------------------------------------------------------
    def action_select(self, step: int) -> None:
        names = list(self.panels)
        self.selected = (self.selected + step) % len(names)
        self.panels[names[self.selected]].focus()

    def action_run(self, workload: str) -> None:
        self.run_on(self.selected_runtime(), workload, 1)

    def action_burst(self) -> None:
        self.run_on(self.selected_runtime(), "hello", self.BURST)

    def action_start(self, workload: str) -> None:
        self.start_on(self.selected_runtime(), workload)

    def action_stop(self) -> None:
        self.stop_on(self.selected_runtime())

    def action_load(self) -> None:
        self.load_on(self.selected_runtime())

    def load_on(self, runtime: str) -> None:
        """An HTTP load against the runtime's server, started first if it is not running."""
        if not self._usable(runtime):
            return
        if self._load_running():
            self.notify("an HTTP load is already running (c cancels it)")
            return
        assert self.session is not None
        io = self.profile.io
        self.load_cancel.clear()
        self.panels[runtime].set_status("HTTP load…", "-running")
        self.log_line(f"{runtime}: HTTP load, {io.connections} connections for {io.duration_s:g} s "
                      f"(built-in generator; c cancels)")
        self.load_worker(runtime)

    def run_on(self, runtime: str, workload: str, n: int) -> None:
        if not self._usable(runtime):
            return
        assert self.session is not None
        self.burst_cancel.clear()
        self.log_line(f"{runtime}: {workload}: $ {self.session.command_line(runtime, workload)}"
                      + (f"  × {n}" if n > 1 else ""))
        self.run_worker_thread(runtime, workload, n)

    def start_on(self, runtime: str, workload: str) -> None:
        if not self._usable(runtime):
            return
        assert self.session is not None
        self.panels[runtime].set_status(f"starting {workload}…")
        self.log_line(f"{runtime}: starting {workload}: $ {self.session.command_line(runtime, workload)}")
        self.start_worker(runtime, workload)

    def stop_on(self, runtime: str) -> None:
        if self.session is None or not self.panels[runtime].running:
            self.notify(f"nothing is running on {runtime}")
            return
        self.log_line(f"{runtime}: stopping {self.panels[runtime].running}")
        self.stop_worker(runtime)

    def action_bench(self) -> None:
        if self.session is None:
            self.notify("replay mode: open the app without --replay to measure", severity="warning")
            return
        if self.bench_running:
            self.notify("a benchmark is already running (c cancels it)")
            return
        try:
            plan = make_plan(self.profile, runtimes=[r for r in self.profile.bench.runtimes if r in self.panels])
        except WasmscopeError as err:
            self.notify(str(err), severity="error", timeout=8)
            self.log_line(f"error: {err}")
            return
        post = self.post_message
        control = RunControl(
            progress=lambda m, d, t: post(BenchProgress(m, d, t)),
            on_sample=lambda sample: post(Streamed(sample)),
            log=lambda m: post(LogLine(m)),
        )
        self.bench_control = control
        self.query_one(ResultsTables).start_measuring()
        self.refresh_bindings()
        self.query_one("#bench-bar").add_class("-running")
        self.query_one("#bench-label", Label).update("benchmark: starting")
        self.log_line(f"benchmark: {', '.join(plan.measurements)} on {', '.join(plan.runtimes)}")
        self.bench_worker(plan, control)

    def _begin_engine_run(self, name: str) -> RunControl | None:
        """Set up a long engine run beside the benchmark (density, sandbox): its progress in the
        bench bar, c cancels; None (with a notice) when one cannot start now."""
        if self.session is None:
            self.notify("replay mode: open the app without --replay to measure", severity="warning")
            return None
        if self.bench_running:
            self.notify("a benchmark is already running (c cancels it)")
            return None
        post = self.post_message
        control = RunControl(progress=lambda m, d, t: post(BenchProgress(m, d, t)), log=lambda m: post(LogLine(m)))
        self.bench_control = control
        self.refresh_bindings()
        self.query_one("#bench-bar").add_class("-running")
        self.query_one("#bench-label", Label).update(f"{name}: starting")
        self.action_view(name)
        return control

    def action_density(self) -> None:
        """A density run of the profile's runtimes (defaults of `wasmscope density`, --max 200 so
        it fits a demo), in a worker."""
        if (control := self._begin_engine_run("density")) is not None:
            runtimes = [r for r in self.profile.bench.runtimes if r in self.panels]
            self.log_line(f"density: {', '.join(runtimes)} (up to 200 instances each; c cancels)")
            self.density_worker(runtimes, control)

    def action_sandbox(self) -> None:
        """The probe matrix of `wasmscope sandbox` on this profile's runtimes, in a worker
        (c cancels between probes)."""
        if (control := self._begin_engine_run("sandbox")) is not None:
            runtimes = list(self.panels)
            self.log_line(f"sandbox: probe guest on {', '.join(runtimes)}, runtime defaults and wasmscope settings")
            self.sandbox_worker(runtimes, control)

    def action_cancel(self) -> None:
        self.burst_cancel.set()
        self.load_cancel.set()
        if self.bench_control is not None:
            self.bench_control.cancel.set()
            self.query_one("#bench-label", Label).update("benchmark: cancelling…")
            self.log_line("benchmark: cancel requested")

    def action_view(self, view: str) -> None:
        self.query_one("#views", ContentSwitcher).current = view
        if view == "charts":
            provisional = self.query_one(ResultsTables).provisional() if self.bench_running else None
            self.query_one(ChartsView).show(provisional or self.results)

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.sub_title = self.profile_label() + (" — sampling paused" if self.paused else "")

    def action_advise(self) -> None:
        stored = (self.profile.advice or {}).get("answers") if self.profile.advice else None
        self.push_screen(WizardScreen(stored))

    def action_setup(self) -> None:
        self.push_screen(SetupScreen(self.profile))

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS))

    def action_open_profile(self) -> None:
        default = str(self.profile.path or "")
        self.push_screen(PathDialog("Open a profile (TOML)", default, must_exist=True), self._open_profile)

    def _open_profile(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            profile = load_profile(path)
        except ProfileError as err:
            self.notify(str(err), severity="error", timeout=8)
            self.log_line(f"error: {err}")
            return
        self.profile = profile
        if self.session is not None:
            self.session.profile = profile
        self.sub_title = self.profile_label()
        self.log_line(f"opened profile {path}")
        if profile.results:
            self._show_stored_results(profile)
            self.action_view("results")

    def action_save_profile(self) -> None:
        default = str(self.profile.path or "wasmscope-profile.toml")
        self.push_screen(PathDialog("Save the profile with this session's results", default), self._save_profile)

    def _save_profile(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            if self.results is not None or self.density is not None:
                if self.results is not None:
                    save_results(path, self.results.to_dict(), template=self.profile.path)
                if self.density is not None:
                    save_table(path, "density", self.density.to_dict(),
                               template=None if self.results is not None else self.profile.path)
            elif self.profile.path is not None and path.resolve() != self.profile.path:
                write_atomic(path, self.profile.path.read_text(encoding="utf-8"))
            else:
                self.notify("nothing measured yet: the profile is unchanged")
                return
        except (OSError, ValueError, WasmscopeError) as err:
            # a failed save names the file itself (ProfileSaveError); other errors get it here
            msg = str(err) if str(err).startswith(str(path)) else f"{path}: not saved: {err}"
            self.notify(msg, severity="error", timeout=8)
            self.log_line(f"error: {msg}")
            return
        self.notify(f"saved {path}")
        self.log_line(f"saved profile {path}" + (" with this session's results" if self.results else ""))

    def action_quit_app(self) -> None:
        if self.closing:
            return
        self.closing = True
        self.action_cancel()
        if self.session is None:
            self.exit()
            return
        self.notify("stopping workloads and removing containers…")
        self.shutdown_worker()

    # -- workers (threads) -----------------------------------------------------------------------
    @work(thread=True, group="describe", exit_on_error=False)
    def describe_worker(self) -> None:
        assert self.session is not None
        self.post_message(RuntimesDescribed(self.session.describe()))

    @work(thread=True, group="runs", exit_on_error=False)
    def run_worker_thread(self, runtime: str, workload: str, n: int) -> None:
        assert self.session is not None
        try:
            for _ in range(n):
                if self.burst_cancel.is_set() or self.closing:
                    break
                self.post_message(Streamed(self.session.run_sample(runtime, workload)))
        except WasmscopeError as err:
            self.post_message(EngineFailed(runtime, str(err)))

    @work(thread=True, group="control", exit_on_error=False)
    def start_worker(self, runtime: str, workload: str) -> None:
        assert self.session is not None
        try:
            inst = self.session.start(runtime, workload)
        except WasmscopeError as err:
            self.post_message(EngineFailed(runtime, str(err)))
            return
        self.post_message(WorkloadStarted(runtime, workload, inst.started_ms))

    @work(thread=True, group="load", exit_on_error=False)
    def load_worker(self, runtime: str) -> None:
        assert self.session is not None
        post = self.post_message
        try:
            inst = self.session.instance(runtime)
            if inst is None or inst.workload != self.profile.io.server_workload:
                inst = self.session.start(runtime, self.profile.io.server_workload)
                post(WorkloadStarted(runtime, inst.workload, inst.started_ms))
            summary = self.session.load(
                runtime, cancel=self.load_cancel,
                on_tick=lambda t: post(Streamed(LoadTick("", runtime, rps=t.rps, p99_ms=t.p99_ms))))
        except Cancelled:
            post(LoadFinished(runtime, error="cancelled"))
        except WasmscopeError as err:
            post(LoadFinished(runtime, error=str(err)))
        else:
            post(LoadFinished(runtime, summary))

    @work(thread=True, group="control", exit_on_error=False)
    def stop_worker(self, runtime: str) -> None:
        assert self.session is not None
        self.session.stop(runtime)
        self.post_message(WorkloadStopped(runtime))

    @work(thread=True, group="sampler", exit_on_error=False)
    def sampler_worker(self, interval_s: float) -> None:
        """One producer thread: sample at the profile's rate, post an immutable snapshot."""
        assert self.session is not None
        worker = get_current_worker()
        next_at = time.monotonic()
        while not self.closing and not worker.is_cancelled:
            next_at += interval_s
            if not self.paused and any(p.running for p in self.panels.values()):
                self.post_message(SamplesReady(tuple(self.session.sample())))
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at, time.monotonic() - interval_s)  # never burst to catch up

    def _finish_with(self, finished: type, run: Callable[[], object]) -> None:
        """Run one engine call in this worker thread and post its result, error or
        cancellation as a `finished` message (BenchFinished, SandboxFinished)."""
        try:
            result = run()
        except Cancelled:
            self.post_message(finished(None, cancelled=True))
        except WasmscopeError as err:
            self.post_message(finished(None, error=str(err)))
        else:
            self.post_message(finished(result))

    @work(thread=True, group="bench", exit_on_error=False)
    def bench_worker(self, plan, control: RunControl) -> None:
        self._finish_with(BenchFinished, lambda: run_benchmark(self.profile, plan, control))

    @work(thread=True, group="bench", exit_on_error=False)
    def density_worker(self, runtimes: list[str], control: RunControl) -> None:
        from wasmscope.workloads.bench import run_density
        from wasmscope.workloads.measurements.density import DensitySpec

        self._finish_with(BenchFinished, lambda: run_density(self.profile, runtimes, DensitySpec(max_instances=200), control))

    @work(thread=True, group="bench", exit_on_error=False)
    def sandbox_worker(self, runtimes: list[str], control: RunControl) -> None:
        from wasmscope.workloads.measurements.sandbox import run_sandbox

        self._finish_with(SandboxFinished, lambda: run_sandbox(runtimes, control=control))

    @work(thread=True, group="shutdown", exit_on_error=False)
    def shutdown_worker(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
                w.group in ("bench", "runs", "control", "load") and w.is_running for w in self.workers):
            time.sleep(0.05)
        if self.session is not None:
            self.session.close()
        self.call_from_thread(self.exit)

    # -- message handlers ----------------------------------------------------------------------
    def on_runtimes_described(self, message: RuntimesDescribed) -> None:
        self.query_one(ResultsTables).runtimes = dict(message.infos)
        for rt, info in message.infos.items():
            if rt in self.panels:
                self.panels[rt].set_info(info)
                state = (f"{info.version}; {info.mode}" if info.available
                         else f"unavailable: {info.reason} — {info.hint}")
                self.log_line(f"{rt}: {state}")
        if self.demo and not self.bench_running:
            self.action_bench()

    def on_samples_ready(self, message: SamplesReady) -> None:
        with self.batch_update():
            for sample in message.samples:
                panel = self.panels.get(sample.runtime)
                if panel is None:
                    continue
                if not sample.alive:
                    panel.set_error(f"{sample.workload} exited")
                    panel.running = None
                    self.log_line(f"{sample.runtime}: {sample.workload} exited on its own")
                    if self.session is not None:
                        self.stop_worker(sample.runtime)
                elif sample.reading is not None:
                    panel.push_rss(sample.reading.instance_rss / MIB, _short_counts(sample.runtime))

    def on_streamed(self, message: Streamed) -> None:
        """A benchmark's sample feeds its table (provisional medians) and the runtime's panel;
        a live action's (h, b, f, g) the panel and the log."""
        sample = message.sample
        if sample.measurement:
            self.query_one(ResultsTables).add_sample(sample)
            self._charts_soon()
        panel = self.panels.get(sample.runtime)
        if panel is not None:
            panel.show_sample(sample, _short_counts(sample.runtime))
        if not sample.measurement and isinstance(sample, (ColdStart, GuestTime)):
            self.log_line(f"{sample.runtime}: {sample.workload} {sample.ms:.3f} ms  {sample.detail}")

    def on_load_finished(self, message: LoadFinished) -> None:
        panel = self.panels[message.runtime]
        s = message.summary
        if s is None:
            self.log_line(f"{message.runtime}: HTTP load {'cancelled' if message.error == 'cancelled' else 'failed: ' + message.error}")
            if message.error != "cancelled":
                panel.set_error(message.error)
        else:
            p99 = f"{s.p99_ms:.2f} ms" if s.p99_ms is not None else "—"
            bound = "; generator-bound" if s.generator_bound else ""
            self.log_line(f"{message.runtime}: HTTP {s.rps:,.0f} req/s, p99 {p99}, {s.errors} errors, "
                          f"{s.connections} connections × {s.duration_s:.1f} s ({s.generator}{bound})")
        if panel.running:
            panel.set_running(panel.running)
        self.refresh_bindings()

    def on_workload_started(self, message: WorkloadStarted) -> None:
        self.panels[message.runtime].set_running(message.workload)
        self.log_line(f"{message.runtime}: {message.workload} ready after {message.ready_ms:.1f} ms")

    def on_workload_stopped(self, message: WorkloadStopped) -> None:
        panel = self.panels[message.runtime]
        if panel.running:
            panel.set_running(None)
        elif panel.available and not panel.last_error:  # an exit on its own stays on show
            panel.set_status("ready")
        self.log_line(f"{message.runtime}: stopped")

    def on_engine_failed(self, message: EngineFailed) -> None:
        if message.runtime in self.panels:
            self.panels[message.runtime].set_error(message.text)
        self.log_line(f"error: {message.text}")
        self.notify(message.text, severity="error", timeout=6)

    def on_log_line(self, message: LogLine) -> None:
        self.log_line(message.text)

    def on_bench_progress(self, message: BenchProgress) -> None:
        self.query_one("#bench-label", Label).update(f"benchmark: {message.text}")
        self.query_one("#bench-progress", ProgressBar).update(total=message.total or None, progress=message.done)

    def on_sandbox_finished(self, message: SandboxFinished) -> None:
        self.bench_control = None
        self.refresh_bindings()
        self.query_one("#bench-bar").remove_class("-running")
        if message.cancelled:
            self.log_line("sandbox: cancelled")
            return
        if message.error or message.rows is None:
            self.log_line(f"sandbox failed: {message.error}")
            self.notify(message.error, severity="error", timeout=8)
            return
        self.sandbox_rows = message.rows
        self.query_one(SandboxView).show(message.rows)
        for row in message.rows:
            self.log_line(f"sandbox: {row.command or row.runtime} ({row.settings})"
                          + (f": {row.error}" if row.error else ""))
        self.log_line("sandbox: done")

    def on_bench_finished(self, message: BenchFinished) -> None:
        self.bench_control = None
        self.refresh_bindings()
        self.query_one("#bench-bar").remove_class("-running")
        if message.cancelled or message.error:
            self._refresh_results()  # provisional figures go; what was shown before comes back
        if message.cancelled:
            self.log_line("benchmark: cancelled; its containers were removed")
            self.notify("benchmark cancelled")
            return
        if message.error:
            self.log_line(f"benchmark failed: {message.error}")
            self.notify(message.error, severity="error", timeout=8)
            return
        if message.results is not None and set(message.results.tables) == {"density"}:
            self.density = message.results
            self.query_one(DensityView).show(self.density, "measured in this session")
            self.log_line("density: done (ctrl+s saves it into the profile's [density])")
            return
        self.results = message.results
        self.results_note = "measured in this session"
        self._refresh_results()
        for screen in self.screen_stack:
            if isinstance(screen, WizardScreen):
                screen.results_changed()
        for table, runtime, reason in self.results.failures():
            self.log_line(f"benchmark: {table} on {runtime} failed: {reason}")
        self.log_line("benchmark: done (ctrl+s saves the results into the profile)")
        if self.demo and not self.closing:
            self.action_view("results")
            self.set_timer(10, lambda: self.action_view("charts"))
            self.set_timer(20, self._demo_next)
        else:
            self.notify("benchmark done: 2 shows the results")

    def _demo_next(self) -> None:
        if not self.closing:
            self.action_view("live")
            self.action_bench()

    # -- results -------------------------------------------------------------------------------
    def _show_stored_results(self, profile: Profile) -> None:
        if profile.density:
            self.density = profile.density
            self.query_one(DensityView).show(self.density, "stored, not re-run")
        if profile.results is None:
            return
        self.results = profile.results
        when = self.results.started_at or "unknown time"
        self.results_note = f"stored results from {profile.path.name if profile.path else profile.name} (measured {when}), not re-run"
        self.log_line(self.results_note)
        self._refresh_results()

    def _refresh_results(self) -> None:
        self.query_one(ResultsTables).show(self.results, self.profile.reference, self.results_note)
        if self.query_one("#views", ContentSwitcher).current == "charts":
            self.query_one(ChartsView).show(self.results)

    def _charts_soon(self) -> None:
        """Provisional charts while a benchmark streams: at most once a second (plotext redraws
        cost 7–9 ms), and only while the charts view is shown."""
        if self._charts_due or self.query_one("#views", ContentSwitcher).current != "charts":
            return
        self._charts_due = True

        def redraw() -> None:
            self._charts_due = False
            if self.bench_running:
                self.query_one(ChartsView).show(self.query_one(ResultsTables).provisional())

        self.set_timer(1.0, redraw)

    def on_worker_state_changed(self, event) -> None:
        if event.worker.group in ("runs", "bench"):
            self.refresh_bindings()  # Cancel shows only while there is something to cancel

    def _replay_cold_starts(self) -> None:
        table = self.results.tables.get("startup") if self.results else None
        for row in table.rows if table else []:
            if row.runtime in self.panels and row.value is not None:
                self.panels[row.runtime].set_cold_start(row.value)


def _short_counts(runtime: str) -> str:
    return adapter_class(runtime).INSTANCE_WORD


def run_app(profile: Profile, *, demo: bool = False, live: bool = True) -> int:
    """Run the app; however it ends, every workload is stopped and container removed."""
    app = WasmscopeApp(profile, demo=demo, live=live)
    try:
        app.run()
    finally:
        if app.bench_control is not None:
            app.bench_control.cancel.set()
        if app.session is not None:
            app.session.close()
    return app.return_code or 0

