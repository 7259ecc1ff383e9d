"""`wasmscope compare` output: one table per measurement, every figure of both runs side by side."""

from __future__ import annotations

from rich.table import Table as RichTable
from rich.text import Text

from wasmscope.workloads import measurements
from wasmscope.workloads.compare import (CHANGED, DIFFERENT_MACHINE, FIGURE_NAMES, NOISE, Change,
                                         Comparison)
from wasmscope.workloads.measurements.cells import pct_text, share_text
from wasmscope.workloads.model.format import fmt_with_interval
from wasmscope.workloads.model.intervals import Estimate

VERDICT_STYLE = {CHANGED: "bold", NOISE: "dim", DIFFERENT_MACHINE: "yellow"}


def _times(est: Estimate) -> str:
    def f(x: float) -> str:
        return f"{x:,.0f}×" if x >= 100 else f"{x:.2f}×"
    return fmt_with_interval(f(est.point), f(est.lo), f(est.hi), est.basis, est.n)


def figure_text(table: str, figure: str, est: Estimate | None) -> str:
    """A figure of one run with its interval, in its table's unit."""
    if est is None:
        return "—"
    if figure == "pct_over_native":
        return pct_text(est)
    if figure == "share_of_native":
        return share_text(est)
    if figure != "value":
        return _times(est)
    try:
        fmt = measurements.get(table).fmt
    except KeyError:
        fmt = lambda v: f"{v:g}"  # noqa: E731
    return fmt_with_interval(fmt(est.point), fmt(est.lo), fmt(est.hi), est.basis, est.n)


def figure_name(table: str, figure: str) -> str:
    """'median (ms)', 'req/s', '% vs native' ..."""
    if figure != "value":
        return FIGURE_NAMES.get(figure, figure)
    try:
        m = measurements.get(table)
    except KeyError:
        return "figure"
    return m.unit if m.higher_is_better else f"median ({m.unit})"


def change_text(c: Change) -> str:
    if c.change is None:
        return ""
    return f"{c.change:+.1f} pp" if c.figure == "pct_over_native" else f"{c.change:+.1f} %"


def verdict_text(c: Change) -> Text:
    words = f"{c.verdict}: {c.direction}" if c.direction else c.verdict
    return Text(words, style=VERDICT_STYLE.get(c.verdict, "italic"))


def header_lines(cmp: Comparison) -> list[str]:
    changed = [c for c in cmp.changes if c.verdict == CHANGED]
    better = sum(c.direction == "better" for c in changed)
    lines = [f"A: {cmp.a_label}", f"B: {cmp.b_label}", f"Machine: {cmp.machine_words}."]
    if cmp.software:
        lines.append("Software changed: " + "; ".join(cmp.software) + ".")
    if cmp.settings:
        lines.append("Settings changed: " + "; ".join(cmp.settings) + ".")
    if cmp.same_machine is False:
        lines.append("Runs from different machines: their differences are reported as 'different machine', "
                     "never as a change.")
    else:
        noise = sum(c.verdict == NOISE for c in cmp.changes)
        lines.append(f"{len(changed)} figure(s) changed beyond both runs' intervals ({better} better, "
                     f"{len(changed) - better} worse); {noise} within noise.")
    return lines


def compare_tables(cmp: Comparison) -> list[RichTable]:
    """One table per measurement: row, figure, A, B, change, verdict."""
    out = []
    for table in dict.fromkeys(c.table for c in cmp.changes):
        try:
            title = measurements.get(table).title
        except KeyError:
            title = table
        rt = RichTable(title=f"{title} — A vs B", title_justify="left")
        for col, justify in (("Runtime", "left"), ("Figure", "left"), ("A", "right"), ("B", "right"),
                             ("Change", "right"), ("Verdict", "left")):
            rt.add_column(col, justify=justify)  # type: ignore[arg-type]
        for c in (c for c in cmp.changes if c.table == table):
            rt.add_row(c.label, figure_name(table, c.figure), figure_text(table, c.figure, c.a),
                       figure_text(table, c.figure, c.b), change_text(c), verdict_text(c))
        rt.caption = ("Intervals: each run's spread across its rounds (or, with one round, a bootstrap over its "
                      "samples). 'changed' = the two intervals do not overlap and the change is at least 1 %; % change "
                      "for figures and ratios, "
                      "percentage points (pp) for % vs native.")
        rt.caption_justify = "left"
        out.append(rt)
    return out


def compare_markdown(cmp: Comparison) -> str:
    from .markdown import rich_to_markdown

    out = ["# wasmscope compare", ""] + [f"- {line}" for line in header_lines(cmp)] + [""]
    for table in compare_tables(cmp):
        out += [rich_to_markdown(table), ""]
    return "\n".join(out).rstrip() + "\n"
