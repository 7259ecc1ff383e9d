"""The Wasmer adapter against the real wasmer-sdk (skipped with the pip hint when it is missing):
offline runs of local modules, the artifact cache, traps, deadlines by killing the worker, and
long-running instances."""

from __future__ import annotations


import pytest

from wasmscope.workloads.errors import WorkloadError
from wasmscope.workloads.runtimes import wasmer_sdk
from wasmscope.workloads.runtimes.wasmer_sdk import PIP_HINT, WasmerSdkAdapter, trap_line
from adapter_helpers import (MIB, TRAP_WAT, close_and_check_worker, closing, crash_of, hello_then_fib, idle_16_mib,
                             needs, refused_here, runaway_kills_the_worker, wat_workload)

pytestmark = pytest.mark.timeout(60)

needs_wasmer = needs(WasmerSdkAdapter)


@pytest.fixture
def adapter():
    yield from closing(WasmerSdkAdapter())


# -- pure parts and facts -------------------------------------------------------------------------

def test_trap_line():
    assert trap_line("command execution failed: RuntimeError: unreachable\n    at <unnamed> (<module>[0]:0x31)") \
        == "unreachable"
    assert trap_line("") == "trap"


def test_unavailable_without_the_sdk_says_why_and_how(monkeypatch, builtin):
    monkeypatch.setattr(wasmer_sdk, "_sdk_version", lambda: None)
    avail = refused_here(WasmerSdkAdapter(), builtin, "wasmer-sdk not installed",
                         "wasmer-sdk package is not installed; run `wasmscope doctor --fix`, or: pip install")
    assert avail.reason == "the wasmer-sdk package is not installed"
    assert avail.hint == PIP_HINT and "pip install" in avail.hint


def test_cannot_listen(builtin):
    a = WasmerSdkAdapter()
    assert a.listen_reason()
    assert "cannot pre-open a listening socket" in a.supports(builtin["http"])
    with pytest.raises(WorkloadError, match="Wasmer cannot run http: wasmer-sdk cannot pre-open"):
        a.start(builtin["http"])


@needs_wasmer
def test_facts(adapter):
    assert adapter.name == "wasmer" and adapter.display_name == "Wasmer (wasmer-sdk)"
    assert adapter.version().startswith("wasmer-sdk 0.5") and "Cranelift" in adapter.version()
    assert "Cranelift" in adapter.mode() and "cached" in adapter.mode()
    assert "compiles every run" in WasmerSdkAdapter({"cache": "no"}).mode()


# -- run to exit ----------------------------------------------------------------------------------

@needs_wasmer
def test_hello_and_fib_offline(adapter, builtin):
    adapter.prepare(builtin["hello"])
    res = hello_then_fib(adapter, builtin, "wasmer run fib.wasm -- 20")
    assert set(res.phases) == {"load", "sandbox", "run"}


@needs_wasmer
def test_prepare_fills_the_artifact_cache(adapter, builtin):
    adapter.prepare(builtin["fib"])
    compiled = list((wasmer_sdk.cache_root() / "cache-v1" / "compiled").rglob("*.bin"))
    assert compiled, "no compiled artifact in the cache root"


@needs_wasmer
def test_cache_off_compiles_every_run(builtin):
    a = WasmerSdkAdapter({"cache": False})
    try:
        runs = [a.run(builtin["fib"], ["5"]).phases["run"] for _ in range(2)]
        assert all(r > 2.0 for r in runs)  # Cranelift compile (~30 ms here) in every run
    finally:
        close_and_check_worker(a)


@needs_wasmer
def test_trap_is_guest_failed_in_one_line(adapter, tmp_path):
    failed = crash_of(adapter, tmp_path, TRAP_WAT)
    assert str(failed) == "crash on Wasmer trapped: unreachable" and failed.exit_code == 134


@needs_wasmer
def test_a_module_it_cannot_start_is_a_workload_error(adapter, tmp_path):
    nomem = wat_workload(tmp_path, "nomem", '(module (func (export "_start")))')
    with pytest.raises(WorkloadError, match=r"^nomem on Wasmer: .*memory"):
        adapter.run(nomem)


@needs_wasmer
def test_runaway_guest_is_stopped_and_its_worker_killed(adapter, builtin, tmp_path):
    # the SDK's timeout leaves the guest spinning on a thread: the worker must be gone
    runaway_kills_the_worker(adapter, builtin, tmp_path, r"^spin on Wasmer timed out after 0.5 s \(",
                             '(module (memory (export "memory") 1) (func (export "_start") (loop br 0)))')


# -- long-running ---------------------------------------------------------------------------------

@needs_wasmer
def test_idle_is_sampled_and_stopped(adapter, builtin):
    with idle_16_mib(adapter, builtin) as (_inst, reading):
        assert reading.overhead_rss > 10 * MIB and "Python+Wasmer host" in reading.counts


@needs_wasmer
def test_close_stops_what_the_adapter_started(adapter, builtin):
    inst = adapter.start(builtin["idle"], ["0"])
    adapter.close()
    assert not inst.alive()
