"""Run-to-exit measurements (startup, compute): runtimes interleaved in shuffled rounds.

Interleaving means drift on a noisy machine (another tenant, thermal limits) hits every
runtime alike, so ratios taken from one run stay honest.
"""

from __future__ import annotations

import random
import statistics
from typing import Callable, Sequence

from ..errors import Cancelled, WasmscopeError
from ..guests.catalogue import Workload
from ..model.results import FAILED, UNSUPPORTED, Row, Table
from ..model.samples import Sample
from ..runtimes.base import RunResult, RuntimeAdapter
from .control import RunControl
from .outputs import run_checked


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
                sample: Callable[[str, RunResult], Sample], seed: int | None = None) -> dict[str, list[RunResult]]:
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
                res = run_checked(ready[name], workload, args, timeout_s)
            except Cancelled:
                raise
            except WasmscopeError as err:
                failed[name] = str(err)
                control.note(f"{name}: {err}")
                continue
            if round_no >= 0:
                results[name].append(res)
                control.sample(sample(name, res))
            control.step(f"{table.name}: {name} {'warm-up' if round_no < 0 else f'run {round_no + 1}/{runs}'}")
    for name, reason in failed.items():
        table.rows.append(Row(name, FAILED, reason))
        results.pop(name, None)
    return results


def phase_medians(results: list[RunResult]) -> dict[str, float]:
    keys = results[0].phases.keys() if results else ()
    return {k: round(statistics.median(r.phases[k] for r in results), 4) for k in keys}


def ordered(table: Table, adapters: dict[str, RuntimeAdapter]) -> Table:
    """Rows in the order the runtimes were given."""
    order = {name: i for i, name in enumerate(adapters)}
    table.rows.sort(key=lambda r: order.get(r.runtime, len(order)))
    return table
