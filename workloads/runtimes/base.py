"""The one small interface every runtime adapter implements.

Optional abilities are class attributes paired with the method that uses them, read by the
measurements and front ends instead of runtime names; options are declared as data
(`options.py`). Adding a runtime is one new file plus one line in `runtimes/__init__.py`.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Iterator, Literal, Sequence

from ..guests.catalogue import Workload
from ..errors import RuntimeUnavailable, WorkloadError
from ..guests.module_check import PREVIEW1, check_module
from ..guests.run_spec import Grant
from .options import Option, validate as validate_options

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
    peak_rss: int | None = None  # bytes, what the adapter's PEAK_COUNTS says; None = not measured
    output: dict = field(default_factory=dict)  # what the run produced, hashed (measurements/outputs.py)
    notes: dict = field(default_factory=dict)  # facts about this run's conditions (first run, cache)


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
    """A runtime wasmscope can measure.

    Optional abilities are class attributes paired with the method that uses them, and the
    front ends read them instead of runtime names: `NO_LISTEN` (through `listen_reason()`, read
    by `supports()`), `GRANTS_DIR` (`supports()` refuses directories without it), `SPAWNER` (the
    I/O table's per-request row), `COMPONENT_HOST` (`serve_component()`), `host_network_variant()`,
    `many_instance_module()` (density), `MEMORY_LIMIT`/`MEMORY_LIMIT_OPTION` (misbehave),
    `IN_PROCESS`, `INSTANCE_WORD` and `CHART_NAME` (labels). Options are declared in `OPTIONS`.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    kind: ClassVar[RuntimeKind]
    # The guest runs inside a wasmscope host process (in-process or a warm worker): memory
    # growth is sampled there, and the sandbox matrix says the host is wasmscope's.
    IN_PROCESS: ClassVar[bool] = False
    # "native" / "container": ratios of a run are taken against this runtime (one of each kind).
    BASELINE_FOR: ClassVar[str] = ""
    # Why this runtime cannot serve a listening workload (`http`); "" when it can. Read through
    # listen_reason() (an adapter whose answer depends on the binary found overrides that).
    NO_LISTEN: ClassVar[str] = ""
    # Can this adapter grant a guest host directories (a workload's `dirs`, option `workdir`)?
    # READ_ONLY_DIRS: it keeps a read-only grant read-only (else the guest gets a scratch copy).
    GRANTS_DIR: ClassVar[bool] = False
    READ_ONLY_DIRS: ClassVar[bool] = False
    # Can it give a guest environment variables, and bytes on its stdin (a workload's env, stdin)?
    PASSES_ENV: ClassVar[bool] = True
    TAKES_STDIN: ClassVar[bool] = True
    # Peak RSS of a run to exit (RunResult.peak_rss): what the figure counts, "" = not measured.
    PEAK_COUNTS: ClassVar[str] = ""
    # The compile cache runs are served from, in words ("" = no compile step, or one on every
    # run); first_run() times a run as on a machine whose cache never held the module.
    COMPILE_CACHE: ClassVar[str] = ""
    # The per-request spawner (serving/spawners.py) that makes this runtime's instances in the
    # I/O table's per-request model; "" = no per-request row.
    SPAWNER: ClassVar[str] = ""
    # Serves wasi:http components (serve_component(): the I/O table's and platforms' rows).
    COMPONENT_HOST: ClassVar[bool] = False
    # What one running instance is, in one word, where a label is short ("RSS per process").
    INSTANCE_WORD: ClassVar[str] = "process"
    # A short name under a chart's bars ("" = the registry name).
    CHART_NAME: ClassVar[str] = ""
    # How option MEMORY_LIMIT_OPTION caps a guest's memory, in words ("" = this runtime has no
    # knob; NO_MEMORY_LIMIT says why).
    MEMORY_LIMIT: ClassVar[str] = ""
    NO_MEMORY_LIMIT: ClassVar[str] = "none known to wasmscope"
    MEMORY_LIMIT_OPTION: ClassVar[str] = "memory_limit_mib"

    # What `wasmscope doctor` checks and sets up for this runtime: names of its prerequisites
    # (workloads/setup/prerequisites.py). WHERE_INSTALLED: measured where the user installed
    # it, never set up by doctor (its doctor row is optional).
    NEEDS: ClassVar[tuple[str, ...]] = ()
    WHERE_INSTALLED: ClassVar[bool] = False

    # Options every adapter takes, then each adapter's own (`OPTIONS`).
    COMMON_OPTIONS: ClassVar[tuple[Option, ...]] = (
        Option("memory_limit_mib", "int", "the guest's memory limit in MiB where the runtime has a knob "
               "(MEMORY_LIMIT); unset = the adapter's default", minimum=1),
        Option("sandbox", "choice", "wasmscope: minimal environment, hardened containers; runtime-defaults: "
               "as a user starts it from a shell", default="wasmscope", choices=("wasmscope", "runtime-defaults")),
        Option("workdir", "path", "the host directory a process runs in; with wasmscope's settings an "
               "adapter that GRANTS_DIR also grants it to the guest as \".\""),
        Option("sweep", "flag", "on first contact, remove what dead runs left (their containers); off when "
               "only looking (`wasmscope doctor`)", default=True),
    )
    OPTIONS: ClassVar[tuple[Option, ...]] = ()

    @classmethod
    def all_options(cls) -> tuple[Option, ...]:
        return cls.COMMON_OPTIONS + cls.OPTIONS

    def __init__(self, options: dict | None = None) -> None:
        self.options: dict[str, Any] = validate_options(self.name, self.all_options(), options)
        self._instances: list[Instance] = []
        self.first_runs: dict[str, dict] = {}  # workload → its first run on an empty cache (outputs.py)
        self.measuring_peak = False  # runs report their peak RSS (RunResult.peak_rss): see peak_measured()

    @contextmanager
    def peak_measured(self) -> Iterator[None]:
        """Runs inside report the program's own peak RSS where the adapter can (PEAK_COUNTS):
        a process-per-run adapter then starts it through a small launcher (~1 ms more)."""
        self.measuring_peak = True
        try:
            yield
        finally:
            self.measuring_peak = False

    # -- sandbox settings (`wasmscope sandbox`) --------------------------------------------------
    # Every benchmark runs guests with wasmscope's settings: a minimal environment, hardened
    # containers. Option `sandbox = "runtime-defaults"` runs them instead the way the runtime
    # does when a user starts it from a shell: the caller's whole environment, nothing granted,
    # no container hardening. Option `workdir` is the host directory a process runs in; with
    # wasmscope's settings an adapter that GRANTS_DIR also pre-opens it as the Wasm guest's ".".
    @property
    def runtime_defaults(self) -> bool:
        return self.options["sandbox"] == "runtime-defaults"

    @property
    def workdir(self) -> str | None:
        return self.options["workdir"]

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

    def _launch(self, instance_cls: type, argv: Sequence[str], workload: Workload, args: Sequence[str],
                ready_timeout_s: float, what: str, **where: Any) -> tuple[Any, str]:
        """Start a long-running guest as a child process (an instance_cls, tracked), its shown
        command this adapter's command_line; it and what it printed up to its ready line.
        `where`: the child's env and cwd."""
        from .processes import launch

        inst, text = launch(instance_cls, argv, runtime=self.name, workload=workload.name,
                            command=self.command_line(workload, args), ready_prefix=workload.ready or "ready",
                            ready_timeout_s=ready_timeout_s, what=what, **where)
        self._track(inst)
        return inst, text

    @abstractmethod
    def availability(self) -> Availability: ...

    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def mode(self) -> str:
        """How this runtime executes code here, e.g. 'AOT (Cranelift), epoch deadline'."""

    # -- what it can run -----------------------------------------------------------------------
    def supports(self, workload: Workload) -> str | None:
        """None when this runtime can run the workload, else the reason it cannot: its
        artifacts (cannot_run), a listening socket (listen_reason)."""
        reason = self.cannot_run(workload)
        if reason:
            return reason
        if workload.network and (why := self.listen_reason()):
            return why
        if workload.dirs and not self.GRANTS_DIR:
            return f"{self.display_name} cannot grant a host directory to a guest (the workload needs {workload.dirs[0].words()})"
        if workload.env and not self.PASSES_ENV:
            return f"{self.display_name} cannot give a guest environment variables"
        if workload.stdin is not None and not self.TAKES_STDIN:
            return f"{self.display_name} cannot give a guest bytes on its stdin"
        return None

    def grants(self, workload: Workload) -> list[Grant]:
        """The host directories a guest is granted: the workload's own `dirs`, then (wasmscope's
        settings) the option `workdir` as ".". An adapter maps each to its own mechanism."""
        # a fresh directory is made per run (measurements/outputs.py); before that, only named
        own = [g if g.host is not None else Grant(Path("<fresh-dir>"), g.guest, g.writable) for g in workload.dirs]
        sandbox = self.kind == "wasm" and self.granted_dir  # a process or container just runs there
        return own + ([Grant(Path(self.granted_dir), ".", True)] if sandbox else [])

    def guest_env(self, workload: Workload) -> dict[str, str]:
        """The guest's own environment variables (the workload's `env`)."""
        return dict(workload.env)

    def cannot_run(self, workload: Workload) -> str | None:
        """Why this runtime has nothing to run the workload from (no module, image, source)."""
        return None

    def listen_reason(self) -> str:
        """Why this runtime cannot serve a listening workload; "" when it can."""
        return self.NO_LISTEN

    def listen_address(self) -> tuple[str, str] | None:
        """(port, host) a server started here binds, or None when the runtime hands the guest a
        pre-opened socket. A host process picks any free port on loopback."""
        return ("0", "127.0.0.1")

    def server_args(self, workload: Workload) -> list[str]:
        """The arguments of a listening workload on this runtime: its own, then its
        `listen_args` with {port} and {host} filled in where the guest binds the address itself."""
        address = self.listen_address()
        if address is None:
            return list(workload.args)
        port, host = address
        if port == "0" and not workload.builtin:  # a program of your own may not take port 0
            from ..system.loopback import free_port

            port = str(free_port())
        return [*workload.args, *(a.replace("{port}", port).replace("{host}", host) for a in workload.listen_args)]

    # -- optional abilities ------------------------------------------------------------------------
    def host_network_variant(self) -> "RuntimeAdapter | None":
        """The same runtime serving on the host's network stack (a row of its own in the I/O
        table), or None when it has no such mode."""
        return None

    def serve_component(self, component: Path, *, cpus: set[int] | None = None, mode: str = "default"):
        """Start a host serving a wasi:http component (COMPONENT_HOST adapters): an instance
        with `host_port`, `mode_description`, `started_ms`, `pids()`, `stop()`."""
        raise WorkloadError(f"{self.display_name} does not serve wasi:http components")

    def many_instance_module(self, workload: Workload) -> Path | None:
        """A compiled module one host process can instantiate many times (density's "one host,
        many instances" model), or None: then each instance is a process or container."""
        return None

    def prepare(self, workload: Workload) -> None:
        """Build or compile what the workload needs (untimed; results are cached)."""

    def compile_cache(self) -> str:
        """The compile cache runs are served from, in words; "" when there is none."""
        return self.COMPILE_CACHE

    def evict(self, workload: Workload) -> None:
        """Drop the workload's compiled artifact from this adapter's own cache."""

    def first_run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult | None:
        """One run as on a machine that never ran this module: the compile (prepare() on an
        emptied cache) is included, as phase "compile". None when COMPILE_CACHE is empty."""
        if not self.compile_cache():
            return None
        import time

        self.evict(workload)
        t0 = time.perf_counter()
        self.prepare(workload)
        compile_ms = (time.perf_counter() - t0) * 1e3
        res = self.run(workload, args, timeout_s=timeout_s)
        return replace(res, total_ms=res.total_ms + compile_ms, phases={"compile": compile_ms, **res.phases})

    @abstractmethod
    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        """Run to exit. Raises GuestTimeout past the deadline, GuestFailed on a non-zero exit."""

    @abstractmethod
    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        """Start a long-running instance and return once it printed its ready line."""

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        """The equivalent shell command for the log (`docker run ...`, `wasmtime run ...`)."""
        return ""

    def runs_on(self) -> str:
        """'' when this adapter's guests run on this machine; else where they run (a container
        engine on another machine): its figures are then never put in a ratio with this machine's."""
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
    """A runtime that runs a workload's .wasm module; `SHORT_NAME` names it in one-line errors,
    `WASI_PROVIDES` lists the import modules (WASI versions) it links, which a module's imports
    are checked against."""

    kind: ClassVar[RuntimeKind] = "wasm"
    SHORT_NAME: ClassVar[str] = ""
    WASI_PROVIDES: ClassVar[tuple[str, ...]] = (PREVIEW1,)

    def cannot_run(self, workload: Workload) -> str | None:
        if workload.module is None:
            return f"workload {workload.name!r} has no .wasm module"
        return None

    def listen_address(self) -> tuple[str, str] | None:
        return None  # a Wasm runtime that listens hands the guest a pre-opened socket

    def available_module(self, workload: Workload) -> Path:
        """module_path, after checking the runtime itself is here (RuntimeUnavailable naming the
        fix when it is not)."""
        module = self.module_path(workload)
        avail = self.availability()
        if not avail.ok:
            raise RuntimeUnavailable(f"{self.name}: {avail.reason}; {avail.hint}")
        return module

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
