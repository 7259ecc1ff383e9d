"""Startup and compute: run-to-exit workloads, runtimes interleaved in shuffled rounds.

Interleaving means drift on a noisy machine (another tenant, thermal limits) hits every
runtime alike, so ratios taken from one run stay honest.
"""

from __future__ import annotations

import random
import re
import statistics
from typing import Sequence

from ..guests.catalogue import Workload
from ..errors import Cancelled, WasmscopeError
from ..runtimes.base import RunResult, RuntimeAdapter
from .control import RunControl
from ..model.results import FAILED, OK, UNSUPPORTED, Row, Table
from ..model.stats import summarize

ELAPSED = re.compile(r"elapsed_ns=(\d+)")


def prepare_runtimes(adapters: dict[str, RuntimeAdapter], workload: Workload, table: Table,
             control: RunControl) -> dict[str, RuntimeAdapter]:
    """Build/compile for each runtime; runtimes that cannot run the workload get a row saying why."""
    ready = {}
    for name, adapter in adapters.items():
        control.check()
        reason = adapter.supports(workload)
        if reason:
            table.rows.append(Row(name, UNSUPPORTED, reason))
            continue
        try:
            control.note(f"{name}: preparing {workload.name} ({adapter.command_line(workload)})")
            adapter.prepare(workload)
        except WasmscopeError as err:
            table.rows.append(Row(name, FAILED, str(err)))
            continue
        ready[name] = adapter
    return ready


def interleaved(adapters: dict[str, RuntimeAdapter], workload: Workload, args: Sequence[str], *,
                runs: int, warmup: int, timeout_s: float, table: Table, control: RunControl,
                seed: int | None = None) -> dict[str, list[RunResult]]:
    """Warm up, then `runs` rounds, each running every runtime once in a shuffled order."""
    ready = prepare_runtimes(adapters, workload, table, control)
    results: dict[str, list[RunResult]] = {name: [] for name in ready}
    failed: dict[str, str] = {}
    rng = random.Random(seed)
    for round_no in range(-warmup, runs):
        order = [n for n in ready if n not in failed]
        rng.shuffle(order)
        for name in order:
            control.check()
            try:
                res = ready[name].run(workload, args, timeout_s=timeout_s)
            except Cancelled:
                raise
            except WasmscopeError as err:
                failed[name] = str(err)
                control.note(f"{name}: {err}")
                continue
            if round_no >= 0:
                results[name].append(res)
                control.sample(table.name, name, res.total_ms)
            control.step(f"{table.name}: {name} {'warm-up' if round_no < 0 else f'run {round_no + 1}/{runs}'}")
    for name, reason in failed.items():
        table.rows.append(Row(name, FAILED, reason))
        results.pop(name, None)
    return results


def _phase_medians(results: list[RunResult]) -> dict[str, float]:
    keys = results[0].phases.keys() if results else ()
    return {k: round(statistics.median(r.phases[k] for r in results), 4) for k in keys}


def measure_startup(adapters: dict[str, RuntimeAdapter], workload: Workload, *, runs: int,
                    warmup: int, timeout_s: float, control: RunControl) -> Table:
    """Cold start: the whole run → exit of a tiny workload, with its phases."""
    table = Table("startup", "ms", workload.name, [],
                  what="run → exit of a new instance (median of the runs); phases split it")
    for name, res in interleaved(adapters, workload, [], runs=runs, warmup=warmup,
                                 timeout_s=timeout_s, table=table, control=control).items():
        totals = [round(r.total_ms, 4) for r in res]
        stats = {k: round(v, 4) for k, v in summarize(totals).items()}
        table.rows.append(Row(name, OK, value=stats["median"], stats=stats,
                              phases=_phase_medians(res), samples=totals))
    return _ordered(table, adapters)


def measure_compute(adapters: dict[str, RuntimeAdapter], workload: Workload, n: int, *, runs: int,
                    warmup: int, timeout_s: float, control: RunControl) -> Table:
    """Compute: the time the guest reports for its own work (fib), so start-up is excluded."""
    args = [str(n)]
    table = Table("compute", "ms", workload.name, args,
                  what=f"time inside the guest for {workload.name}({n}), median of the runs")
    for name, res in interleaved(adapters, workload, args, runs=runs, warmup=warmup,
                                 timeout_s=timeout_s, table=table, control=control).items():
        guest = []
        for r in res:
            m = ELAPSED.search(r.stdout)
            guest.append(round(int(m.group(1)) / 1e6, 4) if m else round(r.total_ms, 4))
        counts = "guest-reported time" if all(ELAPSED.search(r.stdout) for r in res) else "wall time incl. start"
        stats = {k: round(v, 4) for k, v in summarize(guest).items()}
        stats["wall_median"] = round(statistics.median(r.total_ms for r in res), 4)
        table.rows.append(Row(name, OK, value=stats["median"], stats=stats, samples=guest, counts=counts))
    return _ordered(table, adapters)


def _ordered(table: Table, adapters: dict[str, RuntimeAdapter]) -> Table:
    order = {name: i for i, name in enumerate(adapters)}
    table.rows.sort(key=lambda r: order.get(r.runtime, len(order)))
    return table
