"""Node.js (V8) through `node:wasi`: a node process per run, as a JavaScript host meets Wasm.

The package ships one runner, `node_runner.mjs`: it compiles the module, instantiates it with
a `WASI({version: 'preview1'})` (argv passed through, empty environment, nothing pre-opened)
and runs `_start`, timing each phase inside node with `process.hrtime.bigint()`. It reports
them as one JSON line, the last on stderr, which this adapter parses and removes from the
guest's stderr. node runs with `--no-warnings` (node:wasi is still marked experimental).

Phases of a run: `spawn` (fork/exec), `host` (node's own start-up, loading the runner,
reading the module and exiting: the rest of the total), `compile`, `instantiate`, `run`.

V8 executes Wasm in tiers: Liftoff (baseline, fast to compile) then TurboFan (optimising)
for hot functions; in Node 20 (V8 11.3) compilation is also lazy (a function is compiled on
its first call). Option `tier`: `default` (V8's own dynamic tiering, as shipped — what the
figures measure unless named otherwise), `liftoff` (`--liftoff-only`) or `turbofan`
(`--no-liftoff`). There is no code cache between runs (a fresh process each time), no fuel
and no epoch deadline: a run past its deadline is killed. node:wasi cannot pre-open a socket,
so `http` is not supported (`NO_LISTEN`).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..guests.catalogue import Workload
from ..errors import GuestFailed, RuntimeUnavailable
from . import processes
from .base import Instance, RunResult
from .located import LocatedRuntime
from .options import Option

RUNNER = Path(__file__).with_name("node_runner.mjs")
REPORT_MARK = "wasmscope-node-runner "
MIN_MAJOR = 18  # node:wasi with `version: 'preview1'`
INSTALL_HINT = "run `wasmscope doctor --fix`, or install Node.js 18 or newer (Debian: apt-get install nodejs), or set the node option"
TIERS = {
    "default": ([], "default tiering: lazy compilation, Liftoff baseline on a function's first "
                    "call, hot functions tier up to TurboFan (measured as shipped)"),
    "liftoff": (["--liftoff-only"], "Liftoff baseline only (--liftoff-only): no TurboFan"),
    "turbofan": (["--no-liftoff"], "TurboFan only (--no-liftoff): optimised code from the first call, "
                                   "compiled lazily inside the run phase"),
}

NO_LISTEN_REASON = (
    "node:wasi cannot give a WASI preview 1 module a listening socket: WASI() pre-opens "
    "directories only and has no socket option, so the http workload finds no fd 3 to accept on")


@dataclass(frozen=True)
class FoundNode:
    path: Path
    version: str  # "20.20.2"
    v8: str  # "11.3.244.8-node.38"
    source: str  # "option node", "PATH"

    @property
    def major(self) -> int:
        head = self.version.split(".")[0]
        return int(head) if head.isdigit() else 0

    def describe(self) -> str:
        return f"Node.js {self.version}, V8 {self.v8} ({self.path}, from {self.source})"


_node_cache: dict[tuple[str, int, int], tuple[str, str]] = {}


def node_version(path: Path) -> tuple[str, str]:
    """(node version, V8 version) of a node binary; RuntimeUnavailable when it does not answer."""
    try:
        st = path.stat()
    except OSError as err:
        raise RuntimeUnavailable(f"{path}: {err.strerror or err}") from None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key in _node_cache:
        return _node_cache[key]
    try:
        out = subprocess.run([str(path), "-p", "process.versions.node + ' ' + process.versions.v8"],
                             capture_output=True, text=True, timeout=30, env=processes.child_env(),
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RuntimeUnavailable(f"{path} did not run: {err}") from None
    words = out.stdout.split()
    if out.returncode != 0 or len(words) != 2 or not words[0][:1].isdigit():
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeUnavailable(f"{path} did not answer like node (exit {out.returncode}): {last}")
    _node_cache[key] = (words[0], words[1])
    return words[0], words[1]


def split_report(stderr: str) -> tuple[dict | None, str]:
    """The runner's JSON report (None if it printed none) and the guest's own stderr."""
    lines = stderr.splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(REPORT_MARK):
            try:
                report = json.loads(lines[i][len(REPORT_MARK):])
            except ValueError:
                return None, stderr
            return report, "".join(lines[:i] + lines[i + 1:])
    return None, stderr


class NodeInstance(processes.ProcessInstance):
    """A long-running node process: the host and the guest at once."""

    counts = ("RSS of the node process — it is the host: V8 (JS heap, compiled code), libuv and "
              "the guest's linear memory together")


class NodeWasiAdapter(LocatedRuntime):
    name = "node"
    NEEDS = ("nodejs",)
    SHORT_NAME = "Node.js"
    NO_LISTEN = NO_LISTEN_REASON
    display_name = "Node.js (V8)"
    kind = "wasm"
    HINT = INSTALL_HINT
    PROGRAM_OPTION = "node"
    LOOKED_IN = "PATH (node, nodejs)"
    GRANTS_DIR = True  # WASI({preopens}) (no read-only mode: read-only grants are copies)
    PEAK_COUNTS = "peak RSS of the node process (wait4's ru_maxrss): V8, compiled code and linear memory"
    NO_MEMORY_LIMIT = ("none used: V8's --wasm-max-mem-pages exists, but node 20 here crashed (V8 fatal error or "
                       "SIGSEGV) while a node:wasi guest's memory grew, with or without it")
    OPTIONS = (
        Option("node", "path", "the node binary (default: node or nodejs on PATH)"),
        Option("tier", "choice", "V8's Wasm tiers: as shipped, Liftoff only, or TurboFan only",
               default="default", choices=tuple(TIERS)),
    )

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        node = self.options["node"]
        self.node_option: Path | None = Path(node) if node else None
        self.tier: str = self.options["tier"]

    # -- which node ----------------------------------------------------------------------------
    def _find(self) -> FoundNode:
        if self.node_option is not None:
            path, source = self.node_option, "option node"
        else:
            on_path = shutil.which("node") or shutil.which("nodejs")
            if on_path is None:
                raise RuntimeUnavailable("no node binary found on PATH")
            path, source = Path(on_path), "PATH"
        version, v8 = node_version(path)
        found = FoundNode(path, version, v8, source)
        if found.major < MIN_MAJOR:
            raise RuntimeUnavailable(f"{path} is Node.js {version}; node:wasi preview1 needs {MIN_MAJOR} or newer")
        if not RUNNER.is_file():
            raise RuntimeUnavailable(f"wasmscope's node runner is missing ({RUNNER}): reinstall wasmscope")
        return found

    def node(self) -> FoundNode:
        return self.located()

    # -- facts ---------------------------------------------------------------------------------
    def mode(self) -> str:
        found = self._locate()
        v8 = f"V8 {found.v8}" if found else "V8"
        return (f"{v8}, {TIERS[self.tier][1]}; a node process per run, no code cache; "
                "no fuel or epoch deadline (killed past the deadline)")

    # -- command lines -------------------------------------------------------------------------
    def _module(self, workload: Workload) -> Path:
        return self.module_path(workload)

    def _argv(self, node: str, runner: str, module: str, workload: Workload, args: Sequence[str]) -> list[str]:
        found = self._found
        # Node 18 still hides node:wasi behind a flag (20 dropped the need for it)
        legacy = ["--experimental-wasi-unstable-preview1"] if found is not None and found.major < 20 else []
        given = [f for g in self.grants(workload) for f in ("--preopen", f"{g.guest}={g.host}")]
        given += [f for k, v in self.guest_env(workload).items() for f in ("--env", f"{k}={v}")]
        return [node, "--no-warnings", *legacy, *TIERS[self.tier][0], runner, *given, module, *args]

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        module = workload.module.name if workload.module else "?"
        return shlex.join(self._argv("node", RUNNER.name, module, workload, args))

    # -- run to exit ---------------------------------------------------------------------------
    def bare_argv(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> list[str] | None:
        return self._argv(str(self.node().path), str(RUNNER), str(self._module(workload)), workload, args)

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        module = self._module(workload)
        argv = self._argv(str(self.node().path), str(RUNNER), str(module), workload, args)
        what = f"{workload.name} on {self.display_name}"
        res = processes.run_to_exit(argv, timeout_s=timeout_s, env=self.process_env(), cwd=self.workdir,
                                    stdin=workload.stdin, peak=self.measuring_peak, timeout_message=(
            f"{what} timed out after {timeout_s:g} s (killed: node:wasi has no deadline of its own)"))
        report, stderr = split_report(res.stderr)
        if res.returncode != 0 or report is None or "error" in report:
            raise GuestFailed(self._failure(what, res.returncode, report, stderr),
                              exit_code=res.returncode, output=res.stdout + stderr)
        inside = {k: float(report.get(f"{k}_ms", 0.0)) for k in ("compile", "instantiate", "run")}
        host = max(0.0, res.exited_ms - sum(inside.values()))
        return res.result({"spawn": res.spawn_ms, "host": host, **inside}, stderr=stderr)

    @staticmethod
    def _failure(what: str, code: int, report: dict | None, stderr: str) -> str:
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        if code < 0:
            return f"{what} killed by signal {-code}"
        if report is None:
            return f"{what}: node exited with code {code} without the runner's report: " \
                   f"{lines[-1] if lines else 'no stderr'}"
        if report.get("trap"):
            return f"{what} trapped: {report.get('error')}"
        if "error" in report:
            return f"{what} failed at {report.get('stage', '?')}: {report['error']}"
        return f"{what} exited with code {code}: {lines[-1] if lines else 'no stderr'}"

    # -- long-running --------------------------------------------------------------------------
    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        module = self._module(workload)
        argv = self._argv(str(self.node().path), str(RUNNER), str(module), workload, args)
        inst, _ = self._launch(NodeInstance, argv, workload, args, ready_timeout_s,
                               f"{workload.name} on {self.display_name}")
        return inst
