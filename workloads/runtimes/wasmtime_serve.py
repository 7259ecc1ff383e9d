"""`wasmtime serve` hosting a wasi:http component, in its allocator modes: the wasmtime CLI
adapter's component-host ability (the Platforms and I/O tables start it through the adapter).

The component itself is built in `guests/components/`; this is the process that hosts it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable

from ..errors import RuntimeUnavailable, WasmscopeError, WorkloadError
from ..guests.components.builder import BODY, component_path, componentize_py_version
from ..guests.module_check import check_module
from . import processes
from ..system.loopback import answers, free_port
from ..system.sessions import session_temp_dir
from ..system.tools import WASMTIME_CLI

POOLING_FLAGS = ["-O", "pooling-allocator=y,pooling-memory-keep-resident=67108864"]
REUSE_COUNT = 1000
MODES = ("default", "pooling", "reuse", "pooling+reuse")


def _cli_major(version: str) -> int:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else 0


def serve_flags(mode: str, cli_major: int) -> list[str]:
    """`wasmtime serve` flags for a mode; WasmscopeError if this CLI cannot do it."""
    if mode not in MODES:
        raise WasmscopeError(f"unknown serve mode {mode!r} (known: {', '.join(MODES)})")
    flags: list[str] = []
    if "pooling" in mode:
        flags += POOLING_FLAGS
    if "reuse" in mode:
        if cli_major < 49:
            raise WasmscopeError(f"serve mode {mode!r} needs --max-instance-reuse-count, which "
                                 f"wasmtime CLI {cli_major} lacks (49 has it)")
        flags += ["--max-instance-reuse-count", str(REUSE_COUNT)]
    return flags


def describe_mode(mode: str, cli_version_text: str, component: Path) -> str:
    size_mb = component.stat().st_size / 1e6
    instances = (f"instances reused for up to {REUSE_COUNT} requests (guest globals survive between them)"
                 if "reuse" in mode else "a fresh instance per request")
    alloc = ("pooling allocator (64 MiB kept resident per memory)" if "pooling" in mode
             else "on-demand allocator (no pooling)")
    return (f"wasmtime serve {cli_version_text}, mode {mode}: {instances}, {alloc}; "
            f"component in Python (componentize-py {componentize_py_version()}), {size_mb:.1f} MB")



class ServeInstance(processes.ProcessInstance):
    """A running `wasmtime serve` of the component: one process, host and guests together."""

    counts = ("RSS of the wasmtime serve process — the host with its compiled component and "
              "every live instance")

    def __init__(self, proc: subprocess.Popen, runtime: str, workload: str, command: str) -> None:
        super().__init__(proc, runtime, workload, command)
        self.host_port = 0
        self.mode = "default"
        self.mode_description = ""
        self.component: Path | None = None
        self._log: Path | None = None

    def stop(self) -> None:
        super().stop()
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None


def serve_component(cli: Path, *, port: int = 0, cpus: Iterable[int] | None = None,
                    mode: str = "default", ready_timeout_s: float = 60.0,
                    component: Path | None = None) -> ServeInstance:
    """Start `wasmtime serve -S cli=y --addr 127.0.0.1:PORT hello.wasm` and wait until it answers.

    `port=0` picks a free port; `cpus` pins the server (and its threads) to those CPUs. The
    first start of a component compiles it (~5 s) unless wasmtime's compile cache has it.
    """
    version = WASMTIME_CLI.probe(Path(cli), "given").version
    flags = serve_flags(mode, _cli_major(version))
    wasm = component or component_path()
    if not wasm.is_file():
        raise WorkloadError(f"{wasm}: component file not found")
    check_module(wasm, expect="component", runtime="wasmtime serve")
    port = port or free_port()
    args = ["serve", "-S", "cli=y", *flags, "--addr", f"127.0.0.1:{port}", str(wasm)]
    cpu_list = sorted(set(cpus)) if cpus is not None else None
    command = shlex.join(["wasmtime", *args[:-1], wasm.name])
    if cpu_list:
        command = f"taskset -c {','.join(map(str, cpu_list))} {command}"
    log_fd, log_name = tempfile.mkstemp(prefix="wasmtime-serve.", suffix=".log", dir=session_temp_dir())
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen([str(cli), *args], stdin=subprocess.DEVNULL, stdout=log_fd,
                                stderr=log_fd, env=processes.child_env(),
                                preexec_fn=processes.pinned_die_with_parent(cpu_list), start_new_session=True)
    except OSError as err:
        os.close(log_fd)
        os.unlink(log_name)
        raise RuntimeUnavailable(f"cannot start {cli}: {err}") from None
    os.close(log_fd)  # the child holds its own copy; nobody has to drain a pipe
    inst = ServeInstance(proc, "wasmtime-serve", "http", command)
    inst._log = Path(log_name)
    inst.host_port, inst.mode, inst.component = port, mode, wasm
    inst.mode_description = describe_mode(mode, version, wasm)
    try:
        _wait_until_answering(inst, ready_timeout_s)
    except BaseException:
        inst.stop()
        raise
    inst.started_ms = (time.perf_counter() - t0) * 1e3
    return inst


def _log_tail(inst: ServeInstance) -> str:
    if inst._log is None:
        return ""
    lines = [ln.strip() for ln in inst._log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _wait_until_answering(inst: ServeInstance, timeout_s: float) -> None:
    exited = (lambda code: f"wasmtime serve exited with code {code} before it "
                           f"answered: {_log_tail(inst) or 'no output'}")
    for status, body in answers(inst.proc, inst.host_port, timeout_s, 0.05, exited):
        if status:
            if status != 200 or body != BODY:
                raise WorkloadError(f"wasmtime serve answered {status} {body[:80]!r} instead of "
                                    f"200 {BODY!r}: {_log_tail(inst)}")
            text = inst._log.read_text(errors="replace") if inst._log else ""
            inst.ready_line = next((ln for ln in text.splitlines() if ln.startswith("Serving HTTP")),
                                   f"answering on 127.0.0.1:{inst.host_port}")
            return
    raise WorkloadError(f"wasmtime serve did not answer on 127.0.0.1:{inst.host_port} "
                        f"within {timeout_s:g} s")
