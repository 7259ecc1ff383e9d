"""What the live explorer drives: every runtime, what each is running, samples on demand.

Headless and thread-safe: a front end calls these from worker threads (they block: container
starts, module compiles) and renders what they return. The session is the one record of what
runs where: a front end renders its `snapshot()` and keeps no copy of its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from .bench import describe_runtimes
from .measurements.compute import guest_ms
from .model.samples import ColdStart, GuestTime
from .guests.catalogue import Workload
from .errors import WasmscopeError, WorkloadError
from .model.results import LOCAL, RuntimeInfo
from .runtimes import create_adapter, known_runtimes
from .runtimes.base import Instance, MemoryReading, RunResult, RuntimeAdapter

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from .load import LoadSummary, Tick


@dataclass(frozen=True)
class InstanceReading:
    """One sampling tick for one runtime (bytes); None fields when nothing is running."""

    runtime: str
    workload: str
    reading: MemoryReading | None
    alive: bool


@dataclass(frozen=True)
class LiveState:
    """What runs where at one instant (memray's snapshot: built off the UI thread, rendered as a
    whole). `version` grows with every start, stop and exit, so a front end can drop a snapshot
    taken before a change it has already shown."""

    version: int  # of the instance list (read before sampling: a start during it shows next time)
    instances: tuple[InstanceReading, ...] = ()  # every running instance (reading None: not sampled)
    exited: tuple[InstanceReading, ...] = ()  # instances found dead since the last snapshot (released)

    def workload(self, runtime: str) -> str | None:
        """What `runtime` runs in this snapshot, or None."""
        found = self.reading(runtime)
        return found.workload if found else None

    def reading(self, runtime: str) -> InstanceReading | None:
        return next((r for r in self.instances if r.runtime == runtime), None)

    def running(self) -> dict[str, str]:
        return {r.runtime: r.workload for r in self.instances}


class LiveSession:
    host = LOCAL  # which host it drives (a RemoteSession names its own): panels are keyed by it

    def __init__(self, profile: "Profile", runtimes: Sequence[str] | None = None) -> None:
        self.profile = profile
        self.adapters: dict[str, RuntimeAdapter] = {
            name: create_adapter(name, profile.adapter_options(name)) for name in (runtimes or known_runtimes())}
        self._instances: dict[str, Instance] = {}
        self._lock = threading.Lock()
        self._version = 0
        # one run at a time per runtime: a burst and a race lane on the same adapter take turns
        self._run_locks = {name: threading.Lock() for name in self.adapters}

    def describe(self) -> dict[str, RuntimeInfo]:
        """Availability, version and mode of every runtime (slow: first Docker contact)."""
        return describe_runtimes(self.adapters)

    def workload(self, name: str) -> Workload:
        return self.profile.workload(name)

    def default_args(self, runtime: str, workload: Workload) -> list[str]:
        """The arguments the profile implies for a built-in workload on this runtime."""
        if workload.builtin and workload.name == "fib":
            return [str(self.profile.compute.n)]
        if workload.builtin and workload.name == "idle":
            return [str(self.profile.memory.mib)]
        if workload.network:
            return self.adapters[runtime].server_args(workload)
        return list(workload.args)

    def command_line(self, runtime: str, workload_name: str) -> str:
        w = self.workload(workload_name)
        return self.adapters[runtime].command_line(w, self.default_args(runtime, w))

    def run_once(self, runtime: str, workload_name: str, args: Sequence[str] | None = None) -> RunResult:
        w = self.workload(workload_name)
        adapter = self.adapters[runtime]
        if (reason := adapter.supports(w)) is not None:
            raise WorkloadError(f"{runtime} cannot run {w.name}: {reason}")
        from .measurements.outputs import run_checked  # a user's program: fresh directories, checked

        with self._run_locks[runtime]:
            return run_checked(adapter, w, self.default_args(runtime, w) if args is None else args,
                               self.profile.bench.timeout_s)

    def run_sample(self, runtime: str, workload_name: str, cold: bool | None = None) -> ColdStart | GuestTime:
        """One run to exit, as the sample a panel shows: a cold start (the whole run), or the
        time the guest reports for its work (its wall time when it reports none). `cold` says
        which; by default the profile's startup workload is a cold start and any other is not."""
        res = self.run_once(runtime, workload_name)
        lines = res.stdout.strip().splitlines()
        detail = lines[-1] if lines else ""
        if cold if cold is not None else workload_name == self.profile.startup.workload:
            return ColdStart("", runtime, workload=workload_name, ms=res.total_ms, detail=detail)
        return GuestTime("", runtime, workload=workload_name, ms=guest_ms(res.stdout, res.total_ms), detail=detail)

    def start(self, runtime: str, workload_name: str) -> Instance:
        """Start a long-running workload on a runtime (one at a time per runtime)."""
        w = self.workload(workload_name)
        if w.kind != "serve":
            raise WorkloadError(f"{w.name} runs to exit: run it, or start idle/http")
        adapter = self.adapters[runtime]
        if (reason := adapter.supports(w)) is not None:
            raise WorkloadError(f"{runtime} cannot run {w.name}: {reason}")
        self.stop(runtime)
        inst = adapter.start(w, self.default_args(runtime, w))
        with self._lock:
            self._instances[runtime] = inst
            self._version += 1
        return inst

    def stop(self, runtime: str) -> bool:
        with self._lock:
            inst = self._instances.pop(runtime, None)
            if inst is not None:
                self._version += 1
        if inst is None:
            return False
        inst.stop()
        return True

    def running(self) -> dict[str, str]:
        with self._lock:
            return {rt: inst.workload for rt, inst in self._instances.items()}

    def instance(self, runtime: str) -> Instance | None:
        with self._lock:
            return self._instances.get(runtime)

    def http_url(self, runtime: str) -> str | None:
        """Where the runtime's running server answers, or None when none runs."""
        from .measurements.io import served_port

        inst = self.instance(runtime)
        if inst is None or not self.workload(inst.workload).network:
            return None
        port = served_port(inst)
        return f"http://127.0.0.1:{port}/" if port else None

    def load(self, runtime: str, on_tick: Callable[["Tick"], None] | None = None,
             cancel: threading.Event | None = None) -> "LoadSummary":
        """Load the runtime's running server with the profile's [io] load, streaming ticks
        (the built-in generator: wrk reports nothing until it ends), pinned apart where it can."""
        from dataclasses import replace

        from .load import run_load
        from .load.pinning import split_cores
        from .measurements.io import SERVER, load_spec

        url = self.http_url(runtime)
        if url is None:
            raise WorkloadError(f"{runtime}: no HTTP server is running to load (start http first)")
        cores = split_cores()
        spec = replace(load_spec(self.profile.io, SERVER), generator="builtin")
        return run_load(url, spec, cpus=cores[1] if cores else None, on_tick=on_tick, cancel=cancel)

    def snapshot(self, sample: bool = True) -> LiveState:
        """What runs now; with `sample`, each instance's memory (the cheap path: statm and cgroup
        files). An instance found dead is released here and reported once in `exited`."""
        with self._lock:
            items, version = list(self._instances.items()), self._version
        live, exited = [], []
        for rt, inst in items:
            alive = inst.alive_cheap()  # containers: their init process, not an engine API call
            reading = None
            if alive and sample:
                try:
                    reading = inst.memory(detailed=False)
                except WasmscopeError:
                    reading = None
            if alive:
                live.append(InstanceReading(rt, inst.workload, reading, alive))
            elif self._release(rt, inst):
                exited.append(InstanceReading(rt, inst.workload, None, False))
        return LiveState(version, tuple(live), tuple(exited))

    def _release(self, runtime: str, inst: Instance) -> bool:
        """Forget and clean up an instance that ended on its own (a container is removed);
        False when a stop or a new start got there first."""
        with self._lock:
            if self._instances.get(runtime) is not inst:
                return False
            del self._instances[runtime]
            self._version += 1
        try:
            inst.stop()
        except WasmscopeError:
            pass
        return True

    def close(self) -> None:
        """Stop everything and release every adapter (removes containers)."""
        for rt in list(self.running()):
            self.stop(rt)
        for adapter in self.adapters.values():
            adapter.close()
