"""One measurement's table in the app: its heading, a DataTable and its caption, all drawn
from the measurement's own description (the same one the CLI and the report render)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Label, Static

from wasmscope.workloads import measurements
from wasmscope.workloads.measurements.base import MEASURING, View, row_cells, shown_columns
from wasmscope.workloads.model.results import Results

from ..render.tables import styled


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

    def show(self, results: Results, reference: dict | None, *, compact: bool = False,
             provisional: bool = False) -> None:
        m = self.measurement
        view = View(results, results.tables[m.name], reference)
        columns = shown_columns(m, view, compact)
        dt = self.query_one(DataTable)
        labels = [m.row_header] + [c.label for c in columns]
        if [str(c.label) for c in dt.columns.values()] != labels:
            dt.clear(columns=True)
            dt.add_column(m.row_header, key="runtime")
            for c in columns:
                dt.add_column(Text(c.label, justify="right"), key=c.key)
        cursor = dt.cursor_row
        dt.clear()
        for row in view.table.rows:
            name = m.row_label(view, row)
            if compact:  # 'Docker (runc) — host network' → 'Docker — host network' (a ⚠ mark kept)
                mark = " ⚠" if name.endswith(" ⚠") else ""
                base, _, variant = name.removesuffix(" ⚠").partition(" — ")
                name = base.split(" (")[0] + (f" — {variant}" if variant else "") + mark
            cells = row_cells(m, view, row, columns)
            dt.add_row(name, *(styled(c, justify="right") for c in cells), key=row.key)
        if dt.row_count:
            dt.move_cursor(row=min(cursor, dt.row_count - 1), animate=False)
        self.query_one(".title", Label).update(m.heading(view))
        caption = "" if provisional or any(r.status == MEASURING for r in view.table.rows) else \
            "\n".join(line for line in m.caption(view) if line)
        self.query_one(".caption", Static).update(caption)

    def cell(self, row_key: str, column: str) -> str:
        value = self.query_one(DataTable).get_cell(row_key, column)
        return value.plain if isinstance(value, Text) else str(value)
