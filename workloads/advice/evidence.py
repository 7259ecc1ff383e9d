"""This machine's measurements, as the wizard reads them: which runtimes measured what, per side.

The benchmark tables time small C guests (hello, idle, fib, the HTTP server and handler): their
figures speak for languages that compile to a small Wasm module (C, C++, Rust, TinyGo) and for
nobody else. The platforms table measures a Python component against CPython in a container;
the sandbox matrix measures the runtimes' capability model, whatever the guest's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.format import fmt_kib, fmt_mib, fmt_ms, fmt_rps
from ..model.results import OK, Results, Row, Table

COMPILED = ("c", "cpp", "rust", "tinygo")  # what the C guests' figures speak for
WASM, CONTAINER = "wasm", "container"
HOST_CAPABILITIES = ("read-file", "list-root", "read-env", "tcp-connect", "spawn")
WASM_HOSTS = ("wasmtime-serve", "wasmtime-serve-pooling", "wasmcloud")  # platforms rows serving Python on Wasm
PYTHON_CONTAINER = "python-container"


@dataclass(frozen=True)
class Point:
    """One runtime's figure: `value` compares, `text` quotes it."""

    runtime: str
    value: float
    text: str


@dataclass
class Evidence:
    """Whatever was measured here: benchmark results, a density run, a sandbox matrix."""

    results: Results | None = None
    density: Results | None = None
    sandbox: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, results: Results | None = None, density: Results | None = None,
           sandbox: list | None = None) -> "Evidence":
        rows = [r.to_dict() if hasattr(r, "to_dict") else r for r in (sandbox or [])]
        return cls(results, density, [r for r in rows if isinstance(r, dict)])

    def table(self, name: str) -> Table | None:
        if name == "density":
            return self.density.tables.get("density") if self.density else None
        return self.results.tables.get(name) if self.results else None

    def kind(self, runtime: str) -> str:
        for source in (self.results, self.density):
            if source and runtime in source.runtimes:
                return source.runtimes[runtime].kind
        from ..runtimes import REGISTRY, adapter_class  # a runtime of the registry this run did not describe

        return adapter_class(runtime).kind if runtime in REGISTRY else ""


def _side(ev: Evidence, table: Table | None, kind: str, *, model: str | None = None) -> list[Row]:
    """The measured rows of one side; rows that ran on another machine (a Docker engine
    elsewhere) are never weighed against this machine's."""
    if table is None:
        return []
    return [r for r in table.rows if r.status == OK and r.value is not None and ev.kind(r.runtime) == kind
            and (model is None or r.model == model) and r.runtime not in table.elsewhere]


def _label(row: Row) -> str:
    return f"{row.runtime} ({row.variant})" if row.variant else row.runtime


def cold_starts(ev: Evidence, kind: str) -> list[Point]:
    """Cold start of the hello module per runtime of a side (startup table), fastest first."""
    rows = _side(ev, ev.table("startup"), kind)
    return sorted((Point(r.runtime, r.value, f"{r.runtime} {fmt_ms(r.value)}") for r in rows),
                  key=lambda p: p.value)


def idle_memory(ev: Evidence, kind: str) -> tuple[list[Point], str]:
    """Memory per idle instance of a side, smallest first, and what it counts: the density run's
    cost per extra instance when there is one, else one idle instance plus its host process."""
    density = _side(ev, ev.table("density"), kind)
    if density:
        pts = [Point(r.runtime, r.stats["pss_kib_per_instance"] / 1024,
                     f"{r.runtime} {fmt_kib(r.stats['pss_kib_per_instance'])}")
               for r in density if "pss_kib_per_instance" in r.stats]
        return sorted(pts, key=lambda p: p.value), "memory per extra idle instance (PSS, density run)"
    pts = []
    for r in _side(ev, ev.table("memory"), kind):
        host = r.stats.get("overhead_rss_mib", 0.0) or 0.0
        pts.append(Point(r.runtime, r.value + host, f"{r.runtime} {r.value:.1f}+{host:.1f} MiB"))
    return sorted(pts, key=lambda p: p.value), "memory table: one idle instance + its host process or containerd-shim"


def compute_overheads(ev: Evidence, kind: str) -> list[Point]:
    """Percent over native of fib per runtime of a side (compute table), smallest first."""
    table = ev.table("compute")
    base = ev.results.baseline("native") if ev.results else None
    native = table.ok_value(base) if table and base else None
    if not native:
        return []
    pts = [Point(r.runtime, (r.value / native - 1) * 100, f"{r.runtime} {(r.value / native - 1) * 100:+.1f} %")
           for r in _side(ev, table, kind) if table.comparable(r.runtime, base)]  # never across machines
    return sorted(pts, key=lambda p: p.value)


def http_points(ev: Evidence, kind: str, model: str) -> list[Point]:
    """Throughput per row of a side in a serving model (I/O table), fastest first; the text
    carries p99 and says when the load generator was the limit (a lower bound)."""
    pts = []
    for r in _side(ev, ev.table("io"), kind, model=model):
        bound = " (generator-bound: at least)" if r.facts.get("generator_bound") else ""
        p99 = r.stats.get("p99_ms")
        pts.append(Point(_label(r), r.value, f"{_label(r)} {fmt_rps(r.value)} req/s, p99 {fmt_ms(p99)}{bound}"))
    return sorted(pts, key=lambda p: -p.value)


def python_platforms(ev: Evidence) -> tuple[Row | None, Row | None]:
    """(the best Python-on-Wasm host row, the CPython container row) of the platforms table."""
    table = ev.table("platforms")
    if table is None:
        return None, None
    ok = {r.runtime: r for r in table.rows if r.status == OK and r.value is not None}
    hosts = [ok[h] for h in WASM_HOSTS if h in ok]
    return (max(hosts, key=lambda r: r.value) if hosts else None), ok.get(PYTHON_CONTAINER)


def platform_line(wasm: Row, box: Row) -> str:
    name = str(wasm.facts.get("display", wasm.runtime))
    return (f"Python here: on Wasm ({name}) {wasm.value:,.0f} req/s, {fmt_mib(wasm.stats.get('rss_mib'))}, "
            f"first 200 after {fmt_ms(wasm.stats.get('first_200_ms'))}; CPython in a container "
            f"{box.value:,.0f} req/s, {fmt_mib(box.stats.get('rss_mib'))}, first 200 after "
            f"{fmt_ms(box.stats.get('first_200_ms'))}")


def sandbox_reach(ev: Evidence, kind: str) -> dict[str, list[str]] | None:
    """Per runtime of a side (runtime-defaults setting): the host resources its guest reached;
    None when no sandbox matrix was measured for that side."""
    rows = [r for r in ev.sandbox if r.get("kind") == kind and r.get("settings") == "runtime-defaults"
            and not r.get("error")]
    if not rows:
        return None
    reach = {}
    for r in rows:
        cells = r.get("cells") or {}
        reach[r.get("runtime", "?")] = [cap for cap in HOST_CAPABILITIES
                                        if (cells.get(cap) or {}).get("verdict") == "host"]
    return reach
