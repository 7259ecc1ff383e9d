"""One runtime in the live view's grid: name (border), status, the last cold start in big digits,
RSS and latency graphs that take whatever height the panel gets, and a detail line (version and
mode, or the fix). A panel renders its `Track`; it keeps no state of its own."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from .big_figure import BigFigure
from .readout import Readout
from .track import Track, figure_text, spread
from .trend import Trend


class RuntimePanel(Vertical, can_focus=True):
    DEFAULT_CSS = """
    RuntimePanel {
        border: round $panel-lighten-2;
        border-subtitle-color: $success;
        padding: 0 1;
        height: 100%;
    }
    RuntimePanel:focus-within, RuntimePanel:focus, RuntimePanel.-selected { border: double $accent; }
    RuntimePanel .status { color: $text; }
    RuntimePanel .status.-running { color: $success; text-style: bold; }
    RuntimePanel .status.-unavailable { color: $warning; }
    RuntimePanel .status.-error { color: $error; }
    RuntimePanel .figure { height: 3; }
    RuntimePanel Digits { width: auto; color: $accent; }
    RuntimePanel BigFigure { display: none; color: $accent; }
    RuntimePanel .figure-note { width: 1fr; height: 3; color: $text-muted; padding-left: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    RuntimePanel .detail { color: $text-muted; }
    RuntimePanel .rss-trend { color: $success; }
    RuntimePanel .latency-trend { color: $accent; }
    RuntimePanel .rps-trend, RuntimePanel .p99-trend { display: none; color: $warning; }
    RuntimePanel.-io .rps-trend, RuntimePanel.-io .p99-trend { display: block; }
    RuntimePanel.-unavailable .figure, RuntimePanel.-unavailable Trend { display: none; }
    """

    def __init__(self, track: Track, **kwargs) -> None:
        super().__init__(id=f"panel-{track.uid}", **kwargs)
        self.track = track
        self.border_title = track.display
        self._figure: tuple | None = None

    # what the tests and the palette read: the track's
    runtime = property(lambda self: self.track.runtime)
    display_name = property(lambda self: self.track.display)
    available = property(lambda self: self.track.available)
    running = property(lambda self: self.track.workload)
    last_cold_ms = property(lambda self: self.track.cold_ms)
    rss = property(lambda self: self.track.rss)
    latency = property(lambda self: self.track.latency)
    rps = property(lambda self: self.track.rps)
    p99 = property(lambda self: self.track.p99)

    def compose(self) -> ComposeResult:
        yield Readout("probing…", classes="status")
        with Horizontal(classes="figure"):
            yield Digits("-", id=f"cold-{self.track.uid}")
            yield BigFigure("-")
            yield Static("", classes="figure-note")
        for kind, headline in (("rss", "RSS —"), ("latency", "hello —"), ("rps", "req/s —"), ("p99", "p99 —")):
            yield Trend(headline, classes=f"{kind}-trend", key=kind)
        yield Readout("", classes="detail")

    def on_mount(self) -> None:
        self.refresh_track()

    def refresh_track(self) -> None:
        """Render everything from the track (cheap: no widget here relayouts on a new value)."""
        t, status = self.track, self.query_one(".status", Readout)
        text, css = t.status()
        status.update(text)
        status.set_classes(f"status {css}".strip())
        self.set_class(not t.available, "-unavailable")
        self.set_class(t.io, "-io")
        self.query_one(".detail", Readout).update(t.detail())
        self.show_cold()
        trends = {trend.classes_key: trend for trend in self.query(Trend)}
        trends["rss"].show(t.rss, t.rss_headline(), spread(t.rss, "MiB"))
        trends["latency"].show(t.latency, t.latency_headline(), spread(t.latency, "ms"))
        if t.io:
            trends["rps"].show(t.rps, f"req/s {t.rps[-1]:,.0f}", t.rps_of)
            trends["p99"].show(t.p99, f"p99 {t.p99[-1]:.2f} ms" if t.p99 else "p99 —", spread(t.p99, "ms"))
        self.border_subtitle = f"{t.rss[-1]:.1f} MiB" if t.rss else ""  # the value with its unit (memray)

    def show_cold(self) -> None:
        t = self.track
        value = figure_text(t.cold_ms) if t.cold_ms is not None else "-"
        if self._figure == (value, len(t.latency)):
            return  # Digits and Static relayout on update: only when the figure changes
        self._figure = (value, len(t.latency))
        self.query_one(Digits).update(value)
        self.query_one(BigFigure).update(value)
        runs = f"n={len(t.latency)}" if t.latency and t.latency_of == "hello" else ""
        note = f"ms\ncold start\n{runs}" if t.cold_ms is not None else "\ncold start"
        self.query_one(".figure-note", Static).update(Text(note, no_wrap=True, overflow="ellipsis"))
