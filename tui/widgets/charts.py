"""The charts view: each measured table's bar chart, then its line figures (plotext)."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from wasmscope.workloads import measurements
from wasmscope.workloads.model.results import Results

from ..render.plots import chart_rows, draw_bars, draw_lines
from .chart import Chart


class ChartsView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ChartsView Chart { height: 12; min-height: 8; }
    ChartsView Chart.-figure { height: 22; }
    ChartsView .empty { color: $text-muted; padding: 1 2; }
    """

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

