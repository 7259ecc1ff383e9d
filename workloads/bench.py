"""Run a profile's measurements over its runtimes and return one `Results`.

Shared by the headless CLI and the TUI: it takes callbacks and a cancel event, never prints.
Unavailable runtimes become rows that say why; the rest still run.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Sequence

from . import measurements
from .errors import WasmscopeError
from .measurements.base import Plan
from .measurements.control import RunControl
from .model.machine import machine_info
from .model.results import UNAVAILABLE, Results, Row, RuntimeInfo
from .runtimes import create_adapter, known_runtimes
from .runtimes.base import RuntimeAdapter

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from .measurements.density import DensitySpec

__all__ = ["Plan", "UsageError", "check_runtime_names", "describe_runtimes", "make_plan", "override_io",
           "run_benchmark", "run_density"]


class UsageError(WasmscopeError):
    """A selection on the command line does not match the profile."""


def check_runtime_names(names: Sequence[str]) -> list[str]:
    """`--runtimes` checked against the registry: a UsageError names an unknown one."""
    for name in names:
        if name not in known_runtimes():
            raise UsageError(f"--runtimes: unknown runtime {name!r} (known: {', '.join(known_runtimes())})")
    return list(names)


def make_plan(profile: "Profile", *, runtimes: Sequence[str] | None = None,
              workloads: Sequence[str] | None = None, runs: int | None = None,
              repeat: int | None = None, check: bool = False) -> Plan:
    """Narrow the profile: `--runtimes`, `--workloads` (workload or measurement names), `--runs`,
    `--repeat` (rounds of every measurement); `--check` adds the harness self-check."""
    from .model.bounds import ROUNDS

    if repeat is not None:
        _bounded(repeat, "--repeat", ROUNDS)
    plan = _narrowed(profile, runtimes, workloads, runs)
    plan.repeat = repeat
    if check and "check" not in plan.measurements:
        plan.measurements.append("check")
    return plan


def _narrowed(profile: "Profile", runtimes: Sequence[str] | None, workloads: Sequence[str] | None,
              runs: int | None) -> Plan:
    chosen = check_runtime_names(runtimes or profile.bench.runtimes)
    if runs is not None:
        from .model.bounds import RUNS

        _bounded(runs, "--runs", RUNS)
    if not workloads:
        return Plan(chosen, list(profile.bench.measurements), runs)
    runnable = measurements.bench_names()
    by_workload: dict[str, list[tuple[str, list[str]]]] = {}  # a workload can stand for several
    for m in map(measurements.get, runnable):
        for w, parts in m.selected_by(profile).items():
            by_workload.setdefault(w, []).append((m.name, parts))
    picked: dict[str, list[str]] = {}
    for w in workloads:
        stands_for = [(w, [])] if w in runnable else by_workload.get(w, [])
        if not stands_for:
            known = ", ".join(sorted(set(by_workload) | set(runnable)))
            raise UsageError(f"--workloads: {w!r} is not measured by this profile (known: {known})")
        for name, parts in stands_for:
            m = measurements.get(name)
            picked.setdefault(name, [])
            picked[name] += [p for p in (parts or m.parts(profile)) if p not in picked[name]]
    order = [n for n in runnable if n in picked]
    selections = {n: _ordered_parts(measurements.get(n).parts(profile), picked[n]) for n in order if picked[n]}
    return Plan(chosen, order, runs, selections)


def _ordered_parts(all_parts: list[str], chosen: list[str]) -> list[str]:
    return [p for p in all_parts if p in chosen] + [p for p in chosen if p not in all_parts]


def override_io(profile: "Profile", *, connections: Sequence[str] | None = None,
                rates: Sequence[str] | None = None, duration_s: float | None = None) -> "Profile":
    """The profile with the command line's HTTP load settings: one value sets the load, several
    make a sweep (latency against throughput); a rate switches to the fixed-rate mode. Each
    value gets the bounds the profile schema gives the key it overrides."""
    from dataclasses import replace

    from .model.bounds import IO_CONNECTIONS, IO_DURATION_S, IO_RATE, Bound

    io = profile.io
    if connections:
        conns = [_bounded(_parsed(v, int), "--connections", IO_CONNECTIONS, repr(v)) for v in connections]
        io = replace(io, connections=conns[0]) if len(conns) == 1 else replace(io, sweep=tuple(conns))
    if rates:
        if connections and len(connections) > 1:
            raise UsageError("--rate and a --connections sweep: sweep one of them, not both")
        positive_rate = Bound(0, IO_RATE.hi, strict_lo=True)
        values = [_bounded(_parsed(v, float), "--rate", positive_rate, repr(v)) for v in rates]
        io = replace(io, mode="fixed-rate", rate=values[0], sweep=tuple(values) if len(values) > 1 else ())
    if duration_s is not None:
        io = replace(io, duration_s=_bounded(duration_s, "--duration", IO_DURATION_S, f"{duration_s:g}"))
    return replace(profile, io=io)


def _parsed(text: str, kind: type) -> object:
    """`text` as an int or float, or the text itself (which no bound admits)."""
    try:
        return kind(text)
    except ValueError:
        return text


def _bounded(value, flag: str, bound, shown: object = None):
    """`value` when the profile schema's `bound` admits it, else a UsageError naming the flag."""
    if not bound.admits(value):
        got = repr(value) if shown is None else str(shown)
        raise UsageError(f"{flag}: expected {bound.expected()}, got {got}")
    return value


def describe_runtimes(adapters: dict[str, RuntimeAdapter]) -> dict[str, RuntimeInfo]:
    """Availability, version and mode of each adapter (slow for Docker: first contact)."""
    out = {}
    for name, adapter in adapters.items():
        avail = adapter.availability()
        out[name] = RuntimeInfo(
            name=name, display=adapter.display_name, kind=adapter.kind,
            version=adapter.version() if avail.ok else "", mode=adapter.mode(),
            available=avail.ok, reason=avail.reason, hint=avail.hint, baseline=adapter.BASELINE_FOR,
            runs_on=adapter.runs_on() if avail.ok else "",
        )
    return out


def run_benchmark(profile: "Profile", plan: Plan, control: RunControl | None = None,
                  adapters: dict[str, RuntimeAdapter] | None = None) -> Results:
    """Measure. Adapters created here are closed (containers removed) however this ends."""
    control = control or RunControl()
    fetch_modules(profile)
    own = adapters is None
    if adapters is None:
        adapters = {name: create_adapter(name, profile.adapter_options(name)) for name in plan.runtimes}
    results = Results(profile=profile.name, started_at=_now())
    chosen = [measurements.get(name) for name in plan.measurements]
    try:
        live = _describe(adapters, results)
        results.settings = _settings(profile, plan, chosen)
        control.total = sum(m.steps(profile, plan, list(live)) for m in chosen)
        for m in chosen:
            control.check()
            table = _finish(m, m.run(live, profile, plan, control), results, plan.runtimes)
            results.tables[m.name] = _compare_outputs(table, profile, results)
    finally:
        results.finished_at = _now()
        if own:
            for adapter in adapters.values():
                adapter.close()
    return results


def fetch_modules(profile: "Profile") -> None:
    """Third-party modules the measured workloads name by package, fetched before measuring
    (RuntimeUnavailable, one line, when the registry cannot be reached)."""
    from .guests.fetch import ensure_fetched

    used = {profile.startup.workload, profile.compute.workload, profile.memory.workload,
            profile.io.server_workload, profile.io.handler_workload}
    for name in sorted(used):
        workload = profile.workloads.get(name)
        if workload is not None and workload.fetch is not None:
            ensure_fetched(workload.fetch)


def run_density(profile: "Profile", runtimes: Sequence[str] | None, spec: "DensitySpec",
                control: RunControl | None = None) -> Results:
    """A density run over the profile's runtimes (or `runtimes`); containers removed however it ends."""
    from .measurements.density import measure_density

    control = control or RunControl()
    names = check_runtime_names(runtimes or profile.bench.runtimes)
    if spec.max_instances < 1 or spec.kib < 0 or not 0 <= spec.floor_pct < 100:
        raise UsageError(f"density: expected --max >= 1, --kib >= 0 and 0 <= --floor-pct < 100, got "
                         f"{spec.max_instances}, {spec.kib}, {spec.floor_pct:g}")
    adapters = {name: create_adapter(name, profile.adapter_options(name)) for name in names}
    results = Results(profile=profile.name, started_at=_now())
    try:
        live = _describe(adapters, results)
        results.settings = {"density": {"max_instances": spec.max_instances, "kib": spec.kib,
                                        "floor_pct": spec.floor_pct, "runtimes": names}}
        table = measure_density(live, profile.workload(profile.memory.workload), spec, control)
        results.tables["density"] = _finish(measurements.get("density"), table, results, names)
    finally:
        results.finished_at = _now()
        for adapter in adapters.values():
            adapter.close()
    return results


def _finish(m, table, results: Results, order: Sequence[str]):
    """Rows of unavailable runtimes (saying why) added, the runtimes that ran on another machine
    named (no ratio crosses machines), rows sorted in the runtimes' order."""
    if m.rows_are_runtimes:
        for name, info in results.runtimes.items():
            if not info.available:
                table.rows.append(Row(name, UNAVAILABLE, info.reason))
    table.elsewhere = [name for name, info in results.runtimes.items() if info.runs_on]
    index = {n: i for i, n in enumerate(order)}
    table.rows.sort(key=lambda r: (m.sort_key(r)[0], index.get(r.runtime, -1), m.sort_key(r)[1]))
    return table


def _compare_outputs(table, profile: "Profile", results: Results):
    """A user's program: rows whose output differs from the other runtimes' marked as such."""
    from .measurements.outputs import mark_different_outputs

    workload = profile.workloads.get(table.workload)
    if workload is not None and workload.is_users:
        accept = workload.expect.accept_different if workload.expect else ()
        mark_different_outputs(table, accept, prefer=results.baseline("native"))
    return table


def _describe(adapters: dict[str, RuntimeAdapter], results: Results) -> dict[str, RuntimeAdapter]:
    """Record every runtime and the machine in `results`; return the available adapters."""
    results.runtimes = describe_runtimes(adapters)
    container = results.baseline("container")
    info = results.runtimes.get(container) if container else None
    results.machine = machine_info(info.version if info and info.available else None)
    if info is not None and info.runs_on:
        results.machine["docker_host"] = info.runs_on  # the engine's version above is that machine's
    return {n: a for n, a in adapters.items() if results.runtimes[n].available}


def _settings(profile: "Profile", plan: Plan, chosen: list) -> dict:
    settings = {"runtimes": plan.runtimes, "measurements": plan.measurements,
                "timeout_s": profile.bench.timeout_s, "memory_limit_mib": profile.bench.memory_limit_mib}
    for m in chosen:
        settings.update(m.settings(profile, plan))
    return settings


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
