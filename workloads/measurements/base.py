"""What a measurement is: one module that runs it and describes how its table reads.

A measurement says which workloads select it, how many progress steps it takes, how to run it
over the available runtimes, which typed samples it streams, and how its table is shown:
columns with their own cell formatting, the caption, the headline unit and which direction is
better, and its charts. Every front end (the CLI's rich tables, the app's DataTables, the
Markdown report, the charts) renders from this one description, so adding a measurement is one
module plus one line in `measurements/__init__.py`.

Nothing here imports a UI library: cells are plain text with a style word the front end maps.
"""

from __future__ import annotations

import statistics
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

from ..model.format import fmt_ms
from ..model.results import DIFFERENT, OK, UNAVAILABLE, Results, Row, Table
from ..model.samples import Sample

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from ..runtimes.base import RuntimeAdapter
    from .control import RunControl

MEASURING = "measuring"  # status of a provisional row built from streamed samples


@dataclass(frozen=True)
class Cell:
    """One cell: its text, and a style word ("" | "muted" | "note" | "warn") a front end maps."""

    text: str
    style: str = ""


@dataclass(frozen=True)
class View:
    """What a cell function may read: the whole run (for ratios), the table, the article's figures."""

    results: Results
    table: Table
    reference: dict | None = None

    def name(self, runtime: str) -> str:
        info = self.results.runtimes.get(runtime)
        return info.display if info else runtime

    def label(self, row: Row) -> str:
        """A row's name: the runtime's display name, and the variant where a table has several."""
        if row.facts.get("display"):  # a row that is not a runtime of this run (a platform host)
            return str(row.facts["display"])
        return self.name(row.runtime) + (f" — {row.variant}" if row.variant else "")

    def baseline(self, role: str) -> str | None:
        """The runtime this run compares against in `role` ("native" or "container")."""
        return self.results.baseline(role)


CellFn = Callable[[View, Row], "Cell | str"]


@dataclass(frozen=True)
class Column:
    """A column: its key (stable, for tests and updates), label, and how a row's cell reads.

    `essential` columns stay on narrow screens; `always` columns are filled for rows that did
    not measure (e.g. the serving model of an I/O row); `compares` columns put a row beside
    others (ratios, intervals), so a provisional row leaves them to the final table; `article`
    columns show only when the profile carries the reference article's figures.
    """

    key: str
    label: str
    cell: CellFn
    essential: bool = False
    always: bool = False
    compares: bool = False
    article: bool = False
    baseline: str = ""  # the baseline role it compares against: hidden when the run has none
    hide_empty: bool = False  # hidden when no row has anything to show in it (e.g. results stored before it existed)


@dataclass(frozen=True)
class BarChart:
    """A bar per row of the headline value; `log` for figures spanning decades (ms, req/s);
    `numbered` puts numbers under the bars and names in the legend (many rows)."""

    title: str
    log: bool = False
    numbered: bool = False


@dataclass(frozen=True)
class LineFigure:
    """Lines on log-log axes (latency against throughput, memory against instances)."""

    title: str
    xlabel: str
    ylabel: str
    series: list[tuple[str, list[float], list[float]]]  # label, xs, ys


@dataclass(frozen=True)
class TableView:
    """A table derived from a measurement's rows (e.g. an HTTP sweep), already in cells."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Plan:
    """What to run: a profile narrowed by the command line."""

    runtimes: list[str]
    measurements: list[str]
    runs: int | None = None  # --runs: overrides the run count of every run-to-exit measurement
    selections: dict[str, list[str]] = field(default_factory=dict)  # per measurement: which parts
    repeat: int | None = None  # --repeat: overrides the rounds of every measurement

    def runs_or(self, default: int) -> int:
        return self.runs or default

    def rounds_or(self, default: int) -> int:
        return self.repeat or default

    def selection(self, measurement: str, default: Sequence[str]) -> list[str]:
        return list(self.selections.get(measurement, default))

    @property
    def io_models(self) -> list[str]:  # the HTTP measurement's serving models (kept for callers)
        from .io import MODELS

        return self.selection("io", MODELS)


class Measurement(ABC):
    """One measurement over several runtimes; subclasses are registered in `measurements/__init__.py`."""

    name: ClassVar[str]
    title: ClassVar[str]  # "Startup"
    unit: ClassVar[str]  # unit of Row.value
    higher_is_better: ClassVar[bool] = False
    in_bench: ClassVar[bool] = True  # False: its own command (density), shown but not run by bench
    in_report: ClassVar[bool] = False  # one of the article's four tables: the report says when absent
    rows_are_runtimes: ClassVar[bool] = True  # False: rows are hosts (an unavailable runtime adds none)
    row_header: ClassVar[str] = "Runtime"  # the name column's label
    reasons_in_caption: ClassVar[bool] = False  # a row that did not measure: its reason is in the caption
    columns: ClassVar[tuple[Column, ...]] = ()
    chart: ClassVar[BarChart | None] = None
    samples: ClassVar[tuple[type[Sample], ...]] = ()  # the typed samples it streams

    # -- running -------------------------------------------------------------------------------
    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        """Workload names that select this measurement on `--workloads`, each with the parts of
        it that workload stands for ([] = all of it)."""
        return {}

    def parts(self, profile: "Profile") -> list[str]:
        """The parts a bare selection of this measurement runs (e.g. the HTTP serving models)."""
        return []

    @abstractmethod
    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        """Progress steps this measurement will report for these runtimes."""

    @abstractmethod
    def run(self, adapters: dict[str, "RuntimeAdapter"], profile: "Profile", plan: Plan,
            control: "RunControl") -> Table:
        """Measure over the available adapters; rows that cannot run say why."""

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        """What the run used, recorded in `Results.settings` (flat keys, `name_…`)."""
        return {}

    def sort_key(self, row: Row) -> tuple[int, str]:
        """(group, variant): rows sort by group (e.g. the serving model), then the runtimes'
        order, then the variant."""
        return (0, row.variant)

    # -- showing -------------------------------------------------------------------------------
    def heading(self, view: View) -> str:
        """The table's title line: '<Title> — <workload>: <what it counts>'."""
        t = view.table
        wl = f"{t.workload}: " if t.workload else ""
        return f"{self.title} — {wl}{t.what}"

    def caption(self, view: View) -> list[str]:
        """Lines under the table: what the numbers count, phases, notes, rows not measured."""
        return []

    def row_label(self, view: View, row: Row) -> str:
        """The row's name in the table: ≠ when its output differs from the others', ⚠ when some
        of its samples were taken while the machine was busy (the caption says how many)."""
        return (view.label(row) + (" ≠" if row.status == DIFFERENT else "")
                + (" ⚠" if row.busy_samples else ""))

    def full_caption(self, view: View) -> list[str]:
        """The caption, then what every table of a user's program adds: whether the runtimes
        produced the same output, and what a first run with compile cost."""
        return [*self.caption(view), *output_lines(view), *first_run_lines(view)]

    def chart_label(self, view: View, row: Row) -> str:
        """A short name under a bar: 'Docker (runc) — host network' → 'Docker host network'."""
        name, _, variant = view.label(row).partition(" — ")
        return name.split(" (")[0] + (f" {variant}" if variant else "")

    def shows_figures(self, row: Row) -> bool:
        """Whether the row's cells are figures (else its first cell says why it has none)."""
        return row.status in (OK, DIFFERENT)

    def fmt(self, value: float | None) -> str:
        """The headline figure with its unit (charts, provisional rows)."""
        from ..model.format import fmt_mib, fmt_ms, fmt_rps

        return {"ms": fmt_ms, "MiB": fmt_mib}.get(self.unit, fmt_rps)(value)

    def extra_tables(self, results: Results) -> list[TableView]:
        """Tables derived from this measurement's rows (printed after it)."""
        return []

    def figures(self, results: Results) -> list[LineFigure]:
        """Line figures of this measurement (drawn after its table)."""
        return []

    def provisional(self, key: str, values: list[float]) -> Row:
        """A row from the samples streamed so far (status 'measuring'), before the final table."""
        runtime, model, variant = (key.split("/", 2) + ["", ""])[:3]
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        return Row(runtime=runtime, status=MEASURING, value=statistics.median(values), samples=list(values),
                   model=model, variant=variant, stats={"median": statistics.median(values), "p95": p95,
                                                        "min": ordered[0], "max": ordered[-1]})


def cell_of(value: "Cell | str") -> Cell:
    return value if isinstance(value, Cell) else Cell(value)


def row_cells(m: Measurement, view: View, row: Row, columns: Sequence[Column]) -> list[Cell]:
    """A row's cells for these columns (the row-name column excluded). A row that did not
    measure says why in its first column that is not `always`, and leaves the rest empty; a
    provisional row shows its own figures and 'measuring… n=K' where the comparisons will be."""
    if row.status == DIFFERENT:  # figures, but no comparison: it did not compute the same thing
        first_compare = next((c for c in columns if c.compares), None)
        return [Cell("different output", "warn") if c is first_compare else Cell("") if c.compares
                else cell_of(c.cell(view, row)) for c in columns]
    if row.status == MEASURING:
        first_compare = next((c for c in columns if c.compares), None)
        return [Cell(f"measuring… n={len(row.samples)}", "note") if c is first_compare
                else Cell("") if c.compares
                else _noted(cell_of(c.cell(view, row))) for c in columns]
    if not m.shows_figures(row):
        first = next((c for c in columns if not c.always and not c.article), None)
        # an unavailable runtime is named once above the tables; a reason in the caption is not repeated
        terse = m.reasons_in_caption or not row.reason or (row.status == UNAVAILABLE and m.rows_are_runtimes)
        why = row.status if terse else f"{row.status}: {row.reason}"
        return [Cell(why, "note") if c is first
                else cell_of(c.cell(view, row)) if (c.always or c.article) else Cell("") for c in columns]
    return [cell_of(c.cell(view, row)) for c in columns]


def output_lines(view: View) -> list[str]:
    """Whether the runtimes' outputs agreed (stdout and written files, hashed)."""
    rows = [r for r in view.table.rows if "output" in r.facts]
    if not rows:
        return []
    same = [view.name(r.runtime) for r in rows if r.facts.get("output_matches")]
    lines = [f"{view.name(r.runtime)} runs {r.facts['program']} (the program's own build on this host, not built "
             "by wasmscope)." for r in rows if r.facts.get("program")]
    if same:
        what = ", ".join(k for k in rows[0].facts["output"]) or "nothing compared"
        lines.append(f"Same output ({what}; hashed): {', '.join(same)}.")
    for r in rows:
        if r.status == DIFFERENT or r.facts.get("output_accepted"):
            how = "accepted, kept in the ratios" if r.facts.get("output_accepted") else "left out of the ratios"
            lines.append(f"≠ {view.name(r.runtime)}: different output — {r.facts['output_difference']} ({how}).")
        elif r.facts.get("output_varies"):
            lines.append(f"{view.name(r.runtime)}: output varied from run to run (not compared).")
    return lines


def first_run_lines(view: View) -> list[str]:
    """What the first run with compile cost, beside the cached runs' median."""
    lines = []
    for r in view.table.rows:
        if "first_run_ms" in r.facts and r.value is not None and view.table.unit == "ms":
            lines.append(f"{view.name(r.runtime)}: first run includes compile: {fmt_ms(r.facts['first_run_ms'])}; "
                         f"cached {fmt_ms(r.value)} (median) — {r.facts['compile_cache']}.")
    return lines


def _noted(cell: Cell) -> Cell:
    return Cell(cell.text, cell.style or "note")


def shown_columns(m: Measurement, view: View, compact: bool = False) -> list[Column]:
    """The columns a front end shows: article columns only with the article's figures, a
    comparison only when the run has its baseline, and only the essential ones on a narrow screen."""
    cols = [c for c in m.columns if (not c.article or view.reference)
            and (not c.baseline or view.baseline(c.baseline) is not None)
            and (not c.hide_empty or _has_content(m, view, c))]
    return [c for c in cols if c.essential] if compact else cols


def _has_content(m: Measurement, view: View, column: Column) -> bool:
    return any(cell_of(column.cell(view, row)).text for row in view.table.rows if m.shows_figures(row))
