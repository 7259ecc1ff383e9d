"""View 7, race: `R` starts the same `hello` on the selected runtime and the baselines at the
same instant, again and again for a few seconds; each runtime is a lane that fills as its runs
complete, with the live count ("Wasmtime 9,412 runs · Docker 21 runs") and the ratio.

The race itself is the engine's (`workloads/race.py`, lane threads) and runs in a thread worker;
this view renders its snapshots. Its figures are a race's — lanes share the machine's cores and
slow each other — and say so; the startup table (view 2) is where cold starts are measured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Digits, Static

from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.race import CANCELLED, DONE, RACING, WARMING, Lane, Race, RaceState, race_lanes

from ..engine_runs import finish_with
from ..messages import BenchProgress, RaceFinished, RaceProgress
from ..widgets.big_figure import BigFigure
from ..widgets.readout import Readout

if TYPE_CHECKING:
    from ..app import WasmscopeApp

EMPTY = ("No race yet. Press R to start hello on the selected runtime and the baselines at the same "
         "instant, run to exit again and again for a few seconds: each lane fills as its runs complete.")
PARTS = " ▏▎▍▌▋▊▉█"


def lane_bar(runs: int, lead: int, width: int) -> str:
    """Runs as a bar against the leader's: eighth-cell precision, and a sliver for any run."""
    if width <= 0 or lead <= 0 or runs <= 0:
        return ""
    eighths = max(1, round(runs / lead * width * 8))
    return "█" * (eighths // 8) + (PARTS[eighths % 8] if eighths % 8 else "")


class LaneBar(Widget):
    DEFAULT_CSS = """
    LaneBar { width: 1fr; height: 1fr; color: $accent; }
    """

    runs: reactive[int] = reactive(0, layout=False)
    lead: reactive[int] = reactive(0, layout=False)

    def render(self) -> Text:
        bar = lane_bar(self.runs, self.lead, self.size.width)
        return Text("\n".join([bar] * max(1, self.size.height)), no_wrap=True)


class RaceLane(Horizontal):
    DEFAULT_CSS = """
    RaceLane { height: 1; margin-bottom: 1; }
    RaceLane .lane-name { width: 24; text-style: bold; }
    RaceLane .lane-count { width: 28; text-align: right; }
    RaceLane.-leader LaneBar { color: $success; }
    RaceLane.-failed .lane-name { color: $warning; }
    """

    def __init__(self, lane: Lane) -> None:
        super().__init__(id=f"lane-{lane.runtime}")
        self.lane = lane

    def compose(self) -> ComposeResult:
        yield Readout(self.lane.name, classes="lane-name")
        yield LaneBar()
        yield Readout("", classes="lane-count")

    def show(self, lane: Lane, state: RaceState) -> None:
        lead = state.leader()
        self.set_class(lead is not None and lead.runtime == lane.runtime, "-leader")
        self.set_class(bool(lane.failure), "-failed")
        bar = self.query_one(LaneBar)
        bar.runs, bar.lead = lane.runs, lead.runs if lead else 0
        per_s = f" · {lane.runs / state.elapsed_s:,.0f}/s" if state.elapsed_s > 0 and lane.runs else ""
        text = "could not race" if lane.failure else f"{lane.runs:,} run{'s' if lane.runs != 1 else ''}{per_s}"
        self.query_one(".lane-count", Readout).update(text)


def ratio_words(state: RaceState) -> tuple[str, str]:
    """The big figure ('448×') and what it compares, for the slowest lane that ran."""
    lead = state.leader()
    ran = [lane for lane in state.lanes if lane.runs and lane is not lead]
    if lead is None or not ran:
        return "", ""
    last = min(ran, key=lambda lane: lane.runs)
    ratio = state.ratio(last) or 0
    figure = f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×"
    return figure, f"{lead.name} completed {figure} as many runs as {last.name}"


class RaceView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    RaceView { padding: 0 1; }
    RaceView .empty { color: $text-muted; padding: 1 2; }
    RaceView #race-title { text-style: bold; color: $accent; }
    RaceView #race-note { color: $text-muted; }
    RaceView #lanes { height: auto; margin-top: 1; }
    RaceView #race-counts { text-style: bold; }
    RaceView .ratio { height: auto; }
    RaceView .ratio Digits, RaceView .ratio BigFigure { width: auto; color: $success; }
    RaceView .ratio BigFigure { display: none; }
    RaceView #race-ratio-words { width: 1fr; padding: 1 2; color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state: RaceState | None = None
        self.note = ""

    @property
    def wapp(self) -> "WasmscopeApp":
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, classes="empty", markup=False)
        yield Static("", id="race-title", markup=False)
        yield Static("", id="race-note", markup=False)
        yield Vertical(id="lanes")
        yield Static("", id="race-counts", markup=False)
        with Horizontal(classes="ratio"):
            yield Digits("")
            yield BigFigure("")
            yield Static("", id="race-ratio-words", markup=False)

    def on_mount(self) -> None:
        self.show(None)

    def on_resize(self, event) -> None:
        self.fit()

    def fit(self) -> None:
        """Lanes as tall as the screen allows (1 to 3 rows), everything on one screen at 80×24."""
        lanes = list(self.query(RaceLane))
        presenting = self.app.presenting  # type: ignore[attr-defined]
        fixed = 9 if presenting else 11  # title, note, counts, the ratio figure
        height = max(1, min(3, (self.size.height - fixed) // max(1, len(lanes)) - 1))
        for lane in lanes:
            lane.styles.height = height

    def show(self, state: RaceState | None, note: str = "") -> None:
        """A race as it runs (or ran, or was stored); None: the hint of how to start one."""
        fresh = state is not None and (self.state is None or [l.runtime for l in self.state.lanes]
                                       != [l.runtime for l in state.lanes])
        self.state, self.note = state, note or self.note
        for widget in self.query("#race-title, #race-note, #lanes, #race-counts, .ratio"):
            widget.display = state is not None
        self.query_one(".empty").display = state is None
        if state is None:
            return
        lanes = self.query_one("#lanes")
        if fresh:
            lanes.remove_children()
            lanes.mount_all([RaceLane(lane) for lane in state.lanes])
            self.call_after_refresh(self._show_lanes)
            self.call_after_refresh(self.fit)
        else:
            self._show_lanes()
        self.query_one("#race-title", Static).update(self._title(state))
        self.query_one("#race-note", Static).update(
            f"The lanes share this machine's {state.cpus} cores and slow each other; one warm-up run each first; "
            "a run counts if it exited 0 before the whistle. Cold starts timed alone: the startup table (2)."
            + (f"\n{self.note}" if self.note else ""))
        self.query_one("#race-counts", Static).update(state.counts_line())
        figure, words = ratio_words(state)
        self.query_one(Digits).update(figure.replace(",", ""))
        self.query_one(BigFigure).update(figure)
        failed = [f"{lane.name}: {lane.failure}" for lane in state.lanes if lane.failure]
        self.query_one("#race-ratio-words", Static).update("\n".join([words] + failed))

    def _show_lanes(self) -> None:
        if self.state is not None:
            for widget in self.query(RaceLane):
                lane = next((l for l in self.state.lanes if l.runtime == widget.lane.runtime), None)
                if lane is not None:
                    widget.show(lane, self.state)

    @staticmethod
    def _title(state: RaceState) -> str:
        clock = {WARMING: "warming up…", RACING: f"racing {state.elapsed_s:.1f} s / {state.duration_s:g} s",
                 DONE: f"{state.duration_s:g} s, done", CANCELLED: f"cancelled after {state.elapsed_s:.1f} s"}
        return f"Race · {state.workload} run to exit, again and again, on {len(state.lanes)} runtimes at once · " \
               + clock.get(state.phase, state.phase)

    # -- a race ------------------------------------------------------------------------------------
    def run_race(self) -> None:
        """`R`: the race, on the lanes `race_lanes` picks; one engine run at a time."""
        app = self.wapp
        if not app.can_measure():
            return
        infos = {rt: t.info for rt, t in app.live_view.local_tracks().items() if t.info is not None}
        if not infos:
            self.notify("the runtimes are still being probed: try again in a moment")
            return
        lanes = race_lanes(app.live_view.selected_runtime, infos, app.profile.app.race_runtimes)
        if not lanes:
            self.notify("a race needs two available runtimes", severity="warning")
            return
        if (control := app.begin_engine_run("race", self)) is None:
            return
        app.action_view("race")
        self.note = ""
        names = {rt: infos[rt].display for rt in lanes}
        seconds = app.profile.app.race_seconds
        self.show(RaceState("hello", seconds, tuple(Lane(rt, names[rt]) for rt in lanes)))
        app.log_line(f"race: hello on {', '.join(lanes)} at once for {seconds:g} s (c cancels)")
        self.race_worker(lanes, names, seconds, control)

    @work(thread=True, group="bench", exit_on_error=False)
    def race_worker(self, lanes: list[str], names: dict[str, str], seconds: float, control: RunControl) -> None:
        session, post = self.wapp.session, self.post_message
        assert session is not None
        race = Race(lanes, lambda rt: session.run_once(rt, "hello"), duration_s=seconds, names=names,
                    warmup_timeout_s=session.profile.bench.timeout_s * 5)

        def update(state: RaceState) -> None:
            post(RaceProgress(state))
            post(BenchProgress(f"race: {state.phase}", round(state.elapsed_s * 10), round(seconds * 10)))

        finish_with(post, RaceFinished, lambda: race.run(control.cancel, on_update=update))

    def on_race_progress(self, message: RaceProgress) -> None:
        message.stop()
        self.show(message.state)

    def on_race_finished(self, message: RaceFinished) -> None:
        state = message.result
        if not isinstance(state, RaceState):
            return  # the app says why
        self.wapp.race = state
        self.show(state, "raced in this session (ctrl+s saves it into the profile's [race])")
        self.wapp.log_line(f"race: {state.phase} — {state.counts_line()}")
