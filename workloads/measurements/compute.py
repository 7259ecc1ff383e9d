"""Compute: the time the guest reports around its own work (fib), so start-up is excluded."""

from __future__ import annotations

import re
import statistics
from typing import TYPE_CHECKING, Any, Sequence

from ..model.format import fmt_ms
from ..model.results import OK, Row, Table
from ..model.samples import GuestTime
from ..model.stats import summarize
from . import cells
from .base import BarChart, Column, Measurement, Plan, View
from .outputs import row_facts
from .timing import interleaved, ordered

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from ..runtimes.base import RuntimeAdapter
    from .control import RunControl

ELAPSED = re.compile(r"elapsed_ns=(\d+)")  # what a built-in compute guest prints about its own work


def guest_ms(stdout: str, wall_ms: float) -> float:
    """The guest's own measure of its work, else the wall time of the whole run."""
    m = ELAPSED.search(stdout)
    return round(int(m.group(1)) / 1e6, 4) if m else round(wall_ms, 4)


def measure_compute(adapters: dict[str, "RuntimeAdapter"], workload, n: int, *, runs: int, warmup: int,
                    timeout_s: float, control: "RunControl") -> Table:
    """fib(n) on every runtime, interleaved; the figure is the guest-reported time (a user's
    program, which reports none, is timed whole: its own arguments, the wall time)."""
    args = workload.argv([str(n)])
    what = (f"time inside the guest for {workload.name}({n}), median of the runs" if workload.builtin else
            f"wall time of `{' '.join([workload.name, *args])}`, start-up included (a program of your own "
            "reports no time of its own), median of the runs")
    table = Table("compute", "ms", workload.name, args, what=what)
    runs_by = interleaved(adapters, workload, args, runs=runs, warmup=warmup, timeout_s=timeout_s,
                          table=table, control=control,
                          sample=lambda name, res: GuestTime("compute", name, ms=guest_ms(res.stdout, res.total_ms)))
    for name, res in runs_by.items():
        guest = [guest_ms(r.stdout, r.total_ms) for r in res]
        counts = "guest-reported time" if all(ELAPSED.search(r.stdout) for r in res) else "wall time incl. start"
        stats = {k: round(v, 4) for k, v in summarize(guest).items()}
        stats["wall_median"] = round(statistics.median(r.total_ms for r in res), 4)
        table.rows.append(Row(name, OK, value=stats["median"], stats=stats, samples=guest, counts=counts,
                              facts=row_facts(res)))
    return ordered(table, adapters)


def _ci(view: View, row: Row) -> str:
    ci = cells.overhead_ci(view, row)
    return f"{ci[1]:+.1f} … {ci[2]:+.1f} %" if ci else ""


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
        Column("vs_docker", "× vs Docker", cells.times_vs_container("faster", "slower"),
               essential=True, compares=True, baseline="container"),
        Column("vs_native", "% vs native", cells.pct_vs_native,
               essential=True, compares=True, baseline="native"),
        Column("ci", "95 % CI", _ci, compares=True, baseline="native"),
        Column("wall", "Wall incl. start", cells.stat("wall_median", fmt_ms)),
        Column("article", "Article (published)", cells.article, essential=True, article=True),
    )

    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        return {profile.compute.workload: []}

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return (plan.runs_or(profile.compute.runs) + profile.compute.warmup) * len(runtimes)

    def run(self, adapters, profile: "Profile", plan: Plan, control: "RunControl") -> Table:
        c = profile.compute
        return measure_compute(adapters, profile.workload(c.workload), c.n, runs=plan.runs_or(c.runs),
                               warmup=c.warmup, timeout_s=profile.bench.timeout_s, control=control)

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        c = profile.compute
        return {"compute_runs": plan.runs_or(c.runs), "compute_warmup": c.warmup, "fib_n": c.n}

    def heading(self, view: View) -> str:
        n = int(view.results.settings.get("compute_runs", 0))
        return super().heading(view) + (f" (n={n})" if n else "")

    def caption(self, view: View) -> list[str]:
        return ["× vs Docker: Docker's median over this runtime's; % vs native: above the native "
                "process (95 % CI: a bootstrap over this run's samples). Both from this run.",
                cells.article_caption(view, " (fib 40)")]
