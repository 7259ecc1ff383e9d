"""The Node.js (V8) adapter against the real node (node:wasi) and the runner the package ships."""

from __future__ import annotations

import shutil
import time
from importlib import resources
from pathlib import Path

import psutil
import pytest

from wasmscope.workloads.guests.catalogue import Workload
from wasmscope.workloads.errors import GuestFailed, GuestTimeout, RuntimeUnavailable, WorkloadError
from wasmscope.workloads.runtimes.options import OptionError
from wasmscope.workloads.runtimes.node_wasi import REPORT_MARK, NodeWasiAdapter, split_report
from adapter_helpers import answering, bad_fib_argument, hello_then_fib, idle_then_close, wat_workload

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="session")
def node() -> Path:
    found = shutil.which("node") or shutil.which("nodejs")
    if found is None:
        pytest.skip("no node on PATH (CI installs Debian's nodejs)")
    return Path(found)


@pytest.fixture
def adapter(node):
    a = NodeWasiAdapter({"node": str(node)})
    yield a
    a.close()


# -- facts --------------------------------------------------------------------------------------

def test_the_runner_ships_in_the_package():
    assert resources.files("wasmscope.workloads.runtimes").joinpath("node_runner.mjs").is_file()


def test_facts(adapter, node, builtin):
    assert adapter.name == "node" and adapter.display_name == "Node.js (V8)"
    assert adapter.availability().ok
    assert adapter.version().startswith("Node.js ") and str(node) in adapter.version()
    assert "V8 " in adapter.version() and "from option node" in adapter.version()
    mode = adapter.mode()
    assert "Liftoff" in mode and "TurboFan" in mode and "default tiering" in mode
    assert adapter.listen_reason() == adapter.NO_LISTEN != ""
    reason = adapter.supports(builtin["http"])
    assert reason and "listening socket" in reason
    assert adapter.supports(builtin["hello"]) is None
    with pytest.raises(WorkloadError, match="Node.js cannot run http: node:wasi cannot give"):
        adapter.start(builtin["http"])


def test_found_on_path():
    if shutil.which("node") is None:
        pytest.skip("no node on PATH")
    assert "from PATH" in NodeWasiAdapter().version()


def test_missing_binary_is_unavailable_with_the_hint(tmp_path, monkeypatch):
    a = NodeWasiAdapter({"node": str(tmp_path / "no-such-node")})
    avail = a.availability()
    assert not avail.ok and "no-such-node" in avail.reason
    assert avail.hint.startswith("run `wasmscope doctor --fix`, or install Node.js 18 or newer (Debian: apt-get install nodejs)")
    with pytest.raises(RuntimeUnavailable, match="apt-get install nodejs"):
        a.node()
    monkeypatch.setenv("PATH", str(tmp_path))
    avail = NodeWasiAdapter().availability()
    assert not avail.ok and "no node binary found on PATH" in avail.reason


def test_old_or_wrong_node_is_refused(tmp_path):
    avail = NodeWasiAdapter({"node": str(answering(tmp_path / "node", "16.20.0 9.4.146.26"))}).availability()
    assert not avail.ok and "Node.js 16.20.0; node:wasi preview1 needs 18 or newer" in avail.reason
    avail = NodeWasiAdapter({"node": str(answering(tmp_path / "node", "not node"))}).availability()
    assert not avail.ok and "did not answer like node" in avail.reason


def test_tier_option(node, builtin):
    with pytest.raises(OptionError, match="^runtime 'node' option tier: expected one of default, liftoff, turbofan, got 'sparkplug'$"):
        NodeWasiAdapter({"tier": "sparkplug"})
    a = NodeWasiAdapter({"node": str(node), "tier": "liftoff"})
    assert "--liftoff-only" in a.mode() and "--liftoff-only" in a.command_line(builtin["hello"])
    assert a.run(builtin["fib"], ["20"]).stdout.startswith("fib(20) = 6765 ")


def test_split_report_keeps_the_guests_own_stderr():
    report, rest = split_report(f"guest says\n{REPORT_MARK}{{\"run_ms\": 1.5}}\n")
    assert report == {"run_ms": 1.5} and rest == "guest says\n"
    assert split_report("no report\n") == (None, "no report\n")


# -- running ------------------------------------------------------------------------------------

def test_hello_and_fib_with_phases(adapter, builtin):
    res = hello_then_fib(adapter, builtin, "node --no-warnings node_runner.mjs fib.wasm 20")
    assert res.stderr == ""
    assert list(res.phases) == ["spawn", "host", "compile", "instantiate", "run"]
    assert all(v >= 0 for v in res.phases.values()) and res.phases["compile"] > 0


def test_guest_exit_code_is_the_guests_fault(adapter, builtin):
    assert REPORT_MARK not in bad_fib_argument(adapter, builtin, "Node.js (V8)").output


def test_trap_is_guest_failed_in_one_line(adapter, tmp_path):
    crash = wat_workload(tmp_path, "crash", '(module (memory (export "memory") 1) '
                                            '(func (export "_start") unreachable))')
    with pytest.raises(GuestFailed, match=r"^crash on Node.js \(V8\) trapped: RuntimeError: unreachable$") as info:
        adapter.run(crash)
    assert info.value.exit_code == 134


def test_a_module_node_wasi_cannot_start_fails_in_one_line(adapter, tmp_path):
    no_memory = wat_workload(tmp_path, "bare", '(module (func (export "_start")))')
    with pytest.raises(GuestFailed, match=r"bare on Node.js \(V8\) failed at run: TypeError: .*memory"):
        adapter.run(no_memory)


def test_runaway_guest_is_killed_at_the_deadline(adapter, tmp_path):
    spin = wat_workload(tmp_path, "spin", '(module (memory (export "memory") 1) '
                                          '(func (export "_start") (loop br 0)))')
    t0 = time.monotonic()
    with pytest.raises(GuestTimeout, match=r"spin on Node.js \(V8\) timed out after 0.5 s \(killed"):
        adapter.run(spin, timeout_s=0.5)
    assert time.monotonic() - t0 < 5
    assert not [p for p in psutil.Process().children(recursive=True) if p.name() in ("node", "nodejs")]


def test_missing_module_file(adapter, tmp_path):
    with pytest.raises(WorkloadError, match="module file not found"):
        adapter.run(Workload("gone", "", module=tmp_path / "gone.wasm"))


# -- long-running -------------------------------------------------------------------------------

def test_idle_is_sampled_and_closed_by_the_adapter(adapter, builtin):
    idle_then_close(adapter, builtin, "node --no-warnings node_runner.mjs idle.wasm 16", "node process")
