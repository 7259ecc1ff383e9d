"""Helpers the runtime adapter tests share (one copy, not one per test file)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import psutil
import pytest
import wasmtime

from owner_helpers import proc_name
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


def assert_stops_runaway(adapter: RuntimeAdapter, tmp_path: Path, match: str, within_s: float) -> None:
    """A module that loops forever is stopped at a 0.5 s deadline, with this message."""
    import time

    from wasmscope.workloads.errors import GuestTimeout

    spin = wat_workload(tmp_path, "spin", SPIN_WAT)
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
