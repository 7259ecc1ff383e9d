"""The self-check (`bench --check`): each adapter beside a bare harness of the same definition,
interleaved in one run, against real runtimes (and a real Docker engine)."""

from __future__ import annotations

import json

import pytest

from wasmscope.workloads.measurements import get
from wasmscope.workloads.measurements.base import View
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.measurements.quiet import QuietSpec
from wasmscope.workloads.measurements.selfcheck import measure_check, overhead
from wasmscope.workloads.measurements.timing import Schedule
from wasmscope.workloads.model.results import OK, UNSUPPORTED, Results, RuntimeInfo
from wasmscope.workloads.runtimes import create_adapter

from test_cli import run_cli

FAST_QUIET = QuietSpec(window_s=0.05, max_wait_s=0.05)


@pytest.fixture
def adapters():
    made = {"wasmtime": create_adapter("wasmtime"), "native": create_adapter("native"), "wasm3": create_adapter("wasm3")}
    yield made
    for a in made.values():
        a.close()


def test_each_row_has_its_bare_reference_and_overhead(adapters, builtin):
    seen = []
    table = measure_check(adapters, builtin["hello"], schedule=Schedule(runs=3, rounds=2, block=3), timeout_s=20,
                          control=RunControl(on_sample=seen.append), quiet=FAST_QUIET)
    rows = {r.runtime: r for r in table.rows}
    assert rows["wasm3"].status == UNSUPPORTED and "no bare reference" in rows["wasm3"].reason
    for name in ("wasmtime", "native"):
        row = rows[name]
        assert row.status == OK and len(row.samples) == 6 and len(row.facts["bare_samples"]) == 6
        assert row.stats["bare_median"] > 0
        assert [set(r) >= {"value", "bare"} for r in row.rounds] == [True, True]
        est = overhead(row)
        assert est.n == 2 and est.lo <= est.point <= est.hi  # % over the bare harness, round by round
    # adapter and bare samples were interleaved in the same run, bare ones under their own key
    assert {s.row_key for s in seen} == {"wasmtime", "wasmtime//bare", "native", "native//bare"}
    # embedded wasmtime: the same phases on both sides, and each step of a cold start on its own
    wasm = rows["wasmtime"]
    assert set(wasm.phases) == set(wasm.facts["bare_phases"]) == {"load", "instantiate", "run"}
    steps = wasm.facts["steps_us"]
    assert set(steps) == {"load", "store", "wasi", "instantiate", "instantiate_pre", "start", "call"}
    assert all(v > 0 for v in steps.values())

    runtimes = {n: RuntimeInfo(n, a.display_name, a.kind) for n, a in adapters.items()}
    results = Results(profile="t", started_at="", runtimes=runtimes, tables={"check": table})
    m = get("check")
    caption = m.caption(View(results, table))
    assert any(line.startswith("  Wasmtime (embedded) phases, wasmscope vs bare: load ") for line in caption)
    [steps_view] = m.extra_tables(results)
    assert steps_view.rows[4][0].startswith("InstancePre.instantiate")
    assert "wasmtime-py" in steps_view.caption and "µs per call" in steps_view.caption


def test_docker_is_checked_against_a_bare_sdk_run(docker_adapter, builtin):
    table = measure_check({"docker": docker_adapter}, builtin["hello"], schedule=Schedule(runs=2, block=2),
                          timeout_s=60, control=RunControl(), quiet=FAST_QUIET)
    row = table.row("docker")
    assert row.status == OK and row.stats["bare_median"] > 0 and len(row.facts["bare_samples"]) == 2
    assert "steps_us" not in row.facts  # the step-by-step split is embedded wasmtime's
    # the fixture then checks that neither side left a container behind


def test_bench_check_prints_the_overhead_and_the_steps():
    proc = run_cli("bench", "--runtimes", "wasmtime,native", "--workloads", "startup", "--check", "--runs", "2",
                   "--repeat", "2")
    assert proc.returncode == 0, proc.stderr
    assert "Self-check — hello" in proc.stdout and "Overhead %" in proc.stdout
    assert "Self-check — Wasmtime (embedded), step by step" in proc.stdout
    data = json.loads(run_cli("bench", "--runtimes", "native", "--workloads", "check", "--runs", "2", "--json").stdout)
    native = data["tables"]["check"]["rows"][0]
    assert native["runtime"] == "native" and native["stats"]["bare_median"] > 0
    assert set(data["tables"]) == {"check"}


@pytest.mark.parametrize("name", ["wasmtime-cli", "wamr", "node"])
def test_a_process_per_run_wasm_runtime_has_its_bare_reference(builtin, name):
    """A process-per-run runtime's bare reference is its own command line (a bug there must not
    pass as 'no reference for this runtime')."""
    from wasmscope.workloads.measurements.bare import BareProcess, bare_for

    cli = create_adapter(name)
    try:
        if not (here := cli.availability()).ok:
            pytest.skip(here.reason)
        cli.prepare(builtin["hello"])
        bare = bare_for(cli, builtin["hello"])
        assert isinstance(bare, BareProcess)
        res = bare.run(builtin["hello"], [])
        assert res.total_ms > 0
    finally:
        cli.close()
