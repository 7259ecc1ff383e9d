"""Compute: the time the guest reports around its own work (fib), so start-up is excluded."""

from __future__ import annotations

import re
import statistics
from typing import TYPE_CHECKING, Any

from ..model.format import fmt_ms
from ..model.results import Table
from ..model.samples import GuestTime
from . import cells
from .base import BarChart, Column, Plan, View
from .quiet import QuietSpec
from .timing import RunToExit, Schedule, interleaved, ordered, timed_row

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
        counts = "guest-reported time" if all(ELAPSED.search(r.stdout) for r in res) else "wall time incl. start"
        table.rows.append(timed_row(name, timed, lambda r: guest_ms(r.stdout, r.total_ms), counts=counts,
                                    stats={"wall_median": round(statistics.median(r.total_ms for r in res), 4)}))
    return ordered(table, adapters)


class Compute(RunToExit):
    name = "compute"
    title = "Compute"
    unit = "ms"
    in_report = True
    samples = (GuestTime,)
    chart = BarChart("Compute: guest time (ms)")
    columns = (
        *cells.summary_columns(fmt_ms, "median", "min", "max"),
        *cells.spread_and_ratios(fmt_ms, "faster", "slower"),
        Column("wall", "Wall incl. start", cells.stat("wall_median", fmt_ms)),
        cells.ARTICLE_COLUMN,
    )

    def run(self, adapters, profile: "Profile", plan: Plan, control: "RunControl") -> Table:
        c = profile.compute
        return measure_compute(adapters, profile.workload(c.workload), c.n, schedule=self.schedule(profile, plan),
                               timeout_s=profile.bench.timeout_s, control=control, quiet=profile.quiet)

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        return {**super().settings(profile, plan), "fib_n": profile.compute.n}

    def caption(self, view: View) -> list[str]:
        return [cells.ratio_caption(), cells.interval_caption(view), *cells.busy_caption(view),
                cells.article_caption(view, " (fib 40)")]
