"""One runtime on one line (the live view's list mode, so fifteen runtimes fit one screen):
name, status, last cold start, RSS and latency with inline graphs. Renders its `Track`."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal

from .readout import Readout
from .track import Track, fmt_ms
from .trend import Trend

HEADER = ("runtime", "status", "cold start", "RSS", "", "latency", "")


class RuntimeRow(Horizontal, can_focus=True):
    DEFAULT_CSS = """
    RuntimeRow { height: 1; width: 1fr; }
    RuntimeRow:focus, RuntimeRow.-selected { background: $accent 30%; }
    RuntimeRow > Readout { width: auto; }
    RuntimeRow .name { width: 23; padding-right: 1; text-style: bold; }
    RuntimeRow .status { width: 16; }
    RuntimeRow .status.-running { color: $success; }
    RuntimeRow .status.-unavailable { color: $warning; }
    RuntimeRow .status.-error { color: $error; }
    RuntimeRow .cold { width: 11; color: $accent; text-style: bold; }
    RuntimeRow .rss, RuntimeRow .latency { width: 11; padding-left: 1; }
    RuntimeRow Trend { width: 1fr; min-width: 4; max-width: 48; }
    RuntimeRow .rss-trend { color: $success; }
    RuntimeRow .latency-trend { color: $accent; }
    RuntimeRow.-unavailable .name { color: $text-muted; text-style: none; }
    RuntimeRow.-header { color: $text-muted; }
    RuntimeRow.-header Readout { text-style: none; color: $text-muted; }
    """

    def __init__(self, track: Track | None, **kwargs) -> None:
        """A row of `track`, or the header row (None)."""
        super().__init__(id=f"row-{track.uid}" if track else "row-header", **kwargs)
        self.track = track
        if track is None:
            self.add_class("-header")
            self.can_focus = False

    def compose(self) -> ComposeResult:
        name, status, cold, rss, _, latency, _ = HEADER if self.track is None else ("",) * 7
        yield Readout(self.track.display if self.track else name, classes="name")
        yield Readout(status, classes="status")
        yield Readout(cold.rjust(10), classes="cold")
        yield Readout(rss, classes="rss")
        yield Trend(label_width=0, classes="rss-trend")
        yield Readout(latency, classes="latency")
        yield Trend(label_width=0, classes="latency-trend")

    def on_mount(self) -> None:
        self.refresh_track()

    def refresh_track(self) -> None:
        t = self.track
        if t is None:
            return
        text, css = t.status()
        status = self.query_one(".status", Readout)
        status.update(text)
        status.set_classes(f"status {css}".strip())
        self.set_class(not t.available, "-unavailable")
        cold = fmt_ms(t.cold_ms) if t.cold_ms is not None else "—"
        self.query_one(".cold", Readout).update(cold.rjust(10))
        self.query_one(".rss", Readout).update(f"{t.rss[-1]:.1f} MiB" if t.rss else "—")
        self.query_one(".rss-trend", Trend).show(t.rss, "")
        self.query_one(".latency", Readout).update(fmt_ms(t.latency[-1]) if t.latency else "—")
        self.query_one(".latency-trend", Trend).show(t.latency, "")
