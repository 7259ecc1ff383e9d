"""Bare harnesses: the minimal program a user would write to time one cold start, beside an adapter.

`wasmscope bench --check` runs each of these interleaved with the adapter it shadows, so the
difference between the two figures is what wasmscope's own harness adds (its bookkeeping, its
timing points), measured in the same run under the same conditions:

- embedded wasmtime: load the module from the same disk cache, a new Store with a WASI config
  that captures output, instantiate, call `_start` — nothing else (no ticker, no limits);
- a process per run (native, the wasmtime CLI): posix_spawn of the same command with stdout on a
  pipe, read to EOF, waitpid;
- a container per run (Docker and its variants): the Docker SDK's create, start, wait with the
  adapter's own options, on a client of its own; removed after the clock stops.
"""

from __future__ import annotations

import os
import time
from typing import Sequence

from ..errors import GuestFailed, WasmscopeError
from ..guests.catalogue import Workload
from ..runtimes.base import RunResult, RuntimeAdapter

BARE = "bare"  # key suffix of a bare reference in the interleaved schedule: "native/bare"


class Bare:
    """What the interleaved schedule needs of a runner: prepare, run, settled, helper pids."""

    def __init__(self, adapter: RuntimeAdapter) -> None:
        self.adapter = adapter

    def supports(self, workload: Workload) -> str | None:
        return self.adapter.supports(workload)

    def prepare(self, workload: Workload) -> None:
        self.adapter.prepare(workload)

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        return f"bare reference of {self.adapter.name}"

    def settled(self) -> bool:
        return True

    def helper_pids(self) -> list[int] | None:
        return []

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        raise NotImplementedError


class BareWasmtime(Bare):
    """In process: deserialize from the adapter's disk cache, Store, WASI, instantiate, `_start`."""

    def __init__(self, adapter: RuntimeAdapter) -> None:
        super().__init__(adapter)
        import wasmtime

        from ..runtimes.wasmtime_engine import make_engine

        self.engine = make_engine()  # the same config, or the cached artifact would not load
        self.linker = wasmtime.Linker(self.engine)
        self.linker.define_wasi()
        self._cwasm: dict[str, str] = {}

    def prepare(self, workload: Workload) -> None:
        from ..runtimes.wasmtime_engine import compiled_module_path

        self.adapter.prepare(workload)
        assert workload.module is not None
        self._cwasm[workload.name] = str(compiled_module_path(self.engine, workload.module))

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        import wasmtime

        out = bytearray()
        t0 = time.perf_counter_ns()
        module = wasmtime.Module.deserialize_file(self.engine, self._cwasm[workload.name])
        t1 = time.perf_counter_ns()
        store = wasmtime.Store(self.engine)
        wasi = wasmtime.WasiConfig()
        wasi.argv = [workload.name, *args]
        wasi.stdout_custom = out.extend
        store.set_wasi(wasi)
        store.set_epoch_deadline(1 << 40)  # the engine interrupts by epoch: a deadline must be set
        instance = self.linker.instantiate(store, module)
        t2 = time.perf_counter_ns()
        code = 0
        try:
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as exc:
            code = exc.code
        t3 = time.perf_counter_ns()
        if code:
            raise GuestFailed(f"{workload.name} (bare wasmtime) exited with code {code}", exit_code=code)
        ms = 1e-6
        return RunResult(0, out.decode(errors="replace"), "", (t3 - t0) * ms,
                         {"load": (t1 - t0) * ms, "instantiate": (t2 - t1) * ms, "run": (t3 - t2) * ms})


class BareProcess(Bare):
    """posix_spawn of the adapter's command, stdout on a pipe read to EOF, waitpid."""

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        argv = self.adapter.bare_argv(workload, args, timeout_s=timeout_s)
        assert argv is not None
        env = self.adapter.process_env()
        r, w = os.pipe()
        actions = [(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_CLOSE, r), (os.POSIX_SPAWN_CLOSE, w),
                   (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        os.close(w)
        chunks = []
        with os.fdopen(r, "rb") as pipe:
            while chunk := pipe.read(65536):
                chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        t1 = time.perf_counter_ns()
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise GuestFailed(f"{workload.name} (bare fork/exec of {self.adapter.name}) exited with code {code}",
                              exit_code=code)
        return RunResult(0, b"".join(chunks).decode(errors="replace"), "", (t1 - t0) * 1e-6)


class BareContainer(Bare):
    """The Docker SDK's create → start → wait with the adapter's options, on a client of its own."""

    def __init__(self, adapter: RuntimeAdapter) -> None:
        super().__init__(adapter)
        from ..runtimes.docker_engine import Teardown

        self._client = None
        self._image: dict[str, str] = {}
        self._teardown = Teardown(self.client)

    def client(self):
        if self._client is None:
            self._client = self.adapter._open_client()  # type: ignore[attr-defined] - same engine, own client
        return self._client

    def prepare(self, workload: Workload) -> None:
        self.adapter.prepare(workload)
        self._image[workload.name] = self.adapter.image_for(workload)  # type: ignore[attr-defined]

    def settled(self) -> bool:
        return self._teardown.settled()

    def helper_pids(self) -> list[int] | None:
        return None

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        options = self.adapter.run_options(workload, args)  # type: ignore[attr-defined]
        client = self.client()
        t0 = time.perf_counter_ns()
        container = client.containers.create(self._image[workload.name], **options)
        try:
            container.start()
            status = container.wait(timeout=timeout_s)
            t1 = time.perf_counter_ns()
        finally:
            container.remove(force=True)
            self._teardown.track(container.id)
        code = int(status.get("StatusCode", -1))
        if code != 0:
            raise GuestFailed(f"{workload.name} (bare SDK run on {self.adapter.name}) exited with code {code}",
                              exit_code=code)
        return RunResult(0, "", "", (t1 - t0) * 1e-6)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def bare_for(adapter: RuntimeAdapter, workload: Workload) -> Bare | None:
    """The bare reference of an adapter's cold start, or None when there is none for it."""
    from ..runtimes.docker_engine import DockerAdapter
    from ..runtimes.wasmtime_embedded import WasmtimeAdapter

    if type(adapter) is WasmtimeAdapter:
        return BareWasmtime(adapter)
    if isinstance(adapter, DockerAdapter):
        return BareContainer(adapter)
    try:
        argv = adapter.bare_argv(workload, [])
    except (WasmscopeError, OSError):  # a runtime that cannot say (not prepared, not found) has none
        argv = None
    return BareProcess(adapter) if argv else None


STEPS = (  # key, what it times (the embedded cold start, step by step, and what bounds it)
    ("load", "Module.deserialize_file (from the disk cache)"),
    ("store", "new Store"),
    ("wasi", "WasiConfig (argv, captured stdout) + set_wasi + epoch deadline"),
    ("instantiate", "Linker.instantiate of the already-loaded module"),
    ("instantiate_pre", "InstancePre.instantiate (imports resolved once, ahead)"),
    ("start", "_start (the guest runs to exit)"),
    ("call", "an empty export called from Python: wasmtime-py's own cost per call"),
)


def wasmtime_steps(bare: BareWasmtime, workload: Workload, repeats: int = 200) -> dict[str, float]:
    """Each step of an embedded cold start on its own, in µs (medians of `repeats`), beside what
    InstancePre allows for the same module and what one call through wasmtime-py costs."""
    import statistics

    import wasmtime

    engine, linker = bare.engine, bare.linker
    cwasm = bare._cwasm[workload.name]
    module = wasmtime.Module.deserialize_file(engine, cwasm)
    pre = linker.instantiate_pre(module)
    times: dict[str, list[float]] = {key: [] for key, _ in STEPS}
    for _ in range(repeats):
        t = [time.perf_counter_ns()]
        wasmtime.Module.deserialize_file(engine, cwasm)
        t.append(time.perf_counter_ns())
        store = wasmtime.Store(engine)
        t.append(time.perf_counter_ns())
        _wasi(store, workload)
        t.append(time.perf_counter_ns())
        instance = linker.instantiate(store, module)
        t.append(time.perf_counter_ns())
        other = wasmtime.Store(engine)
        _wasi(other, workload)
        t.append(time.perf_counter_ns())
        pre.instantiate(other)
        t.append(time.perf_counter_ns())
        try:
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap:
            pass
        t.append(time.perf_counter_ns())
        for key, a, b in (("load", 0, 1), ("store", 1, 2), ("wasi", 2, 3), ("instantiate", 3, 4),
                          ("instantiate_pre", 5, 6), ("start", 6, 7)):
            times[key].append((t[b] - t[a]) / 1e3)
    times["call"] = _call_cost(engine)
    return {key: round(statistics.median(v), 2) for key, v in times.items()}


def _wasi(store, workload: Workload) -> None:
    import wasmtime

    wasi = wasmtime.WasiConfig()
    wasi.argv = [workload.name]
    wasi.stdout_custom = bytearray().extend
    store.set_wasi(wasi)
    store.set_epoch_deadline(1 << 40)


def _call_cost(engine, calls: int = 2000, batches: int = 20) -> list[float]:
    """µs per call of an empty exported function through wasmtime-py, in batches."""
    import wasmtime

    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1 << 40)
    nop = wasmtime.Instance(store, wasmtime.Module(engine, '(module (func (export "nop")))'), []).exports(store)["nop"]
    out = []
    for _ in range(batches):
        t0 = time.perf_counter_ns()
        for _ in range(calls // batches):
            nop(store)
        out.append((time.perf_counter_ns() - t0) / 1e3 / (calls // batches))
    return out
