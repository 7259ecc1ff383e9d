"""Every figure and ratio of a run, each with its interval: what JSON output and `compare` read.

The same estimates the tables' cells show (cells.py), keyed by stable names so two runs can be
put side by side: per table, per row key, "value" (the headline figure) and the ratios to the
run's baselines ("docker_over_this" and "pct_over_native" for times and sizes; "share_of_native"
and "times_docker" for throughput).
"""

from __future__ import annotations

from typing import Any, Callable

from ..model.intervals import POINT, Estimate
from ..model.results import OK, Results, Row
from .base import View
from .cells import PCT_ABOVE, SHARE, TIMES_SMALLER, ratio_estimate, value_estimate

# name -> (baseline role, how the ratio reads), for tables where less is better / more is better
LOWER_BETTER: dict[str, tuple[str, Callable[[float], float]]] = {
    "docker_over_this": ("container", TIMES_SMALLER), "pct_over_native": ("native", PCT_ABOVE)}
HIGHER_BETTER: dict[str, tuple[str, Callable[[float], float]]] = {
    "share_of_native": ("native", SHARE), "times_docker": ("container", SHARE)}

# Which way is better for each ratio (for a change between runs): +1 higher is better, -1 lower.
BETTER = {"docker_over_this": +1, "pct_over_native": -1, "share_of_native": +1, "times_docker": +1}


def _identity(view: View, row: Row, role: str, shown: Callable[[float], float]) -> Estimate | None:
    """The baseline's own ratio (1×, +0 %), so the baseline row keeps its entry; n = 0 says it
    is the baseline itself, not a measured ratio."""
    base = view.baseline(role)
    if base is None or (row.runtime, row.variant) != (base, ""):
        return None
    v = shown(1.0)
    return Estimate(v, v, v, 0, POINT, 0.0)


def row_figures(view: View, row: Row) -> dict[str, Estimate]:
    """The row's headline figure and its ratios to the run's baselines, with intervals."""
    out: dict[str, Estimate] = {}
    value = value_estimate(row)
    if value is not None:
        out["value"] = value
    ratios = HIGHER_BETTER if view.table.higher_is_better else LOWER_BETTER
    for name, (role, shown) in ratios.items():
        est = ratio_estimate(view, row, role, shown) or _identity(view, row, role, shown)
        if est is not None:
            out[name] = est
    return out


def run_figures(results: Results) -> dict[str, dict[str, dict[str, Estimate]]]:
    """Per table, per row key (measured rows only), the row's figures."""
    out: dict[str, dict[str, dict[str, Estimate]]] = {}
    for name, table in results.tables.items():
        view = View(results, table)
        out[name] = {row.key: row_figures(view, row) for row in table.rows if row.status == OK}
    return out


def comparisons(results: Results) -> dict[str, dict[str, Any]]:
    """Same-run ratios for JSON output: each ratio's point, its interval, and the busy samples."""
    out: dict[str, dict[str, Any]] = {}
    for table, rows in run_figures(results).items():
        per: dict[str, Any] = {}
        by_key = {r.key: r for r in results.tables[table].rows}
        for key, figs in rows.items():
            entry: dict[str, Any] = {}
            for name, est in figs.items():
                if name == "value":
                    continue
                entry[name] = round(est.point, 4)
                if est.has_interval:
                    entry[f"{name}_interval"] = {"lo": round(est.lo, 4), "hi": round(est.hi, 4), "n": est.n,
                                                 "basis": est.basis, "coverage": round(est.coverage, 4)}
            row = by_key[key]
            if row.conditions.get("busy"):
                entry["busy_samples"] = row.busy_samples
                entry["samples"] = len(row.conditions["busy"])
            per[key] = entry
        out[table] = per
    return out
