"""Density: how many instances fit in 1 GiB, per runtime and hosting model.

`idle` instances are started in batches until a step list ends, `--max` is reached, or the
memory guard stops the run (available memory would fall below a floor). At every step the
memory of everything involved is measured three ways, each labelled: the PSS and USS sums of
the processes (guests, runtime hosts, containerd-shims), the kernel's own accounting
(/proc/meminfo AnonPages + Slab + KernelStack + PageTables, a delta from before the run), and
for containers the cgroup figures. The marginal memory per instance is the least-squares slope
over the steps; instances per GiB = 1 GiB / that slope (PSS: shared pages split fairly).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

import psutil

from ..errors import Cancelled, WasmscopeError, WorkloadError
from ..guests.catalogue import Workload
from ..model.format import fmt_kib, fmt_ms
from ..model.results import FAILED, OK, UNSUPPORTED, Results, Row, Table
from ..model.samples import DensityStep
from ..runtimes import processes
from ..runtimes.base import Instance, RuntimeAdapter
from . import cells
from .base import Column, LineFigure, Measurement, Plan, View
from .control import RunControl

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

GIB = 1 << 30
MIB = 1 << 20
IN_HOST, PER_PROCESS, PER_CONTAINER = "one host, many instances", "process per instance", "container per instance"
STEPS = {IN_HOST: (1, 10, 50, 100, 250, 500, 1000, 2000, 5000),
         PER_PROCESS: (1, 5, 10, 25, 50, 100),
         PER_CONTAINER: (1, 5, 10, 20, 30, 50)}
MEMINFO_KEYS = ("AnonPages", "Slab", "KernelStack", "PageTables")


@dataclass(frozen=True)
class DensitySpec:
    max_instances: int = 1000  # per runtime and model
    kib: int = 64  # memory each instance touches
    floor_pct: float = 25.0  # stop before MemAvailable falls below this share of MemTotal
    max_steps: dict[str, int] = field(default_factory=dict)  # per model: cap the step list


def meminfo() -> dict[str, int]:
    """/proc/meminfo in bytes."""
    out = {}
    with open("/proc/meminfo") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            parts = rest.split()
            if parts:
                out[key] = int(parts[0]) * 1024
    return out


def kernel_bytes(info: dict[str, int]) -> int:
    return sum(info.get(k, 0) for k in MEMINFO_KEYS)


def pss_uss(pids: list[int]) -> tuple[int, int]:
    """Summed PSS and USS of these processes (not their children: callers list every pid)."""
    pss = uss = 0
    for pid in set(pids):
        try:
            full = psutil.Process(pid).memory_full_info()
        except psutil.Error:
            continue
        pss += getattr(full, "pss", full.uss)
        uss += full.uss
    return pss, uss


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of y over x (bytes per instance)."""
    if len(points) < 2:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    if den == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den


class Target:
    """Something that can start more idle instances and tell which processes hold them."""

    model: str

    def add(self, n: int) -> tuple[float, float]:
        """Start n more; (batch ms, ms of the last one started)."""
        raise NotImplementedError

    def pids(self) -> list[int]:
        raise NotImplementedError

    def cgroup_bytes(self) -> int | None:
        return None

    def count(self) -> int:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class HostTarget(Target):
    """Many embedded-wasmtime instances in one host process (density_host)."""

    model = IN_HOST

    def __init__(self, cwasm: str, kib: int) -> None:
        argv = [sys.executable, "-m", "wasmscope.workloads.runtimes.density_host", "--cwasm", cwasm,
                "--", f"{kib}k", "return"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=processes.child_env(), text=True, bufsize=1,
                                     preexec_fn=processes._die_with_parent)
        line = self._line(60)
        if line != "ready":
            self.stop()
            raise WorkloadError(f"the density host did not start: {line or self._stderr()}")
        self.total = 0

    def _line(self, timeout_s: float) -> str:
        import selectors

        sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout_s)
        sel.close()
        return self.proc.stdout.readline().strip() if ready else ""

    def _stderr(self) -> str:
        try:
            self.proc.kill()
            err = self.proc.communicate(timeout=5)[1] or ""
        except Exception:  # noqa: BLE001 - only for the error message
            return "no output"
        return (err.strip().splitlines() or ["no output"])[-1]

    def add(self, n: int) -> tuple[float, float]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"add {n}\n")
        self.proc.stdin.flush()
        line = self._line(120 + n * 0.05)
        if not line.startswith("added "):
            raise WorkloadError(f"density host: {line or 'no answer'}")
        data = json.loads(line.split(" ", 1)[1])
        self.total = int(data["total"])
        return float(data["batch_ms"]), float(data["last_ms"])

    def pids(self) -> list[int]:
        return [self.proc.pid]

    def count(self) -> int:
        return self.total

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except Exception:  # noqa: BLE001 - fall through to kill
                pass
        processes.terminate(self.proc, grace_s=1.0)


class InstancesTarget(Target):
    """One instance per process or container, through the adapter's own start()."""

    def __init__(self, adapter: RuntimeAdapter, workload: Workload, args: list[str]) -> None:
        self.adapter, self.workload, self.args = adapter, workload, args
        self.model = PER_CONTAINER if adapter.kind == "container" else PER_PROCESS
        self.instances: list[Instance] = []

    def add(self, n: int) -> tuple[float, float]:
        t0 = time.perf_counter()
        last = 0.0
        for _ in range(n):
            inst = self.adapter.start(self.workload, self.args)
            self.instances.append(inst)
            last = inst.started_ms
        return (time.perf_counter() - t0) * 1e3, last

    def pids(self) -> list[int]:
        out: list[int] = []
        for inst in self.instances:
            out += inst.pids() + inst.overhead_pids()
        return [p.pid for p in processes.tree(out)]

    def cgroup_bytes(self) -> int | None:
        if self.adapter.kind != "container":
            return None
        total = 0
        for inst in self.instances:
            usage = inst.memory(detailed=False).cgroup_usage
            total += usage or 0
        return total

    def count(self) -> int:
        return len(self.instances)

    def stop(self) -> None:
        for inst in self.instances:
            try:
                inst.stop()
            except Exception:  # noqa: BLE001 - stop every one of them
                pass
        self.instances.clear()


def make_target(adapter: RuntimeAdapter, workload: Workload, kib: int) -> Target:
    """A runtime with a module one host can instantiate many times (embedded wasmtime) hosts
    them in one process; every other runtime starts one process (or container) per instance
    through its adapter."""
    cwasm = adapter.many_instance_module(workload)
    if cwasm is not None:
        return HostTarget(str(cwasm), kib)
    return InstancesTarget(adapter, workload, [f"{kib}k"])


def measure_density(adapters: dict[str, RuntimeAdapter], workload: Workload, spec: DensitySpec,
                    control: RunControl, *, guard: Callable[[], dict[str, int]] = meminfo) -> Table:
    """One row per runtime: instances per GiB with the per-step figures behind it."""
    table = Table("density", "instances/GiB", workload.name, [f"{spec.kib}k"],
                  what=(f"idle instances that each touched {spec.kib} KiB, started in batches; "
                        f"memory per instance = slope over the steps (PSS of every process involved)"),
                  higher_is_better=True)
    for name, adapter in adapters.items():
        control.check()
        reason = adapter.supports(workload)
        if reason is not None:
            table.rows.append(Row(name, UNSUPPORTED, reason))
            continue
        table.rows.append(_one(name, adapter, workload, spec, control, guard))
    return table


def _one(name: str, adapter: RuntimeAdapter, workload: Workload, spec: DensitySpec,
         control: RunControl, guard: Callable[[], dict[str, int]]) -> Row:
    before = guard()
    total_mem = before.get("MemTotal", 0)
    floor = int(total_mem * spec.floor_pct / 100)
    base_kernel = kernel_bytes(before)
    target: Target | None = None
    points: list[dict[str, float]] = []
    stopped_by = "its step list ended"
    try:
        adapter.prepare(workload)
        target = make_target(adapter, workload, spec.kib)
        steps = [s for s in STEPS[target.model] if s <= spec.max_instances]
        if spec.max_instances not in steps and spec.max_instances < STEPS[target.model][-1]:
            steps.append(spec.max_instances)
        steps = sorted(set(steps))[: spec.max_steps.get(target.model, 99)]
        pss0, uss0 = pss_uss(target.pids())
        points.append({"x": 0.0, "pss_mib": pss0 / MIB, "uss_mib": uss0 / MIB, "kernel_mib": 0.0})
        per_guess = (spec.kib * 1024 + 4 * MIB) if target.model == IN_HOST else 40 * MIB
        for goal in steps:
            control.check()
            batch = goal - target.count()
            if batch <= 0:
                continue
            per = slope([(p["x"], p["pss_mib"] * MIB) for p in points]) or per_guess
            now = guard()
            if now.get("MemAvailable", 0) - batch * max(per, 1) * 1.5 < floor:
                stopped_by = (f"memory guard: {batch} more would bring MemAvailable under "
                              f"{spec.floor_pct:g} % of RAM ({floor / GIB:.1f} GiB)")
                break
            batch_ms, last_ms = target.add(batch)
            time.sleep(0.2)  # let page tables and slabs settle before reading them
            pss, uss = pss_uss(target.pids())
            after = guard()
            point = {"x": float(target.count()), "pss_mib": pss / MIB, "uss_mib": uss / MIB,
                     "kernel_mib": (kernel_bytes(after) - base_kernel) / MIB,
                     "batch_ms_per_instance": batch_ms / batch, "cold_ms": last_ms,
                     "available_gib": after.get("MemAvailable", 0) / GIB}
            cg = target.cgroup_bytes()
            if cg is not None:
                point["cgroup_mib"] = cg / MIB
            points.append(point)
            control.step(f"density: {name} {target.count()} instances")
            control.sample(DensityStep("density", name, instances=target.count(), pss_mib=pss / MIB))
            if after.get("MemAvailable", 0) < floor:
                stopped_by = f"memory guard: MemAvailable under {spec.floor_pct:g} % of RAM"
                break
        else:
            if target.count() >= spec.max_instances:
                stopped_by = f"--max {spec.max_instances} reached"
    except Cancelled:
        raise
    except WasmscopeError as err:
        if len(points) < 3:
            return Row(name, FAILED, str(err).splitlines()[0][:300])
        stopped_by = f"stopped by an error: {str(err).splitlines()[0][:200]}"
    finally:
        if target is not None:
            target.stop()
    return _row(name, target, points, stopped_by)


def _row(name: str, target: Target | None, points: list[dict[str, float]], stopped_by: str) -> Row:
    model = target.model if target else ""
    if len(points) < 3:
        return Row(name, FAILED, f"too few steps to fit a slope ({stopped_by})", model=model)
    stats: dict[str, float] = {"instances": points[-1]["x"]}
    for key, label in (("pss_mib", "pss"), ("uss_mib", "uss"), ("kernel_mib", "kernel"), ("cgroup_mib", "cgroup")):
        pts = [(p["x"], p[key]) for p in points if key in p]
        if key == "cgroup_mib":
            pts = [(0.0, 0.0)] + pts
        s = slope(pts)
        if s is not None:
            stats[f"{label}_kib_per_instance"] = round(s * 1024, 1)
    per = stats.get("pss_kib_per_instance")
    ms = [p["batch_ms_per_instance"] for p in points if "batch_ms_per_instance" in p]
    if ms:
        stats["start_ms_per_instance"] = round(statistics.median(ms), 3)
    value = round(GIB / (per * 1024), 1) if per and per > 0 else None
    return Row(name, OK if value else FAILED, "" if value else "memory did not grow with instances",
               value=value, stats=stats, model=model, facts={"stopped_by": stopped_by},
               sweep=[{k: round(v, 4) for k, v in p.items()} for p in points],
               counts=("PSS of the host process: engine, compiled module and every live instance"
                       if model == IN_HOST else
                       "PSS of every instance process" + (" and its runtime helper (containerd-shim, conmon)"
                                                          if model == PER_CONTAINER else "")))


class Density(Measurement):
    """Instances per GiB per runtime and hosting model (its own command: `wasmscope density`)."""

    name = "density"
    title = "Density"
    unit = "instances/GiB"
    higher_is_better = True
    in_bench = False
    samples = (DensityStep,)
    columns = (
        Column("model", "Model", lambda view, row: row.model, always=True),
        Column("per_gib", "per GiB", lambda view, row: f"{row.value:,.0f}", essential=True),
        Column("pss", "PSS/instance", cells.stat("pss_kib_per_instance", fmt_kib), essential=True),
        Column("uss", "USS/instance", cells.stat("uss_kib_per_instance", fmt_kib)),
        Column("kernel", "kernel/instance", cells.stat("kernel_kib_per_instance", fmt_kib)),
        Column("cgroup", "cgroup/instance", cells.stat("cgroup_kib_per_instance", fmt_kib), essential=True),
        Column("start", "start/instance", cells.stat("start_ms_per_instance", fmt_ms),
               essential=True),
        Column("reached", "reached", lambda view, row: f"{int(row.stats.get('instances', 0)):,}", essential=True),
        Column("stopped", "stopped by", lambda view, row: str(row.facts.get("stopped_by", ""))),
    )

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return 0  # the steps depend on memory: progress is reported per step as it goes

    def run(self, adapters, profile: "Profile", plan: Plan, control: RunControl) -> Table:
        return measure_density(adapters, profile.workload(profile.memory.workload), DensitySpec(), control)

    def heading(self, view: View) -> str:
        return f"{self.title} — {view.table.what}"

    def fmt(self, value: float | None) -> str:
        return "—" if value is None else f"{value:,.0f}/GiB"

    def caption(self, view: View) -> list[str]:
        stops = [f"  {view.name(r.runtime)}: ended: {r.facts.get('stopped_by', '?')}; counts {r.counts}"
                 for r in view.table.rows if r.status == OK]
        return ["per GiB = 1 GiB / PSS slope (shared pages split fairly); USS: pages only these processes hold; "
                "kernel: /proc/meminfo AnonPages+Slab+KernelStack+PageTables, system-wide, noisy; cgroup: "
                "the containers' own accounting.", *stops,
                "The article's claim: about 500 Wasm modules where about 30 containers fit, on its host — "
                "checked by `wasmscope report`."]

    def figures(self, results: Results) -> list[LineFigure]:
        """Memory (PSS, MiB) against live instances, one line per runtime and model."""
        table = results.tables.get(self.name)
        rows = [r for r in table.rows if r.status == OK and len(r.sweep) > 1] if table else []
        if not rows:
            return []
        view = View(results, table)
        series = []
        for row in rows:
            pts = [p for p in row.sweep if p["x"] >= 1]
            series.append((view.label(row), [p["x"] for p in pts], [max(p["pss_mib"], 0.01) for p in pts]))
        return [LineFigure("Density: memory (PSS of every process involved) against live instances",
                           "instances", "MiB", series)]
