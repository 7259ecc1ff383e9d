"""wasmCloud: the wasi:http component served by `wash dev`, which embeds a wasmCloud host.

`serve_wasmcloud()` writes a throwaway project whose `.wash/config.yaml` names the prebuilt
component (build command `true`, `wit.skip_fetch: true`, so nothing is fetched: this works
offline), runs `wash dev --non-interactive` in it in its own process group, and waits for the
component's first 200. Until the host has compiled and registered the component (seconds: it
is an 18 MB CPython component) the HTTP listener already answers, with an error ("no workload
registered"): only a 200 with the component's body counts as ready.

wash's HOME (and XDG dirs) point into the project, so it reads no user config, writes nothing
outside it and keeps no compile cache: every start compiles the component. `stop()` kills the
process group and removes the project.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterable

import psutil

from ..errors import RuntimeUnavailable, WorkloadError
from ..system.loopback import answers, free_port
from ..guests.module_check import check_module
from ..runtimes import processes
from ..runtimes.base import MemoryReading
from ..system.sessions import make_temp_dir
from ..system.tools import WASH, FoundTool, locate

BODY = b"hello from wasmscope\n"
COMPONENT_NAME = "hello.wasm"
WASH_ARGS = ("dev", "--non-interactive")


def wash_config(component_path: str, port: int) -> str:
    """The `.wash/config.yaml` that serves a prebuilt component offline on 127.0.0.1:PORT.

    Strings are written JSON-quoted (valid YAML), so no YAML library is needed.
    """
    return (
        "build:\n"
        '  command: "true"\n'
        f"  component_path: {json.dumps(component_path)}\n"
        "dev:\n"
        f"  address: {json.dumps(f'127.0.0.1:{port}')}\n"
        "wit:\n"
        "  skip_fetch: true\n"
    )


def wash_env(home: Path) -> dict[str, str]:
    """wash's environment: PATH only, HOME and XDG dirs inside the throwaway project."""
    env = processes.child_env()
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_CACHE_HOME": str(home / ".cache"), "XDG_DATA_HOME": str(home / ".local/share"),
                "NO_COLOR": "1"})
    return env


_POOL_RE = re.compile(r"host memory resolved .*?core_instances=(\d+) memories=(\d+)")


def host_facts(log: str) -> str:
    """What the host's log says about its instance pool ("" if it said nothing)."""
    m = _POOL_RE.search(log)
    return (f"pooling allocator sized for {m.group(1)} core instances / {m.group(2)} memories"
            if m else "")


def describe(version: str, component: Path, log: str) -> str:
    size_mb = component.stat().st_size / 1e6 if component.exists() else 0.0
    pool = host_facts(log)
    return (f"wasmCloud via wash {version} `wash dev`: one wash process running an embedded "
            f"wasmCloud host (wasmtime inside; no NATS, no lattice) with the component "
            f"{component.name} ({size_mb:.1f} MB) routed on 127.0.0.1; "
            f"{pool + '; ' if pool else ''}whether instances are reused between requests is not "
            f"reported by wash; compiled at every start (no compile cache kept)")




class PlatformInstance(processes.ProcessInstance):
    """A platform host serving the component: a process tree in its own process group."""

    counts = "RSS of the wash process tree — the embedded wasmCloud host, its compiled component and live instances"

    def __init__(self, proc: subprocess.Popen, runtime: str, workload: str, command: str,
                 project: Path) -> None:
        super().__init__(proc, runtime, workload, command)
        self.project: Path | None = project
        self.host_port = 0
        self.first_200_ms = 0.0
        self.mode_description = ""
        self.version = ""
        self.component: Path | None = None
        self._known: set[int] = {proc.pid}

    @property
    def log_path(self) -> Path | None:
        return self.project / "wash.log" if self.project else None

    def log_text(self) -> str:
        path = self.log_path
        try:
            return path.read_text(errors="replace") if path else ""
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """The wash process and every descendant that exists now."""
        if self.proc.poll() is not None:
            return []
        found = [p.pid for p in processes.tree([self.proc.pid])]
        self._known.update(found)
        return found

    def memory(self, detailed: bool = True) -> MemoryReading:
        if detailed:  # rss_uss walks the descendants itself
            rss, uss = processes.rss_uss([self.proc.pid] if self.alive() else [], True)
        else:
            rss, uss = processes.rss_uss(self.pids(), False)
        return MemoryReading(instance_rss=rss, instance_uss=uss, counts=self.counts)

    def stop(self) -> None:
        """Kill the process group (SIGTERM, then SIGKILL), any descendant that left it, and
        remove the project. Idempotent."""
        if self.proc.poll() is None:
            self.pids()
        processes.terminate(self.proc, grace_s=3.0)
        for pid in self._known - {self.proc.pid}:
            try:
                p = psutil.Process(pid)
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=5)
            except (psutil.Error, OSError):
                pass
        if self.project is not None:
            shutil.rmtree(self.project, ignore_errors=True)
            self.project = None


def _place_component(component: Path, project: Path) -> None:
    target = project / COMPONENT_NAME
    try:
        os.link(component, target)  # no copy of 18 MB when on the same file system
    except OSError:
        shutil.copy2(component, target)


def serve_wasmcloud(component: Path, *, port: int = 0, cpus: Iterable[int] | None = None,
                    ready_timeout_s: float = 120.0, wash: FoundTool | None = None) -> PlatformInstance:
    """Serve `component` with `wash dev --non-interactive` on 127.0.0.1:PORT; wait for its first 200.

    `port=0` picks a free port; `cpus` pins wash (and its threads) to those CPUs. Raises
    RuntimeUnavailable (with the install hint) when no wash is found, WorkloadError when it
    exits, answers wrongly or does not answer 200 within `ready_timeout_s`; nothing is left
    running or on disk then.
    """
    found = wash or locate(WASH)
    if found is None:
        raise RuntimeUnavailable(f"no wash (wasmCloud CLI) found; install it: {WASH.hint}")
    version = found.version
    component = Path(component)
    if not component.is_file():
        raise WorkloadError(f"{component}: component file not found")
    check_module(component, expect="component", runtime="wash dev (wasmCloud)")
    port = port or free_port()
    cpu_list = sorted(set(cpus)) if cpus is not None else None
    project = make_temp_dir("wash.")
    try:
        (project / ".wash").mkdir()
        (project / "home").mkdir()
        _place_component(component, project)
        (project / ".wash" / "config.yaml").write_text(wash_config(COMPONENT_NAME, port))
        log_fd = os.open(project / "wash.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError as err:
        shutil.rmtree(project, ignore_errors=True)
        raise WorkloadError(f"cannot prepare the wash project in {project}: {err}") from None
    command = f"wash {' '.join(WASH_ARGS)}  # in {project}, .wash/config.yaml serving 127.0.0.1:{port}"
    if cpu_list:
        command = f"taskset -c {','.join(map(str, cpu_list))} {command}"
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen([str(found.path), *WASH_ARGS], cwd=project, stdin=subprocess.DEVNULL,
                                stdout=log_fd, stderr=log_fd, env=wash_env(project / "home"),
                                preexec_fn=processes.pinned_die_with_parent(cpu_list), start_new_session=True)
    except OSError as err:
        os.close(log_fd)
        shutil.rmtree(project, ignore_errors=True)
        raise RuntimeUnavailable(f"cannot start {found.path}: {err}") from None
    os.close(log_fd)
    inst = PlatformInstance(proc, "wasmcloud", "http", command, project)
    inst.host_port, inst.version, inst.component = port, version, component
    try:
        _wait_for_200(inst, ready_timeout_s, t0)
    except BaseException:
        inst.stop()
        raise
    inst.started_ms = inst.first_200_ms
    inst.mode_description = describe(version, component, inst.log_text())
    return inst


def _log_tail(inst: PlatformInstance) -> str:
    lines = [ln.strip() for ln in inst.log_text().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no output"


def _wait_for_200(inst: PlatformInstance, timeout_s: float, t0: float) -> None:
    last = "no answer"
    exited = (lambda code: f"wash dev exited with code {code} before the component "
                           f"answered: {_log_tail(inst)}")
    for status, body in answers(inst.proc, inst.host_port, timeout_s, 0.1, exited):
        if status == 200:
            inst.first_200_ms = (time.perf_counter() - t0) * 1e3
            if body != BODY:
                raise WorkloadError(f"wash dev answered 200 {body[:80]!r} instead of {BODY!r}")
            ready = [ln for ln in inst.log_text().splitlines() if "listening for HTTP requests" in ln]
            inst.ready_line = ready[-1].strip() if ready else f"answering 200 on 127.0.0.1:{inst.host_port}"
            return
        if status:
            last = f"HTTP {status} {body[:60]!r}"  # the host answers before the component is registered
    raise WorkloadError(f"wash dev gave no 200 on 127.0.0.1:{inst.host_port} within "
                        f"{timeout_s:g} s (last: {last}; log: {_log_tail(inst)})")
