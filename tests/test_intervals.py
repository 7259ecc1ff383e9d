"""Interval arithmetic: order statistics for a median, ratios round by round, how cells and claims
read them (holds / does not hold only when the whole interval agrees)."""

from __future__ import annotations

import pytest

from wasmscope.workloads.measurements.base import View
from wasmscope.workloads.measurements.cells import (PCT_ABOVE, TIMES_SMALLER, pct_text, ratio_estimate, times_text,
                                                    value_estimate)
from wasmscope.workloads.measurements.claims import (FAILS, HOLDS, INCONCLUSIVE, decide, wasm_compute_10_to_30,
                                                     wasm_starts_100x_faster)
from wasmscope.workloads.model.intervals import (POINT, ROUNDS, SAMPLES, Estimate, across_rounds, median_interval,
                                                 order_coverage, ratio_across_rounds, spread_pct)
from wasmscope.workloads.model.results import Results, Row, RuntimeInfo, Table


def test_order_statistic_coverage_of_the_median():
    assert order_coverage(3, 1) == pytest.approx(0.75)  # min … max of 3: 1 - 2/8
    assert order_coverage(5, 1) == pytest.approx(0.9375)
    assert order_coverage(9, 2) == pytest.approx(1 - 2 * 10 / 512)
    assert order_coverage(1, 1) == 0.0


def test_median_interval_is_the_narrowest_reaching_95_percent_else_min_max():
    assert median_interval([3.0, 1.0, 2.0]) == (1.0, 3.0, pytest.approx(0.75))
    lo, hi, cov = median_interval([float(x) for x in range(9)])
    assert (lo, hi) == (1.0, 7.0) and cov >= 0.95  # X(2) … X(8) of 9 already covers 96 %
    assert median_interval([4.0]) == (4.0, 4.0, 0.0)


def test_a_ratio_is_taken_round_by_round_on_the_rounds_both_measured():
    runtime = {0: 1.0, 1: 1.1, 2: 1.2, 3: 9.0}
    base = {0: 2.0, 1: 2.0, 2: 2.0}  # round 3 has no baseline figure: left out
    est = ratio_across_rounds(runtime, base, PCT_ABOVE)
    assert est.basis == ROUNDS and est.n == 3
    assert est.point == pytest.approx(-45.0) and (est.lo, est.hi) == (pytest.approx(-50.0), pytest.approx(-40.0))
    assert ratio_across_rounds({0: 1.0}, {0: 2.0}) is None  # one round: no spread to speak of


def test_estimates_are_tri_state_against_a_line():
    est = Estimate(120.0, 105.0, 140.0, 3, ROUNDS, 0.75)
    assert est.above(100) is True and est.above(150) is False and est.above(110) is None
    assert est.inside(100, 150) is True and est.inside(0, 100) is False and est.inside(110, 200) is None
    assert est.overlaps(Estimate(139.0, 139.0, 150.0, 3, ROUNDS, 0.75))
    assert not est.overlaps(Estimate(150.0, 141.0, 160.0, 3, ROUNDS, 0.75))
    inverse = Estimate(2.0, 1.0, 4.0, 3, ROUNDS, 0.75).scaled(lambda r: 1 / r)  # decreasing: ends swap
    assert (inverse.point, inverse.lo, inverse.hi) == (0.5, 0.25, 1.0)


def test_spread_of_repeated_figures():
    assert spread_pct([90.0, 100.0, 105.0]) == pytest.approx(15.0)


def _startup(wasm_rounds: list[float], docker_rounds: list[float], native_rounds: list[float]) -> Results:
    def row(name: str, rounds: list[float]) -> Row:
        return Row(name, value=sorted(rounds)[len(rounds) // 2],
                   rounds=[{"round": float(i), "value": v} for i, v in enumerate(rounds)])

    table = Table("startup", "ms", "hello", rows=[row("wasmtime", wasm_rounds), row("docker", docker_rounds),
                                                  row("native", native_rounds)])
    runtimes = {"wasmtime": RuntimeInfo("wasmtime", "Wasmtime (embedded)", "wasm"),
                "docker": RuntimeInfo("docker", "Docker (runc)", "container", baseline="container"),
                "native": RuntimeInfo("native", "Native process", "native", baseline="native")}
    return Results(profile="t", started_at="", runtimes=runtimes, tables={"startup": table})


def test_cells_show_the_interval_across_rounds():
    results = _startup([0.30, 0.32, 0.34, 0.31, 0.33], [150.0, 160.0, 170.0, 155.0, 165.0], [0.2] * 5)
    view = View(results, results.tables["startup"])
    wasm = results.tables["startup"].row("wasmtime")
    est = ratio_estimate(view, wasm, "native", PCT_ABOVE)
    assert pct_text(est) == "+60.0 % (+50 … +70, 5 rounds)"
    times = ratio_estimate(view, wasm, "container", TIMES_SMALLER)
    assert times.point == pytest.approx(500.0) and times.basis == ROUNDS
    assert times_text(times, "faster", "slower").endswith(", 5 rounds)")
    assert value_estimate(wasm).point == pytest.approx(0.32)


def test_one_round_falls_back_to_a_bootstrap_over_the_samples_and_says_so():
    rows = [Row("wasmtime", value=1.1, samples=[1.0, 1.1, 1.2, 1.1]), Row("native", value=1.0, samples=[1.0] * 4)]
    results = Results(profile="t", started_at="", tables={"compute": Table("compute", "ms", "fib", rows=rows)},
                      runtimes={"native": RuntimeInfo("native", "Native", "native", baseline="native"),
                                "wasmtime": RuntimeInfo("wasmtime", "Wasmtime", "wasm")})
    est = ratio_estimate(View(results, results.tables["compute"]), rows[0], "native", PCT_ABOVE)
    assert est.basis == SAMPLES and est.lo <= est.point <= est.hi
    assert pct_text(est).endswith(", 1 round)")
    assert value_estimate(Row("x", value=3.0)).basis == POINT


def test_stored_io_rounds_stand_in_for_rounds():
    row = Row("native", value=100.0, load=[{"rps": 90.0}, {"rps": 100.0}, {"rps": 110.0}])
    assert row.round_values() == {0: 90.0, 1: 100.0, 2: 110.0}
    assert across_rounds(list(row.round_values().values())).n == 3


def test_decide_needs_the_whole_interval():
    assert decide([True, None], "any") == HOLDS
    assert decide([False, None], "any") == INCONCLUSIVE
    assert decide([False, False], "any") == FAILS
    assert decide([True, None], "all") == INCONCLUSIVE
    assert decide([True, False], "all") == FAILS


def test_claims_say_inconclusive_when_the_interval_straddles_the_line():
    clear = _startup([1.0, 1.1, 1.2], [150.0, 160.0, 170.0], [0.5] * 3)
    assert wasm_starts_100x_faster(clear).verdict == HOLDS  # 125× … 170×
    straddles = _startup([1.0, 1.6, 2.0], [150.0, 160.0, 170.0], [0.5] * 3)
    verdict = wasm_starts_100x_faster(straddles)  # 75× … 150×
    assert verdict.verdict == INCONCLUSIVE and "3 rounds" in verdict.figures
    below = _startup([2.0, 2.1, 2.2], [150.0, 160.0, 170.0], [0.5] * 3)
    assert wasm_starts_100x_faster(below).verdict == FAILS


def test_compute_claim_with_intervals():
    results = _startup([1.2, 1.25, 1.35], [1.0] * 3, [1.0, 1.0, 1.0])
    results.tables["compute"] = results.tables.pop("startup")
    results.tables["compute"].name = "compute"
    results.settings["fib_n"] = 40
    verdict = wasm_compute_10_to_30(results)  # +20 … +35 %: part in, part out
    assert verdict.verdict == INCONCLUSIVE and "+20" in verdict.figures and "+35" in verdict.figures
