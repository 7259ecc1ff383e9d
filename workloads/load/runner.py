"""run_load: run a generator as a child process, pinned and bounded, and measure its CPU.

* The child is started with the calling thread's affinity set to `cpus` (a forked child
  inherits it, so it never runs elsewhere, not even briefly), then `pin_process_tree` pins it,
  its threads and its children once more.
* CPU: user+sys of the child and its waited-for children. For the built-in generator it is
  sampled with psutil when the child reports the end of its warm-up and again when it prints
  its summary (so Python's start-up is not counted); for wrk it is the rusage `wait4` returns
  over the whole measured run (wrk prints nothing before the end). Percent of ONE core.
* generator_bound: the child used >= 90 % of the cores it could use, i.e. of
  min(cores allowed, its threads) — one for the built-in generator, `-t` for wrk.
* Bounded: a child still running warm-up + duration + timeout + 5 s after it started is killed
  (LoadError). When `cancel` is set the child is killed and LoadCancelled (a LoadError whose
  message is "cancelled") is raised: no partial summary.
* on_tick is called on the calling thread, every 0.5 s of the measured part, by the built-in
  generator only (wrk reports nothing until it ends).
"""

from __future__ import annotations

import json
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Callable

import psutil

from .pinning import pin_process_tree, usable_cpus
from .spec import LoadCancelled, LoadError, LoadSpec, validate
from .summary import LoadSummary, Tick
from .wrk import find_wrk, parse_wrk_output, wrk_command, wrk_version

GRACE_S = 5.0
BOUND_FRACTION = 0.90
_POLL_S = 0.02


def is_generator_bound(cpu_pct: float | None, cores: int) -> bool:
    """True when `cpu_pct` (% of one core) is >= 90 % of `cores` cores."""
    return cpu_pct is not None and cores >= 1 and cpu_pct >= BOUND_FRACTION * 100.0 * cores


def choose_generator(spec: LoadSpec) -> str:
    """"wrk" or "builtin" for this spec (after validate); LoadError if wrk is asked but absent."""
    if spec.generator == "wrk":
        if find_wrk() is None:
            raise LoadError("generator: wrk requested but not installed "
                            "(apt-get install wrk, or use 'builtin')")
        return "wrk"
    if spec.generator == "builtin" or spec.mode == "fixed-rate":
        return "builtin"
    return "wrk" if find_wrk() else "builtin"


def _cpu_of(pid: int) -> float | None:
    try:
        t = psutil.Process(pid).cpu_times()
    except (psutil.Error, OSError):
        return None
    return t.user + t.system + getattr(t, "children_user", 0.0) + getattr(t, "children_system", 0.0)


class _Child:
    """A generator process in its own session, reaped by a thread with wait4 (for rusage)."""

    def __init__(self, argv: list[str], cpus: set[int] | None, parse_json: bool) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        old = None
        if cpus:
            old = os.sched_getaffinity(0)   # pid 0 = this thread only
            os.sched_setaffinity(0, cpus)
        try:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL, env=env,
                                         start_new_session=True)
        except OSError as e:
            raise LoadError(f"generator: cannot start {argv[0]}: {e.strerror or e}") from e
        finally:
            if old is not None:
                os.sched_setaffinity(0, old)
        self.t_start = time.monotonic()
        if cpus:
            try:
                pin_process_tree(self.proc.pid, cpus)
            except (ProcessLookupError, FileNotFoundError):
                pass
        self.messages: queue.Queue = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: deque[str] = deque(maxlen=40)
        self.exit: tuple[float, int, float] | None = None   # (t, exit code, cpu seconds)
        self._done = threading.Event()
        self._threads = [
            threading.Thread(target=self._read_out, args=(parse_json,), daemon=True),
            threading.Thread(target=self._read_err, daemon=True),
            threading.Thread(target=self._reap, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _read_out(self, parse_json: bool) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace")
            if not parse_json:
                self.stdout.append(line)
                continue
            t = time.monotonic()
            try:
                msg = json.loads(line)
            except ValueError:
                self.stderr.append(line.rstrip())
                continue
            if msg.get("type") in ("start", "summary"):
                msg["_cpu"] = _cpu_of(self.proc.pid)
            msg["_t"] = t
            self.messages.put(msg)

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.stderr.append(raw.decode(errors="replace").rstrip())

    def _reap(self) -> None:
        try:
            _pid, status, ru = os.wait4(self.proc.pid, 0)
        except ChildProcessError:
            self._done.set()
            return
        t = time.monotonic()
        code = os.waitstatus_to_exitcode(status)
        self.proc.returncode = code
        self.exit = (t, code, ru.ru_utime + ru.ru_stime)
        self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def kill(self) -> None:
        if not self._done.is_set():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._done.wait(5)
        self.finish()

    def finish(self) -> None:
        for t in self._threads:
            t.join(2)
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()

    def last_error_line(self) -> str:
        lines = [ln for ln in self.stderr if ln.strip()]
        return lines[-1].strip() if lines else "no output"


def _supervise(child: _Child, limit_s: float, name: str, cancel: threading.Event | None,
               on_message: Callable[[dict], None] | None = None) -> None:
    """Wait for the child to exit, relaying messages; kill it on cancel or past `limit_s`."""
    try:
        while True:
            if cancel is not None and cancel.is_set():
                child.kill()
                raise LoadCancelled("cancelled")
            try:
                msg = child.messages.get(timeout=_POLL_S)
            except queue.Empty:
                msg = None
            if msg is not None:
                if on_message is not None:
                    on_message(msg)
                continue
            if child.done():
                break
            if time.monotonic() - child.t_start > limit_s:
                child.kill()
                raise LoadError(f"generator: {name} still running {limit_s:.0f} s after it "
                                f"started (warm-up + duration + timeout + {GRACE_S:.0f} s); killed")
    except BaseException:
        child.kill()
        raise
    child.finish()
    while not child.messages.empty():
        msg = child.messages.get_nowait()
        if on_message is not None:
            on_message(msg)


def _run_builtin(url: str, spec: LoadSpec, cpus: set[int] | None,
                 on_tick: Callable[[Tick], None] | None,
                 cancel: threading.Event | None) -> tuple[dict, float | None, int]:
    argv = [sys.executable, "-m", "wasmscope.workloads.load.builtin", url,
            "--mode", spec.mode, "--connections", str(spec.connections),
            "--duration", repr(float(spec.duration_s)), "--warmup", repr(float(spec.warmup_s)),
            "--timeout", repr(float(spec.timeout_s))]
    if spec.mode == "fixed-rate":
        argv += ["--rate", repr(float(spec.rate))]
    child = _Child(argv, cpus, parse_json=True)
    marks: dict[str, dict] = {}

    def on_message(msg: dict) -> None:
        kind = msg.get("type")
        if kind in ("start", "summary"):
            marks[kind] = msg
        elif kind == "tick" and on_tick is not None:
            on_tick(Tick(elapsed_s=float(msg["elapsed_s"]), rps=float(msg["rps"]),
                         p99_ms=msg.get("p99_ms"), errors=int(msg["errors"])))

    limit = spec.warmup_s + spec.duration_s + spec.timeout_s + GRACE_S + 3.0  # + interpreter start
    _supervise(child, limit, "builtin generator", cancel, on_message)
    code = child.exit[1] if child.exit else None
    if "summary" not in marks:
        raise LoadError(f"generator: builtin generator exited with code {code} and no summary: "
                        f"{child.last_error_line()}")
    summary = {k: v for k, v in marks["summary"].items() if not k.startswith("_") and k != "type"}
    cpu_pct = None
    start, end = marks.get("start"), marks["summary"]
    if start is not None:
        c0, t0 = start.get("_cpu"), start["_t"]
        c1, t1 = end.get("_cpu"), end["_t"]
        if c1 is None and child.exit is not None:   # exited before it could be sampled
            t1, c1 = child.exit[0], child.exit[2]
        if c0 is not None and c1 is not None and t1 > t0:
            cpu_pct = 100.0 * (c1 - c0) / (t1 - t0)
    return summary, cpu_pct, 1


def _run_wrk(url: str, spec: LoadSpec, cpus: set[int] | None,
             cancel: threading.Event | None) -> tuple[dict, float | None, int]:
    threads = len(cpus) if cpus else len(usable_cpus())
    threads = max(1, min(threads, spec.connections))
    wrk = find_wrk()
    assert wrk is not None
    limit_extra = math.ceil(spec.timeout_s) + GRACE_S
    if spec.warmup_s > 0:
        argv = wrk_command(url, spec, threads, duration_s=spec.warmup_s, wrk=wrk)
        child = _Child(argv, cpus, parse_json=False)
        _supervise(child, math.ceil(spec.warmup_s) + limit_extra, "wrk (warm-up)", cancel)
        if child.exit is None or child.exit[1] != 0:
            raise LoadError(f"generator: wrk warm-up failed: {child.last_error_line()}")
    argv = wrk_command(url, spec, threads, wrk=wrk)
    child = _Child(argv, cpus, parse_json=False)
    _supervise(child, math.ceil(spec.duration_s) + limit_extra, "wrk", cancel)
    text = "".join(child.stdout)
    if child.exit is None or child.exit[1] != 0:
        raise LoadError(f"generator: wrk exited with code {child.exit[1] if child.exit else None}: "
                        f"{child.last_error_line()}")
    try:
        fields = parse_wrk_output(text)
    except ValueError as e:
        raise LoadError(f"generator: wrk output not understood: {e}") from e
    cpu_pct = None
    if child.exit is not None and child.exit[0] > child.t_start:
        cpu_pct = 100.0 * child.exit[2] / (child.exit[0] - child.t_start)
    fields.update(generator=f"wrk {wrk_version() or '?'}", mode="closed",
                  connections=spec.connections, rate=None)
    return fields, cpu_pct, threads


def run_load(url: str, spec: LoadSpec, *, cpus: set[int] | None = None,
             on_tick: Callable[[Tick], None] | None = None,
             cancel: threading.Event | None = None) -> LoadSummary:
    """Load `url` (loopback only) as `spec` says, from a child process pinned to `cpus`.

    Raises LoadError for an invalid spec/url/cpus, a generator that fails or overruns its
    bound, and LoadCancelled (a LoadError) when `cancel` is set.
    """
    validate(url, spec)
    if cpus is not None:
        cpus = set(cpus)
        allowed = usable_cpus()
        if not cpus or not cpus <= allowed:
            raise LoadError(f"cpus: expected a non-empty subset of the usable cores "
                            f"{sorted(allowed)}, got {sorted(cpus)}")
    kind = choose_generator(spec)
    if kind == "wrk":
        fields, cpu_pct, threads = _run_wrk(url, spec, cpus, cancel)
    else:
        fields, cpu_pct, threads = _run_builtin(url, spec, cpus, on_tick, cancel)
    cores = min(len(cpus) if cpus else len(usable_cpus()), threads)
    return LoadSummary(
        generator=fields["generator"], mode=fields["mode"], connections=spec.connections,
        duration_s=float(fields["duration_s"]), rate=fields.get("rate"),
        requests=int(fields["requests"]), errors=int(fields["errors"]),
        timeouts=int(fields["timeouts"]), rps=float(fields["rps"]),
        p50_ms=fields.get("p50_ms"), p90_ms=fields.get("p90_ms"), p99_ms=fields.get("p99_ms"),
        p999_ms=fields.get("p999_ms"), max_ms=fields.get("max_ms"),
        generator_cpu_pct=None if cpu_pct is None else round(cpu_pct, 1),
        generator_cpus=sorted(cpus) if cpus else None,
        generator_bound=is_generator_bound(cpu_pct, cores),
    )
