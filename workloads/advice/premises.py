"""The measurable premises rules rest on, and how this machine's figures test each one.

A check answers holds / weak / contradicted from the figures that measure the component's
language and workload, or unmeasured (saying what would measure it, or that nothing here
measures that language). It never quotes a figure for a language it does not measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..model.format import fmt_ms, fmt_times
from . import evidence as E
from .evidence import COMPILED, CONTAINER, WASM, Evidence
from .questions import Component, label

HOLDS, WEAK, CONTRADICTED, UNMEASURED = "holds", "weak", "contradicted", "unmeasured"
QUICK = "wasmscope bench --profile quick"


@dataclass(frozen=True)
class Check:
    status: str
    figure: str = ""  # the measured figures, in words (empty when unmeasured)
    missing: str = ""  # unmeasured: what to run to measure it ("" when nothing here can)
    table: str = ""  # unmeasured: the table or run that would hold the figure


@dataclass(frozen=True)
class Premise:
    id: str
    claim: str  # what the rule assumes, as a clause: "rule X assumes <claim>"
    figure: str  # the figure it depends on
    check: Callable[[Evidence, Component], Check]


def _graded(ratio: float, strong: float) -> str:
    """ratio > 1 favours the premise; at least `strong` is the margin the rule assumes."""
    return HOLDS if ratio >= strong else WEAK if ratio > 1 else CONTRADICTED


def _not_for(comp: Component, what: str) -> Check:
    return Check(UNMEASURED, missing="", table=f"{what}; nothing here measures a {label('language', comp.language)} guest")


def _cold_start(ev: Evidence, comp: Component) -> Check:
    if comp.language == "python":
        wasm, box = E.python_platforms(ev)
        if wasm is None or box is None or "fixed_p99_ms" not in wasm.stats or "first_200_ms" not in box.stats:
            return Check(UNMEASURED, missing="wasmscope bench --workloads component-http", table="platforms table")
        w, c = wasm.stats["fixed_p99_ms"], box.stats["first_200_ms"]
        return Check(_graded(c / w, 10), f"Python here: a fresh Wasm instance per request answers within "
                     f"{fmt_ms(w)} (p99 at {wasm.stats.get('fixed_rps', 0):.0f} req/s, {wasm.facts.get('display', wasm.runtime)}); "
                     f"a CPython container's first 200 comes after {fmt_ms(c)}")
    if comp.language not in COMPILED:
        return _not_for(comp, "the startup table times a small C module")
    wasm, box = E.cold_starts(ev, WASM), E.cold_starts(ev, CONTAINER)
    if not wasm or not box:
        return Check(UNMEASURED, missing=QUICK, table="startup table")
    ratio = box[0].value / wasm[0].value
    return Check(_graded(ratio, 10), f"cold start here: {', '.join(p.text for p in wasm)} vs "
                 f"{', '.join(p.text for p in box)} (best Wasm {fmt_times(ratio, 'faster', 'slower')})")


def _cold_start_budget(ev: Evidence, comp: Component) -> Check:
    if comp.language not in COMPILED:
        return _not_for(comp, "the startup table times a small C module")
    wasm, box = E.cold_starts(ev, WASM), E.cold_starts(ev, CONTAINER)
    if not wasm or not box:
        return Check(UNMEASURED, missing=QUICK, table="startup table")
    budget = comp.cold_start_budget_ms
    status = HOLDS if wasm[0].value <= budget else CONTRADICTED if box[0].value <= budget else WEAK
    return Check(status, f"budget {fmt_ms(budget)}: {', '.join(p.text for p in wasm + box)}")


def _per_request(ev: Evidence, comp: Component) -> Check:
    if comp.language not in COMPILED:
        return _not_for(comp, "the HTTP I/O table serves a small C handler")
    wasm, box = E.http_points(ev, WASM, "per-request"), E.http_points(ev, CONTAINER, "per-request")
    if not wasm or not box:
        return _cold_start(ev, comp)  # a container per request costs its cold start
    ratio = wasm[0].value / box[0].value
    return Check(_graded(ratio, 10), f"a fresh instance per request here: {'; '.join(p.text for p in wasm)} vs "
                 f"{'; '.join(p.text for p in box)}")


def _idle_memory(ev: Evidence, comp: Component) -> Check:
    if comp.language == "python":
        wasm, box = E.python_platforms(ev)
        if wasm is None or box is None or "rss_mib" not in wasm.stats or "rss_mib" not in box.stats:
            return Check(UNMEASURED, missing="wasmscope bench --workloads component-http", table="platforms table")
        w, c = wasm.stats["rss_mib"], box.stats["rss_mib"]
        return Check(_graded(c / w, 2), f"Python here: {wasm.facts.get('display', wasm.runtime)} {w:.1f} MiB vs "
                     f"CPython in a container {c:.1f} MiB (RSS, one host serving)")
    if comp.language not in COMPILED:
        return _not_for(comp, "the memory table measures a small C module")
    (wasm, what), (box, _) = E.idle_memory(ev, WASM), E.idle_memory(ev, CONTAINER)
    if not wasm or not box:
        return Check(UNMEASURED, missing=QUICK, table="memory table (or `wasmscope density`)")
    strong = 4 if what.startswith("memory per extra") else 2
    return Check(_graded(box[0].value / wasm[0].value, strong),
                 f"{', '.join(p.text for p in wasm)} vs {', '.join(p.text for p in box)} ({what})")


def _compute_overhead(ev: Evidence, comp: Component) -> Check:
    if comp.language not in COMPILED:
        return _not_for(comp, "the compute table runs fib in C")
    wasm, box = E.compute_overheads(ev, WASM), E.compute_overheads(ev, CONTAINER)
    if not wasm or not box:
        return Check(UNMEASURED, missing=QUICK, table="compute table")
    gap = wasm[0].value - box[0].value
    status = HOLDS if gap >= 10 else WEAK if gap > 0 else CONTRADICTED
    n = ev.results.settings.get("fib_n", "") if ev.results else ""
    return Check(status, f"fib({n}) over native here: {', '.join(p.text for p in wasm)} vs "
                 f"{', '.join(p.text for p in box)}")


def _http_throughput(ev: Evidence, comp: Component) -> Check:
    if comp.language == "python":
        wasm, box = E.python_platforms(ev)
        if wasm is None or box is None:
            return Check(UNMEASURED, missing="wasmscope bench --workloads component-http", table="platforms table")
        return Check(_graded(box.value / wasm.value, 1.2), E.platform_line(wasm, box) +
                     f"; p99 {fmt_ms(wasm.stats.get('p99_ms'))} vs {fmt_ms(box.stats.get('p99_ms'))}")
    if comp.language not in COMPILED:
        return _not_for(comp, "the HTTP I/O table serves a small C server")
    wasm, box = E.http_points(ev, WASM, "server"), E.http_points(ev, CONTAINER, "server")
    if not wasm or not box:
        return Check(UNMEASURED, missing="wasmscope bench --profile article", table="HTTP I/O table")
    return Check(_graded(box[0].value / wasm[0].value, 1.2),
                 f"HTTP server here: {'; '.join(p.text for p in wasm)} vs {'; '.join(p.text for p in box)}")


def _sandbox(ev: Evidence, comp: Component) -> Check:
    wasm, box = E.sandbox_reach(ev, WASM), E.sandbox_reach(ev, CONTAINER)
    if wasm is None:
        return Check(UNMEASURED, missing="wasmscope sandbox --json > sandbox.json, then --sandbox sandbox.json",
                     table="sandbox matrix")
    leaks = {rt: caps for rt, caps in wasm.items() if caps}
    words = "; ".join(f"{rt} reached the host's {', '.join(caps)}" for rt, caps in leaks.items())
    if leaks:
        return Check(CONTRADICTED, f"sandbox matrix (runtime defaults): {words}")
    clean = f"sandbox matrix (runtime defaults): {', '.join(wasm)} reached nothing of the host"
    if box is None:
        return Check(HOLDS, clean + " (no container row measured)")
    reached = {rt: caps for rt, caps in box.items() if caps}
    if reached:
        return Check(HOLDS, clean + "; " + "; ".join(f"{rt} reached the host's {', '.join(c)}"
                                                      for rt, c in reached.items()))
    return Check(WEAK, clean + f"; neither did {', '.join(box)}")


def _python_platforms(ev: Evidence, comp: Component) -> Check:
    if comp.language != "python":
        return Check(UNMEASURED, table=f"the platforms table measures Python only, not "
                                       f"{label('language', comp.language)}")
    wasm, box = E.python_platforms(ev)
    if wasm is None or box is None:
        return Check(UNMEASURED, missing="wasmscope bench --workloads component-http", table="platforms table")
    worse = [wasm.value < box.value, wasm.stats.get("rss_mib", 0) > box.stats.get("rss_mib", 0),
             wasm.stats.get("first_200_ms", 0) > box.stats.get("first_200_ms", 0)]
    status = HOLDS if all(worse) else CONTRADICTED if not any(worse) else WEAK
    return Check(status, E.platform_line(wasm, box))


PREMISES: dict[str, Premise] = {p.id: p for p in (
    Premise("cold-start", "Wasm instances cold-start far faster than containers (the article: ~375×)",
            "cold start (startup table; Python: platforms table)", _cold_start),
    Premise("cold-start-budget", "Wasm meets the cold-start budget where containers do not",
            "cold start against the budget (startup table)", _cold_start_budget),
    Premise("per-request", "a fresh Wasm instance per request costs little and a container per request a lot",
            "per-request serving (HTTP I/O table), else cold start", _per_request),
    Premise("idle-memory", "an idle Wasm instance needs far less memory than a container",
            "memory per instance (density run, else the memory table; Python: platforms table)", _idle_memory),
    Premise("compute-overhead", "Wasm pays a compute overhead over native that a container does not",
            "compute overhead vs native (compute table)", _compute_overhead),
    Premise("http-throughput", "a container serves sustained HTTP load faster than a Wasm server",
            "HTTP throughput and p99 (HTTP I/O table, server model; Python: platforms table)", _http_throughput),
    Premise("sandbox", "a Wasm guest reaches nothing of the host it was not granted, unlike a container",
            "sandbox cells (sandbox matrix, runtime defaults)", _sandbox),
    Premise("python-platforms", "Python on a Wasm host costs more than CPython in a container",
            "Python on Wasm vs CPython in a container (platforms table)", _python_platforms),
)}
