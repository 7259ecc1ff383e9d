"""Podman through its Docker-compatible API: the Docker adapter, unchanged, on another socket.

wasmscope starts `podman system service --time=0 unix:///run/wasmscope-podman-PID.sock` itself
when podman is installed and nothing answers on that socket, and stops it on close() (only a
service it started; adapters of one process share it). The socket is per process: a service
shared by two wasmscope runs died under the second when the first one ended. Option `socket`
names a service of your own instead (used, never stopped). Images are the same FROM-scratch
image, imported into podman's own store (/var/lib/containers/storage).

What podman 4.3 (Debian bookworm's) needs on this machine (root, no systemd, cgroup v1 with
hugetlb in the cgroup2 hierarchy, no CAP_SYS_RESOURCE), checked here:
- cgroup manager: `cgroupfs` (the systemd manager needs a running systemd); passed explicitly.
- events logger: `file` (journald is absent); passed explicitly.
- storage driver: `overlay` on ext4 works as root (podman's default here; vfs is not needed).
- OCI runtime: podman's default, crun; crun needs the hugetlb controller moved to cgroup v1
  (see docker_crun.py), or every run fails with "cgroups in hybrid mode not supported".
- ulimits: as root podman raises RLIMIT_NOFILE/NPROC to values above this process's hard
  limits, and without CAP_SYS_RESOURCE crun's setrlimit fails ("setrlimit `RLIMIT_NOFILE`:
  Operation not permitted"). So every container gets explicit ulimits: nofile = this
  process's hard limit, nproc = 4096 (podman itself runs with nproc capped at pid_max, 32768
  here; anything above that fails too). Setting `default_ulimits` in containers.conf is the
  system-wide alternative.
- Images: the Docker-compatible import ignores its `tag` parameter (tags `:latest` under
  docker.io/); images.py re-tags. `docker save IMAGE | podman load` also works by hand.
"""

from __future__ import annotations

import atexit
import os
import resource
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Sequence

from ..guests.catalogue import Workload
from ..errors import RuntimeUnavailable
from ..system.paths import cache_dir, cache_unwritable
from ..system.sessions import OWNER_ENV, make_temp_dir, owner_token
from .base import Availability
from .docker_engine import PROBE_TIMEOUT_S, DockerAdapter, DockerInstance, DockerVariant, _short, engine_elsewhere, probes
from .options import Option, OptionError

DEFAULT_SOCKET = "unix:///run/wasmscope-podman-{pid}.sock"  # one service per wasmscope process
INSTALL_HINT = "run `wasmscope doctor --fix`, or install it with `sudo apt-get install -y podman`"
SERVICE_READY_S = 20.0
NPROC = 4096
WAIT_INTERVAL = "5ms"  # how often the service checks whether a run-to-exit container exited
# Global flags for the service: what works as root without systemd (see the module docstring).
SERVICE_FLAGS = ("--cgroup-manager=cgroupfs", "--events-backend=file")


def _answers(address: str) -> bool:
    """True when a Docker-compatible API answers /_ping on this unix socket."""
    path = address.removeprefix("unix://")
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    try:
        s.connect(path)
        s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
        return b"OK" in s.recv(512)
    except OSError:
        return False
    finally:
        s.close()


class _Service:
    """A `podman system service` this process started, shared by its adapters."""

    def __init__(self, proc: subprocess.Popen, address: str, log: Path) -> None:
        self.proc = proc
        self.address = address
        self.log = log
        self.users = 0


_services: dict[str, _Service] = {}
_services_lock = threading.Lock()


@atexit.register
def _stop_services_at_exit() -> None:
    """The services this process started and nobody closed (an adapter left open by a caller):
    stopped when the process ends normally, so none outlives it (a killed process's service is
    removed by the next wasmscope start or `clean`, by its owner mark)."""
    with _services_lock:
        left = list(_services.items())
        _services.clear()
    for _, svc in left:
        _stop_service(svc)


def _stop_service(svc: _Service) -> None:
    """Stop a service this process started and remove its socket (unless something else now
    answers there)."""
    _stop_process(svc.proc)
    path = Path(svc.address.removeprefix("unix://"))
    if path.is_socket() and not _answers(svc.address):
        path.unlink(missing_ok=True)


def _log_tail(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1][:200] if lines else "empty log"


def service_files() -> tuple[Path, Path]:
    """(working directory, log) of the service. conmon writes a file named `oom` into its
    working directory when a container is OOM-killed: the service works in a directory of
    ours, never the user's. The cache dir keeps the log for later; when it cannot take a
    file (read-only, full), this run's temporary directory does, and Podman still runs."""
    workdir, log = cache_dir() / "podman-service", cache_dir() / "podman-service.log"
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        if cache_unwritable() is None:
            return workdir, log
    except OSError:
        pass
    workdir = make_temp_dir("podman-service-")
    return workdir, workdir / "podman-service.log"


_last_log: Path | None = None  # the log of the service started last (named in a failure's hint)


def _start_service(exe: str, address: str) -> _Service:
    global _last_log
    workdir, log = service_files()
    _last_log = log
    with open(log, "ab") as out:
        # the owner mark lets the next wasmscope start or `clean` find it if this process is killed
        proc = subprocess.Popen([exe, *SERVICE_FLAGS, "system", "service", "--time=0", address],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd=workdir,
                                start_new_session=True, env={**os.environ, OWNER_ENV: owner_token()})
    deadline = time.monotonic() + SERVICE_READY_S
    while not _answers(address):
        if proc.poll() is not None:
            raise RuntimeUnavailable(f"podman system service exited with code {proc.returncode}: "
                                     f"{_log_tail(log)}")
        if time.monotonic() > deadline:
            _stop_process(proc)
            raise RuntimeUnavailable(f"podman system service did not answer on {address} within "
                                     f"{SERVICE_READY_S:g} s: {_log_tail(log)}")
        time.sleep(0.05)
    return _Service(proc, address, log)


def _stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # its own session: the service and its children
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


class PodmanInstance(DockerInstance):
    def port_proxy(self) -> str:
        if self.adapter.network == "host":
            return "none (host network)"
        if self.host_port is None:
            return "no published port"
        return "podman port forwarding (netavark NAT; conmon holds the host port)"


class PodmanAdapter(DockerVariant):
    name = "podman"
    display_name = "Podman"
    CLI = "podman"
    ENGINE = "podman"
    SHIM_NAMES = ("conmon",)
    SHIM_WORDS = "conmon"
    INSTANCE_CLASS = PodmanInstance
    NEEDS = ("podman-cli", "cgroup-for-crun", "podman-ulimits")

    OPTIONS = DockerAdapter.OPTIONS + (
        Option("podman", "text", "the podman binary, a name on PATH or a path", default="podman"),
        Option("socket", "text", "a Podman API service of your own, unix:///PATH (used, never stopped); "
               "unset = one wasmscope starts for this process"),
    )

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        if self.base != "scratch":
            raise OptionError("runtime 'podman' option base: only 'scratch' is supported")
        self.podman: str = self.options["podman"]
        self.address: str = self.options["socket"] or DEFAULT_SOCKET.format(pid=os.getpid())
        if not self.address.startswith("unix://"):
            raise OptionError(f"runtime 'podman' option socket: expected unix:///PATH, got {self.address!r}")
        self.service: _Service | None = None  # set when this adapter uses a service we started

    # -- service and client ------------------------------------------------------------
    def executable(self) -> str | None:
        return shutil.which(self.podman)

    def _acquire_service(self) -> None:
        with _services_lock:
            svc = _services.get(self.address)
            if svc is not None and svc.proc.poll() is not None:
                _services.pop(self.address, None)
                svc = None
            if svc is None:
                if _answers(self.address):
                    return  # someone else's service: use it, never stop it
                exe = self.executable()
                if exe is None:
                    raise RuntimeUnavailable(f"podman not found (looked for {self.podman!r}) and "
                                             f"nothing answers on {self.address}")
                svc = _services[self.address] = _start_service(exe, self.address)
            svc.users += 1
            self.service = svc

    def _release_service(self) -> None:
        svc, self.service = self.service, None
        if svc is None:
            return
        with _services_lock:
            svc.users -= 1
            if svc.users > 0:
                return
            if _services.get(self.address) is svc:
                _services.pop(self.address)
        _stop_service(svc)

    def _open_client(self):
        import docker

        self._acquire_service()

        def ping() -> None:
            probe = docker.DockerClient(base_url=self.address, timeout=PROBE_TIMEOUT_S)
            try:
                probe.ping()
            finally:
                probe.close()

        try:
            probes.probe(self.address, ping)
            return docker.DockerClient(base_url=self.address, max_pool_size=32, timeout=120)
        except Exception:
            self._release_service()
            raise

    def runs_on(self) -> str:
        elsewhere = engine_elsewhere(self.address)
        return f"{elsewhere} (Podman API)" if elsewhere else ""

    def _unreachable(self, err: BaseException) -> str:
        if isinstance(err, RuntimeUnavailable):
            return str(err)
        return f"Podman API not reachable at {self.address}: {_short(err)}"

    def availability(self) -> Availability:
        if self.executable() is None and not _answers(self.address):
            return Availability(False, f"podman not found (looked for {self.podman!r}) and nothing "
                                       f"answers on {self.address}", INSTALL_HINT)
        try:
            self.client()
        except RuntimeUnavailable as err:
            return Availability(False, str(err),
                                f"check `podman info`; the service log is {_last_log or cache_dir() / 'podman-service.log'}")
        return Availability(True)

    def _engine_facts(self) -> tuple[str, str]:
        info = self.client().info()
        ver = self.client().version().get("Version", "?")
        return ver, str(info.get("DefaultRuntime") or "crun")

    def version(self) -> str:
        try:
            ver, runtime = self._engine_facts()
        except RuntimeUnavailable:
            return "unknown (podman API not reachable)"
        from .docker_engine import oci_runtime_version

        return f"Podman {ver} (Docker-compatible API) + {oci_runtime_version(self.client(), runtime)}"

    def mode(self) -> str:
        try:
            runtime = self._engine_facts()[1]
        except RuntimeUnavailable:
            runtime = "crun"
        return (f"{runtime} container per run (podman, conmon per container, cgroupfs); FROM scratch "
                f"image with the static binary; network none ({'host network' if self.network == 'host' else 'published loopback port'} "
                f"for servers); read-only, cap-drop ALL, no-new-privileges, memory limit "
                f"{self.memory_limit_mib} MiB, ulimits nofile={self._nofile()} nproc={NPROC}")

    # -- containers --------------------------------------------------------------------
    def _wait(self, container, timeout_s: float) -> dict:
        # The Docker-compatible wait polls the container's state coarsely: it added ~150 ms
        # (and a wide spread) to every hello here. Podman's own endpoint takes the interval.
        api = self.client().api
        resp = api._post(api._url("/libpod/containers/{0}/wait", container.id),
                         params={"condition": "exited", "interval": WAIT_INTERVAL}, timeout=timeout_s)
        return {"StatusCode": int(api._result(resp, json=True))}

    @staticmethod
    def _nofile() -> int:
        return min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 1 << 20)

    def _create_kwargs(self, workload: Workload, args: Sequence[str], stdin: bool = False) -> dict:
        from docker.types import Ulimit

        kw = super()._create_kwargs(workload, args, stdin)
        n = self._nofile()
        kw["ulimits"] = [Ulimit(name="nofile", soft=n, hard=n), Ulimit(name="nproc", soft=NPROC, hard=NPROC)]
        return kw

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        line = super().command_line(workload, args)
        n = self._nofile()
        return line.replace(" run --rm ", f" run --rm --ulimit nofile={n}:{n} --ulimit nproc={NPROC}:{NPROC} ", 1)

    def close(self) -> None:
        try:
            super().close()
        finally:
            client, self._client = self._client, None
            self._client_error = None
            if client is not None:
                try:
                    client.close()
                except Exception:
                    pass
            self._release_service()
