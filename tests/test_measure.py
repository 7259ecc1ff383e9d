"""Measurements against real runtimes, plus the statistics and the results model."""

from __future__ import annotations


import pytest

from wasmscope.workloads.errors import Cancelled
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.measurements.memory import measure_memory
from wasmscope.workloads.model.results import FAILED, OK, UNSUPPORTED, Results, Row, Table
from wasmscope.workloads.model.stats import median_ratio_ci, percentile, summarize
from wasmscope.workloads.measurements.compute import measure_compute
from wasmscope.workloads.measurements.startup import measure_startup
from wasmscope.workloads.measurements.quiet import QuietSpec
from wasmscope.workloads.measurements.timing import Schedule
from wasmscope.workloads.runtimes import create_adapter


def test_percentile_and_summary():
    data = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(data, 50) == 3.0
    assert percentile(data, 100) == 5.0
    assert percentile(data, 95) == pytest.approx(4.8)
    s = summarize(data)
    assert (s["median"], s["min"], s["max"], s["n"]) == (3.0, 1.0, 5.0, 5.0)


def test_ratio_ci_brackets_the_point_estimate():
    a, b = [110.0, 112.0, 108.0, 111.0, 109.0], [100.0, 101.0, 99.0, 100.5, 99.5]
    point, lo, hi = median_ratio_ci(a, b)
    assert lo <= point <= hi
    assert point == pytest.approx(1.1, rel=0.01)


def test_table_ratios_come_from_the_same_table():
    t = Table("startup", "ms", "hello", rows=[Row("wasmtime", value=1.0), Row("docker", value=250.0),
                                             Row("native", value=0.8), Row("x", FAILED, "boom")])
    assert t.ratio("wasmtime", "docker") == 250.0
    assert t.overhead_pct("wasmtime", "native") == pytest.approx(25.0)
    assert t.ratio("x", "docker") is None


def test_results_round_trip_without_none():
    t = Table("memory", "MiB", "idle", ["16"], rows=[Row("native", value=17.0, stats={"instance_rss_mib": 17.0})])
    r = Results(profile="quick", started_at="2026-01-01T00:00:00+00:00", tables={"memory": t},
                machine={"cpu": "x"})
    data = r.to_dict()
    assert "None" not in repr(data)
    back = Results.from_dict(data)
    assert back.tables["memory"].rows[0].value == 17.0
    assert back.to_dict() == data


@pytest.fixture
def local_adapters():
    adapters = {"wasmtime": create_adapter("wasmtime"), "native": create_adapter("native")}
    yield adapters
    for a in adapters.values():
        a.close()


FAST_QUIET = QuietSpec(window_s=0.05, max_wait_s=0.05)  # judged and recorded, without long waits


def test_startup_runs_blocks_in_rounds_and_records_conditions(local_adapters, builtin):
    seen: list = []
    control = RunControl(on_sample=seen.append)
    table = measure_startup(local_adapters, builtin["hello"], schedule=Schedule(runs=4, warmup=1, rounds=2, block=2),
                            timeout_s=10, control=control, quiet=FAST_QUIET)
    assert [r.runtime for r in table.rows] == ["wasmtime", "native"]
    for row in table.rows:
        assert row.status == OK and len(row.samples) == 8
        assert row.stats["min"] <= row.value <= row.stats["max"]
        assert [int(r["round"]) for r in row.rounds] == [0, 1] and all(r["n"] == 4 for r in row.rounds)
        assert set(row.conditions) == {"round", "wait_ms", "load_pct", "steal_pct", "busy", "retaken"}
        assert all(len(v) == 8 for v in row.conditions.values())
        assert row.stats["busy"] == sum(row.conditions["busy"])
    # blocks: two samples of one runtime in a row; each round holds every runtime's 4 samples
    names = [s.runtime for s in seen]
    assert all(names[i] == names[i + 1] for i in range(0, 16, 2))
    assert sorted(names[:8]) == ["native"] * 4 + ["wasmtime"] * 4
    assert all(s.wait_ms >= 0 and s.load_pct is not None for s in seen)
    # the shuffled block order of each round is recorded
    assert table.facts["rounds"] == 2 and table.facts["block"] == 2
    assert [sorted(r) for r in table.facts["order"]] == [["native×2"] * 2 + ["wasmtime×2"] * 2] * 2


def test_compute_uses_guest_time_and_overhead(local_adapters, builtin):
    table = measure_compute(local_adapters, builtin["fib"], 27, schedule=Schedule(runs=3), timeout_s=30,
                            control=RunControl(), quiet=FAST_QUIET)
    for row in table.rows:
        assert row.counts == "guest-reported time"
        assert row.stats["wall_median"] >= row.value > 0
    assert table.overhead_pct("wasmtime", "native") is not None


def test_memory_table(local_adapters, builtin):
    table = measure_memory(local_adapters, builtin["idle"], 16, samples=3, interval_s=0.05, control=RunControl())
    rows = {r.runtime: r for r in table.rows}
    assert rows["native"].status == OK and rows["native"].value >= 16
    assert rows["wasmtime"].value >= 15 and rows["wasmtime"].stats["overhead_rss_mib"] > 5


def test_unsupported_workload_gets_a_row_with_the_reason(local_adapters, builtin):
    table = measure_memory(local_adapters, builtin["http"], 0, samples=1, interval_s=0.01,
                           control=RunControl(), ready_timeout_s=10)
    wasm = table.row("wasmtime")
    assert wasm.status == UNSUPPORTED and "listening socket" in wasm.reason
    assert table.row("native").status == OK


def test_cancel_stops_a_measurement(local_adapters, builtin):
    control = RunControl()
    control.on_sample = lambda *a: control.cancel.set()
    with pytest.raises(Cancelled):
        measure_startup(local_adapters, builtin["hello"], schedule=Schedule(runs=50), timeout_s=10, control=control,
                        quiet=FAST_QUIET)
