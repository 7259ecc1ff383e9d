"""Run-to-exit measurements (startup, compute): runtimes interleaved in shuffled blocks, in rounds.

Interleaving means drift on a noisy machine (another tenant, thermal limits) hits every
runtime alike, so ratios taken from one run stay honest. Alternating every sample made every
runtime pay for its neighbour's wake (a wasmtime cold start right after a Docker run waits for
the engine's teardown), so runtimes run in blocks (several samples of one, then the next) in a
shuffled block order, and before each sample the quiet gate waits for the teardown and for a
quiet machine (`quiet.py`). A round is one full pass: every runtime's blocks once; K rounds are
K independent looks at the same comparison, and the intervals shown come from their spread.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from ..errors import Cancelled, WasmscopeError
from ..guests.catalogue import Workload
from ..model.results import FAILED, OK, UNSUPPORTED, Row, Table
from ..model.samples import Sample
from ..model.stats import summarize
from ..runtimes.base import RunResult, RuntimeAdapter
from .base import Measurement, Plan, View
from .control import RunControl
from .outputs import row_facts, run_checked
from .quiet import Conditions, QuietGate, QuietSpec, summary

if TYPE_CHECKING:
    from wasmscope.profiles import Profile


@dataclass(frozen=True)
class Schedule:
    """How samples are laid out: `runs` recorded samples per runtime and round, after `warmup`
    unrecorded ones (once per runtime and round), in blocks of `block`, over `rounds` rounds."""

    runs: int
    warmup: int = 0
    rounds: int = 1
    block: int = 5
    seed: int | None = None

    def steps(self, runtimes: int) -> int:
        """Progress steps: every run, warm-ups included."""
        return (self.runs + self.warmup) * self.rounds * runtimes


@dataclass(frozen=True)
class Timed:
    """One recorded sample: the run, the round it belongs to, and how quiet the machine was."""

    result: RunResult
    round: int
    conditions: Conditions


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


def block_order(names: Sequence[str], runs: int, block: int, rng: random.Random) -> list[tuple[str, int]]:
    """Each runtime's `runs` samples cut into blocks of `block` (the last holds the rest), all
    blocks in one shuffled order: [(runtime, samples in the block), ...]."""
    blocks = [(name, min(block, runs - start)) for name in names for start in range(0, runs, max(1, block))]
    rng.shuffle(blocks)
    return blocks


def all_settled(ready: dict[str, RuntimeAdapter], failed: dict[str, str]) -> bool:
    """Whether every runtime still measured has finished tearing down its last run (a runtime
    that failed, an engine that died with a shim left behind, no longer holds the others)."""
    return all(a.settled() for name, a in ready.items() if name not in failed)


def gate_for(spec: QuietSpec | None, control: RunControl) -> QuietGate:
    """A quiet gate that stops waiting when the run is cancelled."""
    return QuietGate(spec, check=control.check)


class _Pass:
    """The state of one interleaved measurement: who is ready, who failed, what was recorded."""

    def __init__(self, ready: dict[str, RuntimeAdapter], workload: Workload, args: Sequence[str],
                 timeout_s: float, table: Table, control: RunControl, gate: QuietGate,
                 sample: Callable[[str, RunResult], Sample]) -> None:
        self.ready, self.workload, self.args, self.timeout_s = ready, workload, list(args), timeout_s
        self.table, self.control, self.gate, self.sample = table, control, gate, sample
        self.results: dict[str, list[Timed]] = {name: [] for name in ready}
        self.failed: dict[str, str] = {}

    def settled(self) -> bool:
        return all_settled(self.ready, self.failed)

    def run_one(self, name: str, round_no: int | None, what: str) -> None:
        """One run of `name`: recorded (with its conditions) in round `round_no`, or a warm-up.
        A recorded run other processes disturbed is taken again (the gate bounds how often)."""
        adapter = self.ready[name]
        tries = 0
        while True:
            self.control.check()
            helpers = adapter.helper_pids()
            start = self.gate.before(self.settled, helpers or (), quiet=round_no is not None)
            res = self._run(name, adapter)
            if res is None or round_no is None:
                break
            cond = self.gate.after(start, helpers)
            if not self.gate.retake(cond, tries):
                break
            tries += 1
            self.control.note(f"{name}: taken again, the machine got busy while it ran ({cond.why})")
        self.control.step(f"{self.table.name}: {name} {what}")
        if res is None or round_no is None:
            return
        cond = replace(cond, retaken=tries)
        self.results[name].append(Timed(res, round_no, cond))
        self.control.sample(replace(self.sample(name, res), wait_ms=round(cond.wait_ms, 2),
                                    load_pct=round(cond.load_pct, 1), busy=cond.busy))
        if cond.busy:
            self.control.note(f"{name}: sample taken while the machine was busy ({cond.why})")

    def _run(self, name: str, adapter: RuntimeAdapter) -> RunResult | None:
        """The run's result, or None (the runtime failed: it is dropped from the schedule)."""
        try:
            return run_checked(adapter, self.workload, self.args, self.timeout_s)
        except Cancelled:
            raise
        except WasmscopeError as err:
            self.failed[name] = str(err)
            self.control.note(f"{name}: {err}")
            return None


def interleaved(adapters: dict[str, RuntimeAdapter], workload: Workload, args: Sequence[str], *,
                schedule: Schedule, timeout_s: float, table: Table, control: RunControl,
                sample: Callable[[str, RunResult], Sample], quiet: QuietSpec | None = None,
                gate: QuietGate | None = None) -> dict[str, list[Timed]]:
    """`schedule.rounds` rounds; in each, every runtime's blocks in a shuffled order, its warm-up
    runs before its first block. The block order of each round is kept in `table.facts`."""
    ready = prepare_runtimes(adapters, workload, table, control)
    run = _Pass(ready, workload, args, timeout_s, table, control, gate or gate_for(quiet, control), sample)
    rng = random.Random(schedule.seed)
    order: list[list[str]] = []
    for round_no in range(schedule.rounds):
        blocks = block_order([n for n in ready if n not in run.failed], schedule.runs, schedule.block, rng)
        order.append([f"{name}×{count}" for name, count in blocks])
        warmed: set[str] = set()
        done = {name: 0 for name in ready}
        label = f"round {round_no + 1}/{schedule.rounds}, " if schedule.rounds > 1 else ""
        for name, count in blocks:
            if name not in warmed:
                warmed.add(name)
                for _ in range(schedule.warmup):
                    if name not in run.failed:
                        run.run_one(name, None, f"{label}warm-up")
            for _ in range(count):
                if name in run.failed:
                    break
                done[name] += 1
                run.run_one(name, round_no, f"{label}run {done[name]}/{schedule.runs}")
    table.facts.update({"rounds": schedule.rounds, "block": schedule.block, "order": order,
                        "quiet": summary(run.gate)})
    for name, reason in run.failed.items():
        table.rows.append(Row(name, FAILED, reason))
        run.results.pop(name, None)
    return run.results


class Recorded(Protocol):
    """A recorded sample of any measurement: the round it belongs to and how quiet the machine was."""

    round: int
    conditions: Conditions


CONDITION_KEYS = ("wait_ms", "load_pct", "steal_pct", "busy", "retaken")


def conditions_record(taken: Sequence[Recorded], keys: Sequence[str] = CONDITION_KEYS) -> dict[str, list[float]]:
    """The conditions of each sample (`keys` of them), as lists parallel to the row's samples."""
    records = [t.conditions.as_record() for t in taken]
    out: dict[str, list[float]] = {"round": [float(t.round) for t in taken]}
    for key in keys:
        out[key] = [r[key] for r in records]
    return out


def round_figures(values: Sequence[float], taken: Sequence[Recorded],
                  extra: dict[str, Sequence[float]] | None = None, digits: int = 4) -> list[dict[str, float]]:
    """Per round: the median of `values` ("value") and of each `extra` series (to `digits`
    places), its sample count ("n") and its busy samples ("busy")."""
    out = []
    for r in sorted({t.round for t in taken}):
        idx = [i for i, t in enumerate(taken) if t.round == r]
        entry = {"round": float(r), "value": round(statistics.median(values[i] for i in idx), digits)}
        for key, series in (extra or {}).items():
            entry[key] = round(statistics.median(series[i] for i in idx), digits)
        entry.update({"n": float(len(idx)), "busy": float(sum(taken[i].conditions.busy for i in idx))})
        out.append(entry)
    return out


def figure_stats(values: Sequence[float], timed: Sequence[Timed]) -> dict[str, float]:
    """The summary of the samples, plus how many were busy and the median wait for quiet."""
    stats = {k: round(v, 4) for k, v in summarize(values).items()}
    stats["busy"] = float(sum(t.conditions.busy for t in timed))
    stats["wait_ms"] = round(statistics.median(t.conditions.wait_ms for t in timed), 2) if timed else 0.0
    return stats


def total_ms(result: RunResult) -> float:
    """A run's whole time, run → exit: the cold-start figure."""
    return round(result.total_ms, 4)


def timed_row(name: str, timed: Sequence[Timed], figure: Callable[[RunResult], float] = total_ms, *,
              stats: dict[str, float] | None = None, **fields: Any) -> Row:
    """A measured row: each run's `figure` as its samples, their median as its figure, their
    summary (plus `stats`), per-round medians, each sample's conditions and the facts behind
    the runs; `fields` set the rest of the row (phases, counts) or replace a part (facts)."""
    results = [t.result for t in timed]
    values = [figure(r) for r in results]
    all_stats = {**figure_stats(values, timed), **(stats or {})}
    parts: dict[str, Any] = {"value": all_stats["median"], "stats": all_stats, "samples": values,
                             "facts": row_facts(results), "rounds": round_figures(values, timed),
                             "conditions": conditions_record(timed)}
    return Row(name, OK, **{**parts, **fields})


def section_schedule(section: Any, profile: "Profile", plan: Plan) -> Schedule:
    """The schedule a profile section ([startup], [compute]) sets, with the plan's overrides."""
    return Schedule(runs=plan.runs_or(section.runs), warmup=section.warmup, rounds=plan.rounds_or(section.rounds),
                    block=profile.bench.block)


def runs_words(settings: dict, prefix: str) -> str:
    """' (n=10 × 3 rounds)': runs per round and rounds, as the run recorded them."""
    n = int(settings.get(f"{prefix}_runs", 0))
    k = int(settings.get(f"{prefix}_rounds", 1))
    return (f" (n={n} × {k} rounds)" if k > 1 else f" (n={n})") if n else ""


class RunToExit(Measurement):
    """A measurement of run-to-exit samples set by the profile section of its name ([startup],
    [compute]): its workload selects it, its runtimes are interleaved by the section's schedule."""

    def section(self, profile: "Profile") -> Any:
        return getattr(profile, self.name)

    def schedule(self, profile: "Profile", plan: Plan) -> Schedule:
        return section_schedule(self.section(profile), profile, plan)

    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        return {self.section(profile).workload: []}

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return self.schedule(profile, plan).steps(len(runtimes))

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        sched = self.schedule(profile, plan)
        return {f"{self.name}_runs": sched.runs, f"{self.name}_warmup": sched.warmup,
                f"{self.name}_rounds": sched.rounds}

    def heading(self, view: View) -> str:
        return super().heading(view) + runs_words(view.results.settings, self.name)


def phase_medians(results: Sequence[RunResult]) -> dict[str, float]:
    keys = results[0].phases.keys() if results else ()
    return {k: round(statistics.median(r.phases[k] for r in results), 4) for k in keys}


def ordered(table: Table, adapters: dict[str, RuntimeAdapter]) -> Table:
    """Rows in the order the runtimes were given."""
    order = {name: i for i, name in enumerate(adapters)}
    table.rows.sort(key=lambda r: order.get(r.runtime, len(order)))
    return table
