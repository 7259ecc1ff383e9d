"""Startup (cold start): the whole run → exit of a new instance of a tiny workload, with its phases."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any, Sequence

from ..model.format import fmt_ms
from ..model.results import OK, Row, Table
from ..model.samples import ColdStart
from . import cells
from .base import BarChart, Column, Measurement, Plan, View
from .outputs import row_facts
from .quiet import QuietSpec
from .timing import (Schedule, conditions_record, figure_stats, interleaved, ordered, phase_medians,
                     round_figures)

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from ..runtimes.base import RuntimeAdapter
    from .control import RunControl


def measure_startup(adapters: dict[str, "RuntimeAdapter"], workload, *, schedule: Schedule, timeout_s: float,
                    control: "RunControl", quiet: QuietSpec | None = None) -> Table:
    """Cold start: the whole run → exit of a tiny workload, runtimes interleaved in blocks and
    rounds, each sample taken on a quiet machine where it can be, with phases."""
    args = workload.argv([])
    table = Table("startup", "ms", workload.name, args,
                  what="run → exit of a new instance (median of the runs); phases split it")
    runs_by = interleaved(adapters, workload, args, schedule=schedule, timeout_s=timeout_s, table=table,
                          control=control, quiet=quiet,
                          sample=lambda name, res: ColdStart("startup", name, ms=res.total_ms))
    for name, timed in runs_by.items():
        totals = [round(t.result.total_ms, 4) for t in timed]
        results = [t.result for t in timed]
        table.rows.append(Row(name, OK, value=round(statistics.median(totals), 4), stats=figure_stats(totals, timed),
                              phases=phase_medians(results), samples=totals, facts=row_facts(results),
                              rounds=round_figures(totals, timed), conditions=conditions_record(timed)))
    return ordered(table, adapters)


def schedule(profile: "Profile", plan: Plan) -> Schedule:
    s = profile.startup
    return Schedule(runs=plan.runs_or(s.runs), warmup=s.warmup, rounds=plan.rounds_or(s.rounds),
                    block=profile.bench.block)


class Startup(Measurement):
    name = "startup"
    title = "Startup"
    unit = "ms"
    in_report = True
    samples = (ColdStart,)
    chart = BarChart("Startup: median cold start (ms, log scale)", log=True)
    columns = (
        Column("median", "Median", cells.stat("median", fmt_ms), essential=True),
        Column("p95", "p95", cells.stat("p95", fmt_ms)),
        Column("min", "Min", cells.stat("min", fmt_ms)),
        Column("max", "Max", cells.stat("max", fmt_ms)),
        Column("rounds", "Round medians", cells.across(fmt_ms), hide_empty=True),
        Column("busy", "Busy", cells.busy, hide_empty=True),
        Column("vs_docker", "× vs Docker", cells.times_vs_container("faster", "slower"),
               essential=True, compares=True, baseline="container"),
        Column("vs_native", "% vs native", cells.pct_vs_native,
               essential=True, compares=True, baseline="native"),
        Column("article", "Article (published)", cells.article, essential=True, article=True),
    )

    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        return {profile.startup.workload: []}

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return schedule(profile, plan).steps(len(runtimes))

    def run(self, adapters, profile: "Profile", plan: Plan, control: "RunControl") -> Table:
        return measure_startup(adapters, profile.workload(profile.startup.workload), schedule=schedule(profile, plan),
                               timeout_s=profile.bench.timeout_s, control=control, quiet=profile.quiet)

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        sched = schedule(profile, plan)
        return {"startup_runs": sched.runs, "startup_warmup": sched.warmup, "startup_rounds": sched.rounds}

    def heading(self, view: View) -> str:
        return super().heading(view) + runs_words(view.results.settings, "startup")

    def caption(self, view: View) -> list[str]:
        phases = cells.phase_lines(view)
        return [*(["Phases (medians):"] + phases if phases else []),
                "× vs Docker: Docker's median over this runtime's; % vs native: above the native "
                "process. Both from this run.", cells.interval_caption(view), *cells.busy_caption(view),
                *([QUIET_START] if (view.table.facts.get("quiet") or {}).get("enabled") else []),
                cells.article_caption(view)]


QUIET_START = ("Each cold start begins after the wait for a quiet machine, so it finds the CPU caches as a "
               "request reaching an idle host does (back-to-back runs measure less).")


def runs_words(settings: dict, prefix: str) -> str:
    """' (n=10 × 3 rounds)': runs per round and rounds, as the run recorded them."""
    n = int(settings.get(f"{prefix}_runs", 0))
    k = int(settings.get(f"{prefix}_rounds", 1))
    return (f" (n={n} × {k} rounds)" if k > 1 else f" (n={n})") if n else ""
