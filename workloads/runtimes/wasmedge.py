"""WasmEdge CLI: `wasmedge` as a process per run, AOT-compiled with `wasmedge compile` by default.

WasmEdge cannot be installed from the package registries here (the PyPI/npm packages of that
name are empty placeholders; Debian has no package), so this adapter only finds it: option
`cli`, `$WASMSCOPE_WASMEDGE`, PATH, then `~/.wasmedge/bin` (where the official installer
puts it, with its libraries in `~/.wasmedge/lib`). Without it, availability is False with the
installer command as the hint.

Modes: `aot=True` (default) compiles the module once (`wasmedge compile x.wasm x.so`, untimed,
cached in wasmscope's cache dir) and runs the shared object; `aot=False` runs the `.wasm` in
WasmEdge's interpreter. Deadline: `--time-limit MS` (WasmEdge cancels the run), and the
process is killed a little later if it hangs itself.

The command construction and the parsing of WasmEdge's exit status and `[error]` log lines are
pure functions, tested without the binary.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Mapping, Sequence

from ..guests.catalogue import Workload
from ..errors import GuestFailed, GuestTimeout, RuntimeUnavailable, WorkloadError
from . import processes
from ..guests.run_spec import Grant
from .base import Availability, Instance, RunResult, WasmModuleAdapter
from .options import Option

ENV_VAR = "WASMSCOPE_WASMEDGE"
INSTALLER_URL = "https://raw.githubusercontent.com/WasmEdge/WasmEdge/master/utils/install.sh"
INSTALL_HINT = f"curl -sSf {INSTALLER_URL} | bash  (then: source $HOME/.wasmedge/env)"
KILL_GRACE_S = 5.0  # after --time-limit, before the process is killed from outside


# -- pure functions: finding, command lines, outcomes -------------------------------------------

def find_wasmedge(option: str | os.PathLike | None = None, *, env: Mapping[str, str] | None = None,
                  home: Path | None = None) -> tuple[Path | None, str]:
    """The wasmedge binary and where it was found, or (None, where we looked)."""
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    if option:
        path = Path(option).expanduser()
        return (path, "option cli") if os.access(path, os.X_OK) else (None, f"option cli={path} (not executable)")
    candidates: list[tuple[str | None, str]] = [
        (env.get(ENV_VAR), f"${ENV_VAR}"),
        (shutil.which("wasmedge", path=env.get("PATH", "")), "PATH"),
        (str(home / ".wasmedge" / "bin" / "wasmedge"), "~/.wasmedge/bin"),
    ]
    for value, source in candidates:
        if value and os.access(value, os.X_OK) and Path(value).is_file():
            return Path(value), source
    return None, f"${ENV_VAR}, PATH, {home / '.wasmedge' / 'bin'}"


def parse_version(text: str) -> str | None:
    """'wasmedge version 0.14.1' (or '... 0.15.0-alpha.3-27-g5e1ce268') → the version."""
    m = re.search(r"\bwasmedge version (\S+)", text)
    return m.group(1) if m else None


def run_env(cli: Path, base: Mapping[str, str]) -> dict[str, str]:
    """The child environment: an installer-layout binary finds its libraries via ../lib."""
    env = dict(base)
    libs = [str(d) for d in (cli.parent.parent / "lib", cli.parent.parent / "lib64") if d.is_dir()]
    if libs and cli.parent.name == "bin":
        env["LD_LIBRARY_PATH"] = ":".join([*libs, *filter(None, [env.get("LD_LIBRARY_PATH")])])
    return env


def run_argv(cli: str, module: str, args: Sequence[str] = (), *, timeout_s: float | None = None,
             memory_pages: int | None = None, grants: Sequence[Grant] = (),
             env: Mapping[str, str] | None = None) -> list[str]:
    """`wasmedge [--time-limit MS] [--memory-page-limit N] [--dir GUEST:HOST[:readonly]]
    [--env K=V] MODULE ARGS...` (command mode)."""
    argv = [cli]
    argv += [f for g in grants for f in ("--dir", f"{g.guest}:{g.host}{'' if g.writable else ':readonly'}")]
    argv += [f for k, v in (env or {}).items() for f in ("--env", f"{k}={v}")]
    if timeout_s is not None:
        argv += ["--time-limit", str(max(1, int(timeout_s * 1000)))]
    if memory_pages is not None:
        argv += ["--memory-page-limit", str(memory_pages)]
    return [*argv, module, *args]


def compile_argv(cli: str, module: str, output: str) -> list[str]:
    """`wasmedge compile IN.wasm OUT.so` (the AOT compiler; `wasmedgec` before 0.13)."""
    return [cli, "compile", module, output]


OutcomeKind = Literal["ok", "exit", "trap", "timeout", "invalid", "signal"]
_LOG_PREFIX = re.compile(r"^\[[^\]]*\]\s*\[(error|warning|info)\]\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    code: int
    message: str = ""


def error_lines(stderr: str) -> list[str]:
    """WasmEdge's `[date] [error] message` log lines, without their prefixes."""
    out = []
    for line in stderr.splitlines():
        m = _LOG_PREFIX.match(line.strip())
        if m and m.group(1).lower() == "error":
            out.append(line.strip()[m.end():].strip())
    return out


def classify(returncode: int, stderr: str, *, elapsed_s: float | None = None,
             timeout_s: float | None = None) -> Outcome:
    """What a finished `wasmedge` process means.

    WasmEdge returns the guest's WASI exit code when the guest exits (or returns from
    `_start`), and 1 with `[error]` lines when it traps or the module cannot be loaded,
    validated or instantiated. A run cancelled by --time-limit fails with "execution
    interrupted" (0x0007), which some versions do not log: a failure with no error line at
    (or past) the deadline counts as a timeout too.
    """
    if returncode < 0:
        return Outcome("signal", returncode, f"killed by signal {-returncode}")
    errors = error_lines(stderr)
    if returncode == 0 and not errors:
        return Outcome("ok", 0)
    at_deadline = elapsed_s is not None and timeout_s is not None and elapsed_s >= 0.95 * timeout_s
    if not errors:
        if returncode == 1 and at_deadline:
            return Outcome("timeout", returncode, "execution interrupted")
        last = stderr.strip().splitlines()[-1].strip() if stderr.strip() else "no stderr"
        return Outcome("exit", returncode, last)
    reason = re.sub(r",\s*Code:\s*0x[0-9a-fA-F]+\s*$", "", errors[0])
    m = re.match(r"(execution|loading|validation|instantiation) failed:\s*(.*)", reason)
    stage, what = (m.group(1), m.group(2).strip()) if m else ("", reason)
    if "interrupted" in what:  # --time-limit cancelled the run
        return Outcome("timeout", returncode, what)
    if stage == "execution":
        return Outcome("trap", returncode, what)
    if stage:
        return Outcome("invalid", returncode, f"{stage} failed: {what}")
    return Outcome("trap", returncode, reason)


def raise_for(outcome: Outcome, what: str, timeout_s: float, output: str = "") -> None:
    """Turn a non-ok outcome into wasmscope's typed error (one line)."""
    if outcome.kind == "ok":
        return
    if outcome.kind == "timeout":
        raise GuestTimeout(f"{what} timed out after {timeout_s:g} s (stopped by --time-limit)")
    if outcome.kind == "invalid":
        raise WorkloadError(f"{what}: {outcome.message}")
    if outcome.kind == "trap":
        raise GuestFailed(f"{what} trapped: {outcome.message}", exit_code=outcome.code, output=output)
    if outcome.kind == "signal":
        raise GuestFailed(f"{what} {outcome.message}", exit_code=outcome.code, output=output)
    raise GuestFailed(f"{what} exited with code {outcome.code}: {outcome.message}",
                      exit_code=outcome.code, output=output)


# -- the adapter ---------------------------------------------------------------------------------

class WasmEdgeInstance(processes.ProcessInstance):
    counts = ("RSS of the wasmedge process — it is the host: runtime, compiled code and the "
              "guest's linear memory together")


class WasmEdgeAdapter(WasmModuleAdapter):
    name = "wasmedge"
    WHERE_INSTALLED = True  # no apt or PyPI package: doctor does not set it up
    SHORT_NAME = "WasmEdge"
    NO_LISTEN = ("the wasmedge CLI cannot pre-open a listening socket for a WASI preview 1 "
                    "module (its sockets are the WasmEdge socket extension)")
    display_name = "WasmEdge"
    kind = "wasm"
    GRANTS_DIR = True  # --dir GUEST:HOST[:readonly]
    READ_ONLY_DIRS = True
    PEAK_COUNTS = "peak RSS of the wasmedge process (wait4's ru_maxrss)"
    MEMORY_LIMIT = "--memory-page-limit (64 KiB pages): memory.grow fails past it"
    OPTIONS = (
        Option("cli", "path", "the wasmedge binary (default: $WASMSCOPE_WASMEDGE, PATH, ~/.wasmedge/bin)"),
        Option("aot", "flag", "`wasmedge compile` once and run the shared object (off: the interpreter)",
               default=True),
    )

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.cli_option = self.options["cli"]
        self.aot: bool = self.options["aot"]
        # --memory-page-limit from option memory_limit_mib (64 KiB pages): memory.grow fails past it
        limit = self.options["memory_limit_mib"]
        self.memory_pages: int | None = limit * 16 if limit is not None else None
        self._found: Path | None = None
        self._where = ""
        self._version: str | None = None

    def _locate(self) -> Path | None:
        if self._found is None:
            self._found, self._where = find_wasmedge(self.cli_option)
        return self._found

    def cli(self) -> Path:
        found = self._locate()
        if found is None:
            raise RuntimeUnavailable(f"wasmedge not found (looked in: {self._where}); install it: {INSTALL_HINT}")
        return found

    def _env(self) -> dict[str, str]:
        return run_env(self.cli(), processes.child_env())

    # -- facts -----------------------------------------------------------------------------
    def availability(self) -> Availability:
        found = self._locate()
        if found is None:
            return Availability(False, f"wasmedge not found (looked in: {self._where}); it has no "
                                "pip or npm package (those names are empty placeholders)", INSTALL_HINT)
        if self._read_version() is None:
            return Availability(False, f"{found} did not answer `--version` like wasmedge", INSTALL_HINT)
        return Availability(True)

    def _read_version(self) -> str | None:
        if self._version is None and self._locate() is not None:
            try:
                proc = subprocess.run([str(self.cli()), "--version"], capture_output=True, text=True,
                                      timeout=10, env=self._env(), stdin=subprocess.DEVNULL)
                self._version = parse_version(proc.stdout + proc.stderr)
            except (OSError, subprocess.TimeoutExpired):
                self._version = None
        return self._version

    def version(self) -> str:
        found = self._locate()
        if found is None:
            return "wasmedge not found"
        return f"wasmedge {self._read_version() or '?'} ({found})"

    def mode(self) -> str:
        if self.aot:
            return ("AOT (LLVM, `wasmedge compile` once, cached; the .so is loaded per run); "
                    "a wasmedge process per run; --time-limit deadline")
        return "interpreter (WasmEdge's default for a plain .wasm); a wasmedge process per run; --time-limit deadline"

    # -- artifacts -------------------------------------------------------------------------
    def _module(self, workload: Workload) -> Path:
        return self.module_path(workload)

    def _aot_path(self, module: Path) -> Path:
        from ..system.paths import cache_dir

        digest = hashlib.sha256(module.read_bytes()).hexdigest()[:16]
        tag = re.sub(r"[^A-Za-z0-9.]+", "_", self._read_version() or "unknown")
        return cache_dir() / "wasmedge" / tag / f"{module.stem}-{digest}.so"

    def _artifact(self, workload: Workload) -> Path:
        module = self._module(workload)
        cli = self.cli()
        if not self.aot:
            return module
        out = self._aot_path(module)
        if out.is_file():
            return out
        from ..system.paths import cache_writes, check_cache_after_failure

        with cache_writes(f"the WasmEdge AOT artifact of {module.name}"):
            out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(f".tmp{os.getpid()}.so")
        proc = subprocess.run(compile_argv(str(cli), str(module), str(tmp)), capture_output=True, text=True,
                              env=self._env(), stdin=subprocess.DEVNULL, timeout=600)
        if proc.returncode != 0 or not tmp.is_file():
            tmp.unlink(missing_ok=True)
            check_cache_after_failure(f"the WasmEdge AOT artifact of {module.name}")
            errs = error_lines(proc.stderr) or proc.stderr.strip().splitlines() or ["no output"]
            raise WorkloadError(f"wasmedge compile {module.name} failed: {errs[-1]}")
        os.replace(tmp, out)
        return out

    def prepare(self, workload: Workload) -> None:
        self._artifact(workload)

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        module = workload.module.name if workload.module else "?"
        target = f"{Path(module).stem}.so" if self.aot else module
        run = shlex.join(run_argv("wasmedge", target, args, grants=self.grants(workload), env=self.guest_env(workload)))
        return f"wasmedge compile {module} {target} && {run}" if self.aot else run

    # -- run to exit -----------------------------------------------------------------------
    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        artifact = self._artifact(workload)
        argv = run_argv(str(self.cli()), str(artifact), args, timeout_s=timeout_s, memory_pages=self.memory_pages,
                        grants=self.grants(workload), env=self.guest_env(workload))
        what = f"{workload.name} on WasmEdge"
        res = processes.run_to_exit(argv, env=self._env(), timeout_s=timeout_s + KILL_GRACE_S, stdin=workload.stdin, peak=self.measuring_peak,
                                    timeout_message=f"{what} timed out after {timeout_s:g} s (killed)")
        outcome = classify(res.returncode, res.stderr, elapsed_s=res.total_ms * 1e-3, timeout_s=timeout_s)
        raise_for(outcome, what, timeout_s, res.stdout + res.stderr)
        return res.result()

    # -- long-running ----------------------------------------------------------------------
    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        artifact = self._artifact(workload)
        argv = run_argv(str(self.cli()), str(artifact), args, grants=self.grants(workload), env=self.guest_env(workload))
        # processes.launch uses the minimal child env; the installer layout needs LD_LIBRARY_PATH
        lib = self._env().get("LD_LIBRARY_PATH")
        if lib:
            argv = ["env", f"LD_LIBRARY_PATH={lib}", *argv]
        inst, _ = self._launch(WasmEdgeInstance, argv, workload, args, ready_timeout_s,
                               f"{workload.name} on WasmEdge")
        return inst
