"""Startup (cold start): the whole run → exit of a new instance of a tiny workload, with its phases."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.format import fmt_ms
from ..model.results import Table
from ..model.samples import ColdStart
from . import cells
from .base import BarChart, Plan, View
from .quiet import QuietSpec
from .timing import RunToExit, Schedule, interleaved, ordered, phase_medians, timed_row

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
        table.rows.append(timed_row(name, timed, phases=phase_medians([t.result for t in timed])))
    return ordered(table, adapters)


class Startup(RunToExit):
    name = "startup"
    title = "Startup"
    unit = "ms"
    in_report = True
    samples = (ColdStart,)
    chart = BarChart("Startup: median cold start (ms, log scale)", log=True)
    columns = (
        *cells.summary_columns(fmt_ms, "median", "p95", "min", "max"),
        *cells.spread_and_ratios(fmt_ms, "faster", "slower"),
        cells.ARTICLE_COLUMN,
    )

    def run(self, adapters, profile: "Profile", plan: Plan, control: "RunControl") -> Table:
        return measure_startup(adapters, profile.workload(profile.startup.workload),
                               schedule=self.schedule(profile, plan), timeout_s=profile.bench.timeout_s,
                               control=control, quiet=profile.quiet)

    def caption(self, view: View) -> list[str]:
        phases = cells.phase_lines(view)
        return [*(["Phases (medians):"] + phases if phases else []),
                cells.ratio_caption(), cells.interval_caption(view), *cells.busy_caption(view),
                *([QUIET_START] if (view.table.facts.get("quiet") or {}).get("enabled") else []),
                cells.article_caption(view)]


QUIET_START = ("Each cold start begins after the wait for a quiet machine, so it finds the CPU caches as a "
               "request reaching an idle host does (back-to-back runs measure less).")
