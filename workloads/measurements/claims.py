"""The reference article's claims, each checked against figures measured on this machine.

A claim holds or does not hold only when the whole interval of the figure behind it agrees (the
spread across the run's rounds; with one round, a bootstrap over its samples); an interval that
straddles the line is "inconclusive on this run", and a claim whose table or rows are absent was
not measured. The tolerance each check uses and the interval are written into its figures line,
so a reader can disagree with the threshold but never with what was compared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

from ..model.format import fmt_mib, fmt_ms, fmt_rps, fmt_with_interval
from ..model.intervals import POINT, Estimate
from ..model.results import OK, Results, Row
from .base import View
from .cells import PCT_ABOVE, SHARE, TIMES_SMALLER, pct_text, ratio_estimate, share_text, times_text, value_estimate

HOLDS, FAILS, NOT_MEASURED = "holds", "does not hold", "not measured"
INCONCLUSIVE = "inconclusive on this run"


@dataclass(frozen=True)
class Verdict:
    claim: str  # the article's words
    article: str  # the article's own figures behind the claim
    verdict: str  # holds / does not hold / inconclusive on this run / not measured
    figures: str  # what was compared here, with its interval and the tolerance used

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def decide(parts: list[bool | None], need: str) -> str:
    """A verdict from each part's (True: its whole interval agrees; False: none of it does;
    None: it straddles the line). `need` "any": one part suffices; "all": every part must agree."""
    if need == "any":
        return HOLDS if any(p is True for p in parts) else FAILS if all(p is False for p in parts) else INCONCLUSIVE
    return HOLDS if all(p is True for p in parts) else FAILS if any(p is False for p in parts) else INCONCLUSIVE


def _negated(part: bool | None) -> bool | None:
    """The opposite part (an interval wholly above the line is wholly not below it); None stays None."""
    return None if part is None else not part


def _mark(part: bool | None) -> str:
    return {True: "✓", False: "✗", None: "?"}[part]


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


def _view(results: Results, table: str) -> View:
    return View(results, results.tables[table])


def _baseline_row(results: Results, table: str, role: str, model: str | None = None) -> Row | None:
    """The `role` baseline's row of `table` (in the I/O table, its row of the serving `model`)."""
    t = results.tables.get(table)
    base = results.baseline(role)
    return t.row(base, model) if t and base else None


def _estimates(rows: list[Row], estimate: Callable[[Row], Estimate | None]) -> list[tuple[Row, Estimate]]:
    """Each row with its estimate (rows without one left out)."""
    return [(r, e) for r in rows if (e := estimate(r)) is not None]


def _listed(results: Results, ests: list[tuple[Row, Estimate | None]], parts: list[bool | None],
            text: Callable[[Row, Estimate | None], str]) -> str:
    """'Wasmtime 0.81 ms ✓, WasmEdge 0.62 ms ✓': each row's figure as `text` writes it, with its mark."""
    return ", ".join(f"{_name(results, r)} {text(r, e)} {_mark(p)}" for (r, e), p in zip(ests, parts))


def _ms(est: Estimate) -> str:
    return fmt_with_interval(fmt_ms(est.point), fmt_ms(est.lo), fmt_ms(est.hi), est.basis, est.n)


WHOLE = "for its whole interval"


def wasm_cold_start_under_5ms(results: Results) -> Verdict:
    claim, article = "Wasm cold start under 5 ms", "Wasmtime 0.8 ms, WasmEdge 0.6 ms, Wasmer 1.2 ms"
    rows = _ok_rows(results, "startup", "wasm")
    if not rows:
        return _not_measured(claim, article, "no Wasm runtime in the startup table")
    ests = _estimates(rows, value_estimate)
    parts = [_negated(e.above(5.0)) for _, e in ests]
    figs = _listed(results, ests, parts, lambda r, e: _ms(e))
    return Verdict(claim, article, decide(parts, "any"),
                   f"{figs} (median cold start; holds when a Wasm runtime starts in < 5 ms {WHOLE})")


def wasm_starts_100x_faster(results: Results) -> Verdict:
    claim, article = "Wasm starts two orders of magnitude faster than a container", "0.8 ms vs 300 ms: 375×"
    t = results.tables.get("startup")
    base = results.baseline("container")
    rows = _ok_rows(results, "startup", "wasm")
    if t is None or base is None or t.ok_value(base) is None or not rows:
        return _not_measured(claim, article, "needs Docker and a Wasm runtime in the startup table")
    view = _view(results, "startup")
    ests = _estimates(rows, lambda r: ratio_estimate(view, r, "container", TIMES_SMALLER))
    if not ests and any(not t.comparable(r.runtime, base) for r in rows):
        return _not_measured(claim, article, "Docker ran on another machine than the Wasm rows (DOCKER_HOST)")
    parts = [e.above(100.0) for _, e in ests]
    figs = _listed(results, ests, parts, lambda r, e: times_text(e, "faster", "slower"))
    return Verdict(claim, article, decide(parts, "any"),
                   f"Docker {fmt_ms(t.ok_value(base))}: {figs} (holds at ≥ 100× {WHOLE})")


def docker_idle_48mb(results: Results) -> Verdict:
    claim, article = "Docker idle RSS 48 MB", "Docker (Alpine + binary) 48 MB vs Wasmtime 4 MB"
    row = _baseline_row(results, "memory", "container")
    if row is None or row.status != OK:
        return _not_measured(claim, article, "no Docker row in the memory table")
    est = value_estimate(row, "total_rss_mib")
    if est is None:
        total = row.stats.get("total_rss_mib", row.value or 0.0)
        est = Estimate(total, total, total, 1, POINT, 0.0)
    touched = results.settings.get("idle_mib")
    mb = 1.048576  # MiB → MB; holds within 1.5× of 48 MB
    text = fmt_with_interval(fmt_mib(est.point), f"{est.lo:.1f}", f"{est.hi:.1f}", est.basis, est.n)
    return Verdict(claim, article, decide([est.inside(32 / mb, 72 / mb)], "all"),
                   f"Docker {text} = container processes + containerd-shim"
                   + (f" (the idle workload touched {touched} MiB)" if touched is not None else "")
                   + f"; holds within 1.5× of 48 MB {WHOLE}")


def wasm_compute_10_to_30(results: Results) -> Verdict:
    claim, article = "Wasm costs 10–30 % on pure compute", "fib(40): Wasmtime +14 %, WasmEdge +17 %, Wasmer +21 %"
    t = results.tables.get("compute")
    rows = _ok_rows(results, "compute", "wasm")
    native = results.baseline("native")
    if t is None or native is None or t.ok_value(native) is None or not rows:
        return _not_measured(claim, article, "needs native and a Wasm runtime in the compute table")
    view = _view(results, "compute")
    ests = [(r, ratio_estimate(view, r, "native", PCT_ABOVE)) for r in rows]
    parts = [None if e is None else e.inside(10.0, 30.0) for _, e in ests]
    n = results.settings.get("fib_n")
    figs = _listed(results, ests, parts, lambda r, e: pct_text(e))
    return Verdict(claim, article, decide(parts, "all"),
                   f"fib({n}) over native: {figs} (holds when every one is within +10 … +30 % {WHOLE})")


def docker_compute_near_native(results: Results) -> Verdict:
    claim, article = "Containers run compute at native speed", "Docker 425 ms vs native 420 ms (+1 %)"
    row = _baseline_row(results, "compute", "container")
    est = ratio_estimate(_view(results, "compute"), row, "native", PCT_ABOVE) if row is not None else None
    if est is None:
        return _not_measured(claim, article, "needs native and Docker in the compute table")
    return Verdict(claim, article, decide([est.inside(-5.0, 5.0)], "all"),
                   f"Docker {pct_text(est)} over native (holds within ±5 % {WHOLE})")


def wasm_http_60pct(results: Results) -> Verdict:
    claim, article = "Wasm HTTP throughput ~60 % of native", "Wasmtime 31,000 vs native 52,000 req/s (60 %)"
    t = results.tables.get("io")
    native = _baseline_row(results, "io", "native", "server")
    rows = [r for r in (t.rows if t else []) if r.status == OK and r.model == "server"
            and (info := results.runtimes.get(r.runtime)) is not None and info.kind == "wasm"]
    if t is None or native is None or native.status != OK or not rows:
        return _not_measured(claim, article, "needs native and a Wasm server in the I/O table")
    view = _view(results, "io")
    ests = _estimates(rows, lambda r: ratio_estimate(view, r, "native", SHARE))
    parts = [e.inside(0.45, 0.75) for _, e in ests]
    figs = _listed(results, ests, parts, lambda r, e: f"{fmt_rps(r.value)} req/s = {share_text(e)}")
    return Verdict(claim, article, decide(parts, "any"),
                   f"native {fmt_rps(native.value)} req/s; {figs} (holds when one is within 45–75 % {WHOLE})")


def docker_http_near_native(results: Results) -> Verdict:
    claim, article = "Containers serve HTTP near native speed", "Docker 49,500 vs native 52,000 req/s (95 %)"
    docker = _baseline_row(results, "io", "container", "server")
    est = ratio_estimate(_view(results, "io"), docker, "native", SHARE) if docker is not None else None
    if est is None:
        return _not_measured(claim, article, "needs native and Docker servers in the I/O table")
    proxy = docker.facts.get("port_proxy", "")
    return Verdict(claim, article, decide([est.above(0.85)], "all"),
                   f"Docker (published port{', ' + proxy if proxy else ''}) {fmt_rps(docker.value)} req/s = "
                   f"{share_text(est)} of native (holds at ≥ 85 % {WHOLE})")


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
