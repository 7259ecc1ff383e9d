"""The Density view: instances per GiB per runtime and hosting model, and memory against
instance count (the same table and chart as `wasmscope density`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from wasmscope.workloads import measurements
from wasmscope.workloads.model.results import Results

from ..render.plots import draw_lines
from .chart import Chart
from .measurement_table import MeasurementTable

EMPTY = ("No density run yet: press d to measure how many idle instances of each runtime fit in "
         "1 GiB (a minute or two; c cancels), or open a profile saved with a [density] table.")


class DensityView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    DensityView { padding: 0 1; }
    DensityView .empty { color: $text-muted; padding: 1 2; }
    DensityView .note { color: $text-muted; height: auto; }
    DensityView Chart { height: 20; }
    """

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, classes="empty", markup=False)
        yield Static("", classes="note", markup=False)
        yield MeasurementTable("density")
        yield Chart(id="density-chart")

    def on_mount(self) -> None:
        self.show(None)

    def show(self, results: Results | None, note: str = "") -> None:
        shown = results is not None and "density" in results.tables
        self.query_one(".empty").display = not shown
        for sel in (".note", "MeasurementTable", "#density-chart"):
            self.query_one(sel).display = shown
        if not shown or results is None:
            return
        self.query_one(".note", Static).update(note)
        self.query_one(MeasurementTable).show(results, None, compact=self.size.width < 120)
        figures = measurements.get("density").figures(results)
        self.query_one("#density-chart", Chart).set_draw(
            (lambda plt: draw_lines(plt, figures[0])) if figures else None)

    def cell(self, runtime: str, column: str) -> str:
        return self.query_one(MeasurementTable).cell(runtime, column)
