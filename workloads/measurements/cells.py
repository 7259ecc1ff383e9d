"""Cells more than one measurement shows: ratios to the run's baselines with their intervals, the
busy-sample flag, the article's figure, a formatted statistic. Every ratio is taken between
rows of one run (figures measured side by side), and round by round where the run had rounds.
"""

from __future__ import annotations

from typing import Callable

from ..model.format import (fmt_bound_pct, fmt_bound_times, fmt_pct, fmt_share, fmt_times,
                            fmt_with_interval)
from ..model.intervals import (POINT, Estimate, across_rounds, median_from_samples, median_interval,
                               ratio_across_rounds, ratio_from_samples)
from ..model.results import OK, Row
from .base import Cell, CellFn, Column, View

# Which of the reference article's figure tables each measurement's Article column reads.
ARTICLE_KEYS = {"startup": "startup_ms", "memory": "memory_mib", "compute": "compute_ms"}

# How a ratio (this row's figure over the baseline's, r) reads in a column.
TIMES_SMALLER: Callable[[float], float] = lambda r: 1.0 / r  # noqa: E731 - Docker's figure over this one's
PCT_ABOVE: Callable[[float], float] = lambda r: (r - 1.0) * 100.0  # noqa: E731 - % above the baseline
SHARE: Callable[[float], float] = lambda r: r  # noqa: E731 - this one's figure as a share of the baseline's


def stat(key: str, fmt: Callable[[float | None], str]) -> CellFn:
    """A cell showing one statistic of the row (`row.stats[key]`)."""
    return lambda view, row: fmt(row.stats.get(key))


# The label of each summary statistic's column (keys of model/stats.summarize).
SUMMARY_LABELS = {"median": "Median", "p95": "p95", "min": "Min", "max": "Max"}


def summary_columns(fmt: Callable[[float | None], str], *keys: str) -> tuple[Column, ...]:
    """A column per summary statistic of the row's samples, read with `fmt`; the median's is essential."""
    return tuple(Column(k, SUMMARY_LABELS[k], stat(k, fmt), essential=k == "median") for k in keys)


# The cell of a ratio the run refuses: the two rows ran on different machines (DOCKER_HOST).
OTHER_MACHINE = Cell("other machine", "muted")

# -- estimates ---------------------------------------------------------------------------------

def value_estimate(row: Row, key: str = "value") -> Estimate | None:
    """A row's figure with its interval: across rounds where it had several, else a bootstrap
    over its samples (headline only), else the figure alone."""
    per_round = row.round_values(key)
    if len(per_round) >= 2:
        return across_rounds(list(per_round.values()))
    if key == "value" and row.samples:
        return median_from_samples(row.samples)
    value = row.value if key == "value" else row.stats.get(key)
    return None if value is None else Estimate(value, value, value, 1, POINT, 0.0)


def baseline_row(view: View, row: Row, role: str) -> Row | None:
    """The run's `role` baseline row this row is compared with (same serving model), or None
    (no baseline, the row is the baseline, either did not measure, or they ran on two machines)."""
    name = view.baseline(role)
    if name is None or row.status != OK:
        return None
    base = view.table.row(name, row.model if row.model else None)
    if base is None or base is row or base.status != OK or (base.runtime, base.variant) == (row.runtime, row.variant):
        return None
    # measured on another machine (DOCKER_HOST elsewhere): never a ratio
    return base if view.table.comparable(row.runtime, base.runtime) else None


def ratio_estimate(view: View, row: Row, role: str, shown: Callable[[float], float]) -> Estimate | None:
    """shown(this row's figure / the baseline's), round by round where both have rounds, else a
    bootstrap over the two rows' samples, else from their figures alone."""
    base = baseline_row(view, row, role)
    if base is None or not row.value or not base.value:
        return None
    est = ratio_across_rounds(row.round_values(), base.round_values(), shown)
    if est is not None:
        return est
    if row.samples and base.samples:
        sampled = ratio_from_samples(row.samples, base.samples)
        if sampled is not None:
            return sampled.scaled(shown)
    v = shown(row.value / base.value)
    return Estimate(v, v, v, 1, POINT, 0.0)


# -- cells -------------------------------------------------------------------------------------

def times_text(est: Estimate | None, better: str, worse: str) -> str:
    """'247× faster (230 … 260, 3 rounds)': the ends read in the point's direction."""
    if est is None:
        return "—"
    if est.point >= 1:
        lo, hi = est.lo, est.hi
    else:
        lo, hi = 1 / est.hi, 1 / est.lo
    return fmt_with_interval(fmt_times(est.point, better, worse), fmt_bound_times(lo), fmt_bound_times(hi),
                             est.basis, est.n)


def pct_text(est: Estimate | None) -> str:
    if est is None:
        return "—"
    return fmt_with_interval(fmt_pct(est.point), fmt_bound_pct(est.lo), fmt_bound_pct(est.hi), est.basis, est.n)


def share_text(est: Estimate | None) -> str:
    if est is None:
        return "—"
    return fmt_with_interval(fmt_share(est.point), f"{est.lo * 100:.0f}", f"{est.hi * 100:.0f}", est.basis, est.n)


def vs_baseline(role: str, shown: Callable[[float], float], text: Callable[[Estimate | None], str]) -> CellFn:
    """A ratio to the run's `role` baseline, read through `shown` and written by `text`, with its
    interval ('baseline' on the baseline's own row; none between rows of two machines)."""

    def cell(view: View, row: Row) -> Cell | str:
        base = view.baseline(role)
        if base is not None and row.runtime == base:
            return "baseline"
        if base is not None and not view.table.comparable(row.runtime, base):
            return OTHER_MACHINE
        return text(ratio_estimate(view, row, role, shown))

    return cell


def times_vs_container(better: str, worse: str) -> CellFn:
    """'255× faster (240 … 270, 3 rounds)' than the container baseline (its figure over this row's)."""
    return vs_baseline("container", TIMES_SMALLER, lambda est: times_text(est, better, worse))


# How far above the native baseline, in percent.
pct_vs_native: CellFn = vs_baseline("native", PCT_ABOVE, pct_text)


def across(fmt: Callable[[float | None], str], key: str = "value") -> CellFn:
    """The row's per-round medians as 'lo … hi' (its spread across rounds), '' with one round."""

    def cell(view: View, row: Row) -> Cell:
        per_round = list(row.round_values(key).values())
        if len(per_round) < 2:
            return Cell("", "muted")
        lo, hi = fmt(min(per_round)), fmt(max(per_round))
        unit = hi.rsplit(" ", 1)[-1] if " " in hi else ""
        if unit and lo.endswith(" " + unit):  # '83.37 … 89.36 ms': the unit once
            lo = lo[: -len(unit) - 1]
        return Cell(f"{lo} … {hi}", "muted")

    return cell


def busy(view: View, row: Row) -> Cell:
    """'3/30 ⚠': samples taken while the machine was busy, of all (blank where not recorded)."""
    flags = row.conditions.get("busy")
    if not flags:
        return Cell("", "muted")
    n = int(sum(flags))
    return Cell(f"{n}/{len(flags)} ⚠", "warn") if n else Cell(f"0/{len(flags)}", "muted")


def busy_mark(row: Row) -> str:
    """' ⚠' after a row's name when some of its samples were taken on a busy machine."""
    return " ⚠" if row.busy_samples else ""


BUSY_COLUMN = Column("busy", "Busy", busy, hide_empty=True)


def spread_and_ratios(fmt: Callable[[float | None], str], better: str, worse: str) -> tuple[Column, ...]:
    """The columns a measurement of rounds shows after its own figures: the spread of its round
    medians, its busy samples, and its ratios to the run's container and native baselines
    (`better`/`worse`: how a smaller/larger figure than the container's reads)."""
    return (
        Column("rounds", "Round medians", across(fmt), hide_empty=True),
        BUSY_COLUMN,
        Column("vs_docker", "× vs Docker", times_vs_container(better, worse),
               essential=True, compares=True, baseline="container"),
        Column("vs_native", "% vs native", pct_vs_native, essential=True, compares=True, baseline="native"),
    )


# -- captions ----------------------------------------------------------------------------------

def rounds_of(view: View) -> int:
    """How many rounds the table was measured in (from its facts, else from its rows)."""
    n = view.table.facts.get("rounds")
    if n:
        return int(n)
    return max((len(r.round_values()) for r in view.table.rows if r.status == OK), default=0)


def interval_caption(view: View) -> str:
    """Where the intervals in the table come from, and how much they cover."""
    k = rounds_of(view)
    if k >= 2:
        lo, _, coverage = median_interval(range(k))
        ends = "min … max" if lo == 0 else "order statistics"
        return (f"Intervals: across {k} rounds (each a full interleaved pass over every runtime). A ratio is the "
                f"median of its per-round ratios (each round's median against the baseline's of the same round); "
                f"the interval is their {ends}, which covers the typical round with {coverage * 100:.0f} % probability.")
    return ("Intervals: one round, so a 95 % bootstrap over this run's samples — it does not cover "
            "run-to-run differences; measure K rounds with --repeat K (or `rounds` in the profile).")


def busy_caption(view: View) -> list[str]:
    """Hyperfine's outlier warning, for samples taken while the machine was busy; and how samples waited."""
    t = view.table
    quiet = t.facts.get("quiet") or {}
    lines = []
    flagged = [f"{view.label(r)} {r.busy_samples} of {len(r.conditions.get('busy', []))}"
               for r in t.rows if r.status == OK and r.busy_samples]
    if flagged:
        lines.append(f"⚠ Taken while the machine was busy (other processes ≥ {quiet.get('busy_pct', 15):g} % CPU "
                     f"or steal ≥ {quiet.get('steal_pct', 5):g} %): {', '.join(flagged)} samples. "
                     "Consider re-running on a quiet machine.")
    if quiet.get("enabled"):
        blocks = f"; runtimes in shuffled blocks of {t.facts['block']} samples" if t.facts.get("block") else ""
        retaken = int(sum(sum(r.conditions.get("retaken", [])) for r in t.rows))
        again = (f" {retaken} sample(s) disturbed while they ran were taken again." if retaken else "")
        lines.append(f"Quiet samples: each waited (≤ {quiet.get('max_wait_s', 1):g} s) for the previous "
                     f"container's teardown and until other processes used < {quiet.get('busy_pct', 15):g} % CPU "
                     f"over {quiet.get('window_s', 0.1):g} s{blocks}.{again}")
    return lines


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


ARTICLE_COLUMN = Column("article", "Article (published)", article, essential=True, article=True)


def article_caption(view: View, extra: str = "") -> str:
    """The line that says whose figures the Article column holds."""
    labels = [lbl for row in view.table.rows
              if (lbl := article_entry(view.reference, view.table.name, row.runtime)[0])]
    if not labels:
        return ""
    return (f"Article column: the reference article's published figures{extra} for "
            f"{', '.join(labels)} — on its hardware, not measured here.")


def ratio_caption(figure: str = "median") -> str:
    """What the two ratio columns of `spread_and_ratios` hold."""
    return (f"× vs Docker: Docker's {figure} over this runtime's; % vs native: above the native "
            "process. Both from this run.")


def phase_lines(view: View) -> list[str]:
    """'  Wasmtime (embedded): load 0.16 ms · instantiate 0.17 ms · run 0.43 ms', per measured row."""
    from ..model.format import fmt_ms

    return [f"  {view.label(r)}: " + " · ".join(f"{k} {fmt_ms(v)}" for k, v in r.phases.items())
            for r in view.table.rows if r.status == "ok" and r.phases]

