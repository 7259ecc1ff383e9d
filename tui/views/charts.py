"""View 3, charts: each measured table's bar chart, then its line figures (plotext).

While a benchmark streams, `show_soon` redraws its provisional charts at most once a second and
only while this view is on screen: a plotext redraw costs 7–9 ms.
"""

from __future__ import annotations

from typing import Callable

from textual.containers import VerticalScroll
from textual.widgets import Static

from wasmscope.workloads import measurements
from wasmscope.workloads.model.results import Results

from ..render.plots import chart_rows, draw_bars, draw_lines
from ..widgets.chart import Chart

REDRAW_S = 1.0  # provisional charts: at most one redraw a second


class ChartsView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ChartsView Chart { height: 12; min-height: 8; }
    ChartsView Chart.-figure { height: 22; }
    ChartsView .empty { color: $text-muted; padding: 1 2; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._due = False

    def compose(self):
        yield Static("No results to chart yet.", classes="empty")

    def show(self, results: Results | None) -> None:
        """Rebuild the charts (fresh widgets: no stale sizes or plot state between results)."""
        self.remove_children()
        plots = []
        for m in measurements.registered() if results else ():
            if m.name not in results.tables:
                continue
            if m.chart is not None and chart_rows(results, m.name):
                # classes: old widgets may still be leaving while the new ones mount
                plots.append(Chart(lambda plt, name=m.name: draw_bars(plt, results, name), classes=f"chart-{m.name}"))
            for i, fig in enumerate(m.figures(results)):
                plots.append(Chart(lambda plt, fig=fig: draw_lines(plt, fig), classes=f"-figure chart-{m.name}-{i}"))
        self.mount_all(plots or [Static("No results to chart yet.", classes="empty")])

    def on_show(self) -> None:
        """On screen again: the running benchmark's provisional figures, else this session's."""
        app = self.app
        provisional = app.results_view.provisional() if app.bench_running else None  # type: ignore[attr-defined]
        self.show(provisional or app.results)  # type: ignore[attr-defined]

    def show_soon(self, provisional: Callable[[], Results | None]) -> None:
        """Provisional charts of a running benchmark: redrawn within a second, if on screen
        (`provisional` is asked for the figures when the redraw comes)."""
        if self._due or not self.display:
            return
        self._due = True

        def redraw() -> None:
            self._due = False
            if (results := provisional()) is not None:
                self.show(results)

        self.set_timer(REDRAW_S, redraw)
