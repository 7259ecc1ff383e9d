"""The comparison tables as DataTables: startup, memory, compute.

Each table has a "× vs Docker" and a "% vs native" column (ratios of figures measured side by
side in one run) and an "Article (published)" column: the reference article's figure, on its
hardware, never measured here. Figures are formatted by the same helpers as `wasmscope bench`
(tui/report.py, workloads/measure/format.py).

While a benchmark runs, `add_sample` collects the streamed samples and the tables show
provisional medians ("measuring"), redrawn at most 4 times a second; the final `Results`
replaces them.
"""

from __future__ import annotations

import statistics
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Digits, Label, Static

from wasmscope.workloads.model.format import fmt_mib, fmt_ms, fmt_pct, fmt_times
from wasmscope.workloads.model.results import OK, Results, Row, Table

from ..render.tables import (IO_COLUMNS, _article_caption, article_figure, compute_ci, io_article_figure,
                      io_caption_lines, io_cells, machine_line, row_label)

TABLES = ("startup", "memory", "compute", "io", "platforms")
UNITS = {"startup": "ms", "memory": "MiB", "compute": "ms", "io": "req/s", "platforms": "req/s"}
ARTICLE = "Article (published)"
MEASURING = "measuring"

# (label, key) pairs: keys let tests and updates address cells. Under 140 columns only the
# ESSENTIAL ones show (and the runtime's short name), so 80x24 needs no sideways scrolling.
ESSENTIAL = {"runtime", "median", "rss", "vs_docker", "vs_native", "article", "rps", "p99", "first_200"}
COLUMNS: dict[str, list[tuple[str, str]]] = {
    "startup": [("Runtime", "runtime"), ("Median", "median"), ("p95", "p95"), ("Min", "min"),
                ("Max", "max"), ("× vs Docker", "vs_docker"), ("% vs native", "vs_native")],
    "memory": [("Runtime", "runtime"), ("Instance RSS", "rss"), ("USS", "uss"),
               ("Runtime overhead", "overhead"), ("cgroup", "cgroup"), ("× vs Docker", "vs_docker"),
               ("% vs native", "vs_native")],
    "compute": [("Runtime", "runtime"), ("Median", "median"), ("Min", "min"), ("Max", "max"),
                ("× vs Docker", "vs_docker"), ("% vs native", "vs_native"), ("95 % CI", "ci"),
                ("Wall incl. start", "wall")],
    "io": [("Runtime", "runtime"), *IO_COLUMNS],
    "platforms": [("Host", "runtime"), ("first 200", "first_200"), ("after idle", "after_idle"), ("req/s", "rps"),
                  ("p99", "p99"), ("fixed req/s", "fixed_rps"), ("fixed p99", "fixed_p99"), ("RSS", "rss")],
}
BETTER_WORSE = {"startup": ("faster", "slower"), "memory": ("less", "more"), "compute": ("faster", "slower")}
EMPTY = ("No results yet: press r to run the profile's benchmark, or ctrl+o to open a profile "
         "with stored results.")


def row_cells(results: Results, table: Table, row: Row, reference: dict | None) -> dict[str, Any]:
    """The cells of one runtime's row by column key (without the runtime name)."""
    keys = [k for _, k in COLUMNS[table.name][1:]]
    s = row.stats
    if table.name == "platforms":
        if row.status != OK:
            return {"first_200": Text(f"{row.status}: {row.reason}", style="italic")}
        return {"first_200": fmt_ms(s.get("first_200_ms")), "after_idle": fmt_ms(s.get("after_idle_ms")),
                "rps": f"{row.value:,.0f}", "p99": fmt_ms(s.get("p99_ms")),
                "fixed_rps": f"{s.get('fixed_rps', 0):,.1f}", "fixed_p99": fmt_ms(s.get("fixed_p99_ms")),
                "rss": fmt_mib(s.get("rss_mib"))}
    if table.name == "io":
        if row.status == MEASURING:
            cells = {"model": row.model, "rps": Text(f"{row.value:,.0f}", style="italic"),
                     "vs_docker": Text(f"measuring… n={len(row.samples)}", style="italic")}
        elif row.status != OK:
            cells = {"model": row.model, "rps": Text(f"{row.status}: {row.reason}", style="italic")}
        else:
            cells = dict(io_cells(table, row))
        if reference:
            cells["article"] = Text(io_article_figure(reference, row), style="dim")
        return cells
    if row.status == MEASURING:
        fmt = fmt_mib if table.name == "memory" else fmt_ms
        first = "rss" if table.name == "memory" else "median"
        cells: dict[str, Any] = {k: Text(fmt(s[k]), style="italic") for k in ("median", "p95", "min", "max")
                                 if k in keys}
        cells[first] = Text(fmt(s["median"]), style="italic")
        cells["vs_docker"] = Text(f"measuring… n={len(row.samples)}", style="italic")
    elif row.status != OK:
        cells = {keys[0]: Text(f"{row.status}: {row.reason}", style="italic")}
    else:
        better, worse = BETTER_WORSE[table.name]
        cells = {"vs_docker": fmt_times(table.ratio(row.runtime, "docker"), better, worse),
                 "vs_native": ("baseline" if row.runtime == "native"
                               else fmt_pct(table.overhead_pct(row.runtime, "native")))}
        if table.name == "memory":
            cells.update(rss=fmt_mib(s.get("instance_rss_mib")), uss=fmt_mib(s.get("instance_uss_mib")),
                         overhead=fmt_mib(s.get("overhead_rss_mib")), cgroup=fmt_mib(s.get("cgroup_mib")))
        else:
            cells.update(median=fmt_ms(s.get("median")), p95=fmt_ms(s.get("p95")), min=fmt_ms(s.get("min")),
                         max=fmt_ms(s.get("max")), wall=fmt_ms(s.get("wall_median")))
            if table.name == "compute" and row.runtime != "native":
                ci = compute_ci(table, row.runtime, "native")
                cells["ci"] = f"{ci[1]:+.1f} … {ci[2]:+.1f} %" if ci else ""
    if reference:
        cells["article"] = Text(article_figure(reference, table.name, row.runtime), style="dim")
    return cells


def right(cell: Any) -> Any:
    return Text(cell, justify="right") if isinstance(cell, str) else (
        Text(cell.plain, style=cell.style, justify="right") if isinstance(cell, Text) else cell)


def provisional_results(samples: dict[str, dict[str, list[float]]], base: Results | None,
                        runtimes: dict) -> Results:
    """A `Results` of provisional medians from streamed samples (rows with status 'measuring')."""
    res = Results(profile=base.profile if base else "", started_at="", runtimes=dict(runtimes))
    for name, per in samples.items():
        table = Table(name=name, unit=UNITS.get(name, ""), workload="", what="measuring…",
                      higher_is_better=name == "io")
        for rt, vals in per.items():
            if name == "io":  # keyed runtime/model/variant: one row per I/O target
                runtime, model, variant = (rt.split("/", 2) + ["", ""])[:3]
                table.rows.append(Row(runtime=runtime, status=MEASURING, value=statistics.median(vals),
                                      samples=list(vals), model=model, variant=variant))
                continue
            ordered = sorted(vals)
            p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
            table.rows.append(Row(runtime=rt, status=MEASURING, value=statistics.median(vals),
                                  samples=list(vals), stats={"median": statistics.median(vals), "p95": p95,
                                                             "min": ordered[0], "max": ordered[-1]}))
        res.tables[name] = table
    return res


class ResultsTables(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    ResultsTables { padding: 0 1; }
    ResultsTables .empty { color: $text-muted; padding: 1 2; }
    ResultsTables .machine { color: $text-muted; height: auto; }
    ResultsTables .title { text-style: bold; color: $accent; margin-top: 1; height: auto; width: 1fr; }
    ResultsTables .caption { color: $text-muted; text-style: italic; height: auto; }
    ResultsTables DataTable { height: auto; max-height: 12; }
    ResultsTables DataTable:blur > .datatable--cursor { background: transparent; text-style: none; }
    ResultsTables #headline { height: auto; display: none; }
    ResultsTables.-headline #headline { display: block; }
    ResultsTables .figure { width: auto; padding: 0 2 0 0; height: auto; }
    ResultsTables .figure Digits { color: $accent; width: auto; }
    ResultsTables .figure Label { color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.results: Results | None = None
        self.reference: dict | None = None
        self.note = ""
        self.samples: dict[str, dict[str, list[float]]] = {}
        self._dirty = False
        self._timer = None
        self.compact = False

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, classes="empty")
        yield Static("", classes="machine")
        yield Horizontal(id="headline")
        for name in TABLES:
            yield Label("", classes="title", id=f"title-{name}")
            table: DataTable = DataTable(id=f"table-{name}", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static("", classes="caption", id=f"caption-{name}")

    def on_mount(self) -> None:
        self._set_visible(set())

    def on_resize(self, event) -> None:
        compact = event.size.width < 140
        if compact != self.compact:
            self.compact = compact
            if self.samples:
                self._render_results(self.provisional(), provisional=True)
            else:
                self._render_results(self.results)

    # -- public --------------------------------------------------------------------------------
    def show(self, results: Results | None, reference: dict | None, note: str = "") -> None:
        """Show final (or stored) results; clears provisional samples."""
        self.results, self.reference, self.note = results, reference, note
        self.samples.clear()
        self._render_results(results)

    def start_measuring(self, note: str = "benchmark running: provisional medians") -> None:
        self.samples.clear()
        self.note = note

    def add_sample(self, table: str, runtime: str, value: float) -> None:
        """A streamed sample of a running benchmark; redraws at most 4 times a second."""
        self.samples.setdefault(table, {}).setdefault(runtime, []).append(value)
        self._dirty = True
        if self._timer is None:
            self._timer = self.set_timer(0.25, self._flush)

    def provisional(self) -> Results | None:
        if not self.samples:
            return None
        runtimes = self.results.runtimes if self.results else {}
        return provisional_results(self.samples, self.results, runtimes)

    def cell(self, table: str, runtime: str, column: str) -> str:
        value = self.query_one(f"#table-{table}", DataTable).get_cell(runtime, column)
        return value.plain if isinstance(value, Text) else str(value)

    # -- rendering -----------------------------------------------------------------------------
    def _flush(self) -> None:
        self._timer = None
        if self._dirty and self.samples:
            self._dirty = False
            self._render_results(self.provisional(), provisional=True)

    def _set_visible(self, names: set[str]) -> None:
        self.query_one(".empty").display = not names
        self.query_one(".machine").display = bool(names)
        for name in TABLES:
            for part in ("title", "table", "caption"):
                self.query_one(f"#{part}-{name}").display = name in names

    def _render_results(self, results: Results | None, provisional: bool = False) -> None:
        names = {n for n in TABLES if results is not None and n in results.tables}
        with self.app.batch_update():
            self._set_visible(names)
            if not names or results is None:
                return
            head = self.note if provisional else machine_line(results) + (f"\n{self.note}" if self.note else "")
            self.query_one(".machine", Static).update(head)
            self._render_headline(results, provisional)
            for name in sorted(names, key=TABLES.index):
                self._render_table(results, results.tables[name], provisional)

    def _render_table(self, results: Results, table: Table, provisional: bool) -> None:
        dt = self.query_one(f"#table-{table.name}", DataTable)
        columns = list(COLUMNS[table.name]) + ([(ARTICLE, "article")] if self.reference and table.name != "platforms" else [])
        if self.compact:
            columns = [(label, key) for label, key in columns if key in ESSENTIAL]
        if [str(c.label) for c in dt.columns.values()] != [label for label, _ in columns]:
            dt.clear(columns=True)
            for label, key in columns:
                dt.add_column(label if key == "runtime" else Text(label, justify="right"), key=key)
        cursor = dt.cursor_row
        dt.clear()
        for row in table.rows:
            name = row_label(results, row)
            if self.compact:
                base, _, variant = name.partition(" — ")
                name = base.split(" (")[0] + (f" — {variant}" if variant else "")
            cells = row_cells(results, table, row, self.reference)
            dt.add_row(name, *(right(cells.get(key, "")) for _, key in columns[1:]), key=row.key)
        if dt.row_count:
            dt.move_cursor(row=min(cursor, dt.row_count - 1), animate=False)
        what = table.what or ""
        n = int(results.settings.get(f"{table.name}_runs", 0)) if table.name != "memory" else 0
        title = {"startup": "Startup", "memory": "Memory", "compute": "Compute", "io": "HTTP I/O",
                 "platforms": "Platforms"}[table.name]
        wl = f"{table.workload}: " if table.workload else ""
        self.query_one(f"#title-{table.name}", Label).update(
            f"{title} — {wl}{what}" + (f" (n={n})" if n else ""))
        self.query_one(f"#caption-{table.name}", Static).update(
            "" if provisional else _caption(results, table, self.reference))

    def _render_headline(self, results: Results, provisional: bool) -> None:
        """Large cold-start figures (meetup mode): one Digits per runtime."""
        box = self.query_one("#headline", Horizontal)
        box.remove_children()
        table = results.tables.get("startup")
        if table is None or provisional:
            return
        figures = []
        for row in table.rows:
            if row.status != OK or row.value is None:
                continue
            info = results.runtimes.get(row.runtime)
            figures.append(Vertical(Label(f"{info.display if info else row.runtime} cold start (ms)"),
                                    Digits(f"{row.value:.3f}" if row.value < 10 else f"{row.value:.1f}"),
                                    classes="figure"))
        box.mount_all(figures)


def _caption(results: Results, table: Table, reference: dict | None) -> str:
    if table.name == "io":
        return "\n".join(io_caption_lines(results, reference))
    if table.name == "platforms":
        return "\n".join(f"{row_label(results, r)}: {r.counts}" for r in table.rows if r.status == OK)
    lines: list[str] = []
    name = lambda rt: results.runtimes[rt].display if rt in results.runtimes else rt  # noqa: E731
    if table.name == "startup":
        phases = [f"  {name(r.runtime)}: " + " · ".join(f"{k} {fmt_ms(v)}" for k, v in r.phases.items())
                  for r in table.rows if r.status == OK and r.phases]
        lines += (["Phases (medians):"] + phases) if phases else []
    if table.name == "memory":
        counts = [f"  {name(r.runtime)}: {r.counts}" for r in table.rows if r.status == OK and r.counts]
        lines += (["What the numbers count:"] + counts) if counts else []
    lines.append("× vs Docker: Docker's median over this runtime's; % vs native: above the native "
                 "process. Both from this run.")
    article = _article_caption(results, table.name, reference)
    if article:
        lines.append(article)
    return "\n".join(lines)
