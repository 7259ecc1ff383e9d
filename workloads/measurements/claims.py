"""The reference article's claims, each checked against figures measured on this machine.

A claim holds, does not hold, or was not measured (the table or the rows it needs are absent).
The tolerance each check uses is written into its figures line, so a reader can disagree with
the threshold but never with what was compared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

from ..model.format import fmt_mib, fmt_ms, fmt_pct, fmt_rps
from ..model.results import OK, Results, Row, Table

HOLDS, FAILS, NOT_MEASURED = "holds", "does not hold", "not measured"


@dataclass(frozen=True)
class Verdict:
    claim: str  # the article's words
    article: str  # the article's own figures behind the claim
    verdict: str  # holds / does not hold / not measured
    figures: str  # what was compared here, with the tolerance used

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _ok_rows(results: Results, table: str, kind: str) -> list[Row]:
    t = results.tables.get(table)
    if t is None:
        return []
    return [r for r in t.rows if r.status == OK and r.value is not None
            and (info := results.runtimes.get(r.runtime)) is not None and info.kind == kind]


def _name(results: Results, row: Row) -> str:
    info = results.runtimes.get(row.runtime)
    return (info.display if info else row.runtime) + (f" ({row.variant})" if row.variant else "")


def _not_measured(claim: str, article: str, why: str) -> Verdict:
    return Verdict(claim, article, NOT_MEASURED, why)


def wasm_cold_start_under_5ms(results: Results) -> Verdict:
    claim, article = "Wasm cold start under 5 ms", "Wasmtime 0.8 ms, WasmEdge 0.6 ms, Wasmer 1.2 ms"
    rows = _ok_rows(results, "startup", "wasm")
    if not rows:
        return _not_measured(claim, article, "no Wasm runtime in the startup table")
    under = [r for r in rows if r.value < 5.0]
    figs = ", ".join(f"{_name(results, r)} {fmt_ms(r.value)} {'✓' if r.value < 5.0 else '✗'}" for r in rows)
    return Verdict(claim, article, HOLDS if under else FAILS,
                   f"{figs} (median cold start; holds when a Wasm runtime starts in < 5 ms)")


def _docker(results: Results) -> str:
    """The article's "Docker" is this run's container baseline (its role, not a runtime name)."""
    return results.baseline("container") or ""


def _native(results: Results) -> str:
    return results.baseline("native") or ""


def wasm_starts_100x_faster(results: Results) -> Verdict:
    claim, article = "Wasm starts two orders of magnitude faster than a container", "0.8 ms vs 300 ms: 375×"
    t = results.tables.get("startup")
    docker = t.ok_value(_docker(results)) if t else None
    rows = _ok_rows(results, "startup", "wasm")
    if t is None or docker is None or not rows:
        return _not_measured(claim, article, "needs Docker and a Wasm runtime in the startup table")
    best = min(rows, key=lambda r: r.value)
    ratio = t.ratio(best.runtime, _docker(results))
    if ratio is None:
        return _not_measured(claim, article, "Docker ran on another machine than the Wasm rows (DOCKER_HOST)")
    return Verdict(claim, article, HOLDS if ratio >= 100 else FAILS,
                   f"Docker {fmt_ms(docker)} vs {_name(results, best)} {fmt_ms(best.value)}: {ratio:,.0f}× "
                   f"(holds at ≥ 100×)")


def docker_idle_48mb(results: Results) -> Verdict:
    claim, article = "Docker idle RSS 48 MB", "Docker (Alpine + binary) 48 MB vs Wasmtime 4 MB"
    t = results.tables.get("memory")
    row = t.row(_docker(results)) if t else None
    if row is None or row.status != OK:
        return _not_measured(claim, article, "no Docker row in the memory table")
    total = row.stats.get("total_rss_mib", row.value or 0.0)
    touched = results.settings.get("idle_mib")
    ok = 32 <= total * 1.048576 <= 72  # MiB → MB; within 1.5× of 48 MB
    return Verdict(claim, article, HOLDS if ok else FAILS,
                   f"Docker {fmt_mib(total)} = container processes + containerd-shim"
                   + (f" (the idle workload touched {touched} MiB)" if touched is not None else "")
                   + "; holds within 1.5× of 48 MB")


def wasm_compute_10_to_30(results: Results) -> Verdict:
    claim, article = "Wasm costs 10–30 % on pure compute", "fib(40): Wasmtime +14 %, WasmEdge +17 %, Wasmer +21 %"
    t = results.tables.get("compute")
    rows = _ok_rows(results, "compute", "wasm")
    if t is None or t.ok_value(_native(results)) is None or not rows:
        return _not_measured(claim, article, "needs native and a Wasm runtime in the compute table")
    pcts = [(r, t.overhead_pct(r.runtime, _native(results))) for r in rows]
    ok = all(p is not None and 10 <= p <= 30 for _, p in pcts)
    n = results.settings.get("fib_n")
    figs = ", ".join(f"{_name(results, r)} {fmt_pct(p)}" for r, p in pcts)
    return Verdict(claim, article, HOLDS if ok else FAILS,
                   f"fib({n}) over native: {figs} (holds when every one is within +10 … +30 %)")


def docker_compute_near_native(results: Results) -> Verdict:
    claim, article = "Containers run compute at native speed", "Docker 425 ms vs native 420 ms (+1 %)"
    t = results.tables.get("compute")
    p = t.overhead_pct(_docker(results), _native(results)) if t else None
    if p is None:
        return _not_measured(claim, article, "needs native and Docker in the compute table")
    return Verdict(claim, article, HOLDS if abs(p) <= 5 else FAILS,
                   f"Docker {fmt_pct(p)} over native (holds within ±5 %)")


def _io(results: Results) -> Table | None:
    return results.tables.get("io")


def wasm_http_60pct(results: Results) -> Verdict:
    claim, article = "Wasm HTTP throughput ~60 % of native", "Wasmtime 31,000 vs native 52,000 req/s (60 %)"
    t = _io(results)
    native = t.row(_native(results), "server") if t else None
    rows = [r for r in (t.rows if t else []) if r.status == OK and r.model == "server"
            and (info := results.runtimes.get(r.runtime)) is not None and info.kind == "wasm"]
    if t is None or native is None or native.status != OK or not rows:
        return _not_measured(claim, article, "needs native and a Wasm server in the I/O table")
    shares = [(r, t.versus(r, _native(results))) for r in rows]
    ok = any(s is not None and 0.45 <= s <= 0.75 for _, s in shares)
    figs = ", ".join(f"{_name(results, r)} {fmt_rps(r.value)} req/s = {s * 100:.0f} %" for r, s in shares if s)
    return Verdict(claim, article, HOLDS if ok else FAILS,
                   f"native {fmt_rps(native.value)} req/s; {figs} (holds when one is within 45–75 %)")


def docker_http_near_native(results: Results) -> Verdict:
    claim, article = "Containers serve HTTP near native speed", "Docker 49,500 vs native 52,000 req/s (95 %)"
    t = _io(results)
    docker = t.row(_docker(results), "server") if t else None
    if t is None or docker is None or docker.status != OK or t.versus(docker, _native(results)) is None:
        return _not_measured(claim, article, "needs native and Docker servers in the I/O table")
    share = t.versus(docker, _native(results)) or 0.0
    proxy = docker.facts.get("port_proxy", "")
    return Verdict(claim, article, HOLDS if share >= 0.85 else FAILS,
                   f"Docker (published port{', ' + proxy if proxy else ''}) {fmt_rps(docker.value)} req/s = "
                   f"{share * 100:.0f} % of native (holds at ≥ 85 %)")


def density_500_vs_30(results: Results) -> Verdict:
    claim, article = "~500 Wasm modules fit where ~30 containers do", "500 vs 30 per host (about 17×)"
    wasm = _ok_rows(results, "density", "wasm")
    containers = _ok_rows(results, "density", "container")
    if not wasm or not containers:
        return _not_measured(claim, article, "needs a `wasmscope density` run with a Wasm runtime and Docker")
    best, box = max(wasm, key=lambda r: r.value), max(containers, key=lambda r: r.value)
    ratio = best.value / box.value
    return Verdict(claim, article, HOLDS if ratio >= 10 else FAILS,
                   f"per GiB: {_name(results, best)} ({best.model}) {best.value:,.0f} vs {_name(results, box)} "
                   f"{box.value:,.0f}: {ratio:,.1f}× (holds at ≥ 10×)")


CLAIMS: tuple[Callable[[Results], Verdict], ...] = (
    wasm_cold_start_under_5ms, wasm_starts_100x_faster, docker_idle_48mb, wasm_compute_10_to_30,
    docker_compute_near_native, wasm_http_60pct, docker_http_near_native, density_500_vs_30,
)


def check_claims(results: Results) -> list[Verdict]:
    """Every claim against these results, in the article's order."""
    return [claim(results) for claim in CLAIMS]
