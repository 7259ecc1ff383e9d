"""The wasm3 adapter against the real pywasm3 (skipped with the pip hint when it is missing):
its WASI layer, the warm worker, deadlines by killing the worker, and long-running instances."""

from __future__ import annotations


import pytest

from wasmscope.workloads.guests.catalogue import Workload
from wasmscope.workloads.errors import GuestFailed, WorkloadError
from wasmscope.workloads.runtimes import wasm3 as wasm3_module
from wasmscope.workloads.runtimes.wasm3 import PIP_HINT, Wasm3Adapter
from adapter_helpers import (MIB, closing, crash_of, hello_then_fib, idle_16_mib, needs, refused_here,
                             runaway_kills_the_worker, wat_workload)

pytestmark = pytest.mark.timeout(60)

needs_wasm3 = needs(Wasm3Adapter)


@pytest.fixture
def adapter():
    yield from closing(Wasm3Adapter())


# -- facts ----------------------------------------------------------------------------------------

def test_unavailable_without_pywasm3_says_why_and_how(monkeypatch, builtin):
    monkeypatch.setattr(wasm3_module, "_pywasm3_version", lambda: None)
    avail = refused_here(Wasm3Adapter(), builtin, "pywasm3 not installed",
                         "pywasm3 package is not installed; run `wasmscope doctor --fix`, or: pip install")
    assert avail.reason == "the pywasm3 package is not installed"
    assert avail.hint == PIP_HINT and "pip install" in avail.hint and "\n" not in avail.hint


def test_cannot_listen(builtin):
    a = Wasm3Adapter()
    assert a.listen_reason() == Wasm3Adapter.NO_LISTEN != ""
    assert "no WASI sockets" in a.supports(builtin["http"])
    assert a.supports(builtin["hello"]) is None
    with pytest.raises(WorkloadError, match="wasm3 cannot run http: pywasm3 has no WASI sockets"):
        a.run(builtin["http"])


@needs_wasm3
def test_facts(adapter):
    assert adapter.name == "wasm3" and adapter.display_name == "wasm3 (interpreter)"
    assert adapter.availability().ok
    assert adapter.version().startswith("pywasm3 0.") and "(wasm3 " in adapter.version()
    assert adapter.mode().startswith("interpreter")
    assert adapter.IN_PROCESS


# -- run to exit ----------------------------------------------------------------------------------

@needs_wasm3
def test_hello_and_fib(adapter, builtin):
    adapter.prepare(builtin["hello"])
    res = hello_then_fib(adapter, builtin, "wasm3 --stack-size 1048576 fib.wasm 20")
    assert res.exit_code == 0 and set(res.phases) == {"parse", "load", "run"}


@needs_wasm3
def test_runs_share_one_warm_worker(adapter, builtin):
    adapter.run(builtin["hello"])
    pid = adapter.worker_pid()
    assert pid is not None
    for _ in range(3):
        adapter.run(builtin["hello"])
    assert adapter.worker_pid() == pid


@needs_wasm3
def test_a_worker_grown_too_large_is_replaced(adapter, builtin, monkeypatch):
    from wasmscope.workloads.runtimes import wasm3_worker

    monkeypatch.setattr(wasm3_worker, "MAX_WORKER_RSS", 1)  # pywasm3 leaks each Runtime
    adapter.run(builtin["hello"])
    assert adapter.worker_pid() is None  # retired after its reply
    assert adapter.run(builtin["hello"]).stdout == "hello from wasmscope\n"


@needs_wasm3
def test_proc_exit_ends_the_run_with_its_code(adapter, tmp_path):
    bye = wat_workload(tmp_path, "bye", """(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (call $exit (i32.const 3)) unreachable))""")
    with pytest.raises(GuestFailed, match=r"^bye on wasm3 exited with code 3: no stderr$") as info:
        adapter.run(bye)
    assert info.value.exit_code == 3
    zero = wat_workload(tmp_path, "zero", """(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (call $exit (i32.const 0)) unreachable))""")
    assert adapter.run(zero).exit_code == 0  # unreachable after proc_exit(0) is never reached


@needs_wasm3
def test_trap_is_guest_failed_in_one_line(adapter, tmp_path):
    failed = crash_of(adapter, tmp_path, '(module (func (export "_start") unreachable))')
    assert str(failed) == "crash on wasm3 trapped: unreachable executed" and failed.exit_code == 134


@needs_wasm3
def test_runaway_guest_is_stopped_by_killing_the_worker(adapter, builtin, tmp_path):
    old = runaway_kills_the_worker(adapter, builtin, tmp_path,
                                   r"^spin on wasm3 timed out after 0.5 s \(worker process killed: "
                                   r"wasm3 has no interrupt\)$",
                                   '(module (func (export "_start") (loop br 0)))')
    assert adapter.worker_pid() not in (None, old)  # a fresh worker


@needs_wasm3
def test_missing_module_file(adapter, tmp_path):
    with pytest.raises(WorkloadError, match="module file not found"):
        adapter.run(Workload("gone", "", module=tmp_path / "gone.wasm"))


@needs_wasm3
def test_a_module_that_does_not_parse_is_a_workload_error(adapter, tmp_path):
    bad = tmp_path / "bad.wasm"
    # sections well formed (so it passes wasmscope's module check); the one type inside is not
    bad.write_bytes(b"\0asm\x01\0\0\0\x01\x02\x01\x99")
    with pytest.raises(WorkloadError, match=r"^bad on wasm3: RuntimeError: "):
        adapter.run(Workload("bad", "", module=bad))


# -- long-running ---------------------------------------------------------------------------------

@needs_wasm3
def test_idle_is_sampled_and_stopped(adapter, builtin):
    with idle_16_mib(adapter, builtin) as (inst, reading):
        assert inst.alive()
        assert reading.overhead_rss > 5 * MIB  # the Python + wasm3 host
        assert "Python+wasm3 host" in reading.counts
        assert inst.memory(detailed=False).instance_rss >= 16 * MIB


@needs_wasm3
def test_close_stops_what_the_adapter_started(adapter, builtin):
    inst = adapter.start(builtin["idle"], ["0"])
    adapter.close()
    assert not inst.alive()
