"""Run a profile's measurements over its runtimes and return one `Results`.

Shared by the headless CLI and the TUI: it takes callbacks and a cancel event, never prints.
Unavailable runtimes become rows that say why; the rest still run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Sequence

from .errors import WasmscopeError
from .measure.control import RunControl
from .measure.machine import machine_info
from .measure.memory import measure_memory
from .measure.results import UNAVAILABLE, Results, Row, RuntimeInfo, Table
from .measure.timing import measure_compute, measure_startup
from .runtimes import KNOWN_RUNTIMES, create_adapter
from .runtimes.base import RuntimeAdapter

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

MEASUREMENTS = ("startup", "memory", "compute")


class UsageError(WasmscopeError):
    """A selection on the command line does not match the profile."""


@dataclass
class Plan:
    """What to run: a profile narrowed by the command line."""

    runtimes: list[str]
    measurements: list[str]
    startup_runs: int
    compute_runs: int


def make_plan(profile: "Profile", *, runtimes: Sequence[str] | None = None,
              workloads: Sequence[str] | None = None, runs: int | None = None) -> Plan:
    """Narrow the profile: `--runtimes`, `--workloads` (workload or measurement names), `--runs`."""
    chosen = list(runtimes) if runtimes else list(profile.bench.runtimes)
    for name in chosen:
        if name not in KNOWN_RUNTIMES:
            raise UsageError(f"--runtimes: unknown runtime {name!r} (known: {', '.join(KNOWN_RUNTIMES)})")
    by_workload = {getattr(profile, m).workload: m for m in MEASUREMENTS}
    measurements = list(profile.bench.measurements)
    if workloads:
        picked = []
        for w in workloads:
            m = w if w in MEASUREMENTS else by_workload.get(w)
            if m is None:
                known = ", ".join(sorted(set(by_workload) | set(MEASUREMENTS)))
                raise UsageError(f"--workloads: {w!r} is not measured by this profile (known: {known})")
            picked.append(m)
        measurements = [m for m in MEASUREMENTS if m in picked]
    if runs is not None and runs < 1:
        raise UsageError(f"--runs: expected an integer >= 1, got {runs}")
    return Plan(chosen, measurements, runs or profile.startup.runs, runs or profile.compute.runs)


def describe_runtimes(adapters: dict[str, RuntimeAdapter]) -> dict[str, RuntimeInfo]:
    """Availability, version and mode of each adapter (slow for Docker: first contact)."""
    out = {}
    for name, adapter in adapters.items():
        avail = adapter.availability()
        out[name] = RuntimeInfo(
            name=name, display=adapter.display_name, kind=adapter.kind,
            version=adapter.version() if avail.ok else "", mode=adapter.mode(),
            available=avail.ok, reason=avail.reason, hint=avail.hint,
        )
    return out


def run_benchmark(profile: "Profile", plan: Plan, control: RunControl | None = None,
                  adapters: dict[str, RuntimeAdapter] | None = None) -> Results:
    """Measure. Adapters created here are closed (containers removed) however this ends."""
    control = control or RunControl()
    own = adapters is None
    if adapters is None:
        opts = {"memory_limit_mib": profile.bench.memory_limit_mib}
        adapters = {name: create_adapter(name, opts) for name in plan.runtimes}
    results = Results(profile=profile.name, started_at=_now())
    try:
        results.runtimes = describe_runtimes(adapters)
        docker_info = results.runtimes.get("docker")
        results.machine = machine_info(docker_info.version if docker_info and docker_info.available else None)
        live = {n: a for n, a in adapters.items() if results.runtimes[n].available}
        results.settings = _settings(profile, plan)
        control.total = _total_steps(profile, plan, len(live))
        for m in plan.measurements:
            control.check()
            table = _measure(m, profile, plan, live, control)
            for name, info in results.runtimes.items():
                if not info.available:
                    table.rows.append(Row(name, UNAVAILABLE, info.reason))
            order = {n: i for i, n in enumerate(plan.runtimes)}
            table.rows.sort(key=lambda r: order.get(r.runtime, len(order)))
            results.tables[m] = table
    finally:
        results.finished_at = _now()
        if own:
            for adapter in adapters.values():
                adapter.close()
    return results


def _measure(m: str, profile: "Profile", plan: Plan, live: dict[str, RuntimeAdapter],
             control: RunControl) -> Table:
    timeout = profile.bench.timeout_s
    if m == "startup":
        s = profile.startup
        return measure_startup(live, profile.workload(s.workload), runs=plan.startup_runs,
                               warmup=s.warmup, timeout_s=timeout, control=control)
    if m == "compute":
        c = profile.compute
        return measure_compute(live, profile.workload(c.workload), c.n, runs=plan.compute_runs,
                               warmup=c.warmup, timeout_s=timeout, control=control)
    mem = profile.memory
    return measure_memory(live, profile.workload(mem.workload), mem.mib, samples=mem.samples,
                          interval_s=mem.interval_s, control=control)


def _settings(profile: "Profile", plan: Plan) -> dict:
    return {
        "runtimes": plan.runtimes, "measurements": plan.measurements,
        "startup_runs": plan.startup_runs, "startup_warmup": profile.startup.warmup,
        "compute_runs": plan.compute_runs, "compute_warmup": profile.compute.warmup,
        "fib_n": profile.compute.n, "idle_mib": profile.memory.mib,
        "memory_samples": profile.memory.samples, "timeout_s": profile.bench.timeout_s,
        "memory_limit_mib": profile.bench.memory_limit_mib,
    }


def _total_steps(profile: "Profile", plan: Plan, n: int) -> int:
    total = 0
    if "startup" in plan.measurements:
        total += (plan.startup_runs + profile.startup.warmup) * n
    if "compute" in plan.measurements:
        total += (plan.compute_runs + profile.compute.warmup) * n
    if "memory" in plan.measurements:
        total += n
    return total


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
