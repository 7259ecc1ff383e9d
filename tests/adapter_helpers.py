"""Helpers the runtime adapter tests share (one copy, not one per test file)."""

from __future__ import annotations

import os
import re
import socket
import stat
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
import wasmtime

from owner_helpers import proc_name
from wasmscope.workloads.errors import GuestFailed
from wasmscope.workloads.guests.catalogue import Workload
from wasmscope.workloads.runtimes.base import RuntimeAdapter

MIB = 1 << 20
SPIN_WAT = '(module (func (export "_start") (loop br 0)))'
TRAP_WAT = '(module (memory (export "memory") 1) (func (export "_start") unreachable))'


def wat_workload(tmp_path: Path, name: str, wat: str) -> Workload:
    """A test module from WebAssembly text, as a workload of that name."""
    path = tmp_path / f"{name}.wasm"
    path.write_bytes(wasmtime.wat2wasm(wat))
    return Workload(name, f"test module {name}", module=path)


def exit_with(tmp_path: Path, name: str, code: int) -> Workload:
    """A module whose `_start` calls proc_exit(code)."""
    return wat_workload(tmp_path, name, f"""(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (call $exit (i32.const {code})) unreachable))""")


def assert_stops_runaway(adapter: RuntimeAdapter, tmp_path: Path, match: str, within_s: float,
                         wat: str = SPIN_WAT) -> None:
    """A module that loops forever is stopped at a 0.5 s deadline, with this message."""
    import time

    from wasmscope.workloads.errors import GuestTimeout

    spin = wat_workload(tmp_path, "spin", wat)
    t0 = time.monotonic()
    with pytest.raises(GuestTimeout, match=match):
        adapter.run(spin, timeout_s=0.5)
    assert time.monotonic() - t0 < within_s


def executable(path: Path, text: str) -> Path:
    """Write a script and make it executable (a stand-in binary that answers --version)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.startswith("#!") else "#!/bin/sh\n" + text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def answering(path: Path, line: str) -> Path:
    """A stand-in binary that prints `line` whatever it is asked."""
    return executable(path, f"echo '{line}'\n")


def leftover(name: str) -> list[psutil.Process]:
    """This test process's descendants called `name` (a child a test must not leave behind)."""
    return [p for p in psutil.Process().children(recursive=True) if proc_name(p) == name]


def descendants() -> set[int]:
    """Pids of every process this test process started (and their children), alive now."""
    return {p.pid for p in psutil.Process().children(recursive=True) if _alive(p)}


def _alive(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def close_and_check_worker(adapter: RuntimeAdapter) -> None:
    """close() the adapter; its warm worker process (if it had one) must be gone."""
    pid = adapter.worker_pid() if hasattr(adapter, "worker_pid") else None
    adapter.close()
    assert pid is None or not psutil.pid_exists(pid), "the warm worker outlived close()"


def needs(adapter_class: type[RuntimeAdapter]) -> pytest.MarkDecorator:
    """Skip a test unless this runtime (with default options) is available here, saying why."""
    avail = adapter_class().availability()
    return pytest.mark.skipif(not avail.ok, reason=f"{avail.reason}; {avail.hint}")


def closing(adapter: RuntimeAdapter):
    """A fixture body: the adapter, then close() (its warm worker must be gone)."""
    yield adapter
    close_and_check_worker(adapter)


def skip_unless_available(adapter: RuntimeAdapter) -> None:
    """Skip with the adapter's own reason and fix when it cannot run here (Docker rows fail
    instead under WASMSCOPE_REQUIRE_DOCKER=1, as CI sets, when the engine itself is missing)."""
    avail = adapter.availability()
    if avail.ok:
        return
    engine_missing = "Docker engine not reachable" in avail.reason
    if engine_missing and os.environ.get("WASMSCOPE_REQUIRE_DOCKER") == "1":
        pytest.fail(f"WASMSCOPE_REQUIRE_DOCKER=1 but {adapter.name}: {avail.reason}")
    pytest.skip(f"{adapter.name}: {avail.reason}; {avail.hint}")


def hello_then_fib(adapter: RuntimeAdapter, builtin, command_line: str):
    """hello's line (its total the sum of its phases), fib 20's answer and fib's shell equivalent:
    hello's result, for the checks of this runtime's own phases."""
    res = adapter.run(builtin["hello"])
    assert res.stdout == "hello from wasmscope\n"
    assert res.total_ms == pytest.approx(sum(res.phases.values()), rel=0.01)
    assert adapter.run(builtin["fib"], ["20"]).stdout.startswith("fib(20) = 6765 elapsed_ns=")
    assert adapter.command_line(builtin["fib"], ["20"]) == command_line
    return res


def bad_fib_argument(adapter: RuntimeAdapter, builtin, runtime: str) -> GuestFailed:
    """fib refuses a bad N with exit code 2: the guest's fault, named with `runtime` (the error)."""
    with pytest.raises(GuestFailed, match=rf"fib on {re.escape(runtime)} exited with code 2: fib: expected N") as info:
        adapter.run(builtin["fib"], ["not-a-number"])
    assert info.value.exit_code == 2
    return info.value


def tool_nowhere(monkeypatch, tmp_path: Path, spec) -> None:
    """The tool of `spec` is in no environment variable, not on PATH (an empty directory) and not
    in a fresh cache."""
    monkeypatch.delenv(spec.env_var, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("WASMSCOPE_CACHE_DIR", str(tmp_path / "cache"))


@contextmanager
def taken_port():
    """A loopback port something already listens on, for the 'address in use' paths."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def crash_of(adapter: RuntimeAdapter, tmp_path: Path, wat: str = TRAP_WAT) -> GuestFailed:
    """What running a module that traps at once raises (a GuestFailed, or the test fails)."""
    with pytest.raises(GuestFailed) as info:
        adapter.run(wat_workload(tmp_path, "crash", wat))
    return info.value


def idle_then_close(adapter: RuntimeAdapter, builtin, command_line: str, counted: str) -> None:
    """idle with 16 MiB starts, reads as `command_line`, is sampled above 16 MiB counting
    `counted`; the adapter's close() stops it and its process."""
    inst = adapter.start(builtin["idle"], ["16"])
    assert inst.ready_line.startswith("ready mib=16")
    assert inst.command_line() == command_line
    pid = inst.pids()[0]
    reading = inst.memory()
    assert reading.instance_rss > 16 * MIB and counted in reading.counts
    adapter.close()  # stops what the adapter started
    assert not inst.alive() and not psutil.pid_exists(pid)


@contextmanager
def idle_16_mib(adapter: RuntimeAdapter, builtin):
    """idle with 16 MiB started, ready and sampled at 16 MiB or more: (instance, its reading);
    stopped on the way out, and then its process must be gone."""
    inst = adapter.start(builtin["idle"], ["16"])
    pid = inst.pids()[0]
    try:
        assert inst.ready_line.startswith("ready mib=16 checksum=")
        reading = inst.memory()
        assert reading.instance_rss >= 16 * MIB
        yield inst, reading
    finally:
        inst.stop()
    assert not inst.alive() and not psutil.pid_exists(pid)


@contextmanager
def started(adapter: RuntimeAdapter, *args, **kwargs):
    """The instance `adapter.start(*args, **kwargs)` gives; stopped on the way out, whatever happened."""
    inst = adapter.start(*args, **kwargs)
    try:
        yield inst
    finally:
        inst.stop()


def runaway_kills_the_worker(adapter: RuntimeAdapter, builtin, tmp_path: Path, match: str, wat: str) -> int:
    """A runaway guest on a runtime with no interrupt is stopped by killing its warm worker: the
    worker (returned, by pid) is gone and the next run still works."""
    adapter.run(builtin["hello"])
    old = adapter.worker_pid()
    assert_stops_runaway(adapter, tmp_path, match, 5, wat)
    assert adapter.worker_pid() is None and not psutil.pid_exists(old)
    assert adapter.run(builtin["hello"]).stdout == "hello from wasmscope\n"
    return old


def refused_here(adapter: RuntimeAdapter, builtin, version: str, refusal: str):
    """An adapter that cannot run here: not available, its version line reads `version`, and a
    run is refused with a message matching `refusal`. Its availability, for the reason and hint."""
    from wasmscope.workloads.errors import RuntimeUnavailable

    avail = adapter.availability()
    assert not avail.ok
    assert adapter.version() == version
    with pytest.raises(RuntimeUnavailable, match=refusal):
        adapter.run(builtin["hello"])
    return avail
