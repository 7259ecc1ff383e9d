"""View 5, density: instances per GiB per runtime and hosting model, and memory against instance
count (the same table and chart as `wasmscope density`). `d` measures it here, in a worker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from wasmscope.workloads import measurements
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.model.results import Results

from ..engine_runs import finish_with
from ..messages import DensityFinished
from ..render.plots import draw_lines
from ..widgets.chart import Chart
from ..widgets.measurement_table import MeasurementTable

if TYPE_CHECKING:
    from ..app import WasmscopeApp

EMPTY = ("No density run yet: press d to measure how many idle instances of each runtime fit in "
         "1 GiB (a minute or two; c cancels), or open a profile saved with a [density] table.")
MAX_INSTANCES = 200  # `wasmscope density --max 200`: a run that fits a demo


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

    # -- a density run ---------------------------------------------------------------------------
    def run_density(self) -> None:
        """`d`: the defaults of `wasmscope density` on the profile's runtimes, up to
        MAX_INSTANCES each, shown here when done."""
        app: "WasmscopeApp" = self.app  # type: ignore[assignment]
        if (control := app.begin_engine_run("density", self)) is None:
            return
        app.action_view("density")
        runtimes = [r for r in app.profile.bench.runtimes if r in app.panels]
        app.log_line(f"density: {', '.join(runtimes)} (up to {MAX_INSTANCES} instances each; c cancels)")
        self.density_worker(runtimes, control)

    @work(thread=True, group="bench", exit_on_error=False)
    def density_worker(self, runtimes: list[str], control: RunControl) -> None:
        from wasmscope.workloads.bench import run_density
        from wasmscope.workloads.measurements.density import DensitySpec

        profile = self.app.profile  # type: ignore[attr-defined]
        finish_with(self.post_message, DensityFinished,
                    lambda: run_density(profile, runtimes, DensitySpec(max_instances=MAX_INSTANCES), control))

    def on_density_finished(self, message: DensityFinished) -> None:
        if message.results is None:
            return  # the app says why (cancelled, failed)
        app: "WasmscopeApp" = self.app  # type: ignore[assignment]
        app.density = message.results
        self.show(message.results, "measured in this session")
        app.log_line("density: done (ctrl+s saves it into the profile's [density])")
