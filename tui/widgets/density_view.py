"""The Density view: instances per GiB per runtime and hosting model, and memory against
instance count (the same table and chart as `wasmscope density`)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static

from wasmscope.workloads.model.format import fmt_kib, fmt_ms
from wasmscope.workloads.model.results import OK, Results

from ..render.tables import row_label
from ..render.plots import draw_density
from .chart import Chart

EMPTY = ("No density run yet: press d to measure how many idle instances of each runtime fit in "
         "1 GiB (a minute or two; c cancels), or open a profile saved with a [density] table.")
COLUMNS = [("Runtime", "runtime"), ("Model", "model"), ("per GiB", "per_gib"), ("PSS/instance", "pss"),
           ("cgroup/instance", "cgroup"), ("start/instance", "start"), ("reached", "reached"),
           ("stopped by", "stopped")]


class DensityView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    DensityView { padding: 0 1; }
    DensityView .empty { color: $text-muted; padding: 1 2; }
    DensityView .title { text-style: bold; color: $accent; margin-top: 1; height: auto; }
    DensityView .caption { color: $text-muted; text-style: italic; height: auto; }
    DensityView DataTable { height: auto; max-height: 14; }
    DensityView Chart { height: 20; }
    """

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, classes="empty")
        yield Label("", classes="title")
        table: DataTable = DataTable(id="density-table", cursor_type="row", zebra_stripes=True)
        for label, key in COLUMNS:
            table.add_column(label if key in ("runtime", "model", "stopped") else Text(label, justify="right"),
                             key=key)
        yield table
        yield Static("", classes="caption")
        yield Chart(id="density-chart")

    def on_mount(self) -> None:
        self.show(None)

    def show(self, results: Results | None, note: str = "") -> None:
        table = results.tables.get("density") if results else None
        shown = table is not None
        self.query_one(".empty").display = not shown
        for sel in (".title", "#density-table", ".caption", "#density-chart"):
            self.query_one(sel).display = shown
        if not shown or results is None or table is None:
            return
        self.query_one(".title", Label).update(f"Density — {table.what}" + (f" ({note})" if note else ""))
        dt = self.query_one("#density-table", DataTable)
        dt.clear()
        for row in table.rows:
            s = row.stats
            if row.status != OK:
                dt.add_row(row_label(results, row), row.model, Text(f"{row.status}: {row.reason}", style="italic"),
                           "", "", "", "", "", key=row.runtime)
                continue
            dt.add_row(row_label(results, row), row.model, Text(f"{row.value:,.0f}", justify="right"),
                       Text(fmt_kib(s.get("pss_kib_per_instance")), justify="right"),
                       Text(fmt_kib(s.get("cgroup_kib_per_instance")), justify="right"),
                       Text(fmt_ms(s.get("start_ms_per_instance")), justify="right"),
                       Text(f"{int(s.get('instances', 0)):,}", justify="right"),
                       row.facts.get("stopped_by", ""), key=row.runtime)
        self.query_one(".caption", Static).update(
            "per GiB = 1 GiB / the PSS slope over the steps (every process involved: guests, runtime "
            "hosts, containerd-shims); cgroup: the containers' own accounting. The article's claim: "
            "~500 Wasm modules where ~30 containers fit.")
        self.query_one("#density-chart", Chart).set_draw(lambda plt: draw_density(plt, results))

    def cell(self, runtime: str, column: str) -> str:
        value = self.query_one("#density-table", DataTable).get_cell(runtime, column)
        return value.plain if isinstance(value, Text) else str(value)
