"""Child-process plumbing shared by process-based adapters.

Long-running children get PR_SET_PDEATHSIG so that a wasmscope killed with -9 never leaves
guests behind; every child carries the WASMSCOPE_OWNER marker, by which the next start or
`wasmscope clean` finds the ones that outlive us (run-to-exit children, grandchildren); and
RUST_BACKTRACE=0 so runtime errors stay one readable line.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import psutil

from ..system import sessions
from ..errors import GuestTimeout, WorkloadError
from .base import Instance, MemoryReading, RunResult

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def pinned_die_with_parent(cpus: list[int] | None):
    """A preexec_fn for a server started with its own Popen: die with us, pinned to `cpus`."""

    def run() -> None:  # runs in the child between fork and exec
        _die_with_parent()
        if cpus:
            os.sched_setaffinity(0, cpus)
    return run


def _child_limits(limit_as: int, die_with_parent: bool):
    """A preexec_fn: RLIMIT_AS (a ulimit -v: malloc fails past it), and die-with-parent."""

    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))
        if die_with_parent:
            _die_with_parent()

    return apply


def child_env() -> dict[str, str]:
    """A minimal environment for guests: nothing of the user's (no secrets leak into guests),
    only the owner marker by which a later wasmscope finds the child if we die (sessions.py)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RUST_BACKTRACE": "0",
            sessions.OWNER_ENV: sessions.owner_token()}


def spawn(argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
          die_with_parent: bool = True, limit_as: int | None = None, stdin: bool = False) -> subprocess.Popen:
    """Start a child with pipes in its own process group.

    `die_with_parent` (for long-running children) kills it if we die, but costs ~5 ms: a
    preexec_fn forces a full fork of this large process instead of vfork. Run-to-exit children,
    bounded by their deadline, skip it so native cold start is measured as ~0.6 ms, not 6.
    `limit_as` (bytes) sets RLIMIT_AS in the child, a preexec_fn as well: only when asked.
    """
    preexec = _die_with_parent if die_with_parent else None
    if limit_as is not None:
        preexec = _child_limits(limit_as, die_with_parent)

    def popen() -> subprocess.Popen:
        return subprocess.Popen(
            list(argv), stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env if env is not None else child_env(), cwd=cwd,
            preexec_fn=preexec, start_new_session=True,
        )

    if not die_with_parent or threading.current_thread() is threading.main_thread():
        return popen()
    # PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process: a
    # long-running child started from a short-lived worker thread (the app's workers) would be
    # killed with it. Fork those from one thread that lives as long as the process.
    return _forker().submit(popen).result()


_FORKER: ThreadPoolExecutor | None = None
_FORKER_LOCK = threading.Lock()


def _forker() -> ThreadPoolExecutor:
    global _FORKER
    with _FORKER_LOCK:
        if _FORKER is None:
            _FORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wasmscope-forker")
        return _FORKER


@dataclass(frozen=True)
class Exited:
    """A process run to exit: its code, output and the two timed phases (ms)."""

    returncode: int
    stdout: str
    stderr: str
    spawn_ms: float  # fork/exec until the child exists
    exited_ms: float  # from then until it exited and its pipes were drained
    max_rss: int | None = None  # the program's peak RSS in bytes (run_to_exit(peak=True))

    @property
    def total_ms(self) -> float:
        return self.spawn_ms + self.exited_ms

    def result(self, phases: dict[str, float] | None = None, stderr: str | None = None) -> RunResult:
        """As a successful RunResult: spawn and exited phases unless given, and the peak RSS."""
        return RunResult(self.returncode, self.stdout, self.stderr if stderr is None else stderr, self.total_ms,
                         phases if phases is not None else {"spawn": self.spawn_ms, "exited": self.exited_ms},
                         peak_rss=self.max_rss)


LAUNCHER_SOURCE = Path(__file__).with_name("peak_launcher.c")


def peak_launcher() -> Path:
    """The small static launcher that reports a program's own peak RSS (built once, cached)."""
    from ..guests.catalogue import Workload
    from ..guests.native_build import native_binary

    return Path(native_binary(Workload("peak-launcher", "wait4's ru_maxrss of a child", source=LAUNCHER_SOURCE)))


def run_to_exit(argv: Sequence[str], *, timeout_s: float, timeout_message: str,
                limit_as: int | None = None, env: dict[str, str] | None = None, cwd: str | None = None,
                stdin: bytes | None = None, peak: bool = False) -> Exited:
    """Spawn, wait with a deadline and time it. Past the deadline the process group is killed
    and GuestTimeout(timeout_message) raised; the caller reads the exit code its own way.
    `stdin` is written to the child's stdin (else it reads /dev/null). `peak`: started
    through the peak launcher, whose wait4() gives the program's own peak RSS (`max_rss`).
    posix_spawn where it can (spawn_direct.py), Popen where a cwd, an rlimit or stdin is needed."""
    from . import spawn_direct

    if peak:
        with tempfile.NamedTemporaryFile(prefix="wasmscope-peak-") as report:
            program = shutil.which(argv[0]) or argv[0]
            res = run_to_exit([str(peak_launcher()), report.name, program, *argv[1:]], timeout_s=timeout_s,
                              timeout_message=timeout_message, limit_as=limit_as, env=env, cwd=cwd, stdin=stdin)
            kib = Path(report.name).read_text().strip()
        return replace(res, max_rss=int(kib) * 1024 if kib.isdigit() else None)
    if stdin is None and spawn_direct.usable(argv, cwd, limit_as):
        direct = spawn_direct.run_direct(argv, env if env is not None else child_env(), timeout_s)
        if direct is None:
            raise GuestTimeout(timeout_message)
        return Exited(*direct)
    t0 = time.perf_counter_ns()
    proc = spawn(argv, env=env, cwd=cwd, die_with_parent=False, limit_as=limit_as, stdin=stdin is not None)
    t1 = time.perf_counter_ns()
    try:
        out, err = proc.communicate(input=stdin, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        terminate(proc, grace_s=0.5)
        raise GuestTimeout(timeout_message) from None
    except BaseException:  # Ctrl+C: the child, in its own session, never saw the SIGINT
        terminate(proc, grace_s=0.5)
        raise
    t2 = time.perf_counter_ns()
    return Exited(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"),
                  (t1 - t0) * 1e-6, (t2 - t1) * 1e-6)


def wait_for_line(proc: subprocess.Popen, prefix: str, timeout_s: float, what: str) -> str:
    """Read the child's stdout until a line starting with `prefix`; fail clearly otherwise.

    Returns every line read, the ready line last.
    """
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    buf = b""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise GuestTimeout(f"{what} printed no '{prefix}' line within {timeout_s:g} s")
            if not sel.select(timeout=remaining):
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
                proc.wait(timeout=5)
                last = err.splitlines()[-1] if err else "no output"
                raise WorkloadError(f"{what} exited with code {proc.returncode} before it was ready: {last}")
            buf += chunk
            lines = buf.decode(errors="replace").splitlines()
            for i, line in enumerate(lines):
                if line.startswith(prefix):
                    return "\n".join(lines[: i + 1])
    finally:
        sel.close()


def terminate(proc: subprocess.Popen, grace_s: float = 2.0) -> None:
    """SIGTERM the child's process group, then SIGKILL after `grace_s`."""
    if proc.poll() is None:
        for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def tree(pids: Sequence[int]) -> list[psutil.Process]:
    """The given processes and all their descendants that still exist."""
    out: list[psutil.Process] = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            out.append(p)
            out.extend(p.children(recursive=True))
        except psutil.Error:
            continue
    return out


def pids_with_argument(token: str) -> list[int]:
    """Processes whose command line holds `token` (e.g. the containerd-shim of a container id)."""
    found = []
    needle = token.encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                if needle in f.read():
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def running(pid: int) -> bool:
    """The process exists and has not exited (a zombie nobody reaped has exited)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def rss_uss(pids: Sequence[int], detailed: bool = True) -> tuple[int, int | None]:
    """Summed RSS and USS (bytes) of the processes and their descendants.

    With `detailed=False`: RSS of the given processes only, and no USS — a few µs instead of
    parsing smaps and scanning /proc, for sampling several times a second.
    """
    if not detailed:
        total = 0
        for pid in pids:
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.Error:
                continue
        return total, None
    rss, uss = 0, 0
    uss_ok = True
    for p in tree(pids):
        try:
            if uss_ok:
                info = p.memory_full_info()
                rss += info.rss
                uss += info.uss
            else:
                rss += p.memory_info().rss
        except psutil.AccessDenied:
            uss_ok = False
            rss += p.memory_info().rss
        except psutil.Error:
            continue
    return rss, (uss if uss_ok else None)


class ProcessInstance(Instance):
    """A long-running workload that is one local child process (and its descendants)."""

    counts = "RSS of the process"

    def __init__(self, proc: subprocess.Popen, runtime: str, workload: str, command: str) -> None:
        self.proc = proc
        self.runtime = runtime
        self.workload = workload
        self._command = command

    def pids(self) -> list[int]:
        return [self.proc.pid]

    def memory(self, detailed: bool = True) -> MemoryReading:
        rss, uss = rss_uss(self.pids(), detailed)
        return MemoryReading(instance_rss=rss, instance_uss=uss, counts=self.counts)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        terminate(self.proc)

    def command_line(self) -> str:
        return self._command


class HostedInstance(ProcessInstance):
    """A guest in a worker process of ours (Python host + runtime + one instance). The worker
    prints `wasmscope-host {"rss": N}` just before the guest exists, so the host's own memory is
    told apart from the instance's."""

    host_rss = 0
    counts = "worker RSS minus the host measured just before the guest existed"

    def read_host(self, printed: str, host: str) -> None:
        """Take host_rss from the worker's announcement in what it printed up to its ready
        line; `host` says what that was (e.g. "the Python+wasm3 host measured just before ...")."""
        for line in printed.splitlines():
            if line.startswith("wasmscope-host "):
                self.host_rss = int(json.loads(line.split(" ", 1)[1])["rss"])
        self.counts = f"worker RSS minus {host}"

    def memory(self, detailed: bool = True) -> MemoryReading:
        rss, _ = rss_uss(self.pids(), detailed)
        return MemoryReading(instance_rss=max(0, rss - self.host_rss), overhead_rss=self.host_rss,
                             counts=self.counts)


def launch(instance_cls: type[ProcessInstance], argv: Sequence[str], *, runtime: str, workload: str,
           command: str, ready_prefix: str, ready_timeout_s: float, what: str,
           env: dict[str, str] | None = None, cwd: str | None = None) -> tuple[ProcessInstance, str]:
    """Start a child that dies with us and wait for its ready line; returns it and what it printed."""
    t0 = time.perf_counter()
    proc = spawn(argv, env=env, cwd=cwd)
    inst = instance_cls(proc, runtime, workload, command)
    try:
        text = wait_for_line(proc, ready_prefix, ready_timeout_s, f"{what} (pid {proc.pid})")
    except BaseException:
        inst.stop()
        raise
    inst.started_ms = (time.perf_counter() - t0) * 1e3
    inst.ready_line = text.splitlines()[-1]
    return inst, text
