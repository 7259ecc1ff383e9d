"""Cells more than one measurement shows: ratios to the run's baselines, the article's figure,
a formatted statistic. Every ratio is taken between rows of one run: figures measured side by side.
"""

from __future__ import annotations

from typing import Callable

from ..model.format import fmt_pct, fmt_times
from ..model.results import Row
from ..model.stats import median_ratio_ci
from .base import Cell, CellFn, View

# Which of the reference article's figure tables each measurement's Article column reads.
ARTICLE_KEYS = {"startup": "startup_ms", "memory": "memory_mib", "compute": "compute_ms"}


def stat(key: str, fmt: Callable[[float | None], str]) -> CellFn:
    """A cell showing one statistic of the row (`row.stats[key]`)."""
    return lambda view, row: fmt(row.stats.get(key))


# The cell of a ratio the run refuses: the two rows ran on different machines (DOCKER_HOST).
OTHER_MACHINE = Cell("other machine", "muted")


def times_vs_container(better: str, worse: str) -> CellFn:
    """'255× faster' than the container baseline (its figure over this row's)."""

    def cell(view: View, row: Row) -> Cell | str:
        base = view.baseline("container")
        if base is not None and not view.table.comparable(row.runtime, base):
            return OTHER_MACHINE
        return fmt_times(view.table.ratio(row.runtime, base) if base else None, better, worse)

    return cell


def pct_vs_native(view: View, row: Row) -> Cell | str:
    """How far above the native baseline, in percent ('baseline' on its own row)."""
    base = view.baseline("native")
    if base is not None and row.runtime == base:
        return "baseline"
    if base is not None and not view.table.comparable(row.runtime, base):
        return OTHER_MACHINE
    return fmt_pct(view.table.overhead_pct(row.runtime, base) if base else None)


def overhead_ci(view: View, row: Row) -> tuple[float, float, float] | None:
    """Overhead vs the native baseline in % with a 95 % bootstrap interval, from the raw samples
    (None across machines)."""
    base = view.baseline("native")
    b = view.table.row(base) if base else None
    if (b is None or not view.table.comparable(row.runtime, b.runtime) or row.runtime == base or b.status != "ok"
            or not row.samples or not b.samples):
        return None
    point, lo, hi = median_ratio_ci(row.samples, b.samples)
    return (point - 1) * 100, (lo - 1) * 100, (hi - 1) * 100


def article_entry(reference: dict | None, measurement: str, runtime: str) -> tuple[str | None, float]:
    """The article's published figure for a runtime, matched by the start of its row label."""
    values = (reference or {}).get(ARTICLE_KEYS.get(measurement, ""), {}) or {}
    for label, value in values.items():
        if label.lower().startswith(runtime.lower()):
            return label, value
    return None, 0.0


def article(view: View, row: Row) -> Cell:
    label, value = article_entry(view.reference, view.table.name, row.runtime)
    unit = "MB" if view.table.name == "memory" else "ms"
    return Cell(f"{value:g} {unit}" if label is not None else "", "muted")


def article_caption(view: View, extra: str = "") -> str:
    """The line that says whose figures the Article column holds."""
    labels = [lbl for row in view.table.rows
              if (lbl := article_entry(view.reference, view.table.name, row.runtime)[0])]
    if not labels:
        return ""
    return (f"Article column: the reference article's published figures{extra} for "
            f"{', '.join(labels)} — on its hardware, not measured here.")


def phase_lines(view: View) -> list[str]:
    """'  Wasmtime (embedded): load 0.16 ms · instantiate 0.17 ms · run 0.43 ms', per measured row."""
    from ..model.format import fmt_ms

    return [f"  {view.label(r)}: " + " · ".join(f"{k} {fmt_ms(v)}" for k, v in r.phases.items())
            for r in view.table.rows if r.status == "ok" and r.phases]
