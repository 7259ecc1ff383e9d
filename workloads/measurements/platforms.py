"""Platforms: the same HTTP answer from the hosts a "use Wasm" decision really picks between.

`wasmtime serve` (default and pooling allocator) and a wasmCloud host (`wash dev`) serve the
Python wasi:http component; CPython in a Debian-based container serves the same handler
(Python on Wasm vs Python in a container); the native C server is the reference. For each:
time from process start to its first 200, one request after the host sat idle, a
max-throughput load and a fixed-rate load (the load generator of the I/O table), and the RSS
of the host's whole process tree.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from ..errors import Cancelled, WasmscopeError, WorkloadError
from ..guests.catalogue import Workload
from ..load.pinning import pin_process_tree, split_cores
from ..model.format import fmt_mib, fmt_ms, fmt_rps
from ..model.results import FAILED, OK, UNAVAILABLE, UNSUPPORTED, Row, Table
from ..system.loopback import get
from . import cells
from .base import Column, Measurement, Plan, View
from .control import RunControl
from .io import SERVER, Served, Target, _load, _stopper, load_spec, served_host, served_port

if TYPE_CHECKING:
    from wasmscope.profiles.schema import Profile

    from ..load.summary import LoadSummary
    from ..runtimes.base import RuntimeAdapter

MIB = 1 << 20
IDLE_S = 2.0  # how long a host sits idle before the "after idle" request


@dataclass
class Platform:
    name: str
    display: str
    kind: str  # "wasm" | "container" | "native"
    start: Callable[[], tuple[Served, float]]  # the running host and ms from start to first 200


def first_200(port: int, t0: float, timeout_s: float = 120.0,
              gone: Callable[[], str | None] = lambda: None) -> float:
    """ms from `t0` (perf_counter) until GET / on the port answers 200; `gone()` returns why
    the host is no longer running (then this fails at once instead of waiting)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        why = gone()
        if why:
            raise WorkloadError(f"the host stopped before its first 200: {why}")
        try:
            if get(port, timeout=2)[0] == 200:
                return (time.perf_counter() - t0) * 1e3
        except OSError:
            pass
        time.sleep(0.01)
    raise WorkloadError(f"nothing answered 200 on 127.0.0.1:{port} within {timeout_s:g} s")


def one_request_ms(url: str) -> float:
    """One fresh-connection GET, timed (the first request after an idle spell)."""
    port = int(url.rsplit(":", 1)[1].strip("/"))
    t0 = time.perf_counter()
    status, _ = get(port, timeout=30)
    if status != 200:
        raise WorkloadError(f"{url} answered {status} after idling")
    return (time.perf_counter() - t0) * 1e3


def platforms(adapters: dict[str, "RuntimeAdapter"], profile: "Profile",
              cpus: set[int] | None) -> tuple[list[Platform], list[Row]]:
    """The hosts that can run here, and rows saying why the others cannot."""
    out: list[Platform] = []
    rows: list[Row] = []
    host = next((a for a in adapters.values() if a.COMPONENT_HOST), None)
    if host is not None:
        for mode, label in (("default", "wasmtime serve"), ("pooling", "wasmtime serve (pooling allocator)")):
            out.append(Platform(f"wasmtime-serve{'' if mode == 'default' else '-' + mode}", label, "wasm",
                                _wasmtime_serve(host, mode, cpus)))
        out.append(Platform("wasmcloud", "wasmCloud (wash dev)", "wasm", _wasmcloud(cpus)))  # the same component
    else:
        rows.append(Row("wasmtime-serve", UNAVAILABLE, "needs a runtime that serves wasi:http components "
                        "(the wasmtime CLI) in this run", facts={"display": "wasmtime serve"}))
    from ..platforms.detect import detect_all

    displays = {"spin": "Fermyon Spin", "spinkube": "SpinKube", "docker-wasm-shims": "Docker + runwasi shims",
                "kwasm": "KWasm"}
    for status in detect_all():  # platforms that cannot be installed from the registries here
        display = displays.get(status.name, status.name)
        if status.available:
            rows.append(Row(status.name, UNSUPPORTED, f"detected ({status.version}); wasmscope does not drive it "
                                                      "yet", facts={"display": display}))
        else:
            rows.append(Row(status.name, UNAVAILABLE, f"{status.reason} — {status.hint}", facts={"display": display}))
    by_role = {a.BASELINE_FOR: a for a in adapters.values() if a.BASELINE_FOR}
    if "container" in by_role:
        out.append(Platform("python-container", "CPython in a container (Debian base)", "container",
                            _python_container(by_role["container"], cpus)))
    if "native" in by_role:
        out.append(Platform("native-http", "native C server (reference)", "native",
                            _native(by_role["native"], profile.workload(profile.io.server_workload))))
    return out, rows


def _component() -> Path:
    from ..guests.components.builder import component_path

    return component_path()


def _wasmtime_serve(host: "RuntimeAdapter", mode: str, cpus: set[int] | None) -> Callable[[], tuple[Served, float]]:
    def start() -> tuple[Served, float]:
        inst = host.serve_component(_component(), cpus=cpus, mode=mode)
        return served_host(inst), inst.started_ms
    return start


def _wasmcloud(cpus: set[int] | None) -> Callable[[], tuple[Served, float]]:
    def start() -> tuple[Served, float]:
        from ..platforms import serve_wasmcloud

        inst = serve_wasmcloud(_component(), cpus=cpus)
        return served_host(inst), inst.first_200_ms
    return start


PYTHON_MEMORY_MIB = 256


def python_http_workload() -> Workload:
    """The Python handler as a container workload: CPython from a Debian base serving it."""
    from ..guests.catalogue import SOURCE_DIR

    return Workload("python-http", "CPython http.server answering as the Python component does", kind="serve",
                    source=SOURCE_DIR / "http_server.py", ready="ready", network=True,
                    listen_args=("{port}", "{host}"))


def _python_container(container: "RuntimeAdapter", cpus: set[int] | None) -> Callable[[], tuple[Served, float]]:
    """The container runtime's own adapter (its hardening, labels and cleanup) with a smaller
    memory limit, pinned to the servers' cores."""
    def start() -> tuple[Served, float]:
        from ..runtimes import create_adapter

        pinned = {"cpus": ",".join(map(str, sorted(cpus)))} if cpus else {}
        adapter = create_adapter(container.name, {**container.options, "memory_limit_mib": PYTHON_MEMORY_MIB, **pinned})
        workload = python_http_workload()
        try:
            adapter.prepare(workload)
            t0 = time.perf_counter()
            inst = adapter.start(workload, adapter.server_args(workload))
            port = served_port(inst)
            if not port:
                raise WorkloadError(f"{adapter.display_name} started {workload.name} but no port is known")
            ms = first_200(port, t0, gone=lambda: None if inst.alive() else "the container exited")
        except BaseException:
            adapter.close()
            raise

        def stop() -> dict[str, Any]:
            adapter.close()
            return {}

        return Served(f"http://127.0.0.1:{port}/", f"CPython 3 http.server (threads) in a container: {adapter.mode()}",
                      inst.pids, stop, {"command": inst.command_line()}), ms
    return start


def _native(native: "RuntimeAdapter", workload) -> Callable[[], tuple[Served, float]]:
    def start() -> tuple[Served, float]:
        native.prepare(workload)
        t0 = time.perf_counter()
        inst = native.start(workload, native.server_args(workload))
        port = served_port(inst)
        if not port:
            inst.stop()
            raise WorkloadError("the native http server printed no port")
        ms = first_200(port, t0)
        return Served(f"http://127.0.0.1:{port}/", native.mode(), inst.pids, _stopper(inst),
                      {"command": inst.command_line()}), ms
    return start


def measure_platforms(adapters: dict[str, "RuntimeAdapter"], profile: "Profile",
                      control: RunControl) -> Table:
    """One row per host: first 200, after idle, max and fixed-rate throughput, RSS."""
    io = profile.io
    cores = split_cores()
    server_cpus, generator_cpus = cores if cores else (None, None)
    closed = load_spec(io, SERVER)
    fixed = replace(closed, mode="fixed-rate", rate=io.rate or 100.0, generator="builtin")
    table = Table("platforms", "req/s", "component-http", [], higher_is_better=True,
                  what=(f"the same 200 from each host: max throughput ({closed.connections} connections, "
                        f"{closed.duration_s:g} s) and a fixed {fixed.rate:g} req/s, after its first 200 "
                        f"and one request after {IDLE_S:g} s idle"))
    hosts, rows = platforms(adapters, profile, server_cpus)
    table.rows.extend(rows)
    for host in hosts:
        control.check()
        try:
            control.note(f"platforms: starting {host.display}")
            served, first_ms = host.start()
        except Cancelled:
            raise
        except WasmscopeError as err:
            table.rows.append(Row(host.name, FAILED, f"did not start: {str(err).splitlines()[0]}",
                                  facts={"display": host.display}))
            continue
        target = Target(host.name, "", "", lambda s=served: s, served=served)  # loaded, never restarted
        try:
            if server_cpus:
                for pid in served.pids():
                    pin_process_tree(pid, server_cpus)
            time.sleep(IDLE_S)
            after_idle = one_request_ms(served.url)
            summaries = {}
            for name, spec in (("closed", closed), ("fixed", fixed)):
                control.check()
                summaries[name] = _load(target, spec, generator_cpus, control)
                control.step(f"platforms: {host.display} {name}")
            rss = statistics.median(target.rss) / MIB if target.rss else None
        except WasmscopeError as err:
            table.rows.append(Row(host.name, FAILED, str(err).splitlines()[0][:300], facts={"display": host.display}))
            continue
        finally:
            served.stop()
        if target.row is not None:
            target.row.facts["display"] = host.display
            table.rows.append(target.row)
            continue
        table.rows.append(_served_row(host, served, first_ms, after_idle, summaries["closed"], summaries["fixed"], rss))
    return table


def _served_row(host: Platform, served: Served, first_ms: float, after_idle: float, c: "LoadSummary",
                f: "LoadSummary", rss: float | None) -> Row:
    """The row of a host that served both loads: its first 200 and the one after idle, the closed
    load's (`c`) throughput and latencies, the fixed rate's (`f`) p99, its RSS."""
    assert c is not None and f is not None
    stats = {"first_200_ms": round(first_ms, 2), "after_idle_ms": round(after_idle, 3),
             "p50_ms": c.p50_ms, "p99_ms": c.p99_ms, "fixed_rps": round(f.rps, 1), "fixed_p99_ms": f.p99_ms,
             "errors": float(c.errors + c.timeouts + f.errors + f.timeouts)}
    if rss is not None:
        stats["rss_mib"] = round(rss, 1)
    return Row(host.name, OK, value=round(c.rps, 1), stats={k: v for k, v in stats.items() if v is not None},
               counts=served.mode, load=[c.to_dict(), f.to_dict()],
               facts={"display": host.display, "generator": c.generator, "generator_bound": c.generator_bound,
                      **{k: v for k, v in served.facts.items() if k == "command"}})


class Platforms(Measurement):
    """The hosts a "use Wasm" decision picks between, serving the same HTTP answer."""

    name = "platforms"
    title = "Platforms"
    unit = "req/s"
    higher_is_better = True
    rows_are_runtimes = False
    row_header = "Host"
    columns = (
        Column("first_200", "first 200", cells.stat("first_200_ms", fmt_ms), essential=True),
        Column("after_idle", "after idle", cells.stat("after_idle_ms", fmt_ms)),
        Column("rps", "req/s", lambda view, row: fmt_rps(row.value), essential=True),
        Column("p99", "p99", cells.stat("p99_ms", fmt_ms), essential=True),
        Column("fixed_rps", "fixed req/s", cells.stat("fixed_rps", fmt_rps)),
        Column("fixed_p99", "fixed p99", cells.stat("fixed_p99_ms", fmt_ms)),
        Column("rss", "RSS", cells.stat("rss_mib", fmt_mib)),
    )

    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        return {"component-http": []}

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return 2 * 5  # two loads on each of the (up to) five hosts

    def run(self, adapters, profile: "Profile", plan: Plan, control: RunControl) -> Table:
        return measure_platforms(adapters, profile, control)

    def row_label(self, view: View, row: Row) -> str:
        return view.label(row) + (" ⚠" if row.facts.get("generator_bound") else "")

    def caption(self, view: View) -> list[str]:
        modes = [f"  {view.label(r)}: {r.counts}" for r in view.table.rows if r.status == OK]
        return ["first 200: from starting the host to its first 200 (a platform's cold start); "
                "after idle: one request on a fresh connection after the host sat idle; "
                "RSS: the host's whole process tree after the loads.", "How each host serves:", *modes]
