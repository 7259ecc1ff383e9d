"""Render `Results` as rich tables (the CLI, and the Markdown report through them) and as JSON.

Every table is drawn from its measurement's own description (columns, cells, caption), so the
CLI, the app and the report never disagree. Every ratio is computed from rows of one `Results`:
figures measured side by side.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table as RichTable
from rich.text import Text

from wasmscope.workloads import measurements
from wasmscope.workloads.measurements.base import Cell, TableView, View, row_cells, shown_columns
from wasmscope.workloads.measurements.figures import comparisons
from wasmscope.workloads.model.results import UNAVAILABLE, Results

# How a cell's style word reads in a terminal.
STYLES = {"note": "italic", "muted": "dim", "warn": "bold"}


def styled(cell: Cell, justify: str | None = None) -> Text:
    return Text(cell.text, style=STYLES.get(cell.style, ""), justify=justify)  # type: ignore[arg-type]


def measurement_table(results: Results, name: str, reference: dict | None = None) -> RichTable:
    """One measurement's table: its heading, its columns and cells, its caption."""
    m = measurements.get(name)
    view = View(results, results.tables[name], reference)
    columns = shown_columns(m, view)
    out = RichTable(title=m.heading(view), title_justify="left", caption_justify="left")
    out.add_column(m.row_header, no_wrap=True)  # a row's name on one line; the figures wrap
    for c in columns:
        out.add_column(c.label, justify="right", style="dim" if c.article else None)
    for row in view.table.rows:
        out.add_row(m.row_label(view, row), *[styled(cell) for cell in row_cells(m, view, row, columns)])
    out.caption = "\n".join(line for line in m.caption(view) if line)
    return out


def view_table(tv: TableView) -> RichTable:
    """A derived table (e.g. the HTTP sweep) as a rich table."""
    out = RichTable(title=tv.title, title_justify="left", caption=tv.caption or None, caption_justify="left")
    for i, header in enumerate(tv.headers):
        out.add_column(header, justify="left" if i == 0 else "right")
    for row in tv.rows:
        out.add_row(*row)
    return out


def measurement_tables(results: Results, name: str, reference: dict | None = None) -> list[RichTable]:
    """The measurement's table, then the tables derived from it."""
    return [measurement_table(results, name, reference),
            *[view_table(tv) for tv in measurements.get(name).extra_tables(results)]]


def short_reason(reason: str, limit: int = 200) -> str:
    """The head of an availability reason: 'no wasmtime CLI found (looked in: ...)' → 'no wasmtime CLI found'."""
    head = reason.split(" (")[0].split("; ")[0].strip()
    return head if len(head) <= limit else head[:limit - 1] + "…"


def unavailable_line(results: Results) -> str:
    """Each runtime of the run this machine lacks, named once (the tables then only say
    'unavailable'), and what sets them up."""
    gone = [f"{info.display} ({short_reason(info.reason)})" for info in results.runtimes.values() if not info.available]
    return f"Not available here: {'; '.join(gone)} — run `wasmscope doctor --fix`." if gone else ""


def runtimes_table(results: Results, brief: bool = False) -> RichTable:
    """Version and mode of each runtime; an unavailable one with its reason and fix (`brief`:
    just 'unavailable', when `unavailable_line` names it above)."""
    out = RichTable(title="Runtimes", title_justify="left")
    for col in ("Runtime", "Version", "Mode"):
        out.add_column(col)
    for info in results.runtimes.values():
        if info.available:
            out.add_row(info.display, info.version, info.mode)
        elif brief:
            out.add_row(info.display, Text(UNAVAILABLE, style="dim italic"), "")
        else:
            out.add_row(info.display, Text(f"unavailable: {info.reason}", style="dim italic"), info.hint)
    return out


def machine_line(results: Results) -> str:
    m = results.machine
    return (f"Machine: {m.get('cpu')} ({m.get('cores')} cores, {m.get('memory_gib')} GiB), "
            f"kernel {m.get('kernel')}, Python {m.get('python')}, wasmtime {m.get('wasmtime')}, "
            f"{m.get('docker')}" + (f", machine {m['fingerprint']}" if m.get("fingerprint") else "")
            + f" — {results.started_at}")


def results_json(results: Results) -> dict[str, Any]:
    data = results.to_dict()
    data["comparisons"] = comparisons(results)
    return data
