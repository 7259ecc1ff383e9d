"""The self-check (`wasmscope bench --check`): each adapter's cold start beside a bare harness of
the same definition (bare.py), interleaved in the same run, and the harness overhead of each row.

If wasmscope's figure for a runtime is much above what the minimal program measures in the same
minutes, the figure says more about wasmscope than about the runtime: a row whose overhead is
above 25 % is flagged. For embedded wasmtime the check also times each step of a cold start on
its own and sets the instantiate step beside what `InstancePre` allows and what one call through
wasmtime-py costs.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import Cancelled
from ..model.format import fmt_ms
from ..model.results import FAILED, OK, UNSUPPORTED, Results, Row, Table
from ..model.samples import ColdStart
from . import cells
from .bare import BARE, STEPS, Bare, BareContainer, BareWasmtime, bare_for, wasmtime_steps
from .base import Cell, Column, Measurement, Plan, TableView, View
from .control import RunControl
from .timing import (Schedule, Timed, interleaved, phase_medians, round_figures, runs_words, section_schedule,
                     timed_row, total_ms)

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from ..runtimes.base import RuntimeAdapter

FLAG_PCT = 25.0  # harness overhead above this is flagged
STEP_REPEATS = 200


def measure_check(adapters: dict[str, "RuntimeAdapter"], workload, *, schedule: Schedule, timeout_s: float,
                  control: RunControl, quiet=None) -> Table:
    """Each adapter and its bare reference, interleaved in blocks and rounds; one row per runtime."""
    table = Table("check", "ms", workload.name, [],
                  what="cold start as wasmscope's adapter measures it, beside a bare harness of the same "
                       "definition measured in the same run")
    runners: dict[str, Any] = {}
    bares: dict[str, Bare] = {}
    for name, adapter in adapters.items():
        bare = bare_for(adapter, workload)
        if bare is None:
            table.rows.append(Row(name, UNSUPPORTED, "no bare reference for this runtime (one exists for "
                                  "embedded wasmtime, a process per run and a container per run)"))
            continue
        runners[name], runners[f"{name}/{BARE}"], bares[name] = adapter, bare, bare
    try:
        runs_by = interleaved(runners, workload, [], schedule=schedule, timeout_s=timeout_s, table=table,
                              control=control, quiet=quiet,
                              sample=lambda name, res: ColdStart("check", name.split("/")[0], key=name.replace("/", "//"),
                                                                 ms=res.total_ms))
        steps = _steps(bares, workload, control)
    finally:
        for bare in bares.values():
            if isinstance(bare, BareContainer):
                bare.close()
    failed = {r.runtime: r for r in table.rows if r.status != OK}
    table.rows = [r for r in table.rows if "/" not in r.runtime]
    for name in bares:
        if name in failed:
            continue
        if f"{name}/{BARE}" in failed:
            table.rows.append(Row(name, FAILED, f"bare reference: {failed[f'{name}/{BARE}'].reason}"))
            continue
        table.rows.append(_row(name, runs_by[name], runs_by[f"{name}/{BARE}"], steps.get(name)))
    return table


def _steps(bares: dict[str, Bare], workload, control: RunControl) -> dict[str, dict[str, float]]:
    out = {}
    for name, bare in bares.items():
        if isinstance(bare, BareWasmtime):
            control.check()
            control.note(f"check: {name} step by step ({STEP_REPEATS} times)")
            try:
                out[name] = wasmtime_steps(bare, workload, STEP_REPEATS)
            except Cancelled:
                raise
            except Exception as err:  # noqa: BLE001 - the split is a side figure; the row stands without it
                control.note(f"check: {name} step by step failed: {err}")
    return out


def _row(name: str, mine: list[Timed], bare: list[Timed], steps: dict[str, float] | None) -> Row:
    """The adapter's row as startup measures it, with its bare reference beside it: the bare
    median, the bare median of each round, and the overhead in ms."""
    bare_totals = [total_ms(t.result) for t in bare]
    facts: dict[str, Any] = {"bare_samples": bare_totals, "bare_phases": phase_medians([t.result for t in bare])}
    if steps:
        facts["steps_us"] = steps
    row = timed_row(name, mine, phases=phase_medians([t.result for t in mine]), facts=facts)
    stats = row.stats
    stats["bare_median"] = round(statistics.median(bare_totals), 4)
    bare_rounds = {int(r["round"]): r["value"] for r in round_figures(bare_totals, bare)}
    for r in row.rounds:
        if int(r["round"]) in bare_rounds:
            r["bare"] = bare_rounds[int(r["round"])]
    # like the % (a median of per-round ratios), the ms is a median of per-round differences
    diffs = [r["value"] - r["bare"] for r in row.rounds if "bare" in r]
    stats["overhead_ms"] = round(statistics.median(diffs) if diffs else stats["median"] - stats["bare_median"], 4)
    return row


def overhead(row: Row):
    """The harness overhead in % (this row's figure over its bare reference's), with its interval."""
    from ..model.intervals import POINT, Estimate, ratio_across_rounds, ratio_from_samples

    est = ratio_across_rounds(row.round_values(), row.round_values("bare"), cells.PCT_ABOVE)
    if est is None and row.samples and row.facts.get("bare_samples"):
        sampled = ratio_from_samples(row.samples, row.facts["bare_samples"])
        est = sampled.scaled(cells.PCT_ABOVE) if sampled else None
    if est is None and row.stats.get("bare_median"):
        v = cells.PCT_ABOVE(row.stats["median"] / row.stats["bare_median"])
        est = Estimate(v, v, v, 1, POINT, 0.0)
    return est


def _overhead_pct(view: View, row: Row) -> Cell:
    est = overhead(row)
    if est is None:
        return Cell("—")
    text = cells.pct_text(est)
    return Cell(text + " ⚠", "warn") if est.point > FLAG_PCT else Cell(text)


def _overhead_ms(view: View, row: Row) -> str:
    v = row.stats.get("overhead_ms")
    return "—" if v is None else ("+" if v >= 0 else "−") + fmt_ms(abs(v))


def schedule(profile: "Profile", plan: Plan) -> Schedule:
    """The self-check runs as many samples as the startup measurement."""
    return section_schedule(profile.startup, profile, plan)


class HarnessCheck(Measurement):
    """wasmscope's cold-start figures against bare harnesses of the same definitions."""

    name = "check"
    title = "Self-check"
    unit = "ms"
    samples = (ColdStart,)
    columns = (
        Column("wasmscope", "wasmscope", cells.stat("median", fmt_ms), essential=True),
        Column("bare", "Bare harness", cells.stat("bare_median", fmt_ms), essential=True),
        Column("overhead_ms", "Overhead", _overhead_ms, compares=True),
        Column("overhead_pct", "Overhead %", _overhead_pct, essential=True, compares=True),
        cells.BUSY_COLUMN,
    )

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return schedule(profile, plan).steps(2 * len(runtimes))

    def run(self, adapters, profile: "Profile", plan: Plan, control: RunControl) -> Table:
        return measure_check(adapters, profile.workload(profile.startup.workload), schedule=schedule(profile, plan),
                             timeout_s=profile.bench.timeout_s, control=control, quiet=profile.quiet)

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        sched = schedule(profile, plan)
        return {"check_runs": sched.runs, "check_rounds": sched.rounds}

    def heading(self, view: View) -> str:
        return super().heading(view) + runs_words(view.results.settings, "check")

    def caption(self, view: View) -> list[str]:
        rows = [r for r in view.table.rows if r.status == OK]
        flagged = [view.label(r) for r in rows if (e := overhead(r)) is not None and e.point > FLAG_PCT]
        lines = ["Bare harness: embedded wasmtime = load from the same disk cache, Store, WASI, instantiate, _start; "
                 "a process per run = posix_spawn + read + waitpid of the same command; a container per run = "
                 "the Docker SDK's create, start, wait with the same options. Overhead = wasmscope's median "
                 "minus the bare one, round by round (the median of the rounds' differences and ratios)."]
        for r in rows:
            bare = r.facts.get("bare_phases") or {}
            if r.phases and bare:
                lines.append(f"  {view.label(r)} phases, wasmscope vs bare: " + " · ".join(
                    f"{k} {fmt_ms(v)} vs {fmt_ms(bare.get(k))}" for k, v in r.phases.items()))
        if flagged:
            lines.append(f"⚠ harness overhead above {FLAG_PCT:g} %: {', '.join(flagged)} — the figure measures "
                         "wasmscope as much as the runtime.")
        return [*lines, cells.interval_caption(view), *cells.busy_caption(view)]

    def extra_tables(self, results: Results) -> list[TableView]:
        return [tv for r in results.tables[self.name].rows if (tv := steps_table(View(results, results.tables[self.name]), r))]


def steps_table(view: View, row: Row) -> TableView | None:
    """Embedded wasmtime's cold start step by step, and what InstancePre and wasmtime-py cost."""
    steps = row.facts.get("steps_us") if row.status == OK else None
    if not steps:
        return None
    body = [[what, f"{steps[key]:,.1f}"] for key, what in STEPS if key in steps]
    inst, pre, call = steps.get("instantiate"), steps.get("instantiate_pre"), steps.get("call")
    caption = (f"Instantiate of an already-loaded module: {inst:.1f} µs with Linker.instantiate, {pre:.1f} µs with "
               f"InstancePre.instantiate. Wasmtime's own figure for InstancePre in Rust is a few µs (4.2 µs with "
               f"the pooling allocator); what is above it here is wasmtime-py: {call:.1f} µs per call from Python "
               f"through its C API bindings, paid on every step (Store, WasiConfig, instantiate, _start).")
    return TableView(f"Self-check — {view.label(row)}, step by step (µs, medians of {STEP_REPEATS})",
                     ["Step", "µs"], body, caption)
