"""Memory: RSS of a running `idle` instance per runtime, sampled with psutil.

Runtimes are measured one at a time (in shuffled order) so one instance's page-ins do not
disturb another's; each row says what its numbers count.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import Cancelled, WasmscopeError
from ..guests.catalogue import Workload
from ..model.format import fmt_mib
from ..model.results import FAILED, OK, Row, Table
from ..model.samples import MemorySample
from ..runtimes.base import MemoryReading, RuntimeAdapter
from . import cells
from .base import BarChart, Column, Measurement, Plan, View
from .control import RunControl
from .quiet import Conditions, QuietGate, QuietSpec, summary
from .timing import gate_for, prepare_runtimes

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

MIB = 1024 * 1024


def _median_mib(values: list[int | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(statistics.median(vals) / MIB, 3) if vals else None


def summarize_readings(readings: list[MemoryReading]) -> dict[str, float]:
    """Medians in MiB of each number a reading carries (absent numbers left out)."""
    stats = {
        "instance_rss_mib": _median_mib([r.instance_rss for r in readings]),
        "instance_uss_mib": _median_mib([r.instance_uss for r in readings]),
        "overhead_rss_mib": _median_mib([r.overhead_rss for r in readings]),
        "cgroup_mib": _median_mib([r.cgroup_usage for r in readings]),
        "total_rss_mib": _median_mib([r.instance_rss + r.overhead_rss for r in readings]),
    }
    return {k: v for k, v in stats.items() if v is not None}


@dataclass(frozen=True)
class Taken:
    """One reading of one instance, in its round, with how quiet the machine was at its start."""

    round: int
    reading: MemoryReading
    conditions: Conditions
    ready_ms: float


def measure_memory(adapters: dict[str, RuntimeAdapter], workload: Workload, mib: int, *,
                   samples: int, interval_s: float, control: RunControl, rounds: int = 1,
                   quiet: QuietSpec | None = None, ready_timeout_s: float = 60.0, seed: int | None = None) -> Table:
    """Per round, in a shuffled order: start the workload on each runtime (once the machine is
    quiet and the last container is torn down), sample its memory `samples` times, stop it."""
    args = [str(mib)]
    table = Table("memory", "MiB", workload.name, args,
                  what=f"RSS of a running {workload.name} instance that touched {mib} MiB (median of samples)")
    ready = prepare_runtimes(adapters, workload, table, control)
    gate = gate_for(quiet, control)
    rng = random.Random(seed)
    taken: dict[str, list[Taken]] = {name: [] for name in ready}
    failed: dict[str, str] = {}
    order: list[list[str]] = []
    for round_no in range(rounds):
        names = [n for n in ready if n not in failed]
        rng.shuffle(names)
        order.append(names)
        for name in names:
            try:
                taken[name] += _one_instance(ready, name, workload, args, samples, interval_s, control, gate,
                                             ready_timeout_s, round_no)
            except Cancelled:
                raise
            except WasmscopeError as err:
                failed[name] = str(err)
            control.step(f"memory: {name}" + (f" (round {round_no + 1}/{rounds})" if rounds > 1 else ""))
    table.facts.update({"rounds": rounds, "order": order, "quiet": summary(gate)})
    for name in ready:
        table.rows.append(Row(name, FAILED, failed[name]) if name in failed else _row(name, taken[name]))
    return table


def _one_instance(ready: dict[str, RuntimeAdapter], name: str, workload: Workload, args: list[str],
                  samples: int, interval_s: float, control: RunControl, gate: QuietGate,
                  ready_timeout_s: float, round_no: int) -> list[Taken]:
    """Start one instance on a quiet machine, read its memory `samples` times, stop it."""
    control.check()
    adapter = ready[name]
    start = gate.before(lambda: all(a.settled() for a in ready.values()))
    instance = None
    try:
        control.note(f"{name}: starting {adapter.command_line(workload, args)}")
        instance = adapter.start(workload, args, ready_timeout_s=ready_timeout_s)
        readings: list[MemoryReading] = []
        for _ in range(samples):
            control.check()
            time.sleep(interval_s)
            readings.append(instance.memory())
            control.sample(MemorySample("memory", name, mib=readings[-1].instance_rss / MIB))
        cond = gate.after(start, None)  # judged by the load at its start: the instance's own start-up is ours
        return [Taken(round_no, r, cond, instance.started_ms) for r in readings]
    finally:
        if instance is not None:
            instance.stop()


def _row(name: str, taken: list[Taken]) -> Row:
    readings = [t.reading for t in taken]
    stats = summarize_readings(readings)
    stats["ready_ms"] = round(statistics.median(t.ready_ms for t in taken), 3)
    stats["busy"] = float(sum(t.conditions.busy for t in taken))
    rounds = []
    for rnd in sorted({t.round for t in taken}):
        mine = [t for t in taken if t.round == rnd]
        rounds.append({"round": float(rnd), "value": _median_mib([t.reading.instance_rss for t in mine]),
                       "total_rss_mib": _median_mib([t.reading.instance_rss + t.reading.overhead_rss for t in mine]),
                       "n": float(len(mine)), "busy": float(sum(t.conditions.busy for t in mine))})
    records = [t.conditions.as_record() for t in taken]
    conditions = {"round": [float(t.round) for t in taken],
                  **{k: [r[k] for r in records] for k in ("wait_ms", "load_pct", "steal_pct", "busy")}}
    return Row(name, OK, value=stats["instance_rss_mib"], stats=stats,
               samples=[round(r.instance_rss / MIB, 3) for r in readings], counts=readings[-1].counts,
               rounds=rounds, conditions=conditions)


class Memory(Measurement):
    name = "memory"
    title = "Memory"
    unit = "MiB"
    in_report = True
    samples = (MemorySample,)
    chart = BarChart("Memory: instance RSS (MiB)")
    columns = (
        Column("rss", "Instance RSS", cells.stat("instance_rss_mib", fmt_mib), essential=True),
        Column("uss", "USS", cells.stat("instance_uss_mib", fmt_mib)),
        Column("overhead", "Runtime overhead", cells.stat("overhead_rss_mib", fmt_mib)),
        Column("cgroup", "cgroup", cells.stat("cgroup_mib", fmt_mib)),
        Column("rounds", "Round medians", cells.across(fmt_mib), hide_empty=True),
        Column("busy", "Busy", cells.busy, hide_empty=True),
        Column("vs_docker", "× vs Docker", cells.times_vs_container("less", "more"),
               essential=True, compares=True, baseline="container"),
        Column("vs_native", "% vs native", cells.pct_vs_native,
               essential=True, compares=True, baseline="native"),
        Column("article", "Article (published)", cells.article, essential=True, article=True),
    )

    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        return {profile.memory.workload: []}

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return len(runtimes) * plan.rounds_or(profile.memory.rounds)

    def run(self, adapters, profile: "Profile", plan: Plan, control: RunControl) -> Table:
        m = profile.memory
        return measure_memory(adapters, profile.workload(m.workload), m.mib, samples=m.samples,
                              interval_s=m.interval_s, control=control, rounds=plan.rounds_or(m.rounds),
                              quiet=profile.quiet)

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        return {"idle_mib": profile.memory.mib, "memory_samples": profile.memory.samples,
                "memory_rounds": plan.rounds_or(profile.memory.rounds)}

    def heading(self, view: View) -> str:
        k = int(view.results.settings.get("memory_rounds", 1))
        return super().heading(view) + (f" ({k} rounds)" if k > 1 else "")

    def caption(self, view: View) -> list[str]:
        counts = [f"  {view.label(r)}: {r.counts}" for r in view.table.rows if r.status == OK and r.counts]
        return [*(["What the numbers count:"] + counts if counts else []),
                "× vs Docker: Docker's figure over this runtime's; % vs native: above the native "
                "process. Both from this run.", cells.interval_caption(view), *cells.busy_caption(view),
                cells.article_caption(view)]
