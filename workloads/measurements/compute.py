"""Compute: the time the guest reports around its own work (fib), so start-up is excluded."""

from __future__ import annotations

import re
import statistics
from typing import TYPE_CHECKING, Any, Sequence

from ..model.format import fmt_ms
from ..model.results import OK, Row, Table
from ..model.samples import GuestTime
from . import cells
from .base import BarChart, Column, Measurement, Plan, View
from .outputs import row_facts
from .quiet import QuietSpec
from .startup import runs_words
from .timing import Schedule, conditions_record, figure_stats, interleaved, ordered, round_figures

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from ..runtimes.base import RuntimeAdapter
    from .control import RunControl

ELAPSED = re.compile(r"elapsed_ns=(\d+)")  # what a built-in compute guest prints about its own work


def guest_ms(stdout: str, wall_ms: float) -> float:
    """The guest's own measure of its work, else the wall time of the whole run."""
    m = ELAPSED.search(stdout)
    return round(int(m.group(1)) / 1e6, 4) if m else round(wall_ms, 4)


def measure_compute(adapters: dict[str, "RuntimeAdapter"], workload, n: int, *, schedule: Schedule,
                    timeout_s: float, control: "RunControl", quiet: QuietSpec | None = None) -> Table:
    """fib(n) on every runtime, interleaved in blocks and rounds; the figure is the guest-reported
    time (a user's program, which reports none, is timed whole: its own arguments, the wall time)."""
    args = workload.argv([str(n)])
    what = (f"time inside the guest for {workload.name}({n}), median of the runs" if workload.builtin else
            f"wall time of `{' '.join([workload.name, *args])}`, start-up included (a program of your own "
            "reports no time of its own), median of the runs")
    table = Table("compute", "ms", workload.name, args, what=what)
    runs_by = interleaved(adapters, workload, args, schedule=schedule, timeout_s=timeout_s, table=table,
                          control=control, quiet=quiet,
                          sample=lambda name, res: GuestTime("compute", name, ms=guest_ms(res.stdout, res.total_ms)))
    for name, timed in runs_by.items():
        res = [t.result for t in timed]
        guest = [guest_ms(r.stdout, r.total_ms) for r in res]
        counts = "guest-reported time" if all(ELAPSED.search(r.stdout) for r in res) else "wall time incl. start"
        stats = figure_stats(guest, timed)
        stats["wall_median"] = round(statistics.median(r.total_ms for r in res), 4)
        table.rows.append(Row(name, OK, value=stats["median"], stats=stats, samples=guest, counts=counts,
                              facts=row_facts(res), rounds=round_figures(guest, timed),
                              conditions=conditions_record(timed)))
    return ordered(table, adapters)


def schedule(profile: "Profile", plan: Plan) -> Schedule:
    c = profile.compute
    return Schedule(runs=plan.runs_or(c.runs), warmup=c.warmup, rounds=plan.rounds_or(c.rounds),
                    block=profile.bench.block)


class Compute(Measurement):
    name = "compute"
    title = "Compute"
    unit = "ms"
    in_report = True
    samples = (GuestTime,)
    chart = BarChart("Compute: guest time (ms)")
    columns = (
        Column("median", "Median", cells.stat("median", fmt_ms), essential=True),
        Column("min", "Min", cells.stat("min", fmt_ms)),
        Column("max", "Max", cells.stat("max", fmt_ms)),
        Column("rounds", "Round medians", cells.across(fmt_ms), hide_empty=True),
        Column("busy", "Busy", cells.busy, hide_empty=True),
        Column("vs_docker", "× vs Docker", cells.times_vs_container("faster", "slower"),
               essential=True, compares=True, baseline="container"),
        Column("vs_native", "% vs native", cells.pct_vs_native,
               essential=True, compares=True, baseline="native"),
        Column("wall", "Wall incl. start", cells.stat("wall_median", fmt_ms)),
        Column("article", "Article (published)", cells.article, essential=True, article=True),
    )

    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        return {profile.compute.workload: []}

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return schedule(profile, plan).steps(len(runtimes))

    def run(self, adapters, profile: "Profile", plan: Plan, control: "RunControl") -> Table:
        c = profile.compute
        return measure_compute(adapters, profile.workload(c.workload), c.n, schedule=schedule(profile, plan),
                               timeout_s=profile.bench.timeout_s, control=control, quiet=profile.quiet)

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        sched = schedule(profile, plan)
        return {"compute_runs": sched.runs, "compute_warmup": sched.warmup, "compute_rounds": sched.rounds,
                "fib_n": profile.compute.n}

    def heading(self, view: View) -> str:
        return super().heading(view) + runs_words(view.results.settings, "compute")

    def caption(self, view: View) -> list[str]:
        return ["× vs Docker: Docker's median over this runtime's; % vs native: above the native "
                "process. Both from this run.", cells.interval_caption(view), *cells.busy_caption(view),
                cells.article_caption(view, " (fib 40)")]
