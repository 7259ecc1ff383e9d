"""Wasmtime embedded through the `wasmtime` package: the in-process Wasm runtime.

Run-to-exit happens in this process from an AOT-compiled module cached on disk, so cold start
is load (deserialize) + instantiate + run, as the reference article measures AOT Wasmtime.
Long-running instances run in a worker process so they can be sampled and killed.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import wasmtime

from ..guests.catalogue import Workload
from ..errors import GuestFailed, GuestTimeout, WorkloadError
from ..guests.module_check import check_module
from . import processes
from .base import Availability, Instance, RunResult, RuntimeAdapter
from .wasmtime_engine import EPOCH_TICK_S, WASMTIME_VERSION, compiled_module_path, first_error_line, make_engine

DEFAULT_MEMORY_LIMIT_MIB = 512


@contextmanager
def _stdin_file(data: bytes | None) -> Iterator[str | None]:
    """The guest's stdin as a file (WASI reads stdin from a file here), removed afterwards."""
    if data is None:
        yield None
        return
    fd, path = tempfile.mkstemp(prefix="wasmscope-stdin-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        os.unlink(path)


class _EpochTicker:
    """Bumps the engine's epoch every EPOCH_TICK_S while a run is active, so per-store
    deadlines are wall-clock; idle otherwise (no wake-ups when nothing runs in-process)."""

    def __init__(self, engine: wasmtime.Engine) -> None:
        self._engine = engine
        self._active = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="wasmtime-epoch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        with self._cond:
            while not self._stopped:
                if self._active == 0:
                    self._cond.wait()
                    continue
                self._cond.wait(EPOCH_TICK_S)
                self._engine.increment_epoch()

    def __enter__(self) -> "_EpochTicker":
        with self._cond:
            self._active += 1
            self._cond.notify()
        return self

    def __exit__(self, *exc) -> None:
        with self._cond:
            self._active -= 1

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()


class WasmtimeAdapter(RuntimeAdapter):
    name = "wasmtime"
    display_name = "Wasmtime (embedded)"
    kind = "wasm"
    IN_PROCESS = True
    GRANTS_DIR = True
    READ_ONLY_DIRS = True  # preopen_dir(..., fs_mutable=False)
    PEAK_COUNTS = "the instance's linear memory at exit (it never shrinks): not process RSS"
    COMPILE_CACHE = "wasmscope's AOT cache (Module.serialize, one .cwasm per module)"
    SPAWNER = "wasmtime"
    INSTANCE_WORD = "instance"
    CHART_NAME = "wt"
    NO_LISTEN = "the wasmtime package cannot pre-open a listening socket for a module"
    MEMORY_LIMIT = "store limit (Store.set_limits memory_size): memory.grow returns -1 past it"

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.memory_limit_mib = self.options["memory_limit_mib"] or DEFAULT_MEMORY_LIMIT_MIB
        self._engine: wasmtime.Engine | None = None
        self._linker: wasmtime.Linker | None = None
        self._ticker: _EpochTicker | None = None
        self._lock = threading.Lock()

    # -- facts -------------------------------------------------------------------------
    def availability(self) -> Availability:
        try:
            self._ensure_engine()
        except Exception as err:  # a broken wheel or unsupported CPU
            return Availability(False, f"wasmtime engine failed to start: {first_error_line(err)}",
                                "pip install --force-reinstall wasmtime")
        return Availability(True)

    def version(self) -> str:
        return f"wasmtime-py {WASMTIME_VERSION}"

    def mode(self) -> str:
        return ("AOT (Cranelift), compiled once and deserialized from the disk cache per run; "
                "in-process; epoch deadline on")

    def cannot_run(self, workload: Workload) -> str | None:
        if workload.module is None:
            return f"workload {workload.name!r} has no .wasm module"
        return None

    def listen_address(self) -> tuple[str, str] | None:
        return None

    def many_instance_module(self, workload: Workload) -> Path | None:
        """The AOT-compiled module: density's host process instantiates it many times."""
        return self._compiled(workload)

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        mod = workload.module.name if workload.module else "?"
        given = [f for g in self.grants(workload) for f in ("--dir", f"{g.host}::{g.guest}")]
        given += [f for k, v in self.guest_env(workload).items() for f in ("--env", f"{k}={v}")]
        return shlex.join(["wasmtime", "run", "-W", f"max-memory-size={self.memory_limit_mib << 20}", *given, mod, *args])

    # -- engine ------------------------------------------------------------------------
    def _ensure_engine(self) -> wasmtime.Engine:
        with self._lock:
            if self._engine is None:
                engine = make_engine()
                linker = wasmtime.Linker(engine)
                linker.define_wasi()
                self._engine, self._linker = engine, linker
                self._ticker = _EpochTicker(engine)
            return self._engine

    def _compiled(self, workload: Workload) -> Path:
        if workload.module is None:
            raise WorkloadError(f"workload {workload.name!r} has no .wasm module")
        if not workload.module.is_file():
            raise WorkloadError(f"{workload.module}: module file not found")
        check_module(workload.module, runtime="wasmtime")  # define_wasi(): preview 1 only
        engine = self._ensure_engine()
        try:
            return compiled_module_path(engine, workload.module)
        except wasmtime.WasmtimeError as err:
            raise WorkloadError(f"{workload.module}: not a valid Wasm module: {first_error_line(err)}") from err

    def prepare(self, workload: Workload) -> None:
        self._compiled(workload)

    def evict(self, workload: Workload) -> None:
        compiled_module_path(self._ensure_engine(), workload.module, create=False).unlink(missing_ok=True)

    # -- run to exit -------------------------------------------------------------------
    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        cwasm = self._compiled(workload)
        engine = self._engine
        assert engine is not None
        out, err = bytearray(), bytearray()
        with _stdin_file(workload.stdin) as stdin:
            t0 = time.perf_counter_ns()
            module = wasmtime.Module.deserialize_file(engine, str(cwasm))
            t1 = time.perf_counter_ns()
            store = wasmtime.Store(engine)
            store.set_wasi(self._wasi(workload, args, out, err, stdin))
            return self._instantiate_and_run(workload, module, store, out, err, timeout_s, t0, t1)

    def _wasi(self, workload: Workload, args: Sequence[str], out: bytearray, err: bytearray,
              stdin: str | None) -> wasmtime.WasiConfig:
        """argv, captured stdout/stderr, the workload's stdin, environment and directories
        (read-only ones really read-only: fs_mutable=False)."""
        wasi = wasmtime.WasiConfig()
        wasi.argv = [workload.name, *args]
        wasi.stdout_custom = out.extend
        wasi.stderr_custom = err.extend
        if stdin is not None:
            wasi.stdin_file = stdin
        if workload.env:
            wasi.env = list(self.guest_env(workload).items())
        for g in self.grants(workload):
            wasi.preopen_dir(str(g.host), g.guest, g.writable)
        return wasi

    def _instantiate_and_run(self, workload: Workload, module, store, out: bytearray, err: bytearray,
                             timeout_s: float, t0: int, t1: int) -> RunResult:
        assert self._linker is not None
        linker = self._linker
        store.set_limits(memory_size=self.memory_limit_mib << 20)
        store.set_epoch_deadline(max(1, int(timeout_s / EPOCH_TICK_S) + 1))
        try:
            instance = linker.instantiate(store, module)
        except wasmtime.WasmtimeError as exc:
            raise WorkloadError(f"{workload.module}: cannot instantiate: {first_error_line(exc)}") from exc
        t2 = time.perf_counter_ns()
        code = 0
        assert self._ticker is not None
        try:
            with self._ticker:
                instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as exc:
            code = exc.code
        except KeyError:  # the export lookup: a reactor or library module, not a command
            raise WorkloadError(f"{workload.module.name}: exports no _start function "
                                "(expected a WASI command module)") from None
        except wasmtime.Trap as exc:
            if exc.trap_code == wasmtime.TrapCode.INTERRUPT:
                raise GuestTimeout(f"{workload.name} on wasmtime timed out after {timeout_s:g} s "
                                   "(stopped by the epoch deadline)") from exc
            raise GuestFailed(f"{workload.name} on wasmtime trapped: {first_error_line(exc)}",
                              output=err.decode(errors="replace")) from exc
        t3 = time.perf_counter_ns()
        stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
        if code != 0:
            last = stderr.strip().splitlines()[-1] if stderr.strip() else "no stderr"
            raise GuestFailed(f"{workload.name} on wasmtime exited with code {code}: {last}",
                              exit_code=code, output=stdout + stderr)
        ms = 1e-6
        memory = instance.exports(store).get("memory")
        peak = memory.data_len(store) if isinstance(memory, wasmtime.Memory) else None
        return RunResult(code, stdout, stderr, (t3 - t0) * ms,
                         {"load": (t1 - t0) * ms, "instantiate": (t2 - t1) * ms, "run": (t3 - t2) * ms},
                         peak_rss=peak)

    # -- long-running ------------------------------------------------------------------
    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        reason = self.supports(workload)
        if reason:
            raise WorkloadError(f"wasmtime cannot run {workload.name}: {reason}")
        cwasm = self._compiled(workload)
        argv = [sys.executable, "-m", "wasmscope.workloads.runtimes.wasmtime_worker",
                "--cwasm", str(cwasm), "--memory-limit-mib", str(self.memory_limit_mib),
                "--name", workload.name,
                *(f for g in self.grants(workload) for f in ("--dir", f"{g.host}::{g.guest}{'' if g.writable else '::ro'}")),
                *(f for k, v in self.guest_env(workload).items() for f in ("--env", f"{k}={v}")), "--", *args]
        # a worker process: Python host + wasmtime + one instance
        inst, text = self._launch(processes.HostedInstance, argv, workload, args, ready_timeout_s,
                                  f"{workload.name} on wasmtime (worker)")
        inst.read_host(text, "the Python+wasmtime host measured just before instantiation")
        return inst

    def close(self) -> None:
        super().close()
        if self._ticker:
            self._ticker.stop()
