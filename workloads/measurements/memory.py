"""Memory: RSS of a running `idle` instance per runtime, sampled with psutil.

Runtimes are measured one at a time (in shuffled order) so one instance's page-ins do not
disturb another's; each row says what its numbers count.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import Cancelled, WasmscopeError
from ..guests.catalogue import Workload
from ..model.format import fmt_mib
from ..model.results import FAILED, OK, UNSUPPORTED, Row, Table
from ..model.samples import MemorySample
from ..runtimes.base import MemoryReading, RuntimeAdapter
from . import cells
from .base import BarChart, Column, Measurement, Plan, View
from .control import RunControl
from .quiet import Conditions, QuietGate, QuietSpec, summary
from .timing import CONDITION_KEYS, all_settled, conditions_record, gate_for, prepare_runtimes, round_figures

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

MIB = 1024 * 1024
# An instance's readings are judged by the load at its start and never taken again: no "retaken".
NEVER_RETAKEN = tuple(k for k in CONDITION_KEYS if k != "retaken")


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
    quiet and the last container is torn down), sample its memory `samples` times, stop it. A
    program that runs to exit: its peak memory over `samples` runs instead (measure_peak)."""
    args = workload.argv([str(mib)])
    if workload.kind == "run":
        return measure_peak(adapters, workload, args, runs=samples, control=control, seed=seed)
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
                taken[name] += _one_instance(ready[name], name, workload, args, samples, interval_s, control,
                                             gate, ready_timeout_s, round_no, lambda: all_settled(ready, failed))
            except Cancelled:
                raise
            except WasmscopeError as err:
                failed[name] = str(err)
            control.step(f"memory: {name}" + (f" (round {round_no + 1}/{rounds})" if rounds > 1 else ""))
    table.facts.update({"rounds": rounds, "order": order, "quiet": summary(gate)})
    for name in ready:
        table.rows.append(Row(name, FAILED, failed[name]) if name in failed else _row(name, taken[name]))
    return table


def _one_instance(adapter: RuntimeAdapter, name: str, workload: Workload, args: list[str],
                  samples: int, interval_s: float, control: RunControl, gate: QuietGate,
                  ready_timeout_s: float, round_no: int, settled: Callable[[], bool]) -> list[Taken]:
    """Start one instance once the others' teardown is done (`settled`) and the machine is
    quiet, read its memory `samples` times, stop it."""
    control.check()
    start = gate.before(settled)
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
    rss = [r.instance_rss / MIB for r in readings]
    total = [(r.instance_rss + r.overhead_rss) / MIB for r in readings]
    return Row(name, OK, value=stats["instance_rss_mib"], stats=stats,
               samples=[round(v, 3) for v in rss], counts=readings[-1].counts,
               rounds=round_figures(rss, taken, {"total_rss_mib": total}, digits=3),
               conditions=conditions_record(taken, NEVER_RETAKEN))


def _prepared_in_shuffled_order(adapters: dict[str, RuntimeAdapter], workload: Workload, table: Table,
                                control: RunControl, seed: int | None) -> list[tuple[str, RuntimeAdapter]]:
    """Runtimes measured one at a time in a shuffled order, so one's page-ins do not disturb
    another's; those that cannot run the workload get their row in `table`."""
    ready = prepare_runtimes(adapters, workload, table, control)
    order = list(ready)
    random.Random(seed).shuffle(order)
    return [(name, ready[name]) for name in order]


def measure_peak(adapters: dict[str, RuntimeAdapter], workload: Workload, args: list[str], *, runs: int,
                 control: RunControl, timeout_s: float = 60.0, seed: int | None = None) -> Table:
    """A program that runs to exit: its peak memory per run, median of `runs` runs per runtime
    (each row says what its peak counts: a process's RSS, a container's cgroup, linear memory)."""
    table = Table("memory", "MiB", workload.name, args,
                  what=f"peak memory of a run of {workload.name} to exit (median of {runs} runs)")
    for name, adapter in _prepared_in_shuffled_order(adapters, workload, table, control, seed):
        control.check()
        try:
            table.rows.append(_peak_row(name, adapter, workload, args, runs, timeout_s, control))
        except Cancelled:
            raise
        except WasmscopeError as err:
            table.rows.append(Row(name, FAILED, str(err)))
        control.step(f"memory: {name}")
    return table


def _peak_row(name: str, adapter: RuntimeAdapter, workload: Workload, args: list[str], runs: int,
              timeout_s: float, control: RunControl) -> Row:
    from .misbehave import PeakSampler
    from .outputs import row_facts, run_checked

    if not adapter.PEAK_COUNTS:
        return Row(name, UNSUPPORTED, f"{adapter.display_name} runs guests in a worker shared by its runs: "
                                      "no peak of one run to read")
    results, peaks = [], []
    for _ in range(runs):
        control.check()
        sampler = PeakSampler(adapter) if adapter.kind == "container" else None
        with adapter.peak_measured():
            if sampler is not None:
                with sampler:
                    res = run_checked(adapter, workload, args, timeout_s)
            else:
                res = run_checked(adapter, workload, args, timeout_s)
        peak = res.peak_rss if res.peak_rss is not None else (sampler.peak if sampler else 0)
        if peak:
            peaks.append(peak / MIB)
            control.sample(MemorySample("memory", name, mib=peak / MIB))
        results.append(res)
    if not peaks:
        return Row(name, FAILED, "no peak was read (the run ended before the first sample)")
    value = round(statistics.median(peaks), 3)
    return Row(name, OK, value=value, stats={"instance_rss_mib": value, "peak_max_mib": round(max(peaks), 3)},
               samples=[round(p, 3) for p in peaks], counts=adapter.PEAK_COUNTS, facts=row_facts(results))


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
        *cells.spread_and_ratios(fmt_mib, "less", "more"),
        cells.ARTICLE_COLUMN,
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
                cells.ratio_caption("figure"), cells.interval_caption(view), *cells.busy_caption(view),
                cells.article_caption(view)]
