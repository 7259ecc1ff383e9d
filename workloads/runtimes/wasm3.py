"""wasm3, the interpreter, through PyPI `pywasm3` — with the WASI preview 1 layer it lacks.

pywasm3 has no WASI, so this module links the few preview 1 calls our workloads import (argv,
stdio writes and reads, fdstat/seek/close on stdio, clocks, random, an empty environment,
clock-only `poll_oneoff`, `proc_exit`) through `Module.link_function`. Files, sockets and
preopens are not offered: a module needing them fails to link.

wasm3 holds the GIL while Wasm runs and cannot be interrupted, so modules run in a warm worker
process (`wasm3_worker serve`, started once and untimed); the phases parse / load / run are
timed inside it, the way the embedded wasmtime adapter times its own. Past a deadline the
worker is killed (GuestTimeout) and the next run starts a fresh one. Long-running instances
run in their own worker process (`wasm3_worker run`), sampled and stopped by signal.
"""

from __future__ import annotations

import random
import shlex
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version as _dist_version
from pathlib import Path
from typing import Callable, Sequence

from ..guests.catalogue import Workload
from ..errors import GuestTimeout
from . import processes
from .base import Availability, Instance, RunResult, WasmModuleAdapter
from .options import Option
from .wasm3_worker import WarmWorker, WorkerTimeout, worker_result

PIP_HINT = "run `wasmscope doctor --fix`, or: pip install 'wasmscope[wasm3]'  (or: pip install pywasm3 — builds from source, needs a C compiler)"
WORKER = "wasmscope.workloads.runtimes.wasm3_worker"
DEFAULT_STACK_KIB = 1024

# -- the WASI preview 1 layer -------------------------------------------------------------------

WASI = "wasi_snapshot_preview1"
ESUCCESS, EBADF, EINVAL, ENOSYS, ESPIPE = 0, 8, 28, 52, 70
FILETYPE_CHARACTER_DEVICE = 2
RIGHTS_FD_READ, RIGHTS_FD_WRITE = 1 << 1, 1 << 6
EVENTTYPE_CLOCK = 0
SUBCLOCKFLAGS_ABSTIME = 1


class WasiExit(Exception):
    """Raised by proc_exit; wasm3 unwinds the call and pywasm3 re-raises it."""

    def __init__(self, code: int) -> None:
        super().__init__(f"proc_exit({code})")
        self.code = code


def _u32(mem: memoryview, addr: int, value: int) -> None:
    mem[addr:addr + 4] = (value & 0xFFFFFFFF).to_bytes(4, "little")


def _u64(mem: memoryview, addr: int, value: int) -> None:
    mem[addr:addr + 8] = (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


def _rd32(mem: memoryview, addr: int) -> int:
    return int.from_bytes(mem[addr:addr + 4], "little")


def _rd64(mem: memoryview, addr: int) -> int:
    return int.from_bytes(mem[addr:addr + 8], "little")


class WasiShim:
    """Just enough WASI preview 1 for command modules that use stdio, argv and clocks.

    `stdout`/`stderr` receive bytes as the guest writes them; `stdin` is what fd 0 reads.
    """

    def __init__(self, argv: Sequence[str], *, stdout: Callable[[bytes], None],
                 stderr: Callable[[bytes], None], stdin: bytes = b"") -> None:
        self.args = [a.encode() + b"\0" for a in argv]
        self.writers = {1: stdout, 2: stderr}
        self.stdin = memoryview(stdin)
        self.runtime = None

    def _mem(self) -> memoryview:
        # fetched per call: memory.grow may move linear memory
        return self.runtime.get_memory(0)

    # argv and environment
    def args_sizes_get(self, argc_ptr: int, size_ptr: int) -> int:
        mem = self._mem()
        _u32(mem, argc_ptr, len(self.args))
        _u32(mem, size_ptr, sum(len(a) for a in self.args))
        return ESUCCESS

    def args_get(self, argv_ptr: int, buf_ptr: int) -> int:
        mem = self._mem()
        for i, arg in enumerate(self.args):
            _u32(mem, argv_ptr + 4 * i, buf_ptr)
            mem[buf_ptr:buf_ptr + len(arg)] = arg
            buf_ptr += len(arg)
        return ESUCCESS

    def environ_sizes_get(self, count_ptr: int, size_ptr: int) -> int:
        mem = self._mem()
        _u32(mem, count_ptr, 0)
        _u32(mem, size_ptr, 0)
        return ESUCCESS

    def environ_get(self, environ_ptr: int, buf_ptr: int) -> int:
        return ESUCCESS

    # stdio
    def fd_write(self, fd: int, iovs: int, iovs_len: int, nwritten_ptr: int) -> int:
        writer = self.writers.get(fd)
        if writer is None:
            return EBADF
        mem = self._mem()
        total = 0
        for i in range(iovs_len):
            ptr, length = _rd32(mem, iovs + 8 * i), _rd32(mem, iovs + 8 * i + 4)
            writer(bytes(mem[ptr:ptr + length]))
            total += length
        _u32(mem, nwritten_ptr, total)
        return ESUCCESS

    def fd_read(self, fd: int, iovs: int, iovs_len: int, nread_ptr: int) -> int:
        if fd != 0:
            return EBADF
        mem = self._mem()
        total = 0
        for i in range(iovs_len):
            ptr, length = _rd32(mem, iovs + 8 * i), _rd32(mem, iovs + 8 * i + 4)
            chunk = self.stdin[:length]
            mem[ptr:ptr + len(chunk)] = chunk
            self.stdin = self.stdin[len(chunk):]
            total += len(chunk)
            if len(chunk) < length:
                break
        _u32(mem, nread_ptr, total)
        return ESUCCESS

    def fd_fdstat_get(self, fd: int, stat_ptr: int) -> int:
        if fd not in (0, 1, 2):
            return EBADF
        mem = self._mem()
        mem[stat_ptr:stat_ptr + 24] = bytes(24)
        mem[stat_ptr] = FILETYPE_CHARACTER_DEVICE
        _u64(mem, stat_ptr + 8, RIGHTS_FD_READ if fd == 0 else RIGHTS_FD_WRITE)
        return ESUCCESS

    def fd_seek(self, fd: int, offset: int, whence: int, newoffset_ptr: int) -> int:
        return ESPIPE if fd in (0, 1, 2) else EBADF

    def fd_close(self, fd: int) -> int:
        return ESUCCESS if fd in (0, 1, 2) else EBADF

    def fd_prestat_get(self, fd: int, prestat_ptr: int) -> int:
        return EBADF  # no preopened directories

    # clocks, random, exit
    def clock_time_get(self, clock_id: int, precision: int, time_ptr: int) -> int:
        clocks = {0: time.time_ns, 1: time.monotonic_ns, 2: time.process_time_ns, 3: time.thread_time_ns}
        clock = clocks.get(clock_id)
        if clock is None:
            return EINVAL
        _u64(self._mem(), time_ptr, clock())
        return ESUCCESS

    def clock_res_get(self, clock_id: int, res_ptr: int) -> int:
        _u64(self._mem(), res_ptr, 1000)
        return ESUCCESS

    def random_get(self, buf: int, length: int) -> int:
        self._mem()[buf:buf + length] = random.randbytes(length)
        return ESUCCESS

    def poll_oneoff(self, in_ptr: int, out_ptr: int, nsubs: int, nevents_ptr: int) -> int:
        """Clock subscriptions only (sleep); the earliest one fires."""
        mem = self._mem()
        best: tuple[float, int] | None = None
        for i in range(nsubs):
            sub = in_ptr + 48 * i
            if mem[sub + 8] != EVENTTYPE_CLOCK:
                return ENOSYS
            clock_id, timeout = _rd32(mem, sub + 16), _rd64(mem, sub + 24)
            flags = int.from_bytes(mem[sub + 40:sub + 42], "little")
            if flags & SUBCLOCKFLAGS_ABSTIME:
                now = time.time_ns() if clock_id == 0 else time.monotonic_ns()
                timeout = max(0, timeout - now)
            if best is None or timeout < best[0]:
                best = (timeout, sub)
        if best is None:
            return EINVAL
        time.sleep(best[0] / 1e9)
        mem = self._mem()
        mem[out_ptr:out_ptr + 32] = bytes(32)
        mem[out_ptr:out_ptr + 8] = mem[best[1]:best[1] + 8]  # userdata
        mem[out_ptr + 10] = EVENTTYPE_CLOCK
        _u32(mem, nevents_ptr, 1)
        return ESUCCESS

    def sched_yield(self) -> int:
        return ESUCCESS

    def proc_exit(self, code: int) -> None:
        raise WasiExit(code)

    SIGNATURES = {
        "args_sizes_get": "i(ii)", "args_get": "i(ii)",
        "environ_sizes_get": "i(ii)", "environ_get": "i(ii)",
        "fd_write": "i(iiii)", "fd_read": "i(iiii)", "fd_fdstat_get": "i(ii)",
        "fd_seek": "i(iIii)", "fd_close": "i(i)", "fd_prestat_get": "i(ii)",
        "clock_time_get": "i(iIi)", "clock_res_get": "i(ii)", "random_get": "i(ii)",
        "poll_oneoff": "i(iiii)", "sched_yield": "i()", "proc_exit": "v(i)",
    }

    def link(self, module, runtime) -> None:
        """Link every call above that the module imports (others are skipped by wasm3)."""
        self.runtime = runtime
        for name, sig in self.SIGNATURES.items():
            module.link_function(WASI, name, sig, getattr(self, name))


@dataclass
class ModuleRun:
    code: int
    phases: dict[str, float] = field(default_factory=dict)
    trap: str | None = None


_ENV = None  # one wasm3 Environment per process, as one engine


def run_module(path: str, argv: Sequence[str], *, stdout: Callable[[bytes], None],
               stderr: Callable[[bytes], None], stdin: bytes = b"", stack_bytes: int = DEFAULT_STACK_KIB << 10,
               before_load: Callable[[], None] | None = None) -> ModuleRun:
    """Parse, load and run a WASI command module's `_start` under wasm3, timing each phase.

    Phases: parse (read the file + decode and validate the module), load (a runtime of
    `stack_bytes`, linear memory, linking WASI), run (`_start`). A trap is returned, not raised.
    """
    import wasm3

    global _ENV
    if _ENV is None:
        _ENV = wasm3.Environment()
    if before_load is not None:
        before_load()
    t0 = time.perf_counter_ns()
    data = Path(path).read_bytes()
    module = _ENV.parse_module(data)  # wasm3 keeps pointers into `data`: it stays referenced
    t1 = time.perf_counter_ns()
    runtime = _ENV.new_runtime(stack_bytes)
    runtime.load(module)
    shim = WasiShim(argv, stdout=stdout, stderr=stderr, stdin=stdin)
    shim.link(module, runtime)
    start = runtime.find_function("_start")
    t2 = time.perf_counter_ns()
    code, trap = 0, None
    try:
        start()
    except WasiExit as exc:
        code = exc.code
    except RuntimeError as exc:
        code, trap = 134, _trap_line(str(exc))
    t3 = time.perf_counter_ns()
    del data
    ms = 1e-6
    return ModuleRun(code, {"parse": (t1 - t0) * ms, "load": (t2 - t1) * ms, "run": (t3 - t2) * ms}, trap)


def _trap_line(text: str) -> str:
    """wasm3's '[trap] unreachable executed (...)' → one line."""
    line = text.strip().splitlines()[0] if text.strip() else "trap"
    return line.replace("[trap] ", "").strip()


def _pywasm3_version() -> str | None:
    try:
        return _dist_version("pywasm3")
    except PackageNotFoundError:
        return None


# -- the adapter --------------------------------------------------------------------------------

class Wasm3Adapter(WasmModuleAdapter):
    name = "wasm3"
    NEEDS = ("extra/wasm3",)
    SHORT_NAME = "wasm3"
    NO_LISTEN = "pywasm3 has no WASI sockets: it cannot give a module a listening socket"
    display_name = "wasm3 (interpreter)"
    kind = "wasm"
    IN_PROCESS = True
    PASSES_ENV = False  # the shim's environment is empty
    NO_MEMORY_LIMIT = "none: pywasm3 exposes no memory limit"
    OPTIONS = (Option("stack_kib", "int", "wasm3's value stack in KiB", default=DEFAULT_STACK_KIB, minimum=16),)

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.stack_kib: int = self.options["stack_kib"]
        self._worker = WarmWorker([sys.executable, "-m", WORKER, "serve", "--stack-kib", str(self.stack_kib)],
                                  "wasm3")

    # -- facts -----------------------------------------------------------------------------
    def availability(self) -> Availability:
        if _pywasm3_version() is None:
            return Availability(False, "the pywasm3 package is not installed", PIP_HINT)
        try:
            import wasm3  # noqa: F401
        except ImportError as err:
            return Availability(False, f"pywasm3 is installed but does not import: {err}",
                                "pip install --force-reinstall --no-binary pywasm3 pywasm3")
        return Availability(True)

    def version(self) -> str:
        v = _pywasm3_version()
        if v is None:
            return "pywasm3 not installed"
        try:
            import wasm3

            return f"pywasm3 {v} (wasm3 {wasm3.M3_VERSION})"
        except ImportError:
            return f"pywasm3 {v} (does not import)"

    def mode(self) -> str:
        return ("interpreter (wasm3), module parsed per run, no compile cache; a minimal WASI "
                "preview 1 written in Python; in a warm worker process, killed at the deadline "
                "(wasm3 has no interrupt)")

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        module = workload.module.name if workload.module else "?"
        return shlex.join(["wasm3", "--stack-size", str(self.stack_kib << 10), module, *args])

    def prepare(self, workload: Workload) -> None:
        self.available_module(workload)
        self._worker.ensure()  # start the worker untimed

    # -- run to exit -----------------------------------------------------------------------
    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        module = self.available_module(workload)
        what = f"{workload.name} on wasm3"
        request = {"module": str(module), "argv": [workload.name, *args]}
        if workload.stdin is not None:  # bytes through JSON: one character per byte
            request["stdin"] = workload.stdin.decode("latin-1")
        try:
            reply = self._worker.call(request, timeout_s)
        except WorkerTimeout:
            raise GuestTimeout(f"{what} timed out after {timeout_s:g} s "
                               "(worker process killed: wasm3 has no interrupt)") from None
        return worker_result(reply, what)

    # -- long-running ----------------------------------------------------------------------
    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        module = self.available_module(workload)
        argv = [sys.executable, "-m", WORKER, "run", "--module", str(module), "--name", workload.name,
                "--stack-kib", str(self.stack_kib), "--", *args]
        # its own worker process: Python host + wasm3 + one instance
        inst, text = self._launch(processes.HostedInstance, argv, workload, args, ready_timeout_s,
                                  f"{workload.name} on wasm3 (worker)")
        inst.read_host(text, "the Python+wasm3 host measured just before the module was loaded")
        return inst

    def worker_pid(self) -> int | None:
        """The warm run worker's pid (None when none runs)."""
        return self._worker.pid()

    def helper_pids(self) -> list[int] | None:
        pid = self.worker_pid()  # the warm worker runs the guests: its CPU is the runs' own
        return [pid] if pid else []

    def close(self) -> None:
        super().close()
        self._worker.kill()
