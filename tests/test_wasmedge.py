"""WasmEdge: finding the CLI, command lines and outcome parsing as pure functions (no binary
needed), the adapter's run path against a fake `wasmedge` script, and — only when a real
WasmEdge is installed — the real thing."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest
import wasmtime

from wasmscope.workloads.guests.catalogue import Workload
from wasmscope.workloads.errors import GuestFailed, GuestTimeout, WorkloadError
from wasmscope.workloads.runtimes.wasmedge import (
    ENV_VAR,
    INSTALL_HINT,
    INSTALLER_URL,
    Outcome,
    WasmEdgeAdapter,
    classify,
    compile_argv,
    error_lines,
    find_wasmedge,
    parse_version,
    raise_for,
    run_argv,
    run_env,
)
from adapter_helpers import executable, refused_here

pytestmark = pytest.mark.timeout(60)
MIB = 1 << 20

TRAP_LOG = """[2022-09-06 10:30:12.966] [error] execution failed: unreachable, Code: 0x89
[2022-09-06 10:30:12.966] [error]     In instruction: unreachable (0x00) , Bytecode offset: 0x00017741
[2022-09-06 10:30:12.966] [error]     When executing function name: "_start"
"""


# -- pure functions ------------------------------------------------------------------------------

def test_parse_version():
    assert parse_version("wasmedge version 0.14.1\n") == "0.14.1"
    assert parse_version("/root/.wasmedge/bin/wasmedge version 0.13.5") == "0.13.5"
    assert parse_version('wasmedge version 0.15.0-alpha.3-27-g5e1ce268 (plugin "wasi_logging") version 0.1.0.0') \
        == "0.15.0-alpha.3-27-g5e1ce268"
    assert parse_version("wasmtime 36.0.9") is None


def test_run_and_compile_command_lines():
    assert run_argv("wasmedge", "fib.so", ["20"]) == ["wasmedge", "fib.so", "20"]
    assert run_argv("wasmedge", "fib.so", ["20"], timeout_s=0.5) == ["wasmedge", "--time-limit", "500", "fib.so", "20"]
    assert run_argv("wasmedge", "x.wasm", timeout_s=0.0001, memory_pages=16) == \
        ["wasmedge", "--time-limit", "1", "--memory-page-limit", "16", "x.wasm"]
    assert compile_argv("/opt/wasmedge", "fib.wasm", "fib.so") == ["/opt/wasmedge", "compile", "fib.wasm", "fib.so"]


def test_error_lines_drop_the_log_prefix():
    assert error_lines(TRAP_LOG)[0] == "execution failed: unreachable, Code: 0x89"
    assert error_lines("[2024-01-01 00:00:00.000] [info] compile start\nplain text\n") == []


@pytest.mark.parametrize("code, stderr, extra, expected", [
    (0, "", {}, Outcome("ok", 0)),
    (2, "fib: expected N between 0 and 90, got 'x'\n", {}, Outcome("exit", 2, "fib: expected N between 0 and 90, got 'x'")),
    (1, "", {}, Outcome("exit", 1, "no stderr")),
    (1, TRAP_LOG, {}, Outcome("trap", 1, "unreachable")),
    (1, "[2025-08-06 1:2:3.4] [error] execution failed: unreachable, Code: 0x40a\n", {}, Outcome("trap", 1, "unreachable")),
    (1, "[x] [error] execution failed: execution interrupted, Code: 0x07\n", {}, Outcome("timeout", 1, "execution interrupted")),
    (1, "", {"elapsed_s": 0.51, "timeout_s": 0.5}, Outcome("timeout", 1, "execution interrupted")),
    (1, "", {"elapsed_s": 0.1, "timeout_s": 0.5}, Outcome("exit", 1, "no stderr")),
    (1, "[x] [error] loading failed: magic header not detected, Code: 0x103\n", {},
     Outcome("invalid", 1, "loading failed: magic header not detected")),
    (1, "[x] [error] instantiation failed: unknown import, Code: 0x302\n", {},
     Outcome("invalid", 1, "instantiation failed: unknown import")),
    (-9, "", {}, Outcome("signal", -9, "killed by signal 9")),
])
def test_classify(code, stderr, extra, expected):
    assert classify(code, stderr, **extra) == expected


def test_raise_for_gives_typed_one_line_errors():
    raise_for(Outcome("ok", 0), "hello on WasmEdge", 1.0)
    with pytest.raises(GuestFailed, match=r"^fib on WasmEdge exited with code 2: bad N$") as info:
        raise_for(Outcome("exit", 2, "bad N"), "fib on WasmEdge", 1.0)
    assert info.value.exit_code == 2
    with pytest.raises(GuestFailed, match=r"^crash on WasmEdge trapped: unreachable$"):
        raise_for(classify(1, TRAP_LOG), "crash on WasmEdge", 1.0)
    with pytest.raises(GuestTimeout, match=r"^spin on WasmEdge timed out after 0.5 s \(stopped by --time-limit\)$"):
        raise_for(Outcome("timeout", 1, "execution interrupted"), "spin on WasmEdge", 0.5)
    with pytest.raises(WorkloadError, match=r"^bad on WasmEdge: loading failed: magic header not detected$"):
        raise_for(Outcome("invalid", 1, "loading failed: magic header not detected"), "bad on WasmEdge", 1.0)


def test_find_order_and_installer_layout(tmp_path):
    home = tmp_path / "home"
    installed = executable(home / ".wasmedge" / "bin" / "wasmedge", "#!/bin/sh\n")
    (home / ".wasmedge" / "lib").mkdir()
    on_path = executable(tmp_path / "path" / "wasmedge", "#!/bin/sh\n")
    by_env = executable(tmp_path / "env" / "wasmedge", "#!/bin/sh\n")
    env = {"PATH": str(on_path.parent)}
    assert find_wasmedge(env={**env, ENV_VAR: str(by_env)}, home=home) == (by_env, f"${ENV_VAR}")
    assert find_wasmedge(env=env, home=home) == (on_path, "PATH")
    assert find_wasmedge(env={"PATH": ""}, home=home) == (installed, "~/.wasmedge/bin")
    path, where = find_wasmedge(env={"PATH": ""}, home=tmp_path / "nobody")
    assert path is None and ".wasmedge" in where and "PATH" in where
    assert find_wasmedge(on_path, env={}, home=home) == (on_path, "option cli")
    assert find_wasmedge(tmp_path / "missing", env={}, home=home)[0] is None
    # the installer's binary finds its libraries through LD_LIBRARY_PATH
    assert run_env(installed, {"PATH": "/usr/bin"})["LD_LIBRARY_PATH"] == str(home / ".wasmedge" / "lib")
    assert "LD_LIBRARY_PATH" not in run_env(on_path, {"PATH": "/usr/bin"})


# -- availability ---------------------------------------------------------------------------------

def test_unavailable_says_why_and_gives_the_installer(tmp_path, monkeypatch, builtin):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(ENV_VAR, raising=False)
    avail = refused_here(WasmEdgeAdapter(), builtin, "wasmedge not found", "wasmedge not found .*install it: curl -sSf")
    assert avail.reason.startswith("wasmedge not found (looked in: ")
    assert avail.hint == INSTALL_HINT and INSTALLER_URL in avail.hint and "\n" not in avail.hint
    assert INSTALLER_URL == "https://raw.githubusercontent.com/WasmEdge/WasmEdge/master/utils/install.sh"


def test_cannot_listen(builtin):
    a = WasmEdgeAdapter()
    assert a.listen_reason()
    assert "cannot pre-open a listening socket" in a.supports(builtin["http"])
    assert a.supports(builtin["hello"]) is None


def test_a_binary_that_is_not_wasmedge_is_refused(tmp_path):
    fake = executable(tmp_path / "wasmedge", "#!/bin/sh\necho 'something else 1.0'\n")
    avail = WasmEdgeAdapter({"cli": str(fake)}).availability()
    assert not avail.ok and "did not answer `--version` like wasmedge" in avail.reason


# -- the adapter's run path against a fake wasmedge ------------------------------------------------

FAKE = r"""#!/bin/sh
# answers like wasmedge 0.14.1: --version, `compile IN OUT` (copies), runs selected by module name
case "$1" in
  --version) echo "wasmedge version 0.14.1"; exit 0;;
  compile) cp "$2" "$3"; echo "[2024-01-01 00:00:00.000] [info] compile done" >&2; exit 0;;
esac
limit=""
if [ "$1" = "--time-limit" ]; then limit="$2"; shift 2; fi
module="$1"; shift
case "$(basename "$module")" in
  hello*) echo "hello from wasmscope";;
  crash*) echo "[2022-09-06 10:30:12.966] [error] execution failed: unreachable, Code: 0x89" >&2; exit 1;;
  spin*) sleep 0.6; echo "[2024-01-01 00:00:00.000] [error] execution failed: execution interrupted, Code: 0x07" >&2; exit 1;;
  exit3*) echo "bye" >&2; exit 3;;
  idle*) echo "ready mib=$1 checksum=0"; exec sleep 3600;;
esac
"""


@pytest.fixture
def fake(tmp_path):
    cli = executable(tmp_path / "bin" / "wasmedge", FAKE)
    a = WasmEdgeAdapter({"cli": str(cli)})
    yield a
    a.close()


def module(tmp_path: Path, name: str) -> Workload:
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "_start")))'))
    return Workload(name, "", module=path)


def test_fake_facts_and_aot_artifact(fake, tmp_path):
    assert fake.availability().ok
    assert fake.version().startswith("wasmedge 0.14.1 (")
    assert fake.mode().startswith("AOT (LLVM")
    hello = module(tmp_path, "hello")
    fake.prepare(hello)
    artifacts = list(Path(os.environ["WASMSCOPE_CACHE_DIR"], "wasmedge", "0.14.1").glob("hello-*.so"))
    assert artifacts, "wasmedge compile left no cached .so"
    assert fake.command_line(hello, ["x"]) == "wasmedge compile hello.wasm hello.so && wasmedge hello.so x"
    assert WasmEdgeAdapter({"aot": False}).command_line(hello) == "wasmedge hello.wasm"
    assert WasmEdgeAdapter({"aot": False}).mode().startswith("interpreter")


def test_fake_runs_map_to_results_and_errors(fake, tmp_path):
    res = fake.run(module(tmp_path, "hello"))
    assert res.stdout == "hello from wasmscope\n" and set(res.phases) == {"spawn", "exited"}
    with pytest.raises(GuestFailed, match=r"^crash on WasmEdge trapped: unreachable$"):
        fake.run(module(tmp_path, "crash"))
    with pytest.raises(GuestFailed, match=r"^exit3 on WasmEdge exited with code 3: bye$") as info:
        fake.run(module(tmp_path, "exit3"))
    assert info.value.exit_code == 3
    with pytest.raises(GuestTimeout, match=r"^spin on WasmEdge timed out after 0.5 s \(stopped by --time-limit\)$"):
        fake.run(module(tmp_path, "spin"), timeout_s=0.5)


def test_fake_idle_is_sampled_and_stopped(fake, tmp_path):
    inst = fake.start(module(tmp_path, "idle"), ["4"])
    pid = inst.pids()[0]
    assert inst.ready_line == "ready mib=4 checksum=0"
    assert inst.memory().instance_rss > 0 and "wasmedge process" in inst.memory().counts
    fake.close()
    assert not inst.alive() and not psutil.pid_exists(pid)


# -- the real WasmEdge, when installed -------------------------------------------------------------

_REAL = WasmEdgeAdapter()
_REAL_AVAIL = _REAL.availability()
needs_wasmedge = pytest.mark.skipif(
    not _REAL_AVAIL.ok, reason=f"WasmEdge is not installed here ({_REAL_AVAIL.reason}); {_REAL_AVAIL.hint}")


@needs_wasmedge
@pytest.mark.parametrize("aot", [True, False])
def test_real_wasmedge(builtin, tmp_path, aot):
    a = WasmEdgeAdapter({"aot": aot})
    try:
        a.prepare(builtin["hello"])
        assert a.run(builtin["hello"]).stdout == "hello from wasmscope\n"
        assert a.run(builtin["fib"], ["20"]).stdout.startswith("fib(20) = 6765 elapsed_ns=")
        with pytest.raises(GuestFailed, match=r"exited with code 2: fib: expected N"):
            a.run(builtin["fib"], ["x"])
        crash = tmp_path / "crash.wasm"
        crash.write_bytes(wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "_start") unreachable))'))
        with pytest.raises(GuestFailed, match=r"^crash on WasmEdge trapped: unreachable"):
            a.run(Workload("crash", "", module=crash))
        spin = tmp_path / "spin.wasm"
        spin.write_bytes(wasmtime.wat2wasm('(module (memory (export "memory") 1) (func (export "_start") (loop br 0)))'))
        with pytest.raises(GuestTimeout):
            a.run(Workload("spin", "", module=spin), timeout_s=0.5)
        inst = a.start(builtin["idle"], ["16"])
        assert inst.memory().instance_rss >= 16 * MIB
        inst.stop()
        assert not inst.alive()
    finally:
        a.close()
