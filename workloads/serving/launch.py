"""Start wasmscope's HTTP front (`front.py`) as a child process, and stop it for its stats.

    front = start_front("wasmtime", cpus={0, 1}, workers=2)
    ... load front.url, sample front.pids() ...
    stats = front.stop()   # FrontStats: requests, errors, per-phase median/p90/p99 (ms)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import WorkloadError
from ..runtimes import processes
from ..system.sessions import make_temp_dir

# Variables the front needs from our environment (caches, the Docker engine, the compiler).
_PASS_ENV = ("WASMSCOPE_CACHE_DIR", "WASMSCOPE_CC", "DOCKER_HOST", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY",
             "HOME", "XDG_CACHE_HOME", "PYTHONPATH", "TMPDIR")
STOP_GRACE_S = 10.0  # in-flight requests finish and containers are removed within this


@dataclass
class FrontStats:
    """The JSON stats the front writes on exit."""

    spawner: str
    mode: str
    workers: int = 0
    concurrency: str = ""  # "threads" (K worker threads), "asyncio" (subprocesses on the loop), "inline"
    requests: int = 0
    errors: int = 0
    bad_requests: int = 0
    first_error: str | None = None
    elapsed_s: float = 0.0
    phases_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # phase -> median/p90/p99/...

    @classmethod
    def from_json(cls, data: dict) -> "FrontStats":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


class FrontProcess:
    """A running front. `stop()` is idempotent and returns the same FrontStats every time."""

    def __init__(self, proc: subprocess.Popen, port: int, spawner: str, tmpdir: Path) -> None:
        self.proc = proc
        self.port = port
        self.spawner = spawner
        self.url = f"http://127.0.0.1:{port}/"
        self._tmpdir = tmpdir
        self._stats_path = tmpdir / "stats.json"
        self._stats: FrontStats | None = None
        self._stop_error: str | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def pids(self) -> list[int]:
        """The front and its descendants (native handler processes while they run)."""
        return [p.pid for p in processes.tree([self.proc.pid])]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> FrontStats:
        if self._stats is not None:
            return self._stats
        if self._stop_error is not None:
            raise WorkloadError(self._stop_error)
        err = ""
        try:
            if self.proc.poll() is None:
                try:
                    self.proc.send_signal(signal.SIGTERM)
                    self.proc.wait(timeout=STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    pass
            if self.proc.poll() is None:  # did not exit in time: kill the whole group
                processes.terminate(self.proc, grace_s=0.5)
            if self.proc.stderr is not None:
                err = self.proc.stderr.read().decode(errors="replace").strip()
        finally:
            processes.terminate(self.proc)  # closes the pipes
        try:
            data = json.loads(self._stats_path.read_text())
        except (OSError, ValueError):
            last = err.splitlines()[-1] if err else "no stderr"
            self._stop_error = (f"the {self.spawner} front (pid {self.proc.pid}) wrote no stats "
                                f"(exit code {self.proc.returncode}): {last}")
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            raise WorkloadError(self._stop_error) from None
        shutil.rmtree(self._tmpdir, ignore_errors=True)
        self._stats = FrontStats.from_json(data)
        return self._stats

    def __enter__(self) -> "FrontProcess":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        except WorkloadError:
            if exc[0] is None:
                raise


def start_front(spawner: str, *, cpus: set[int] | None = None, workers: int | None = None,
                options: dict[str, str] | None = None, ready_timeout_s: float = 60) -> FrontProcess:
    """Start a front for `spawner` on 127.0.0.1 (any free port) and wait until it listens.

    `cpus` pins the front (and every instance it forks) with sched_setaffinity; containers run
    wherever Docker puts them. The spawner's prepare() (build binary/image, compile module)
    happens before the ready line, untimed.
    """
    tmpdir = make_temp_dir("front-")  # under the run's session dir: a kill -9 leaves it to the next run
    argv = [sys.executable, "-m", "wasmscope.workloads.serving.front", "--spawner", spawner,
            "--host", "127.0.0.1", "--port", "0", "--stats", str(tmpdir / "stats.json")]
    if workers is not None:
        argv += ["--workers", str(workers)]
    for key, value in (options or {}).items():
        argv += ["--option", f"{key}={value}"]
    env = processes.child_env()
    env.update({k: os.environ[k] for k in _PASS_ENV if k in os.environ})
    proc = processes.spawn(argv, env=env, die_with_parent=True)
    front = FrontProcess(proc, 0, spawner, tmpdir)
    try:
        if cpus:
            os.sched_setaffinity(proc.pid, cpus)
        text = processes.wait_for_line(proc, "ready port=", ready_timeout_s,
                                       f"the {spawner} front (pid {proc.pid})")
    except BaseException:
        processes.terminate(proc, grace_s=STOP_GRACE_S)
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    port = int(text.splitlines()[-1].split("=", 1)[1])
    front.port, front.url = port, f"http://127.0.0.1:{port}/"
    return front
