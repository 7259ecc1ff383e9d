"""The one small interface every runtime adapter implements.

Optional abilities are class flags the front ends read (`CAN_LISTEN`, `SUPPORTS_FUEL`, ...),
so adding a runtime is one new file plus one line in `runtimes/__init__.py`.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Sequence

from ..guests.catalogue import Workload
from ..errors import WorkloadError
from ..guests.module_check import PREVIEW1, check_module

RuntimeKind = Literal["wasm", "native", "container"]


@dataclass(frozen=True)
class Availability:
    """Whether a runtime can be used here; when not, why and what fixes it."""

    ok: bool
    reason: str = ""
    hint: str = ""


@dataclass(frozen=True)
class RunResult:
    """One run-to-exit of a workload.

    `total_ms` is what a user of this runtime waits (e.g. `docker run` → exit); `phases` splits
    it where the runtime allows (load / instantiate / run, or create / start / exited).
    """

    exit_code: int
    stdout: str
    stderr: str
    total_ms: float
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MemoryReading:
    """One memory sample of a long-running instance, in bytes, with what each number counts."""

    instance_rss: int  # the guest's own processes (or, in-process hosts, the instance's share)
    instance_uss: int | None = None
    overhead_rss: int = 0  # the runtime's own helpers/host outside the guest (shim, Python host)
    cgroup_usage: int | None = None  # the container cgroup's memory usage (includes page cache)
    counts: str = ""  # plain words for what instance_rss counts


class Instance(ABC):
    """A long-running workload instance that can be sampled and stopped."""

    runtime: str
    workload: str
    ready_line: str = ""
    started_ms: float = 0.0  # from start request to the ready line

    @abstractmethod
    def pids(self) -> list[int]:
        """Processes of the guest itself, for sampling."""

    def overhead_pids(self) -> list[int]:
        """Runtime helper processes outside the guest (e.g. containerd-shim)."""
        return []

    @abstractmethod
    def memory(self, detailed: bool = True) -> MemoryReading:
        """Sample memory now. `detailed=False` is the cheap path for live sampling: RSS of the
        known processes only (no USS from smaps, no walk of /proc for descendants)."""

    @abstractmethod
    def alive(self) -> bool: ...

    def alive_cheap(self) -> bool:
        """`alive()` without a slow call (e.g. an engine API round trip), for live sampling."""
        return self.alive()

    @abstractmethod
    def stop(self) -> None:
        """Stop the instance and release everything it holds (idempotent)."""

    def command_line(self) -> str:
        """The equivalent shell command, for the log of what was run."""
        return ""


class RuntimeAdapter(ABC):
    """A runtime wasmscope can measure."""

    name: ClassVar[str]
    display_name: ClassVar[str]
    kind: ClassVar[RuntimeKind]
    CAN_LISTEN: ClassVar[bool] = False  # can serve the `http` workload
    SUPPORTS_FUEL: ClassVar[bool] = False
    SUPPORTS_DEADLINE: ClassVar[bool] = True
    IN_PROCESS: ClassVar[bool] = False
    # "native" / "container": ratios of a run are taken against this runtime (one of each kind).
    BASELINE_FOR: ClassVar[str] = ""

    # Can this adapter grant a Wasm guest a host directory (option `workdir`, as the guest's ".")?
    GRANTS_DIR: ClassVar[bool] = False

    # What `wasmscope doctor` checks and sets up for this runtime: names of its prerequisites
    # (workloads/setup/prerequisites.py). WHERE_INSTALLED: measured where the user installed
    # it, never set up by doctor (its doctor row is optional).
    NEEDS: ClassVar[tuple[str, ...]] = ()
    WHERE_INSTALLED: ClassVar[bool] = False

    def __init__(self, options: dict | None = None) -> None:
        self.options = dict(options or {})
        self._instances: list[Instance] = []

    # -- sandbox settings (`wasmscope sandbox`) --------------------------------------------------
    # Every benchmark runs guests with wasmscope's settings: a minimal environment, hardened
    # containers. Option `sandbox = "runtime-defaults"` runs them instead the way the runtime
    # does when a user starts it from a shell: the caller's whole environment, nothing granted,
    # no container hardening. Option `workdir` is the host directory a process runs in; with
    # wasmscope's settings an adapter that GRANTS_DIR also pre-opens it as the Wasm guest's ".".
    @property
    def runtime_defaults(self) -> bool:
        return self.options.get("sandbox") == "runtime-defaults"

    @property
    def workdir(self) -> str | None:
        wd = self.options.get("workdir")
        return str(wd) if wd else None

    @property
    def granted_dir(self) -> str | None:
        """The directory to pre-open for a Wasm guest, or None (not granted)."""
        return None if self.runtime_defaults else self.workdir

    def process_env(self) -> dict[str, str]:
        """The environment of a runtime process this adapter starts."""
        from .processes import child_env

        # the caller's environment for runtime defaults; child_env() on top of it only adds
        # wasmscope's own bookkeeping (PATH is the caller's anyway)
        return {**os.environ, **child_env()} if self.runtime_defaults else child_env()

    def _track(self, instance: Instance) -> Instance:
        """Remember a started instance so close() stops it."""
        self._instances.append(instance)
        return instance

    @abstractmethod
    def availability(self) -> Availability: ...

    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def mode(self) -> str:
        """How this runtime executes code here, e.g. 'AOT (Cranelift), epoch deadline'."""

    def supports(self, workload: Workload) -> str | None:
        """None when this runtime can run the workload, else the reason it cannot."""
        return None

    def prepare(self, workload: Workload) -> None:
        """Build or compile what the workload needs (untimed; results are cached)."""

    @abstractmethod
    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        """Run to exit. Raises GuestTimeout past the deadline, GuestFailed on a non-zero exit."""

    @abstractmethod
    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        """Start a long-running instance and return once it printed its ready line."""

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        """The equivalent shell command for the log (`docker run ...`, `wasmtime run ...`)."""
        return ""

    # -- quiet samples (measurements/quiet.py) ----------------------------------------------------
    def settled(self) -> bool:
        """Whether what the last run left behind is gone (a container the engine is still tearing
        down): the next sample, of any runtime, waits for it. Cheap; polled every few ms."""
        return True

    def bare_argv(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> list[str] | None:
        """The command one run executes, for the self-check's bare fork/exec reference (`bench
        --check`); None when a run is not one process of ours."""
        return None

    def helper_pids(self) -> list[int] | None:
        """Long-lived processes whose CPU is this adapter's runs' own (a warm worker), so it is not
        counted as another process's. None: a run's CPU is spent where it cannot be told from
        other processes' (a container engine), so a sample is judged only by the load at its start."""
        return []

    def close(self) -> None:
        """Release everything this adapter started (containers, worker processes)."""
        for inst in self._instances:
            inst.stop()
        self._instances.clear()


class WasmModuleAdapter(RuntimeAdapter):
    """A runtime that runs a workload's .wasm module; `NO_LISTEN` says why it cannot serve the
    http workload ("" when it can), `SHORT_NAME` names it in one-line errors, `WASI_PROVIDES`
    lists the import modules (WASI versions) it links, which a module's imports are checked against."""

    kind: ClassVar[RuntimeKind] = "wasm"
    SHORT_NAME: ClassVar[str] = ""
    NO_LISTEN: ClassVar[str] = ""
    WASI_PROVIDES: ClassVar[tuple[str, ...]] = (PREVIEW1,)

    def supports(self, workload: Workload) -> str | None:
        if workload.module is None:
            return f"workload {workload.name!r} has no .wasm module"
        if workload.network and self.NO_LISTEN:
            return self.NO_LISTEN
        return None

    def module_path(self, workload: Workload):
        """The module to run; WorkloadError (one line) when this runtime cannot run it or the
        file is not a core module whose imports it provides (checked once per file version)."""
        reason = self.supports(workload)
        if reason:
            raise WorkloadError(f"{self.SHORT_NAME or self.display_name} cannot run {workload.name}: {reason}")
        assert workload.module is not None
        if not workload.module.is_file():
            raise WorkloadError(f"{workload.module}: module file not found")
        check_module(workload.module, runtime=self.SHORT_NAME or self.display_name, provides=self.WASI_PROVIDES)
        return workload.module
