"""The measurable premises rules rest on, and how this machine's figures test each one.

A check answers holds / weak / contradicted from the figures that measure the component's
language and workload, or unmeasured (saying what would measure it, or that nothing here
measures that language). It never quotes a figure for a language it does not measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..model.format import fmt_ms, fmt_times
from ..model.results import Row
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

    def judge(self, ev: Evidence, comp: Component) -> Check:
        """How this machine's figures test the premise for `comp` (unmeasured: saying why)."""
        try:
            return self.check(ev, comp)
        except Unmeasured as missing:
            return missing.check


class Unmeasured(Exception):
    """A check found its figures absent: `check` says so, and what would measure them."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.table)
        self.check = check


def _graded(ratio: float, strong: float) -> str:
    """ratio > 1 favours the premise; at least `strong` is the margin the rule assumes."""
    return HOLDS if ratio >= strong else WEAK if ratio > 1 else CONTRADICTED


def _not_for(comp: Component, what: str) -> Check:
    return Check(UNMEASURED, missing="", table=f"{what}; nothing here measures a {label('language', comp.language)} guest")


def _python_rows(ev: Evidence, wasm_needs: str = "", box_needs: str = "") -> tuple[Row, Row]:
    """The platforms table's Python rows (the best Wasm host, CPython in a container), each
    carrying the figure the check reads of it; Unmeasured otherwise."""
    wasm, box = E.python_platforms(ev)
    if (wasm is None or box is None or (wasm_needs and wasm_needs not in wasm.stats)
            or (box_needs and box_needs not in box.stats)):
        raise Unmeasured(Check(UNMEASURED, missing="wasmscope bench --workloads component-http",
                               table="platforms table"))
    return wasm, box


def _compiled(ev: Evidence, comp: Component, points: Callable[[Evidence, str], list[E.Point]], measures: str,
              table: str, missing: str = QUICK) -> tuple[list[E.Point], list[E.Point]]:
    """(Wasm points, container points) of a table that measures a small C guest (`measures`);
    Unmeasured for another language, or when the run did not measure both sides."""
    if comp.language not in COMPILED:
        raise Unmeasured(_not_for(comp, measures))
    wasm, box = points(ev, WASM), points(ev, CONTAINER)
    if not wasm or not box:
        raise Unmeasured(Check(UNMEASURED, missing=missing, table=table))
    return wasm, box


def _texts(points: list[E.Point], sep: str = ", ") -> str:
    return sep.join(p.text for p in points)


STARTUP_C = "the startup table times a small C module"


def _cold_start(ev: Evidence, comp: Component) -> Check:
    if comp.language == "python":
        wasm, box = _python_rows(ev, "fixed_p99_ms", "first_200_ms")
        w, c = wasm.stats["fixed_p99_ms"], box.stats["first_200_ms"]
        return Check(_graded(c / w, 10), f"Python here: a fresh Wasm instance per request answers within "
                     f"{fmt_ms(w)} (p99 at {wasm.stats.get('fixed_rps', 0):.0f} req/s, {wasm.facts.get('display', wasm.runtime)}); "
                     f"a CPython container's first 200 comes after {fmt_ms(c)}")
    wasm, box = _compiled(ev, comp, E.cold_starts, STARTUP_C, "startup table")
    ratio = box[0].value / wasm[0].value
    return Check(_graded(ratio, 10), f"cold start here: {_texts(wasm)} vs {_texts(box)} "
                 f"(best Wasm {fmt_times(ratio, 'faster', 'slower')})")


def _cold_start_budget(ev: Evidence, comp: Component) -> Check:
    wasm, box = _compiled(ev, comp, E.cold_starts, STARTUP_C, "startup table")
    budget = comp.cold_start_budget_ms
    status = HOLDS if wasm[0].value <= budget else CONTRADICTED if box[0].value <= budget else WEAK
    return Check(status, f"budget {fmt_ms(budget)}: {_texts(wasm + box)}")


def _per_request(ev: Evidence, comp: Component) -> Check:
    if comp.language not in COMPILED:
        return _not_for(comp, "the HTTP I/O table serves a small C handler")
    wasm, box = E.http_points(ev, WASM, "per-request"), E.http_points(ev, CONTAINER, "per-request")
    if not wasm or not box:
        return _cold_start(ev, comp)  # a container per request costs its cold start
    ratio = wasm[0].value / box[0].value
    return Check(_graded(ratio, 10), f"a fresh instance per request here: {_texts(wasm, '; ')} vs {_texts(box, '; ')}")


def _idle_memory(ev: Evidence, comp: Component) -> Check:
    if comp.language == "python":
        wasm, box = _python_rows(ev, "rss_mib", "rss_mib")
        w, c = wasm.stats["rss_mib"], box.stats["rss_mib"]
        return Check(_graded(c / w, 2), f"Python here: {wasm.facts.get('display', wasm.runtime)} {w:.1f} MiB vs "
                     f"CPython in a container {c:.1f} MiB (RSS, one host serving)")
    wasm, box = _compiled(ev, comp, lambda ev, kind: E.idle_memory(ev, kind)[0],
                          "the memory table measures a small C module", "memory table (or `wasmscope density`)")
    what = E.idle_memory(ev, WASM)[1]
    strong = 4 if what.startswith("memory per extra") else 2
    return Check(_graded(box[0].value / wasm[0].value, strong), f"{_texts(wasm)} vs {_texts(box)} ({what})")


def _compute_overhead(ev: Evidence, comp: Component) -> Check:
    wasm, box = _compiled(ev, comp, E.compute_overheads, "the compute table runs fib in C", "compute table")
    gap = wasm[0].value - box[0].value
    status = HOLDS if gap >= 10 else WEAK if gap > 0 else CONTRADICTED
    n = ev.results.settings.get("fib_n", "") if ev.results else ""
    return Check(status, f"fib({n}) over native here: {_texts(wasm)} vs {_texts(box)}")


def _http_throughput(ev: Evidence, comp: Component) -> Check:
    if comp.language == "python":
        wasm, box = _python_rows(ev)
        return Check(_graded(box.value / wasm.value, 1.2), E.platform_line(wasm, box) +
                     f"; p99 {fmt_ms(wasm.stats.get('p99_ms'))} vs {fmt_ms(box.stats.get('p99_ms'))}")
    wasm, box = _compiled(ev, comp, lambda ev, kind: E.http_points(ev, kind, "server"),
                          "the HTTP I/O table serves a small C server", "HTTP I/O table",
                          missing="wasmscope bench --profile article")
    return Check(_graded(box[0].value / wasm[0].value, 1.2),
                 f"HTTP server here: {_texts(wasm, '; ')} vs {_texts(box, '; ')}")


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
    wasm, box = _python_rows(ev)
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
