"""One measurement's table in the app: its heading, a DataTable and its caption, all drawn
from the measurement's own description (the same one the CLI and the report render), over one
host's run or several hosts' (then a Host column; ratios never cross hosts)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from wasmscope.workloads import measurements
from wasmscope.workloads.measurements.base import MEASURING, View, row_cells, shown_columns
from wasmscope.workloads.model.results import Results

from wasmscope.workloads.remote.address import LOCAL

from ..render.tables import host_name, merged_lines, names_hosts, styled


class MeasurementTable(Vertical):
    DEFAULT_CSS = """
    MeasurementTable { height: auto; }
    MeasurementTable .title { text-style: bold; color: $accent; margin-top: 1; height: auto; width: 1fr; }
    MeasurementTable .caption { color: $text-muted; text-style: italic; height: auto; }
    MeasurementTable DataTable { height: auto; max-height: 16; }
    MeasurementTable DataTable:blur > .datatable--cursor { background: transparent; text-style: none; }
    """

    def __init__(self, name: str, **kwargs) -> None:
        super().__init__(id=f"measurement-{name}", **kwargs)
        self.measurement = measurements.get(name)

    def compose(self) -> ComposeResult:
        name = self.measurement.name
        yield Label("", classes="title", id=f"title-{name}", markup=False)
        yield DataTable(id=f"table-{name}", cursor_type="row", zebra_stripes=True)
        yield Static("", classes="caption", id=f"caption-{name}", markup=False)

    def show(self, runs: list[Results] | Results, reference: dict | None, *, compact: bool = False,
             provisional: bool = False) -> None:
        """One host's run, or several hosts' (a Host column, rows host by host, each row's
        cells from its own host's run — as `hosts_measurement_table` draws them for the CLI)."""
        m = self.measurement
        runs = [runs] if isinstance(runs, Results) else runs
        views = [View(r, r.tables[m.name], reference) for r in runs if m.name in r.tables]
        several = names_hosts([v.results for v in views])
        shown = [shown_columns(m, v, compact) for v in views]
        columns = [c for c in m.columns if any(c in cols for cols in shown)]  # a column any host shows
        dt = self.query_one(DataTable)
        labels = (["Host"] if several else []) + [m.row_header] + [c.label for c in columns]
        if [str(c.label) for c in dt.columns.values()] != labels:
            dt.clear(columns=True)
            if several:
                dt.add_column("Host", key="host")
            dt.add_column(m.row_header, key="runtime")
            for c in columns:
                dt.add_column(Text(c.label, justify="right"), key=c.key)
        cursor = dt.cursor_row
        dt.clear()
        for view in views:
            host = host_name(view.results)
            for row in view.table.rows:
                cells = [styled(c, justify="right") for c in row_cells(m, view, row, columns)]
                dt.add_row(*([host] if several else []), self.row_label(view, row, compact), *cells,
                           key=row.key if host == LOCAL else f"{host}|{row.key}")
        if dt.row_count:
            dt.move_cursor(row=min(cursor, dt.row_count - 1), animate=False)
        self.query_one(".title", Label).update(m.heading(views[0]))
        measuring = provisional or any(r.status == MEASURING for v in views for r in v.table.rows)
        captions = [(host_name(v.results), m.full_caption(v)) for v in views]
        self.query_one(".caption", Static).update("" if measuring else "\n".join(merged_lines(captions)))

    def row_label(self, view: View, row, compact: bool) -> str:
        name = self.measurement.row_label(view, row)
        if compact:  # 'Docker (runc) — host network ⚠' → 'Docker — host network ⚠' (marks kept)
            bare = name.removesuffix(" ⚠").removesuffix(" ≠")
            marks = name[len(bare):]
            base, _, variant = bare.partition(" — ")
            name = base.split(" (")[0] + (f" — {variant}" if variant else "") + marks
        return name

    def cell(self, row_key: str, column: str) -> str:
        value = self.query_one(DataTable).get_cell(row_key, column)
        return value.plain if isinstance(value, Text) else str(value)
