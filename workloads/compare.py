"""Two runs side by side: every figure and ratio, its change, and whether the change is real.

A change counts only when the two runs' intervals do not overlap (the way critcmp and
hyperfine's relative speed read two measurements) and it is at least 1 % (Criterion's noise
threshold): otherwise it is within noise. Two runs from
different machines are never compared as a change: each difference is reported as "different
machine", since a VM host of the same kind can move a compute figure by 50 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .measurements import figures as figs
from .measurements import get as measurement
from .measurements.base import View
from .model.intervals import Estimate
from .model.machine import same_machine, software_changes
from .model.results import Results

CHANGED, NOISE, DIFFERENT_MACHINE, NO_INTERVAL = "changed", "within noise", "different machine", "no interval"
ONLY_A, ONLY_B = "only in A", "only in B"
NOISE_THRESHOLD = 1.0  # % (percentage points for % vs native): smaller changes are noise whatever the intervals

FIGURE_NAMES = {"value": "figure", "docker_over_this": "Docker ÷ this", "pct_over_native": "% vs native",
                "share_of_native": "share of native", "times_docker": "× Docker's req/s"}


@dataclass(frozen=True)
class Change:
    """One figure of one row in both runs."""

    table: str
    row: str  # the row's key
    label: str  # the row's name as a table shows it
    figure: str  # "value" or a ratio's name (figures.py)
    a: Estimate | None
    b: Estimate | None
    change: float | None  # relative change in % (percentage points for "pct_over_native")
    verdict: str  # changed / within noise / different machine / no interval / only in A / only in B
    direction: str = ""  # "better" / "worse" for a change, else ""

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "row": self.row, "label": self.label, "figure": self.figure,
                "a": self.a.to_dict() if self.a else None, "b": self.b.to_dict() if self.b else None,
                "change": None if self.change is None else round(self.change, 3), "unit":
                "pp" if self.figure == "pct_over_native" else "%", "verdict": self.verdict,
                "direction": self.direction}


@dataclass
class Comparison:
    a_label: str
    b_label: str
    same_machine: bool | None
    machine_diffs: list[str] = field(default_factory=list)
    software: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # what the two runs were asked to do differently
    changes: list[Change] = field(default_factory=list)

    @property
    def machine_words(self) -> str:
        if self.same_machine is True:
            return "same machine (fingerprints match)"
        if self.same_machine is False:
            return "different machines: " + "; ".join(self.machine_diffs)
        return "cannot tell whether the machines are the same (a result stored before fingerprints has none)"

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a_label, "b": self.b_label, "same_machine": self.same_machine,
                "machine_differences": self.machine_diffs, "software_changes": self.software,
                "settings_changes": self.settings, "changes": [c.to_dict() for c in self.changes]}


def _change(figure: str, a: Estimate, b: Estimate) -> float | None:
    if figure == "pct_over_native":
        return b.point - a.point
    return (b.point / a.point - 1) * 100 if a.point else None


def _direction(figure: str, higher_is_better: bool, a: Estimate, b: Estimate) -> str:
    up = figs.BETTER.get(figure, +1 if higher_is_better else -1)
    return "better" if (b.point - a.point) * up > 0 else "worse"


def judge(figure: str, higher_is_better: bool, a: Estimate, b: Estimate, machines_differ: bool) -> tuple[str, str]:
    """(verdict, direction) for one figure measured in both runs: a change when the intervals do
    not overlap and it is at least the noise threshold (as Criterion's noise_threshold: a memory
    figure whose intervals are a few pages wide must not 'change' by 0.1 %)."""
    if machines_differ:
        return DIFFERENT_MACHINE, ""
    if not (a.has_interval and b.has_interval):
        return NO_INTERVAL, ""
    change = _change(figure, a, b)
    if a.overlaps(b) or change is None or abs(change) < NOISE_THRESHOLD:
        return NOISE, ""
    return CHANGED, _direction(figure, higher_is_better, a, b)


def compare_results(a: Results, b: Results, a_label: str = "A", b_label: str = "B") -> Comparison:
    """Every figure of every row the two runs measured, side by side, judged."""
    same, diffs = same_machine(a.machine, b.machine)
    out = Comparison(a_label, b_label, same, diffs, software_changes(a.machine, b.machine),
                     settings_changes(a.settings, b.settings))
    fa, fb = figs.run_figures(a), figs.run_figures(b)
    for table in [t for t in b.tables if t in a.tables] + [t for t in b.tables if t not in a.tables] + \
            [t for t in a.tables if t not in b.tables]:
        higher = (b.tables.get(table) or a.tables[table]).higher_is_better
        rows_a, rows_b = fa.get(table, {}), fb.get(table, {})
        for key in list(rows_b) + [k for k in rows_a if k not in rows_b]:
            label = _label(b if key in rows_b else a, table, key)
            ea, eb = rows_a.get(key, {}), rows_b.get(key, {})
            for figure in list(eb) + [f for f in ea if f not in eb]:
                x, y = ea.get(figure), eb.get(figure)
                if (x is None or x.n == 0) and (y is None or y.n == 0):
                    continue  # the baseline against itself
                if x is None or y is None:
                    out.changes.append(Change(table, key, label, figure, x, y, None, ONLY_B if x is None else ONLY_A))
                    continue
                verdict, direction = judge(figure, higher, x, y, same is False)
                out.changes.append(Change(table, key, label, figure, x, y, _change(figure, x, y), verdict, direction))
    return out


def settings_changes(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[str]:
    """Settings the two runs differ in ('idle_mib: 16 → 48'), nested tables flattened."""
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        x, y = a.get(key), b.get(key)
        if isinstance(x, dict) and isinstance(y, dict):
            out += settings_changes(x, y, f"{prefix}{key}.")
        elif x != y:
            out.append(f"{prefix}{key}: {_setting(x)} → {_setting(y)}")
    return out


def _setting(v: Any) -> str:
    if v is None:
        return "(not set)"
    return ", ".join(map(str, v)) if isinstance(v, list) else str(v)


def _label(results: Results, table: str, key: str) -> str:
    t = results.tables[table]
    row = next(r for r in t.rows if r.key == key)
    try:
        return measurement(table).row_label(View(results, t), row).removesuffix(" ⚠")
    except KeyError:
        return View(results, t).label(row)
