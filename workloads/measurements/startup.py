"""Startup (cold start): the whole run → exit of a new instance of a tiny workload, with its phases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from ..model.format import fmt_ms
from ..model.results import OK, Row, Table
from ..model.samples import ColdStart
from ..model.stats import summarize
from . import cells
from .base import BarChart, Column, Measurement, Plan, View
from .outputs import row_facts
from .timing import interleaved, ordered, phase_medians

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from ..runtimes.base import RuntimeAdapter
    from .control import RunControl


def measure_startup(adapters: dict[str, "RuntimeAdapter"], workload, *, runs: int, warmup: int,
                    timeout_s: float, control: "RunControl") -> Table:
    """Cold start: the whole run → exit of a tiny workload, runtimes interleaved, with phases."""
    args = workload.argv([])
    table = Table("startup", "ms", workload.name, args,
                  what="run → exit of a new instance (median of the runs); phases split it")
    runs_by = interleaved(adapters, workload, args, runs=runs, warmup=warmup, timeout_s=timeout_s,
                          table=table, control=control,
                          sample=lambda name, res: ColdStart("startup", name, ms=res.total_ms))
    for name, res in runs_by.items():
        totals = [round(r.total_ms, 4) for r in res]
        stats = {k: round(v, 4) for k, v in summarize(totals).items()}
        table.rows.append(Row(name, OK, value=stats["median"], stats=stats,
                              phases=phase_medians(res), samples=totals, facts=row_facts(res)))
    return ordered(table, adapters)


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
        Column("vs_docker", "× vs Docker", cells.times_vs_container("faster", "slower"),
               essential=True, compares=True, baseline="container"),
        Column("vs_native", "% vs native", cells.pct_vs_native,
               essential=True, compares=True, baseline="native"),
        Column("article", "Article (published)", cells.article, essential=True, article=True),
    )

    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        return {profile.startup.workload: []}

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return (plan.runs_or(profile.startup.runs) + profile.startup.warmup) * len(runtimes)

    def run(self, adapters, profile: "Profile", plan: Plan, control: "RunControl") -> Table:
        s = profile.startup
        return measure_startup(adapters, profile.workload(s.workload), runs=plan.runs_or(s.runs),
                               warmup=s.warmup, timeout_s=profile.bench.timeout_s, control=control)

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        return {"startup_runs": plan.runs_or(profile.startup.runs), "startup_warmup": profile.startup.warmup}

    def heading(self, view: View) -> str:
        n = int(view.results.settings.get("startup_runs", 0))
        return super().heading(view) + (f" (n={n})" if n else "")

    def caption(self, view: View) -> list[str]:
        phases = cells.phase_lines(view)
        return [*(["Phases (medians):"] + phases if phases else []),
                "× vs Docker: Docker's median over this runtime's; % vs native: above the native "
                "process. Both from this run.", cells.article_caption(view)]
