"""One runtime's live panel: identity, status, last cold start, RSS and latency sparklines."""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Digits, Label, Sparkline, Static

from .readout import Readout

from wasmscope.workloads.model.results import RuntimeInfo
from wasmscope.workloads.model.samples import ColdStart, GuestTime, LoadTick, MemorySample, Sample


class RuntimePanel(Vertical, can_focus=True):
    """Live view of one runtime. Rolling windows are deques; sparklines get a new list each tick."""

    DEFAULT_CSS = """
    RuntimePanel {
        border: round $panel-lighten-2;
        padding: 0 1;
        height: auto;
        min-height: 9;
    }
    RuntimePanel:focus-within, RuntimePanel:focus, RuntimePanel.-selected {
        border: double $accent;
    }
    RuntimePanel .version { color: $text-muted; height: auto; width: 1fr; }
    RuntimePanel .status { height: auto; }
    RuntimePanel .status.-running { color: $success; text-style: bold; }
    RuntimePanel .status.-unavailable { color: $warning; }
    RuntimePanel .status.-error { color: $error; }
    RuntimePanel .hint { color: $text-muted; height: auto; }
    RuntimePanel .caption { color: $text-muted; height: 1; }
    RuntimePanel Digits { width: auto; color: $accent; }
    RuntimePanel Sparkline { height: 1; margin: 0 0; }
    RuntimePanel .rss Sparkline > .sparkline--max-color { color: $success; }
    RuntimePanel .io { display: none; }
    RuntimePanel.-io .io { display: block; }
    """

    def __init__(self, runtime: str, display: str, window: int, **kwargs) -> None:
        super().__init__(id=f"panel-{runtime}", **kwargs)
        self.runtime = runtime
        self.display_name = display
        self.border_title = display
        self.rss: deque[float] = deque(maxlen=window)
        self.latency: deque[float] = deque(maxlen=window)
        self.rps: deque[float] = deque(maxlen=window)
        self.p99: deque[float] = deque(maxlen=window)
        self._workload: str | None = None  # as the session's last snapshot said: rendered, not decided here
        self.available = True
        self.last_cold_ms: float | None = None
        self.last_error: str | None = None  # shown until the next workload starts

    def compose(self) -> ComposeResult:
        yield Label("probing…", classes="version")
        yield Static("status: probing runtime…", classes="status")
        yield Static("", classes="hint")
        yield Label("last cold start (ms)", classes="caption")
        yield Digits("-", id=f"cold-{self.runtime}")
        yield Readout("RSS —", classes="caption rss-label")
        yield Sparkline([], summary_function=max, classes="rss-spark")
        yield Readout("latency —", classes="caption latency-label")
        yield Sparkline([], summary_function=max, classes="latency-spark")
        yield Readout("req/s —", classes="caption io rps-label")  # shown once HTTP load runs
        yield Sparkline([], summary_function=max, classes="io rps-spark")
        yield Readout("p99 —", classes="caption io p99-label")
        yield Sparkline([], summary_function=max, classes="io p99-spark")

    # -- updates from the app ------------------------------------------------------------------
    def set_info(self, info: RuntimeInfo) -> None:
        self.available = info.available
        mode = info.mode.split(";")[0] if info.mode else ""
        self.query_one(".version", Label).update(
            f"{info.version} · {mode}" if info.available else "not available here")
        hint = self.query_one(".hint", Static)
        if info.available:
            self.set_status("ready")
            hint.update("")
        else:
            self.set_status(f"unavailable: {info.reason}", "-unavailable")
            hint.update(f"fix: {info.hint}" if info.hint else "")

    def set_status(self, text: str, css: str = "") -> None:
        status = self.query_one(".status", Static)
        status.update(text)
        status.set_classes(f"status {css}".strip())

    @property
    def running(self) -> str | None:
        """The workload the session's last snapshot showed on this runtime (None: nothing)."""
        return self._workload

    def show_running(self, workload: str | None) -> None:
        """Render what the session runs here (from its snapshot); RSS clears when it stops."""
        if workload == self._workload:
            return
        self._workload = workload
        if workload:
            self.last_error = None
        else:
            self.border_subtitle = ""
        self.show_idle_status()

    def show_idle_status(self) -> None:
        """The status when no action is under way: running X, the last error, or ready."""
        if self._workload:
            self.set_status(f"running {self._workload}", "-running")
        elif self.last_error:
            self.set_status(f"error: {self.last_error}", "-error")
        elif self.available:
            self.set_status("ready")

    def set_error(self, text: str) -> None:
        self.last_error = text
        self.set_status(f"error: {text}", "-error")

    def push_rss(self, mib: float, counts: str = "") -> None:
        self.rss.append(mib)
        self.query_one(".rss-spark", Sparkline).data = list(self.rss)
        label = f"RSS {mib:.1f} MiB" + (f" {counts}" if counts else "")
        self.query_one(".rss-label", Readout).update(label)
        self.border_subtitle = f"{mib:.1f} MiB"  # the current value with its unit (memray's graph)

    def push_latency(self, ms: float, workload: str) -> None:
        self.latency.append(ms)
        self.query_one(".latency-spark", Sparkline).data = list(self.latency)
        self.query_one(".latency-label", Readout).update(f"{workload} {_ms(ms)} · n={len(self.latency)}")

    def push_rps(self, rps: float, what: str = "") -> None:
        """Requests/s of the last load interval (an HTTP load on this runtime's server)."""
        self.add_class("-io")
        self.rps.append(rps)
        self.query_one(".rps-spark", Sparkline).data = list(self.rps)
        self.query_one(".rps-label", Readout).update(f"req/s {rps:,.0f}" + (f" · {what}" if what else ""))

    def push_p99(self, ms: float) -> None:
        self.add_class("-io")
        self.p99.append(ms)
        self.query_one(".p99-spark", Sparkline).data = list(self.p99)
        self.query_one(".p99-label", Readout).update(f"p99 {_ms(ms)} (last 0.5 s)")

    def set_cold_start(self, ms: float) -> None:
        self.last_cold_ms = ms
        self.query_one(Digits).update(_digits(ms))

    def show_sample(self, sample: Sample, counts: str = "") -> None:
        """A streamed sample in the readout and sparkline its kind belongs to."""
        if isinstance(sample, ColdStart):
            self.push_latency(sample.ms, sample.workload or "hello")
            self.set_cold_start(sample.ms)
        elif isinstance(sample, GuestTime):
            self.push_latency(sample.ms, sample.workload or "compute")
        elif isinstance(sample, MemorySample):
            self.push_rss(sample.mib, counts)
        elif isinstance(sample, LoadTick):
            rest = sample.row_key.partition("/")[2]
            self.push_rps(sample.rps, rest.replace("/", " "))
            if sample.p99_ms is not None:
                self.push_p99(sample.p99_ms)


def _ms(v: float) -> str:
    return f"{v:.3f} ms" if v < 10 else f"{v:.1f} ms"


def _digits(v: float) -> str:
    return f"{v:.3f}" if v < 10 else (f"{v:.1f}" if v < 1000 else f"{v:.0f}")
