"""Docker through the Docker SDK against the local engine (DOCKER_HOST respected).

Cold start is reported as the total `docker run` → exit and split into create / start /
exited. Containers are hardened: no network unless the workload serves, read-only root,
all capabilities dropped, no-new-privileges, a memory limit. The variants registered as their
own rows (docker-crun, docker-debian, podman) are small subclasses; the options are declared
in `DockerAdapter.OPTIONS`.
"""

from __future__ import annotations

import os
import shlex
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Sequence

import psutil

from ..system import sessions
from ..system.paths import system_root
from ..guests.catalogue import Workload
from ..errors import GuestFailed, GuestTimeout, RuntimeUnavailable, WasmscopeError, WorkloadError
from ..guests.images import ensure_builtin_image, ensure_user_image, host_suite
from . import processes
from .base import Availability, Instance, MemoryReading, RunResult, RuntimeAdapter
from .options import Option

DEFAULT_MEMORY_LIMIT_MIB = 512
START_HINT = ("run `wasmscope doctor --fix` (it installs docker.io and starts dockerd), or by hand: "
              "`sudo dockerd >/tmp/dockerd.log 2>&1 &`")
NOT_RESPONDING_HINT = ("the engine is running but not responding: see its log, `docker info`; restart "
                       "it, or point DOCKER_HOST at an engine that answers")
CONTAINER_PORT = "8080/tcp"
PROBE_TIMEOUT_S = 2  # a healthy engine answers /_ping in milliseconds, even on a busy machine
PROBE_MEMORY_S = 60.0  # a failed probe is not repeated for this long (one per engine per run)
BASES = ("scratch", "debian")
CRUN_HINT = ("run `wasmscope doctor --fix`, or by hand: `sudo apt-get install -y crun`, add {\"runtimes\": {\"crun\": {\"path\": \"/usr/bin/crun\"}}} "
             "to /etc/docker/daemon.json and reload dockerd: `sudo kill -HUP $(pidof dockerd)`")
HYBRID_HINT = ("crun refuses a cgroup v1 host whose cgroup2 hierarchy holds controllers; "
               "run `wasmscope doctor --fix`, or move hugetlb to v1 by hand: `sudo mkdir -p /sys/fs/cgroup/hugetlb && sudo mount -t cgroup "
               "-o hugetlb cgroup /sys/fs/cgroup/hugetlb`")


def hybrid_cgroup_trap(cgroup: Path | None = None) -> str | None:
    """Controllers in the cgroup2 hierarchy of a cgroup v1 ("hybrid") host, which crun
    rejects with "cgroups in hybrid mode not supported"; None when there are none."""
    cgroup = cgroup or system_root() / "sys/fs/cgroup"
    try:
        held = (cgroup / "unified/cgroup.controllers").read_text().split()
    except OSError:
        return None
    return " ".join(held) if held and (cgroup / "memory").is_dir() else None


def oci_runtime_version(client, runtime: str) -> str:
    """`crun 1.8.1`: the first line of `<path> --version` for a runtime the engine lists."""
    import shutil
    import subprocess

    try:
        path = ((client.info().get("Runtimes") or {}).get(runtime) or {}).get("path") or runtime
    except Exception:
        path = runtime
    exe = shutil.which(path) or path
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
        line = out.stdout.strip().splitlines()[0] if out.stdout.strip() else ""
    except (OSError, subprocess.SubprocessError):
        line = ""
    return line.replace(" version ", " ") if line else f"{runtime} (version unknown)"


def engine_address() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def timed_out(err: BaseException) -> bool:
    """The engine accepted the connection but did not answer in time (hung, not absent)."""
    text = str(getattr(err, "explanation", None) or err)
    return "timed out" in text.lower() or "timeout" in type(err).__name__.lower()


def engine_elsewhere(address: str | None = None) -> str:
    """'' when the engine at `address` (DOCKER_HOST) runs on this machine: a unix socket, or a
    TCP/SSH address that is this machine's own (loopback, one of its interfaces, a name that
    resolves to those); else the address. A name that does not resolve in 2 s counts as elsewhere."""
    from urllib.parse import urlsplit

    address = address or engine_address()
    if "://" not in address or address.partition("://")[0] in ("unix", "npipe", "fd"):
        return ""
    try:
        host = urlsplit(address).hostname or ""
    except ValueError:
        return address
    if not host or host == socket.gethostname():
        return ""
    return "" if _is_this_machine(host) else address


def _is_this_machine(host: str) -> bool:
    import ipaddress

    own = {a.address.split("%")[0] for addrs in psutil.net_if_addrs().values() for a in addrs}
    found: list[str] = []

    def resolve() -> None:
        try:
            found.extend(str(info[4][0]) for info in socket.getaddrinfo(host, None))
        except OSError:
            pass

    worker = threading.Thread(target=resolve, daemon=True)
    worker.start()
    worker.join(timeout=2.0)
    addresses = set(found) or {host}
    try:
        return all(ipaddress.ip_address(a.split("%")[0]).is_loopback or a.split("%")[0] in own for a in addresses)
    except ValueError:  # a name that did not resolve
        return False


def _short(err: BaseException) -> str:
    text = getattr(err, "explanation", None) or str(err)
    text = str(text).strip().splitlines()[0] if str(text).strip() else type(err).__name__
    if timed_out(err):
        return f"not responding (it accepts connections but did not answer within {PROBE_TIMEOUT_S:g} s)"
    if "Connection refused" in text or "FileNotFoundError" in text or "No such file" in text:
        return "connection refused (is dockerd running?)"
    if "Connection aborted" in text or "Connection reset" in text or "Connection broken" in text:
        return "connection lost (did dockerd stop?)"
    return text[:200]


def _connection_failed(err: BaseException) -> bool:
    """The SDK could not talk to the engine at all (socket gone, refused, reset mid-request)."""
    import requests

    return isinstance(err, requests.exceptions.ConnectionError)


def _signal_name(n: int) -> str:
    import signal

    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


class Teardown:
    """A removed container until the engine has finished with it: gone from the engine and its
    shim exited. Until then containerd, the shim and dockerd still use the CPUs (tens of ms on
    2 cores after `wait` returned), and a sample of any runtime taken meanwhile is slower."""

    def __init__(self, client) -> None:
        self._client = client  # a callable returning the SDK client
        self._cid: str | None = None
        self._pids: list[int] | None = None

    def track(self, container_id: str) -> None:
        self._cid, self._pids = container_id, None

    def settled(self) -> bool:
        """Cheap enough to poll every few ms: a /proc scan once, then pid checks, then one API call."""
        if self._cid is None:
            return True
        if self._pids is None:
            self._pids = processes.pids_with_argument(self._cid)  # containerd-shim -id <id>, conmon -c <id>
        if any(processes.running(pid) for pid in self._pids):
            return False
        try:
            self._client().api.inspect_container(self._cid)
        except Exception as err:  # 404: gone; an engine that went away has nothing left to do
            status = getattr(getattr(err, "response", None), "status_code", None)
            if status not in (404, None) and not _connection_failed(err):
                return False
        else:
            return False  # still listed ("Removing")
        self._cid = None
        return True


# Containers run as nobody: nothing in a workload needs root, and no capability is left anyway.
NOBODY = "65534:65534"


def _note_engine(kind: str) -> None:
    """Tell a later run that this one uses `kind` (best effort: a full /tmp must not stop it)."""
    try:
        sessions.note_engine(kind)
    except (OSError, WasmscopeError):
        pass


class _ProbeMemory:
    """One probe per engine per run: every adapter of one engine (docker, docker-crun,
    docker-debian, docker-wasm) shares the outcome of the first probe, so a hung engine costs
    one short timeout, not one per adapter. A failure is remembered for PROBE_MEMORY_S (the app
    sees an engine started later); a success is not (a ping is cheap)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._failed: dict[str, tuple[float, BaseException]] = {}

    def probe(self, address: str, ping) -> None:
        """Run `ping` for `address` unless it failed lately (then raise its error again); a
        concurrent caller for the same address waits for the probe in progress."""
        with self._lock:
            lock = self._locks.setdefault(address, threading.Lock())
        with lock:
            failed = self._failed.get(address)
            if failed is not None and time.monotonic() - failed[0] < PROBE_MEMORY_S:
                raise failed[1]
            try:
                ping()
            except Exception as err:
                self._failed[address] = (time.monotonic(), err)
                raise
            self._failed.pop(address, None)

    def forget(self) -> None:
        """Drop every remembered failure (the machine changed: e.g. doctor started an engine)."""
        with self._lock:
            self._failed.clear()


probes = _ProbeMemory()


class DockerAdapter(RuntimeAdapter):
    name = "docker"
    display_name = "Docker (runc)"
    kind = "container"
    BASELINE_FOR = "container"
    SPAWNER = "docker"
    INSTANCE_WORD = "container"
    GRANTS_DIR = True  # bind mounts
    READ_ONLY_DIRS = True
    TAKES_STDIN = True  # `docker run -i`: stdin attached before start, closed after the bytes
    PEAK_COUNTS = "the container cgroup's memory high-water mark (memory.max_usage_in_bytes), sampled during the run"
    CLI = "docker"  # the command users would type, for the log
    NEEDS = ("docker-engine",)
    MEMORY_LIMIT = "cgroup memory limit (--memory, --memory-swap the same): the kernel OOM-kills"
    OPTIONS = (
        Option("network", "choice", "how a serving workload is reached: a published loopback port (through "
               "Docker's port proxy, what users do) or the host's network stack (no proxy)",
               default="publish", choices=("publish", "host")),
        Option("cpus", "text", "a cpuset the containers are pinned to, e.g. \"0\""),
        Option("oci_runtime", "text", "the OCI runtime containers are created with (`docker run --runtime`); "
               "unset = the engine's default, runc"),
        Option("base", "choice", "scratch: the static binary alone; debian: a Debian minbase userland "
               "(mmdebstrap) plus the dynamically linked binary", default="scratch", choices=BASES),
    )
    ENGINE = "docker"  # the container store this adapter's containers live in (sessions.note_engine)

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.memory_limit_mib: int = self.options["memory_limit_mib"] or DEFAULT_MEMORY_LIMIT_MIB
        self.network: str = self.options["network"]
        self.cpuset: str | None = self.options["cpus"]
        self.oci_runtime: str | None = self.options["oci_runtime"] or None
        self.base: str = self.options["base"]
        self.sweep: bool = self.options["sweep"]
        self._client = None
        self._client_error: str | None = None
        self._client_hint = START_HINT  # what to do about _client_error
        self._lock = threading.Lock()
        self._live: dict[str, object] = {}  # container id → container, removed on close()
        self._images: dict[str, str] = {}
        self.reaped = sessions.CleanReport()  # stale containers removed on first contact
        self._teardown = Teardown(self.client)  # the last removed container, until the engine is done with it

    # Name of the per-container helper process that parents the container's init
    # (containerd-shim for Docker, conmon for Podman): reported as overhead.
    SHIM_NAMES: tuple[str, ...] = ("shim",)
    SHIM_WORDS = "containerd-shim"
    INSTANCE_CLASS: type | None = None  # None = DockerInstance; a variant may subclass it

    # -- client ------------------------------------------------------------------------
    def _open_client(self):
        """Connect to the engine (raises when it does not answer: one short probe per engine)."""
        import docker

        def ping() -> None:
            probe = docker.from_env(timeout=PROBE_TIMEOUT_S)  # an unreachable host fails fast
            try:
                probe.ping()
            finally:
                probe.close()

        probes.probe(engine_address(), ping)
        return docker.from_env(max_pool_size=32, timeout=120)

    def _unreachable(self, err: BaseException) -> str:
        return f"Docker engine not reachable at {engine_address()}: {_short(err)}"

    def client(self):
        """The SDK client; on first contact, containers of dead sessions are removed."""
        with self._lock:
            if self._client is None and self._client_error is None:
                try:
                    client = self._open_client()
                except Exception as err:
                    self._client_error = self._unreachable(err)
                    self._client_hint = NOT_RESPONDING_HINT if timed_out(err) else START_HINT
                else:
                    if self.sweep:
                        _note_engine(self.ENGINE)  # before anything is created there
                        self.reaped = sessions.remove_containers(client, engine=self.ENGINE)
                    self._client = client
            if self._client is None:
                raise RuntimeUnavailable(self._client_error or "Docker engine not reachable")
            return self._client

    @contextmanager
    def _engine_errors(self):
        """An engine that went away (stopped or crashed mid-run) as one line naming it, not the
        SDK's traceback: the row fails with the reason and the other runtimes go on."""
        try:
            yield
        except Exception as err:
            if not _connection_failed(err):
                raise
            raise RuntimeUnavailable(self._unreachable(err)) from None

    def runs_on(self) -> str:
        """Where its containers run: '' for this machine, else the engine's address (DOCKER_HOST)."""
        elsewhere = engine_elsewhere()
        return f"{elsewhere} (DOCKER_HOST)" if elsewhere else ""

    def availability(self) -> Availability:
        try:
            self.client()
        except RuntimeUnavailable as err:
            return Availability(False, str(err), self._client_hint)
        return Availability(True)

    def version(self) -> str:
        try:
            info = self.client().version()
        except RuntimeUnavailable:
            return "unknown (engine not reachable)"
        text = f"Docker Engine {info.get('Version', '?')}"
        if self.oci_runtime:
            text += f" + {oci_runtime_version(self.client(), self.oci_runtime)}"
        return text

    def _image_words(self) -> str:
        if self.base == "debian":
            from ..guests.images import debian_base_size

            size = None
            try:
                size = debian_base_size(self.client())
            except RuntimeUnavailable:
                pass
            built = (f"{size / 1e6:.0f} MB" if size is not None
                     else "not built yet: prepare builds it once with mmdebstrap")
            return (f"Debian {host_suite()} minbase image ({built}) plus the dynamically linked "
                    "binary")
        return "FROM scratch image with the static binary"

    def mode(self) -> str:
        runtime = self.oci_runtime or "runc"
        return (f"{runtime} container per run; {self._image_words()}; network none "
                f"({'host network' if self.network == 'host' else 'bridge + published loopback port'} for servers); read-only, user nobody, cap-drop ALL, no-new-privileges, "
                f"memory limit {self.memory_limit_mib} MiB")

    def cannot_run(self, workload: Workload) -> str | None:
        if workload.image is None and workload.source is None:
            return f"workload {workload.name!r} has neither an image nor a C source to build one"
        return None

    def listen_address(self) -> tuple[str, str] | None:
        """Published: the container's own 8080 on all its interfaces; host network: a free
        port on loopback, as a host process."""
        return ("0", "127.0.0.1") if self.network == "host" else (CONTAINER_PORT.split("/")[0], "0.0.0.0")

    def host_network_variant(self) -> "DockerAdapter | None":
        if self.network == "host":
            return None
        return type(self)({**self.options, "network": "host"})

    # -- images ------------------------------------------------------------------------
    def image_for(self, workload: Workload) -> str:
        if workload.image:
            return ensure_user_image(self.client(), workload.image)
        reason = self.supports(workload)
        if reason:
            raise WorkloadError(reason)
        if workload.source is not None and workload.source.suffix == ".py":
            from ..guests.images import ensure_python_http_image  # CPython on a Debian base

            return ensure_python_http_image(self.client(), workload.source)
        if self.base == "debian":
            from ..guests.images import ensure_debian_workload_image
            from ..guests.native_build import native_dynamic_binary, native_dynamic_build_key

            key = "debian-" + native_dynamic_build_key(workload)
            cached = self._images.get(key)
            if cached:
                return cached
            tag = ensure_debian_workload_image(self.client(), workload,
                                               Path(native_dynamic_binary(workload)), key)
            self._images[key] = tag
            return tag
        from ..guests.native_build import native_binary, native_build_key

        key = native_build_key(workload)
        cached = self._images.get(key)
        if cached:
            return cached
        tag = ensure_builtin_image(self.client(), workload, Path(native_binary(workload)), key)
        self._images[key] = tag
        return tag

    def prepare(self, workload: Workload) -> None:
        with self._engine_errors():
            self.image_for(workload)

    def _mounts(self, workload: Workload) -> tuple[dict, str | None]:
        """Bind mounts for the granted directories, and the working directory ("." lands at
        /work in the container)."""
        volumes, workdir = {}, None
        for g in self.grants(workload):
            target = "/work" if g.guest == "." else g.guest
            workdir = "/work" if g.guest == "." else workdir
            volumes[str(g.host)] = {"bind": target, "mode": "rw" if g.writable else "ro"}
        return volumes, workdir

    def create_container(self, workload: Workload, args: Sequence[str] = (), *, stdin: bool = False):
        """A container of this adapter's making (image, hardening, labels, mounts), created, not
        started; `stdin`: attachable, closed when the attach closes (`docker run -i`)."""
        with self._engine_errors():
            container = self._create(self.client(), self.image_for(workload), self._create_kwargs(workload, args, stdin=stdin))
        self._live[container.id] = container
        return container

    def forget(self, container_id: str) -> None:
        """A container of ours that someone else removed: close() need not remove it."""
        self._live.pop(container_id, None)

    def start_feeding(self, container_id: str, data: bytes, timeout_s: float = 60.0) -> None:
        """Attach the container's stdin, start it, write `data` and close its stdin."""
        import socket

        api = self.client().api
        sock = api.attach_socket(container_id, params={"stdin": 1, "stream": 1})
        raw = getattr(sock, "_sock", sock)
        try:
            self._engine_step("starting", lambda: api.start(container_id))
            raw.settimeout(timeout_s)
            raw.sendall(data)
            raw.shutdown(socket.SHUT_WR)
        finally:
            sock.close()
            if raw is not sock:
                raw.close()

    def _create_kwargs(self, workload: Workload, args: Sequence[str], stdin: bool = False) -> dict:
        command = [*workload.command, *args] if workload.image and workload.command else list(args)
        kw = dict(
            command=command, labels=sessions.session_labels(**{"wasmscope.workload": workload.name}),
            read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"], user=NOBODY,
            mem_limit=f"{self.memory_limit_mib}m", memswap_limit=f"{self.memory_limit_mib}m", detach=True,
        )
        volumes, workdir = self._mounts(workload)
        kw.update({k: v for k, v in (("volumes", volumes), ("working_dir", workdir),
                                      ("environment", self.guest_env(workload))) if v})
        if stdin:
            kw.update(stdin_open=True, detach=False)
        if self.runtime_defaults:  # `docker run IMAGE`: root, default capabilities, bridge network
            for hardening in ("read_only", "cap_drop", "security_opt", "user"):
                del kw[hardening]
            if self.cpuset:
                kw["cpuset_cpus"] = str(self.cpuset)
            if self.oci_runtime:
                kw["runtime"] = self.oci_runtime
            return kw
        if self.cpuset:
            kw["cpuset_cpus"] = str(self.cpuset)
        if self.oci_runtime:
            kw["runtime"] = self.oci_runtime
        if workload.network and self.network == "host":
            kw["network_mode"] = "host"
        elif workload.network:
            kw["ports"] = {CONTAINER_PORT: ("127.0.0.1", None)}
        else:
            kw["network_mode"] = "none"
        return kw

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        net = ("--network host" if self.network == "host" else "-p 127.0.0.1::8080") \
            if workload.network else "--network none"
        image = workload.image or (f"wasmscope/{workload.name}:debian-<key>" if self.base == "debian"
                                   else f"wasmscope/{workload.name}:<key>")
        if self.oci_runtime:
            net = f"--runtime {self.oci_runtime} {net}"
        volumes, workdir = self._mounts(workload)
        given = [*(f"-v {h}:{v['bind']}:{v['mode']}" for h, v in volumes.items()), *([f"-w {workdir}"] if workdir else []),
                 *(f"-e {shlex.quote(k + '=' + v)}" for k, v in self.guest_env(workload).items())]
        tail = " ".join([image, *map(shlex.quote, [*(workload.command if workload.image else ()), *args])])
        if self.runtime_defaults:
            runtime = f"--runtime {self.oci_runtime} " if self.oci_runtime else ""
            return " ".join([f"{self.CLI} run --rm {runtime}--memory {self.memory_limit_mib}m --label wasmscope=1",
                             *given, tail])
        return " ".join([f"{self.CLI} run --rm {net} --read-only --cap-drop ALL --security-opt no-new-privileges "
                         f"--user 65534:65534 --memory {self.memory_limit_mib}m --memory-swap {self.memory_limit_mib}m "
                         "--label wasmscope=1", *given, tail])

    def _engine_step(self, what: str, call):
        """One container step; a known engine-side failure becomes one line with its fix."""
        try:
            return call()
        except Exception as err:
            hint = self._create_failure_hint(str(err))
            if hint:
                raise RuntimeUnavailable(f"{self.name}: {what} the container failed: "
                                         f"{_short(err)} ({hint})") from None
            raise

    def _create(self, client, image: str, kw: dict):
        return self._engine_step("creating", lambda: client.containers.create(image, **kw))

    def _wait(self, container, timeout_s: float) -> dict:
        """Block until the container exits: {"StatusCode": code}."""
        return container.wait(timeout=timeout_s)

    def _start(self, container) -> None:
        self._engine_step("starting", container.start)

    def _create_failure_hint(self, message: str) -> str:
        """Plain advice for a known engine-side failure, else ''."""
        if "unknown or invalid runtime name" in message or "Unknown runtime specified" in message:
            return f"the engine lists no {self.oci_runtime!r} runtime: {CRUN_HINT}"
        if "hybrid mode not supported" in message:
            return HYBRID_HINT
        return ""

    def _remove(self, container) -> None:
        try:
            container.remove(force=True)
        except Exception as err:
            # An engine that went away keeps the container: the next session's first contact
            # with it removes it (its owner is gone by then).
            if _connection_failed(err):
                return
            if "No such container" not in str(err) and "is already in progress" not in str(err):
                raise
        finally:
            self._live.pop(container.id, None)
            self._teardown.track(container.id)

    # -- teardown (quiet samples) ------------------------------------------------------
    def settled(self) -> bool:
        return self._teardown.settled()

    def run_options(self, workload: Workload, args: Sequence[str] = ()) -> dict:
        """The SDK's create options of one run (the self-check's bare run uses the same)."""
        return self._create_kwargs(workload, args)

    def helper_pids(self) -> list[int] | None:
        return None  # a run's CPU is spent in dockerd, containerd, the shim and runc

    # -- run to exit -------------------------------------------------------------------
    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        with self._engine_errors():
            return self._run_to_exit(workload, args, timeout_s)

    def _run_to_exit(self, workload: Workload, args: Sequence[str], timeout_s: float) -> RunResult:
        image = self.image_for(workload)
        kw = self._create_kwargs(workload, args, stdin=workload.stdin is not None)
        t0 = time.perf_counter_ns()
        container = self._create(self.client(), image, kw)
        self._live[container.id] = container
        try:
            t1 = time.perf_counter_ns()
            if workload.stdin is None:
                self._start(container)
            else:
                self.start_feeding(container.id, workload.stdin)
            t2 = time.perf_counter_ns()
            try:
                status = self._wait(container, timeout_s)
            except Exception as err:  # requests' ReadTimeout: the deadline passed
                if "timed out" in str(err).lower() or "timeout" in type(err).__name__.lower():
                    raise GuestTimeout(f"{workload.name} on {self.name} timed out after {timeout_s:g} s "
                                       "(container killed)", before_deadline_ms=(t2 - t0) * 1e-6) from None
                raise
            t3 = time.perf_counter_ns()
            code = int(status.get("StatusCode", -1))
            stdout = container.logs(stdout=True, stderr=False).decode(errors="replace")
            stderr = container.logs(stdout=False, stderr=True).decode(errors="replace")
            if code != 0:
                container.reload()
                ended = "exit"
                if (container.attrs.get("State") or {}).get("OOMKilled"):
                    why, ended = f"was OOM-killed by the kernel (cgroup limit {self.memory_limit_mib} MiB)", "oom-killed"
                elif 128 < code < 128 + 65:  # PID 1 died of a signal: the engine reports 128+N
                    why, ended = f"killed by signal {code - 128} ({_signal_name(code - 128)}, exit code {code})", "signal"
                else:
                    why = f"exited with code {code}"
                last = stderr.strip().splitlines()[-1] if stderr.strip() else "no stderr"
                raise GuestFailed(f"{workload.name} on {self.name} {why}: {last}", exit_code=code,
                                  output=stdout + stderr, ended=ended)
        finally:
            self._remove(container)
        ms = 1e-6
        return RunResult(code, stdout, stderr, (t3 - t0) * ms,
                         {"create": (t1 - t0) * ms, "start": (t2 - t1) * ms, "exited": (t3 - t2) * ms})

    # -- long-running ------------------------------------------------------------------
    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        with self._engine_errors():
            return self._start_instance(workload, args, ready_timeout_s)

    def _start_instance(self, workload: Workload, args: Sequence[str], ready_timeout_s: float) -> Instance:
        image = self.image_for(workload)
        t0 = time.perf_counter()
        container = self._create(self.client(), image, self._create_kwargs(workload, args))
        self._live[container.id] = container
        inst = (self.INSTANCE_CLASS or DockerInstance)(self, container, workload.name, self.command_line(workload, args))
        try:
            self._start(container)
            prefix = workload.ready or "ready"
            deadline = time.monotonic() + ready_timeout_s
            while True:
                logs = container.logs(stdout=True, stderr=False).decode(errors="replace")
                line = next((ln for ln in logs.splitlines() if ln.startswith(prefix)), None)
                if line:
                    break
                container.reload()
                if container.status not in ("created", "running"):
                    err = container.logs(stdout=False, stderr=True).decode(errors="replace").strip()
                    raise WorkloadError(f"{workload.name} on {self.name} exited before it was ready: "
                                        f"{err.splitlines()[-1] if err else container.status}")
                if time.monotonic() > deadline:
                    raise GuestTimeout(f"{workload.name} on {self.name} printed no '{prefix}' line "
                                       f"within {ready_timeout_s:g} s")
                time.sleep(0.01)
            inst.started_ms = (time.perf_counter() - t0) * 1e3
            inst.ready_line = line
            container.reload()
            inst.attach_host_facts()
        except BaseException:
            inst.stop()
            raise
        return self._track(inst)

    def live_container_ids(self) -> list[str]:
        """Ids of the containers this adapter holds now (a sampler reads their cgroups)."""
        return list(self._live)

    def close(self) -> None:
        super().close()
        for container in list(self._live.values()):
            self._remove(container)


class DockerVariant(DockerAdapter):
    """A variant of the Docker row (another OCI runtime, userland, Wasm shim or engine): the
    same engine code, never the container baseline (Docker (runc) is)."""
    BASELINE_FOR = ""
    # Set by a variant that needs a runtime the engine must list: the fix when the engine's list
    # cannot be read; runtimes_availability then judges the list.
    RUNTIMES_HINT = ""

    def availability(self) -> Availability:
        base = super().availability()
        if not base.ok or not self.RUNTIMES_HINT:
            return base
        try:
            runtimes = self.client().info().get("Runtimes") or {}
        except Exception as err:  # noqa: BLE001 - any engine error is a reason to show
            return Availability(False, f"cannot read the engine's runtimes: {err}", self.RUNTIMES_HINT)
        return self.runtimes_availability(runtimes)

    def runtimes_availability(self, runtimes: dict) -> Availability:
        """Whether the engine's `docker info` Runtimes let this variant run."""
        return Availability(True)


def _cgroup_memory_file(pid: int) -> Path | None:
    """The memory usage file of the cgroup `pid` lives in (cgroup v1 or v2)."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            f = Path("/sys/fs/cgroup/memory") / path.lstrip("/") / "memory.usage_in_bytes"
            if f.exists():
                return f
    for line in lines:
        if line.startswith("0::"):
            f = Path("/sys/fs/cgroup") / line[3:].lstrip("/") / "memory.current"
            if f.exists():
                return f
    return None


class DockerInstance(Instance):
    """A running container: its own processes, its containerd-shim, and its cgroup."""

    def __init__(self, adapter: DockerAdapter, container, workload: str, command: str) -> None:
        self.adapter = adapter
        self.container = container
        self.runtime = adapter.name
        self.workload = workload
        self._command = command
        self.init_pid = 0
        self.shim_pid = 0
        self.cgroup_file: Path | None = None
        self.host_port: int | None = None
        self._stopped = False

    def attach_host_facts(self) -> None:
        state = self.container.attrs.get("State") or {}
        self.init_pid = int(state.get("Pid") or 0)
        if self.init_pid:
            try:
                parent = psutil.Process(self.init_pid).parent()
                if parent and any(n in parent.name() for n in self.adapter.SHIM_NAMES):
                    self.shim_pid = parent.pid
            except psutil.Error:
                pass
            self.cgroup_file = _cgroup_memory_file(self.init_pid)
        ports = (self.container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
        bound = ports.get(CONTAINER_PORT) or []
        if bound:
            self.host_port = int(bound[0]["HostPort"])
        elif self.adapter.network == "host" and "port=" in self.ready_line:
            self.host_port = int(self.ready_line.split("port=", 1)[1].split()[0])

    def port_proxy(self) -> str:
        """Who carries the published port: Docker's userland proxy (a docker-proxy process,
        which costs throughput on loopback) or the kernel's NAT alone (userland-proxy off)."""
        if self.adapter.network == "host":
            return "none (host network)"
        if self.host_port is None:
            return "no published port"
        for proc in psutil.process_iter(["name", "cmdline"]):
            cmd = proc.info.get("cmdline") or []
            if proc.info.get("name") == "docker-proxy" and str(self.host_port) in cmd:
                return f"docker-proxy (userland-proxy on, pid {proc.pid})"
        return "iptables NAT (userland-proxy off)"

    def pids(self) -> list[int]:
        return [self.init_pid] if self.init_pid else []

    def overhead_pids(self) -> list[int]:
        return [self.shim_pid] if self.shim_pid else []

    def memory(self, detailed: bool = True) -> MemoryReading:
        rss, uss = processes.rss_uss(self.pids(), detailed)
        shim_rss = 0
        if self.shim_pid:
            try:
                shim_rss = psutil.Process(self.shim_pid).memory_info().rss
            except psutil.Error:
                pass
        usage = None
        if self.cgroup_file is not None:
            try:
                usage = int(self.cgroup_file.read_text())
            except (OSError, ValueError):
                usage = None
        return MemoryReading(instance_rss=rss, instance_uss=uss, overhead_rss=shim_rss,
                             cgroup_usage=usage,
                             counts=f"RSS of the container's processes; overhead = {self.adapter.SHIM_WORDS} RSS")

    def alive_cheap(self) -> bool:
        """The container's init process still runs (no API call): a container that exited or
        was removed behind wasmscope's back shows as gone at the next sample."""
        if not self.init_pid:
            return self.alive()
        try:
            return psutil.Process(self.init_pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def alive(self) -> bool:
        try:
            self.container.reload()
        except Exception:
            return False
        return self.container.status == "running"

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self.adapter._remove(self.container)

    def command_line(self) -> str:
        return self._command
