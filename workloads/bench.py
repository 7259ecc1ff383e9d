"""Run a profile's measurements over its runtimes and return one `Results`.

Shared by the headless CLI and the TUI: it takes callbacks and a cancel event, never prints.
Unavailable runtimes become rows that say why; the rest still run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Sequence

from .errors import WasmscopeError
from .measurements.control import RunControl
from .measurements.io import PER_REQUEST, SERVER, measure_io
from .measurements.io import steps as io_steps
from .model.machine import machine_info
from .measurements.memory import measure_memory
from .measurements.misbehave import STEPS_PER_RUNTIME as MISBEHAVE_STEPS
from .measurements.misbehave import WORKLOADS as MISBEHAVING
from .model.results import UNAVAILABLE, Results, Row, RuntimeInfo, Table
from .measurements.timing import measure_compute, measure_startup
from .runtimes import KNOWN_RUNTIMES, create_adapter
from .runtimes.base import RuntimeAdapter

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from .measurements.density import DensitySpec

# misbehave (spin, hog, crash): on demand, `--workloads spin,hog,crash` or `--workloads misbehave`
MEASUREMENTS = ("startup", "memory", "compute", "io", "platforms", "misbehave")


class UsageError(WasmscopeError):
    """A selection on the command line does not match the profile."""


def check_runtime_names(names: Sequence[str]) -> list[str]:
    """`--runtimes` checked against the registry: a UsageError names an unknown one."""
    for name in names:
        if name not in KNOWN_RUNTIMES:
            raise UsageError(f"--runtimes: unknown runtime {name!r} (known: {', '.join(KNOWN_RUNTIMES)})")
    return list(names)


@dataclass
class Plan:
    """What to run: a profile narrowed by the command line."""

    runtimes: list[str]
    measurements: list[str]
    startup_runs: int
    compute_runs: int
    io_models: list[str] = field(default_factory=lambda: [SERVER, PER_REQUEST])


def make_plan(profile: "Profile", *, runtimes: Sequence[str] | None = None,
              workloads: Sequence[str] | None = None, runs: int | None = None) -> Plan:
    """Narrow the profile: `--runtimes`, `--workloads` (workload or measurement names), `--runs`."""
    chosen = check_runtime_names(runtimes or profile.bench.runtimes)
    by_workload = {getattr(profile, m).workload: m for m in ("startup", "memory", "compute")}
    io_models = {profile.io.server_workload: SERVER, profile.io.handler_workload: PER_REQUEST}
    by_workload.update({w: "io" for w in io_models})
    by_workload["component-http"] = "platforms"
    by_workload.update({w: "misbehave" for w in MISBEHAVING})
    measurements = list(profile.bench.measurements)
    models = list(profile.io.models)
    if workloads:
        picked, picked_models = [], []
        for w in workloads:
            m = w if w in MEASUREMENTS else by_workload.get(w)
            if m is None:
                known = ", ".join(sorted(set(by_workload) | set(MEASUREMENTS)))
                raise UsageError(f"--workloads: {w!r} is not measured by this profile (known: {known})")
            picked.append(m)
            picked_models += [io_models[w]] if w in io_models else (list(profile.io.models) if w == "io" else [])
        measurements = [m for m in MEASUREMENTS if m in picked]
        models = [m for m in (SERVER, PER_REQUEST) if m in picked_models]
    if runs is not None:
        from wasmscope.profiles.schema import RUNS

        _bounded(runs, "--runs", RUNS)
    return Plan(chosen, measurements, runs or profile.startup.runs, runs or profile.compute.runs, models)


def override_io(profile: "Profile", *, connections: Sequence[str] | None = None,
                rates: Sequence[str] | None = None, duration_s: float | None = None) -> "Profile":
    """The profile with the command line's HTTP load settings: one value sets the load, several
    make a sweep (latency against throughput); a rate switches to the fixed-rate mode. Each
    value gets the bounds the profile schema gives the key it overrides."""
    from dataclasses import replace

    from wasmscope.profiles.schema import IO_CONNECTIONS, IO_DURATION_S, IO_RATE, Bound

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
        live = _describe(adapters, results)
        results.settings = _settings(profile, plan)
        control.total = _total_steps(profile, plan, len(live))
        for m in plan.measurements:
            control.check()
            table = _measure(m, profile, plan, live, control)
            for name, info in results.runtimes.items():
                if not info.available and m != "platforms":  # platform rows are hosts, not runtimes
                    table.rows.append(Row(name, UNAVAILABLE, info.reason))
            order = {n: i for i, n in enumerate(plan.runtimes)}
            models = {SERVER: 0, PER_REQUEST: 1}
            table.rows.sort(key=lambda r: (models.get(r.model, len(models)), order.get(r.runtime, -1), r.variant))
            results.tables[m] = table
    finally:
        results.finished_at = _now()
        if own:
            for adapter in adapters.values():
                adapter.close()
    return results


def run_density(profile: "Profile", runtimes: Sequence[str] | None, spec: "DensitySpec",
                control: RunControl | None = None) -> Results:
    """A density run over the profile's runtimes (or `runtimes`); containers removed however it ends."""
    from .measurements.density import measure_density

    control = control or RunControl()
    names = check_runtime_names(runtimes or profile.bench.runtimes)
    if spec.max_instances < 1 or spec.kib < 0 or not 0 <= spec.floor_pct < 100:
        raise UsageError(f"density: expected --max >= 1, --kib >= 0 and 0 <= --floor-pct < 100, got "
                         f"{spec.max_instances}, {spec.kib}, {spec.floor_pct:g}")
    adapters = {name: create_adapter(name, {"memory_limit_mib": profile.bench.memory_limit_mib}) for name in names}
    results = Results(profile=profile.name, started_at=_now())
    try:
        live = _describe(adapters, results)
        results.settings = {"density": {"max_instances": spec.max_instances, "kib": spec.kib,
                                        "floor_pct": spec.floor_pct, "runtimes": names}}
        table = measure_density(live, profile.workload(profile.memory.workload), spec, control)
        for name, info in results.runtimes.items():
            if not info.available:
                table.rows.append(Row(name, UNAVAILABLE, info.reason))
        order = {n: i for i, n in enumerate(names)}
        table.rows.sort(key=lambda r: order.get(r.runtime, len(order)))
        results.tables["density"] = table
    finally:
        results.finished_at = _now()
        for adapter in adapters.values():
            adapter.close()
    return results


def _describe(adapters: dict[str, RuntimeAdapter], results: Results) -> dict[str, RuntimeAdapter]:
    """Record every runtime and the machine in `results`; return the available adapters."""
    results.runtimes = describe_runtimes(adapters)
    docker_info = results.runtimes.get("docker")
    results.machine = machine_info(docker_info.version if docker_info and docker_info.available else None)
    return {n: a for n, a in adapters.items() if results.runtimes[n].available}


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
    if m == "io":
        return measure_io(live, profile, plan.io_models, control)
    if m == "platforms":
        from .measurements.platforms import measure_platforms

        return measure_platforms(live, profile, control)
    if m == "misbehave":
        from .measurements.misbehave import measure_misbehave

        return measure_misbehave(live, {w: profile.workload(w) for w in MISBEHAVING}, control=control)
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
        **({"io": {**{k: v for k, v in asdict(profile.io).items() if k != "sweep"},
                   "sweep": list(profile.io.sweep), "models": plan.io_models}}
           if "io" in plan.measurements else {}),
    }


def _total_steps(profile: "Profile", plan: Plan, n: int) -> int:
    total = 0
    if "startup" in plan.measurements:
        total += (plan.startup_runs + profile.startup.warmup) * n
    if "compute" in plan.measurements:
        total += (plan.compute_runs + profile.compute.warmup) * n
    if "memory" in plan.measurements:
        total += n
    if "io" in plan.measurements:
        total += io_steps(profile.io, _io_targets(plan, n))
    if "platforms" in plan.measurements:
        total += 2 * 5
    if "misbehave" in plan.measurements:
        total += MISBEHAVE_STEPS * n
    return total


def _io_targets(plan: Plan, n: int) -> int:
    """Roughly how many I/O targets: each runtime once per model, Docker's host-network and
    `wasmtime serve` rows, and the front's ceiling."""
    count = 0
    if SERVER in plan.io_models:
        count += n + ("docker" in plan.runtimes) + ("wasmtime-cli" in plan.runtimes)
    if PER_REQUEST in plan.io_models:
        count += 1 + len([r for r in plan.runtimes if r in ("native", "wasmtime", "docker")])
    return count


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
