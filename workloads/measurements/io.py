"""HTTP I/O: requests/s and tail latency per runtime, in two serving models.

Server model: the `http` C server runs long in every runtime that can listen (native; Docker
with a published port and with host networking; the wasmtime CLI on a pre-opened socket; and
`wasmtime serve` running a wasi:http component). Per-request model: wasmscope's own front starts
a fresh `handler` instance for every request (embedded wasmtime, fork/exec, a container), beside
the front's ceiling (no instance at all). Every target is started first, then loaded in
interleaved rounds by a generator pinned away from the servers, then stopped.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import Cancelled, WasmscopeError
from ..load import LoadSpec, LoadSummary, run_load
from ..load.pinning import pin_process_tree, split_cores
from ..model.format import fmt_ms, fmt_rps
from ..model.results import FAILED, OK, UNSUPPORTED, Results, Row, Table
from ..model.samples import LoadRound, LoadTick
from ..runtimes import adapter_class
from ..runtimes.base import RuntimeAdapter
from ..runtimes.processes import rss_uss
from . import cells
from . import io_show as show
from .base import BarChart, Column, LineFigure, Measurement, Plan, TableView, View
from .control import RunControl
from .quiet import Conditions, QuietGate
from .quiet import summary as summary_of
from .timing import gate_for

if TYPE_CHECKING:
    from wasmscope.profiles.schema import IoSpec, Profile

SERVER, PER_REQUEST = "server", "per-request"
MODELS = (SERVER, PER_REQUEST)
FRONT = show.FRONT  # the row of the front's own ceiling: not a runtime
MIB = 1024 * 1024
HOST_NETWORK, COMPONENT = "host network", "wasmtime serve"  # variants of the server model
VARIANT_SHORT = {HOST_NETWORK: "host", COMPONENT: "serve"}  # a variant's word under a chart bar


@dataclass
class Served:
    """A target that answers HTTP on loopback until `stop()`."""

    url: str
    mode: str
    pids: Callable[[], list[int]]
    stop: Callable[[], dict[str, Any]]  # returns facts learnt on the way out (front stats)
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Target:
    runtime: str
    model: str
    variant: str
    start: Callable[[], Served]
    served: Served | None = None
    rounds: list[LoadSummary] = field(default_factory=list)
    sweep: list[dict[str, float]] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    row: Row | None = None  # set when the target failed
    taken: list[tuple[int, Conditions]] = field(default_factory=list)  # per load round: its number, how quiet

    @property
    def key(self) -> str:
        return "/".join(x for x in (self.runtime, self.model, self.variant) if x)


def load_spec(io: "IoSpec", model: str) -> LoadSpec:
    """The load a profile asks for in one serving model (per-request uses fewer connections:
    a container per request cannot take 32 at once)."""
    connections = io.connections if model == SERVER else io.per_request_connections
    return LoadSpec(mode=io.mode, connections=connections, duration_s=io.duration_s,
                    warmup_s=io.warmup_s, rate=io.rate if io.mode == "fixed-rate" else None,
                    generator=io.generator, timeout_s=io.timeout_s)


def measure_io(adapters: dict[str, RuntimeAdapter], profile: "Profile", models: list[str],
               control: RunControl, rounds: int | None = None) -> Table:
    """Start every target, load them in interleaved rounds, stop them; one row per target."""
    io = profile.io
    rounds = rounds or io.rounds
    cores = split_cores()
    server_cpus, generator_cpus = cores if cores else (None, None)
    spec = load_spec(io, SERVER)
    what = (f"requests/s, {_load_words(spec)}, median of {rounds} interleaved round(s); "
            f"latency percentiles from the same runs")
    table = Table("io", "req/s", f"{io.server_workload},{io.handler_workload}", [], what=what,
                  higher_is_better=True)
    extra: list[RuntimeAdapter] = []
    targets, rows = _targets(adapters, profile, models, server_cpus, extra)
    table.rows.extend(rows)
    pinning = (f"servers on cores {_cores(server_cpus)}, generator on cores {_cores(generator_cpus)}"
               if cores else "not pinned (fewer than 2 usable cores)")
    try:
        for t in targets:
            control.check()
            control.note(f"io: starting {t.key}")
            try:
                t.served = t.start()
                if server_cpus:
                    for pid in t.served.pids():
                        pin_process_tree(pid, server_cpus)
            except Cancelled:
                raise
            except WasmscopeError as err:
                t.row = _failed(t, f"did not start: {err}")
            except Exception as err:  # noqa: BLE001 - one target failing must not sink the table
                t.row = _failed(t, f"did not start: {type(err).__name__}: {err}")
            control.step(f"io: started {t.key}")
        live = [t for t in targets if t.served is not None and t.row is None]
        _rounds(live, io, rounds, generator_cpus, control, gate_for(profile.quiet, control), table)
        for x in io.sweep:
            for t in live:
                if t.row is not None or t.model != SERVER:
                    continue
                control.check()
                s = _sweep_spec(io, x)
                summary = _load(t, s, generator_cpus, control)
                if summary is not None:
                    t.sweep.append({"x": float(x), "rps": summary.rps, "p99_ms": summary.p99_ms or 0.0,
                                    "errors": float(summary.errors)})
                control.step(f"io: sweep {x} on {t.key}")
    finally:
        for t in targets:
            if t.served is None:
                continue
            try:
                t.served.facts.update(t.served.stop() or {})
            except Exception as err:  # noqa: BLE001 - stopping must reach every target
                t.served.facts["stop_error"] = str(err)
                control.note(f"io: stopping {t.key} failed: {err}")
        for a in extra:
            a.close()
    for t in targets:
        table.rows.append(t.row or _row(t, pinning))
    return table


def _targets(adapters: dict[str, RuntimeAdapter], profile: "Profile", models: list[str],
             server_cpus: set[int] | None, extra: list[RuntimeAdapter]) -> tuple[list[Target], list[Row]]:
    io = profile.io
    targets: list[Target] = []
    rows: list[Row] = []
    if SERVER in models:
        http = profile.workload(io.server_workload)
        for name, adapter in adapters.items():
            reason = adapter.supports(http)
            if reason is not None:
                rows.append(Row(name, UNSUPPORTED, reason, model=SERVER))
                continue
            targets.append(Target(name, SERVER, "", _server(adapter, http)))
            host = adapter.host_network_variant()
            if host is not None:
                extra.append(host)
                targets.append(Target(name, SERVER, HOST_NETWORK, _server(host, http)))
        if io.serve_component:
            for name, adapter in adapters.items():
                if adapter.COMPONENT_HOST:
                    targets.append(Target(name, SERVER, COMPONENT, _serve_component(adapter, server_cpus)))
    if PER_REQUEST in models:
        targets.append(Target(FRONT, PER_REQUEST, "no instance", _front("none", io, server_cpus)))
        for name, adapter in adapters.items():
            if not adapter.SPAWNER:
                rows.append(Row(name, UNSUPPORTED, f"the per-request front has no spawner for {adapter.display_name}",
                                model=PER_REQUEST))
                continue
            targets.append(Target(name, PER_REQUEST, "", _front(adapter.SPAWNER, io, server_cpus)))
    return targets, rows


def _server(adapter: RuntimeAdapter, workload) -> Callable[[], Served]:
    def start() -> Served:
        args = adapter.server_args(workload)
        adapter.prepare(workload)
        inst = adapter.start(workload, args)
        port = served_port(inst) or given_port(workload, args)
        if not port:
            inst.stop()
            raise WasmscopeError(f"{adapter.name} started {workload.name} but no port is known "
                                 f"(ready line {inst.ready_line!r})")
        facts: dict[str, Any] = {"command": inst.command_line() or adapter.command_line(workload, args)}
        proxy = getattr(inst, "port_proxy", None)
        if proxy is not None:
            facts["port_proxy"] = proxy()

        return Served(f"http://127.0.0.1:{port}/", adapter.mode(),
                      lambda: inst.pids() + inst.overhead_pids(), _stopper(inst), facts)
    return start


def _stopper(inst) -> Callable[[], dict[str, Any]]:
    """`Served.stop` for an instance that has nothing to report on the way out."""
    def stop() -> dict[str, Any]:
        inst.stop()
        return {}
    return stop


def served_host(inst) -> Served:
    """A started HTTP host (`wasmtime serve`, `wash dev`: `host_port`, `mode_description`,
    `pids()`, `stop()`) as a target of the load generator."""
    return Served(f"http://127.0.0.1:{inst.host_port}/", inst.mode_description, inst.pids, _stopper(inst),
                  {"command": inst.command_line()})


def _serve_component(adapter: RuntimeAdapter, cpus: set[int] | None) -> Callable[[], Served]:
    def start() -> Served:
        from ..guests.components.builder import component_path

        return served_host(adapter.serve_component(component_path(), cpus=cpus))
    return start


def _front(spawner: str, io: "IoSpec", cpus: set[int] | None) -> Callable[[], Served]:
    def start() -> Served:
        from ..serving.launch import start_front

        workers = io.per_request_connections
        front = start_front(spawner, cpus=cpus, workers=workers)

        def stop() -> dict[str, Any]:
            stats = front.stop()
            return {"front": {"spawner": stats.spawner, "concurrency": stats.concurrency,
                              "workers": stats.workers, "requests": stats.requests,
                              "errors": stats.errors, "first_error": stats.first_error},
                    "isolation_ms": stats.phases_ms, "instance_mode": stats.mode}

        mode = f"wasmscope front (asyncio), {workers} worker(s), spawner {spawner}"
        return Served(front.url, mode, front.pids, stop, {})
    return start


def _rounds(live: list[Target], io: "IoSpec", rounds: int, cpus: set[int] | None, control: RunControl,
            gate: QuietGate, table: Table) -> None:
    """`rounds` rounds, each loading every live target once in a shuffled order, each load once
    the machine is quiet; the order of each round is kept in `table.facts`."""
    rng = random.Random()
    order: list[list[str]] = []
    for r in range(rounds):
        targets = [t for t in live if t.row is None]
        rng.shuffle(targets)
        order.append([t.key for t in targets])
        for t in targets:
            control.check()
            start = gate.before()
            summary = _load(t, load_spec(io, t.model), cpus, control)
            if summary is not None:
                cond = gate.after(start, None)  # the load itself is ours: judged by its start and steal
                t.rounds.append(summary)
                t.taken.append((r, cond))
                control.sample(LoadRound("io", t.runtime, t.key, rps=summary.rps, wait_ms=round(cond.wait_ms, 2),
                                         load_pct=round(cond.load_pct, 1), busy=cond.busy))
            control.step(f"io: round {r + 1}/{rounds} {t.key}")
    table.facts.update({"rounds": rounds, "order": order, "quiet": summary_of(gate)})


def _load(t: Target, spec: LoadSpec, cpus: set[int] | None, control: RunControl) -> LoadSummary | None:
    assert t.served is not None
    try:
        summary = run_load(t.served.url, spec, cpus=cpus, cancel=control.cancel,
                           on_tick=lambda tick: _tick(control, t.key, tick))
    except Cancelled:
        raise
    except WasmscopeError as err:
        t.row = _failed(t, f"load failed: {err}")
        return None
    t.rss.append(_rss(t.served))
    return summary


def _tick(control: RunControl, key: str, tick) -> None:
    """Stream a running load's interval figures (the app's req/s and p99 sparklines)."""
    control.sample(LoadTick("io", key.split("/", 1)[0], key, rps=tick.rps, p99_ms=tick.p99_ms))


def _rss(served: Served) -> int:
    try:
        return rss_uss(served.pids(), detailed=False)[0]
    except Exception:  # noqa: BLE001 - memory is a side figure; a vanished pid must not fail the run
        return 0


def _row(t: Target, pinning: str) -> Row:
    served = t.served
    assert served is not None
    if not t.rounds:
        return _failed(t, "no load round completed")
    rps = [s.rps for s in t.rounds]
    stats: dict[str, float] = {}
    for key in ("p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "generator_cpu_pct"):
        vals = [getattr(s, key) for s in t.rounds if getattr(s, key) is not None]
        if vals:
            stats[key] = round(statistics.median(vals), 3)
    stats["requests"] = float(sum(s.requests for s in t.rounds))
    stats["errors"] = float(sum(s.errors for s in t.rounds))
    stats["timeouts"] = float(sum(s.timeouts for s in t.rounds))
    rss = [r for r in t.rss if r]
    if rss:
        stats["server_rss_mib"] = round(statistics.median(rss) / MIB, 2)
    facts = {k: v for k, v in served.facts.items() if k not in ("isolation_ms", "instance_mode")}
    facts.update({"generator": t.rounds[0].generator, "pinning": pinning,
                  "generator_bound": any(s.generator_bound for s in t.rounds)})
    phases = {phase: round(v["median"], 4) for phase, v in (served.facts.get("isolation_ms") or {}).items()
              if isinstance(v, dict) and "median" in v}
    mode = served.mode + (f"; {served.facts['instance_mode']}" if served.facts.get("instance_mode") else "")
    stats["busy"] = float(sum(c.busy for _, c in t.taken))
    records = [c.as_record() for _, c in t.taken]
    rounds = [{"round": float(r), "value": round(s.rps, 1), "busy": float(c.busy),
               **({"p99_ms": round(s.p99_ms, 3)} if s.p99_ms is not None else {})}
              for (r, c), s in zip(t.taken, t.rounds, strict=True)]
    conditions = {"round": [float(r) for r, _ in t.taken],
                  **{k: [rec[k] for rec in records] for k in ("wait_ms", "load_pct", "steal_pct", "busy")}}
    return Row(t.runtime, OK, value=round(statistics.median(rps), 1), stats=stats, phases=phases,
               samples=[round(x, 1) for x in rps], counts=mode, model=t.model, variant=t.variant,
               facts=facts, load=[s.to_dict() for s in t.rounds], sweep=t.sweep, rounds=rounds,
               conditions=conditions)


def _failed(t: Target, reason: str) -> Row:
    return Row(t.runtime, FAILED, reason.splitlines()[0][:300], model=t.model, variant=t.variant)


def _sweep_spec(io: "IoSpec", x: float) -> LoadSpec:
    base = replace(load_spec(io, SERVER), duration_s=io.sweep_duration_s, warmup_s=min(io.warmup_s, 0.5))
    if io.mode == "fixed-rate":
        return replace(base, rate=float(x))
    return replace(base, connections=int(x))


def _load_words(spec: LoadSpec) -> str:
    if spec.mode == "fixed-rate":
        return (f"fixed rate {spec.rate:g} req/s over {spec.connections} connections for "
                f"{spec.duration_s:g} s (latency from each request's intended send time)")
    return f"closed loop, {spec.connections} connections for {spec.duration_s:g} s after {spec.warmup_s:g} s warm-up"


def given_port(workload, args: Sequence[str]) -> int | None:
    """The port server_args() filled into the workload's {port} argument, when not 0."""
    at = next((i for i, a in enumerate(workload.listen_args) if "{port}" in a), None)
    if at is None or len(workload.args) + at >= len(args):
        return None
    template, value = workload.listen_args[at], args[len(workload.args) + at]
    head, _, tail = template.partition("{port}")
    digits = value[len(head):len(value) - len(tail)] if value.startswith(head) and value.endswith(tail) else ""
    return int(digits) if digits.isdigit() and int(digits) else None


def served_port(inst) -> int | None:
    """The loopback port a started server answers on: the adapter's published port, else the
    `ready port=N` line the server printed."""
    port = getattr(inst, "host_port", None)
    if port:
        return int(port)
    line = getattr(inst, "ready_line", "") or ""
    if "port=" in line:
        head = line.split("port=", 1)[1].split()[0]
        return int(head) if head.isdigit() else None
    return None


def _cores(cpus: set[int] | None) -> str:
    return ",".join(str(c) for c in sorted(cpus or ()))


def steps(io: "IoSpec", n_targets: int) -> int:
    """Progress steps of one I/O measurement with `n_targets` targets."""
    return n_targets * (1 + io.rounds + len(io.sweep))


def _target_count(models: list[str], runtimes: Sequence[str]) -> int:
    """Roughly how many I/O targets: each runtime once per model, the host-network and
    component-serving rows, and the front's ceiling."""
    classes = [adapter_class(r) for r in runtimes]
    count = 0
    if SERVER in models:
        count += sum(1 + (c.kind == "container") + c.COMPONENT_HOST for c in classes)
    if PER_REQUEST in models:
        count += 1 + sum(1 for c in classes if c.SPAWNER)
    return count


class HttpIo(Measurement):
    """HTTP throughput and tail latency, in the long-running server and per-request models."""

    name = "io"
    title = "HTTP I/O"
    unit = "req/s"
    higher_is_better = True
    in_report = True
    samples = (LoadRound, LoadTick)
    reasons_in_caption = True
    chart = BarChart("HTTP I/O: requests/s (log scale, higher is better)", log=True, numbered=True)
    columns = (
        Column("model", "Model", lambda view, row: row.model, always=True),
        Column("rps", "req/s", lambda view, row: fmt_rps(row.value), essential=True),
        Column("p50", "p50", cells.stat("p50_ms", fmt_ms)),
        Column("p99", "p99", cells.stat("p99_ms", fmt_ms), essential=True),
        Column("p999", "p99.9", cells.stat("p999_ms", fmt_ms)),
        Column("errors", "Errors", show.errors),
        cells.BUSY_COLUMN,
        Column("vs_native", "vs native", lambda view, row: show.vs(view, row, "native"),
               essential=True, compares=True, baseline="native"),
        Column("vs_docker", "vs Docker", lambda view, row: show.vs(view, row, "container"),
               essential=True, compares=True, baseline="container"),
        Column("article", "Article (published)", show.article, essential=True, article=True),
    )

    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        return {profile.io.server_workload: [SERVER], profile.io.handler_workload: [PER_REQUEST]}

    def parts(self, profile: "Profile") -> list[str]:
        return list(profile.io.models)

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        io = replace(profile.io, rounds=plan.rounds_or(profile.io.rounds))
        return steps(io, _target_count(plan.selection("io", profile.io.models), runtimes))

    def run(self, adapters, profile: "Profile", plan: Plan, control: RunControl) -> Table:
        return measure_io(adapters, profile, plan.selection("io", profile.io.models), control,
                          rounds=plan.rounds_or(profile.io.rounds))

    def settings(self, profile: "Profile", plan: Plan) -> dict[str, Any]:
        io = {k: v for k, v in asdict(profile.io).items() if k != "sweep"}
        io["rounds"] = plan.rounds_or(profile.io.rounds)
        return {"io": {**io, "sweep": list(profile.io.sweep), "models": plan.selection("io", profile.io.models)}}

    def sort_key(self, row: Row) -> tuple[int, str]:
        return (MODELS.index(row.model) if row.model in MODELS else len(MODELS), row.variant)

    def row_label(self, view: View, row: Row) -> str:
        return show.label(view, row)

    def chart_label(self, view: View, row: Row) -> str:
        return show.chart_label(view, row, VARIANT_SHORT)

    def caption(self, view: View) -> list[str]:
        return show.caption(view)

    def extra_tables(self, results: Results) -> list[TableView]:
        table = show.sweep_table(View(results, results.tables[self.name]))
        return [table] if table else []

    def figures(self, results: Results) -> list[LineFigure]:
        fig = show.sweep_figure(View(results, results.tables[self.name]))
        return [fig] if fig else []
