"""The wasmscope Textual app: keys, the views, and the routing between them.

The UI thread only renders: every engine call runs in a thread worker and comes back as a
message (tui/messages.py). Each view (tui/views/) owns its widgets, its workers and their
messages; the app keeps what is shared: the profile, the session (what runs), this session's
results, the log, and the one long engine run at a time (benchmark, density, sandbox).
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Callable, Sequence

from textual import on, work
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Header

from wasmscope.profiles import Profile, default_profile_path, load_profile, resolve_profile_path
from wasmscope.workloads.live import LiveSession
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.model.results import Results
from wasmscope.workloads.race import RaceState
from wasmscope.workloads.remote.address import LOCAL
from wasmscope.workloads.runtimes import known_runtimes

from . import keys, profile_files
from .commands import WasmscopeCommands
from .demo import DemoLoop
from .engine_runs import run_control
from .hosts import HostSessions
from .messages import BenchProgress, EngineRunFinished, LogLine, RuntimesDescribed
from .screens.help import HelpScreen
from .screens.setup import SetupScreen
from .screens.wizard import WizardScreen
from .views.charts import ChartsView
from .views.density import DensityView
from .views.live import LiveView
from .views.log import LogPage
from .views.results import ResultsView
from .views.race import RaceView
from .views.sandbox import SandboxView
from .widgets.bench_bar import BenchBar
from .widgets.key_footer import KeyFooter

WINDOW_S = 60.0  # rolling window of the sparklines


class WasmscopeApp(App):
    """`live=False` replays a profile's stored results with no engine at all (tests, talks)."""

    TITLE = "wasmscope"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {WasmscopeCommands}
    BURST = 20
    BINDINGS = keys.APP  # the live view has its own (keys.LIVE)

    def __init__(self, profile: Profile | None = None, *, profile_path: str | Path | None = None,
                 live: bool = True, demo: bool = False,
                 session_factory: Callable[[Profile], LiveSession] | None = None,
                 runtimes: tuple[str, ...] | None = None, autostart_sampling: bool = True,
                 hosts: Sequence[str] | None = None) -> None:
        """`profile` or `profile_path` (a file or shipped name; default: the default profile);
        `session_factory` builds the LiveSession (tests); `autostart_sampling=False`: no sampler;
        `hosts`: remote hosts' ssh:// URLs (default: the profile's bench.hosts; a replay shows
        the hosts of its stored run)."""
        super().__init__()
        if profile is None:
            path = resolve_profile_path(str(profile_path)) if profile_path else default_profile_path()
            profile = load_profile(path)
        self.profile = profile
        self.live = live
        self.demo = demo
        self.autostart_sampling = autostart_sampling
        self.runtimes = tuple(runtimes or known_runtimes())
        self.session: LiveSession | None = (  # this machine's
            (session_factory or (lambda p: LiveSession(p, self.runtimes)))(profile) if live else None)
        urls = (profile.bench.hosts if hosts is None else hosts) if live else ()
        self.hosts = HostSessions(self.session, urls, profile, self.runtimes, stored=list(profile.remote_results))
        self.results: Results | None = None  # this session's benchmark (measured or stored)
        self.remote_results: dict[str, Results] = {}  # each remote host's run of the same benchmark
        self.results_note = ""
        self.density: Results | None = None  # a density run (measured here or stored)
        self.sandbox_rows: list | None = None  # the last sandbox probe matrix (measured here)
        self.race: RaceState | None = None  # the last race (run here or stored)
        self.history: deque[str] = deque(maxlen=5000)  # every log line, for the log view and tests
        self.paused = False
        self.closing = False
        self.bench_control: RunControl | None = None  # the one long engine run at a time
        self.demo_loop = DemoLoop(self) if demo else None
        self.window = max(10, int(WINDOW_S * profile.bench.sample_hz))

    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial="live", id="views"):
            yield LiveView(self.runtimes, self.window, id="live", layout=self.profile.app.layout, live=self.live,
                           hide_unavailable=self.profile.app.hide_unavailable, hosts=self.hosts.labels)
            yield ResultsView(id="results")
            yield ChartsView(id="charts")
            yield LogPage(id="log")
            yield DensityView(id="density")
            yield SandboxView(id="sandbox")
            yield RaceView(id="race")
        yield BenchBar(id="bench-bar")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = self.profile_label()
        self.present(self.demo or self.profile.app.presentation)
        self.live_view.focus_selected()
        profile_files.show_stored(self, self.profile)
        if not self.live:
            self.live_view.replay({LOCAL: self.results, **self.remote_results})
            return
        self.log_line(f"profile {self.profile_label()}; probing runtimes"
                      + "".join(f"; connecting to {s.host}" for s in self.hosts.remote))
        self.live_view.describe_runtimes()
        self.live_view.start_sampling()

    # -- shared state --------------------------------------------------------------------------
    @property
    def live_view(self) -> LiveView:
        return self.query_one(LiveView)

    @property
    def results_view(self) -> ResultsView:
        return self.query_one(ResultsView)

    @property
    def panels(self) -> dict:
        """This machine's panels by runtime (benchmarks, density runs, probes and races run here)."""
        return {rt: p for (host, rt), p in self.live_view.panels.items() if host == LOCAL}

    @property
    def presenting(self) -> bool:
        return self.screen_stack[0].has_class("-presentation")

    @property
    def bench_running(self) -> bool:
        return self.bench_control is not None

    def profile_label(self) -> str:
        return f"{self.profile.name} ({self.profile.path.name})" if self.profile.path else self.profile.name

    def clock(self) -> str:
        """Time stamp of log lines (tests freeze it for snapshots)."""
        return time.strftime("%H:%M:%S")

    def log_line(self, text: str) -> None:
        stamp = self.clock()
        self.history.append(text)
        self.query_one(LogPage).add(stamp, text)
        self.live_view.recent(stamp, text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Cancel only shows when there is something to cancel; Bench dims while one runs."""
        if action == "cancel":
            return self.bench_running or self.live_view.burst_running() or self.live_view.load_running()
        if action == "bench" and self.bench_running:
            return None
        return True

    # -- actions: long engine runs ---------------------------------------------------------------
    def begin_engine_run(self, name: str, view: Widget) -> RunControl | None:
        """A long engine run by `view` (its samples and progress are posted to it), or None."""
        if not self.can_measure():
            return None
        if self.bench_running:
            self.notify("a benchmark is already running (c cancels it)")
            return None
        self.bench_control = run_control(view.post_message, samples=isinstance(view, ResultsView))
        self.query_one(BenchBar).begin(name)
        self.refresh_bindings()
        return self.bench_control

    def can_measure(self) -> bool:
        if self.session is None:
            self.notify("replay mode: open the app without --replay to measure", severity="warning")
        return self.session is not None

    def action_bench(self) -> None:
        self.results_view.run_benchmark()

    def action_density(self) -> None:
        self.query_one(DensityView).run_density()

    def action_sandbox(self) -> None:
        self.query_one(SandboxView).run_probe()

    def action_race(self) -> None:
        self.query_one(RaceView).run_race()

    def action_cancel(self) -> None:
        self.live_view.cancel()
        if self.bench_control is not None:
            self.bench_control.cancel.set()
            self.query_one(BenchBar).say(f"{self.query_one(BenchBar).run_name}: cancelling…")
            self.log_line("benchmark: cancel requested")

    # -- actions: views, screens, profile --------------------------------------------------------
    def action_view(self, view: str) -> None:
        """Show a view with the keys: the live view's selected panel; the others scroll by key."""
        self.query_one("#views", ContentSwitcher).current = view
        self.live_view.focus_selected() if view == "live" else self.query_one(f"#{view}").focus()

    def action_presentation(self) -> None:
        self.present(not self.presenting)

    def present(self, on: bool) -> None:
        """Presentation mode: larger figures and fewer words everywhere, and the header says so."""
        self.screen_stack[0].set_class(on, "-presentation")  # the main screen: its views restyle
        self.title = f"wasmscope ● {'DEMO' if self.demo else 'PRESENTATION'}" if on else "wasmscope"
        self.live_view.fit()
        self.query_one(RaceView).fit()

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.sub_title = self.profile_label() + (" — sampling paused" if self.paused else "")

    def action_advise(self) -> None:
        self.push_screen(WizardScreen((self.profile.advice or {}).get("answers")))

    def action_setup(self) -> None:
        self.push_screen(SetupScreen(self.profile))

    def action_help(self) -> None:
        self.push_screen(HelpScreen(keys.BINDINGS))

    def action_open_profile(self) -> None:
        profile_files.ask_to_open(self)

    def action_save_profile(self) -> None:
        profile_files.ask_to_save(self)

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
    @work(thread=True, group="shutdown", exit_on_error=False)
    def shutdown_worker(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(
                w.group in ("bench", "runs", "control", "load") and w.is_running for w in self.workers):
            time.sleep(0.05)
        self.hosts.close_all()  # this machine's, and each remote host's (bye: its agent cleans up)
        self.call_from_thread(self.exit)

    # -- routing: messages the app itself receives ------------------------------------------------
    def on_runtimes_described(self, message: RuntimesDescribed) -> None:
        if message.host != LOCAL:
            return
        self.results_view.runtimes = dict(message.infos)  # their baseline roles name the comparisons
        if self.demo_loop is not None:
            self.demo_loop.runtimes_known()

    def on_log_line(self, message: LogLine) -> None:
        self.log_line(message.text)

    def on_bench_progress(self, message: BenchProgress) -> None:
        self.query_one(BenchBar).progress(message.text, message.done, message.total)

    @on(EngineRunFinished)
    def engine_run_finished(self, message: EngineRunFinished) -> None:
        """Whatever the run was: the bar goes, c has nothing left to cancel, failures are said."""
        self.bench_control = None
        self.query_one(BenchBar).end()
        self.refresh_bindings()
        if message.cancelled:
            self.log_line(f"{message.run_name}: cancelled; its containers were removed")
            self.notify(f"{message.run_name} cancelled")
        elif message.error:
            self.log_line(f"{message.run_name} failed: {message.error}")
            self.notify(message.error, severity="error", timeout=8)
        if self.demo_loop is not None and message.run_name == "race":
            self.demo_loop.race_done()

    # -- stored results --------------------------------------------------------------------------
    def refresh_results(self) -> None:
        """This session's results everywhere they show (tables, charts, an open wizard)."""
        self.results_view.show(self.results, self.profile.reference, self.results_note, self.remote_results)
        if self.query_one("#views", ContentSwitcher).current == "charts":
            self.query_one(ChartsView).show(self.results)
        for screen in self.screen_stack:
            if isinstance(screen, WizardScreen):
                screen.results_changed()

