"""A component's budgets (cold start, memory per instance) against the measured figures of the
runtimes its recommendation names: the Wasm runtimes for Wasm, the container runtimes for
containers — and only figures that measure the component's language."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..model.format import fmt_mib, fmt_ms
from . import evidence as E
from .evidence import COMPILED, CONTAINER, WASM, Evidence, Point
from .questions import Component

SIDE_KIND = {"wasm": WASM, "containers": CONTAINER}
SIDE_WORD = {"wasm": "Wasm", "containers": "container"}
DEFAULT_COLD_START_MS = 1000.0


@dataclass(frozen=True)
class BudgetCheck:
    budget: str  # "cold start 0.500 ms"
    side: str  # wasm | containers
    met: bool | None  # None: nothing here measures it for this language
    text: str

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _cold_points(ev: Evidence, comp: Component, kind: str) -> list[Point]:
    if comp.language in COMPILED:
        return E.cold_starts(ev, kind)
    if comp.language == "python":
        wasm, box = E.python_platforms(ev)
        if kind == WASM and wasm is not None and "fixed_p99_ms" in wasm.stats:
            v = wasm.stats["fixed_p99_ms"]
            return [Point(wasm.runtime, v, f"{wasm.runtime} {fmt_ms(v)} (a fresh Python instance per request, p99)")]
        if kind == CONTAINER and box is not None and "first_200_ms" in box.stats:
            v = box.stats["first_200_ms"]
            return [Point(box.runtime, v, f"{box.runtime} {fmt_ms(v)} (first 200 of a CPython container)")]
    return []


def _memory_points(ev: Evidence, comp: Component, kind: str) -> list[Point]:
    if comp.language in COMPILED:
        return E.idle_memory(ev, kind)[0]
    if comp.language == "python":
        wasm, box = E.python_platforms(ev)
        row = wasm if kind == WASM else box
        if row is not None and "rss_mib" in row.stats:
            return [Point(row.runtime, row.stats["rss_mib"], f"{row.runtime} {fmt_mib(row.stats['rss_mib'])}")]
    return []


def _one(what: str, budget: float, side: str, mine: list[Point], others: list[Point]) -> BudgetCheck:
    if not mine:
        return BudgetCheck(what, side, None, f"{what}: not measured here for this language on {SIDE_WORD[side]}")
    met = [p for p in mine if p.value <= budget]
    missed = [p for p in mine if p.value > budget]
    other = f" (other side: {', '.join(p.text for p in others)})" if others else ""
    if met:
        text = f"{what}: met by {', '.join(p.text for p in met)}"
        return BudgetCheck(what, side, True, text + (f"; not by {', '.join(p.text for p in missed)}" if missed else ""))
    return BudgetCheck(what, side, False, f"{what}: no {SIDE_WORD[side]} runtime measured here meets it: "
                                          f"{', '.join(p.text for p in missed)}{other}")


def check_budgets(comp: Component, side: str, ev: Evidence) -> list[BudgetCheck]:
    """The budgets the user set, for the side that serves the component's requests."""
    side = "wasm" if side == "both" else side
    kind, other = SIDE_KIND[side], SIDE_KIND["containers" if side == "wasm" else "wasm"]
    checks = []
    cold = _one(f"cold-start budget {fmt_ms(comp.cold_start_budget_ms)}", comp.cold_start_budget_ms, side,
                _cold_points(ev, comp, kind), _cold_points(ev, comp, other))
    if cold.met is not None or comp.cold_start_budget_ms != DEFAULT_COLD_START_MS:
        checks.append(cold)
    if comp.memory_budget_mib > 0:
        checks.append(_one(f"memory budget {fmt_mib(comp.memory_budget_mib)} per instance", comp.memory_budget_mib,
                           side, _memory_points(ev, comp, kind), _memory_points(ev, comp, other)))
    return checks
