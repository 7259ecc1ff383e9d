"""Bad input around images and engines: a user image that is not built here, a Docker engine
that is absent from the start, and one that stops in the middle of a benchmark.

The mid-run test starts its own second dockerd (own socket, data root, exec root, pid file and
containerd, no bridge, no iptables), points wasmscope at it through DOCKER_HOST and stops it
by its own pid; it never touches the system engine's daemon.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from conftest import docker_required
from wasmscope.workloads.guests.catalogue import Workload
from wasmscope.workloads.errors import WorkloadError
from wasmscope.workloads.system.sessions import OWNER_PID

WASMSCOPE = [sys.executable, "-m", "wasmscope.tui.cli"]
HELLO_WASM = Path(__file__).resolve().parents[1] / "workloads" / "guests" / "wasm" / "hello.wasm"
MISSING = "wasmscope-does-not-exist:1"


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("NO_COLOR", None)
    return subprocess.run([*WASMSCOPE, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def rows(data: dict, table: str) -> dict[str, dict]:
    return {r["runtime"]: r for r in data["tables"][table]["rows"]}


def pulls_since(client, since: float) -> list[str]:
    """Image pulls the engine recorded since `since` (its own event log)."""
    events = client.events(since=int(since), until=int(time.time()) + 1, decode=True,
                           filters={"type": "image", "event": "pull"})
    return [e.get("id", "?") for e in events]


# -- a user image that is not built here --------------------------------------------------------

@pytest.mark.docker
def test_missing_image_is_one_line_fast_and_never_pulled(docker_adapter, docker_client):
    before = {i["Id"] for i in docker_client.api.images(all=True)}
    t0 = time.time()
    with pytest.raises(WorkloadError) as info:
        docker_adapter.run(Workload("ghost", "", image=MISSING))
    elapsed = time.time() - t0
    message = str(info.value)
    assert message == (f"image '{MISSING}' is not present locally (wasmscope never pulls): "
                       "build or `docker load` it first")
    assert elapsed < 5, f"a missing image took {elapsed:.1f} s to report: was a pull attempted?"
    assert {i["Id"] for i in docker_client.api.images(all=True)} == before
    assert pulls_since(docker_client, t0 - 1) == []


@pytest.mark.docker
@pytest.mark.parametrize("ref, why", [
    ("Wasmscope-Does-Not-Exist:1", "repository name must be lowercase"),
    ("wasmscope does not exist", "invalid reference format"),
])
def test_unusable_image_name_is_one_line(docker_adapter, ref, why):
    with pytest.raises(WorkloadError) as info:
        docker_adapter.run(Workload("ghost", "", image=ref))
    assert str(info.value) == f"image {ref!r} is not a valid image name: {why}"


@pytest.mark.docker
@pytest.mark.parametrize("image, reason", [
    (MISSING, f"image '{MISSING}' is not present locally (wasmscope never pulls)"),
    ("Wasmscope-Does-Not-Exist:1", "is not a valid image name: repository name must be lowercase"),
])
def test_cli_missing_image_fails_the_docker_row_only(tmp_path, docker_client, image, reason):
    profile = tmp_path / "ghost.toml"
    profile.write_text(f"""
[bench]
runtimes = ["native", "wasmtime", "docker"]
measurements = ["startup"]
[startup]
workload = "ghost"
runs = 2
warmup = 0
[workloads.ghost]
module = "{HELLO_WASM}"
image = "{image}"
""")
    t0 = time.time()
    proc = subprocess.Popen([*WASMSCOPE, "bench", "--profile", str(profile), "--json"], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={k: v for k, v in os.environ.items() if k != "NO_COLOR"})
    out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err
    assert proc.returncode == 1, err
    got = rows(json.loads(out), "startup")
    assert got["wasmtime"]["status"] == "ok" and len(got["wasmtime"]["samples"]) == 2
    assert got["native"]["status"] == "unsupported"  # a module and an image, no C source
    assert got["docker"]["status"] == "failed" and reason in got["docker"]["reason"]
    failed = [ln for ln in err.splitlines() if "failed:" in ln]
    assert failed == [f"wasmscope: startup on docker failed: {got['docker']['reason']}"]
    assert pulls_since(docker_client, t0 - 1) == []
    left = docker_client.api.containers(all=True, filters={"label": f"{OWNER_PID}={proc.pid}"})
    assert left == []


# -- no engine from the start --------------------------------------------------------------------

def test_absent_engine_leaves_docker_unavailable_and_the_rest_measured():
    sock = f"/tmp/wasmscope-no-engine-{os.getpid()}.sock"
    assert not os.path.exists(sock)
    env = {"DOCKER_HOST": f"unix://{sock}"}
    t0 = time.monotonic()
    proc = run_cli("bench", "--runtimes", "native,wasmtime,docker", "--workloads", "hello", "--runs", "2",
                   "--repeat", "1", "--json", env=env, timeout=60)
    assert time.monotonic() - t0 < 30
    assert "Traceback" not in proc.stderr, proc.stderr
    # The CLI's rule: an unavailable runtime is a row saying why, not a failed measurement (exit 0);
    # exit 1 is for a runtime that was available and then failed (the mid-run test below).
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    reason = f"Docker engine not reachable at unix://{sock}: connection refused (is dockerd running?)"
    assert data["runtimes"]["docker"]["available"] is False
    assert data["runtimes"]["docker"]["reason"] == reason
    got = rows(data, "startup")
    assert got["docker"]["status"] == "unavailable" and got["docker"]["reason"] == reason
    assert got["native"]["status"] == got["wasmtime"]["status"] == "ok"
    assert len(got["native"]["samples"]) == len(got["wasmtime"]["samples"]) == 2

    listing = run_cli("runtimes", env=env, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert any(ln.startswith(f"wasmscope: docker: {reason} — run `wasmscope doctor --fix`")
               for ln in listing.stderr.splitlines()), listing.stderr
    assert "unavailable" in listing.stdout and "Traceback" not in listing.stderr


# -- an engine that accepts and never answers ----------------------------------------------------

class HungEngine:
    """A unix socket that accepts every connection and never answers (a hung dockerd), served
    by a thread; counts the connections it accepted."""

    def __init__(self, path: str) -> None:
        import socket
        import threading

        self.path = path
        self.accepted = 0
        self._held: list = []
        self._server = socket.socket(socket.AF_UNIX)
        self._server.bind(path)
        self._server.listen(64)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:  # closed: the test is over
                return
            self.accepted += 1
            self._held.append(conn)

    def close(self) -> None:
        import socket

        self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        os.unlink(self.path)


@pytest.fixture
def hung_engine():
    engine = HungEngine(f"/tmp/wasmscope-hung-engine-{os.getpid()}-{time.monotonic_ns()}.sock")
    yield engine
    engine.close()


DOCKER_FAMILY = ("docker", "docker-crun", "docker-debian", "docker-wasm")


def test_a_hung_engine_is_probed_once_and_named_as_not_responding(hung_engine, monkeypatch):
    """Four adapters of one engine share one short probe; the row says the engine is not
    responding, and the hint is not "start the engine"."""
    from wasmscope.workloads.bench import describe_runtimes
    from wasmscope.workloads.runtimes import create_adapter
    from wasmscope.workloads.runtimes.docker_engine import NOT_RESPONDING_HINT, PROBE_TIMEOUT_S, START_HINT

    monkeypatch.setenv("DOCKER_HOST", f"unix://{hung_engine.path}")
    adapters = {name: create_adapter(name) for name in DOCKER_FAMILY}
    try:
        infos = describe_runtimes(adapters)
    finally:
        for adapter in adapters.values():
            adapter.close()
    assert hung_engine.accepted == 1, "one probe per engine, not one per adapter"
    for name in DOCKER_FAMILY:
        info = infos[name]
        assert not info.available
        assert info.reason == (f"Docker engine not reachable at unix://{hung_engine.path}: not responding "
                               f"(it accepts connections but did not answer within {PROBE_TIMEOUT_S:g} s)")
        assert info.hint == NOT_RESPONDING_HINT != START_HINT


def test_runtimes_and_bench_with_a_hung_engine_probe_it_once(hung_engine):
    env = {"DOCKER_HOST": f"unix://{hung_engine.path}"}
    listing = run_cli("runtimes", env=env, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert hung_engine.accepted == 1
    docker_lines = [ln for ln in listing.stderr.splitlines() if ln.split(":")[1].strip() in DOCKER_FAMILY]
    assert len(docker_lines) == len(DOCKER_FAMILY), listing.stderr
    for line in docker_lines:
        assert "not responding" in line and "the engine is running but not responding" in line, line
        assert "sudo dockerd" not in line, line
    bench = run_cli("bench", "--runtimes", "wasmtime,docker,docker-crun", "--workloads", "hello", "--runs", "1",
                    "--json", env=env, timeout=120)
    assert bench.returncode == 0, bench.stderr
    assert hung_engine.accepted == 2  # one more run, one more probe
    got = rows(json.loads(bench.stdout), "startup")
    assert got["wasmtime"]["status"] == "ok"
    assert got["docker"]["status"] == got["docker-crun"]["status"] == "unavailable"
    assert "not responding" in got["docker"]["reason"]


# -- an engine of our own, stopped mid-run -------------------------------------------------------

@dataclass
class SecondEngine:
    base: Path
    sock: Path
    proc: subprocess.Popen
    cgroup_parent: str

    @property
    def host(self) -> str:
        return f"unix://{self.sock}"

    def client(self):
        import docker

        return docker.DockerClient(base_url=self.host, timeout=10)

    def processes(self) -> list[psutil.Process]:
        """This daemon, its containerd, its shims and what they run (nothing of the system engine)."""
        found: dict[int, psutil.Process] = {}
        for p in psutil.process_iter(["cmdline"]):
            if str(self.base) in " ".join(p.info.get("cmdline") or []):
                found[p.pid] = p
                try:
                    found.update({c.pid: c for c in p.children(recursive=True)})
                except psutil.Error:
                    pass
        return [p for p in found.values() if p.pid != os.getpid() and _running(p)]

    def stop(self, grace_s: float = 20, sig: int = signal.SIGTERM) -> None:
        """`sig` (SIGTERM: a clean stop) to this daemon only, by its own pid; SIGKILL after `grace_s`."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _running(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _signal(p: psutil.Process, sig: int) -> None:
    try:
        p.send_signal(sig)
    except psutil.Error:
        pass


def _log_tail(path: Path, n: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-n:])
    except OSError:
        return "(no log)"


def _skip_or_fail(reason: str) -> None:
    if docker_required():
        pytest.fail(f"WASMSCOPE_REQUIRE_DOCKER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def second_engine():
    """A second dockerd on its own socket, roots, pid file, containerd and cgroup parent."""
    exe = shutil.which("dockerd")
    if exe is None:
        _skip_or_fail("no dockerd binary on PATH (apt-get install -y docker.io)")
    if os.geteuid() != 0:
        _skip_or_fail("starting a second dockerd needs root")
    base = Path(tempfile.mkdtemp(prefix="wsf-", dir="/tmp"))  # short: unix socket paths are capped
    (base / "daemon.json").write_text("{}\n")  # not the system's /etc/docker/daemon.json
    ns = f"wasmscope-faults-{os.getpid()}"
    log = base / "dockerd.log"
    # Its own network namespace: a dockerd started with --bridge=none deletes the host's
    # docker0 (removeDefaultBridgeInterface), which breaks the system engine's bridge network.
    # unshare execs dockerd in place, so the pid stays the daemon's.
    cmd = ["unshare", "--net", "--", exe, "--host", f"unix://{base}/docker.sock", "--data-root", str(base / "data"),
           "--exec-root", str(base / "exec"), "--pidfile", str(base / "docker.pid"),
           "--config-file", str(base / "daemon.json"), "--bridge=none", "--iptables=false",
           "--ip-masq=false", "--containerd-namespace", ns, "--containerd-plugins-namespace", f"{ns}-plugins",
           "--cgroup-parent", ns]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    engine = SecondEngine(base, base / "docker.sock", proc, ns)
    try:
        _wait_until_answering(engine, proc, log)
        assert int((base / "docker.pid").read_text()) == proc.pid
        yield engine
    finally:
        _tear_down(engine, base, ns)


def _wait_until_answering(engine: "SecondEngine", proc: subprocess.Popen, log: Path) -> None:
    import docker

    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the second dockerd exited with {proc.returncode}: {_log_tail(log)}")
        try:
            probe = docker.DockerClient(base_url=engine.host, timeout=2)
            try:
                probe.ping()
                return
            finally:
                probe.close()
        except Exception:
            if time.monotonic() > deadline:
                pytest.fail(f"the second dockerd did not answer _ping within 60 s: {_log_tail(log)}")
            time.sleep(0.1)


def _tear_down(engine: "SecondEngine", base: Path, ns: str) -> None:
    """Stop the daemon and what it left: a killed daemon leaves its containerd and shims behind
    (only processes of this daemon, matched by its own directory, are signalled), its mounts,
    its directory and its cgroups."""
    engine.stop()
    left = engine.processes()
    for p in left:
        _signal(p, signal.SIGTERM)
    _, alive = psutil.wait_procs(left, timeout=5)
    for p in alive:
        _signal(p, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=5)
    mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    for point in sorted((m for m in mounts if m.startswith(str(base))), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)
    shutil.rmtree(base)
    for root in Path("/sys/fs/cgroup").glob(f"*/{ns}"):
        for sub in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if sub.is_dir():
                sub.rmdir()
        root.rmdir()
    assert engine.processes() == [], "processes of the second dockerd survived its teardown"


MID_RUN_PROFILE = Path(__file__).parent / "data" / "profiles" / "engine_mid_run.toml"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_engine_stopped_mid_run_fails_docker_rows_only(second_engine, tmp_path, sig):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["DOCKER_HOST"] = second_engine.host
    stderr_path = tmp_path / "stderr.txt"
    with open(stderr_path, "w") as err_file:
        proc = subprocess.Popen([*WASMSCOPE, "bench", "--profile", str(MID_RUN_PROFILE), "--json"], text=True,
                                stdout=subprocess.PIPE, stderr=err_file, env=env)
    watcher = second_engine.client()
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + 60
        while len(seen) < 3:  # a few Docker runs done or under way: the rows are being measured
            assert proc.poll() is None, f"the bench ended before any Docker run: {stderr_path.read_text()}"
            assert time.monotonic() < deadline, "no Docker run on the second engine within 60 s"
            seen.update(c["Id"] for c in watcher.api.containers(all=True))
            time.sleep(0.05)
    finally:
        watcher.close()
    stopped_at = time.monotonic()
    second_engine.stop(sig=sig)
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("wasmscope hung on a dead engine (still running 60 s after it stopped)")
    ended_s = time.monotonic() - stopped_at
    err = stderr_path.read_text()
    assert "Traceback" not in err, err
    assert proc.returncode == 1, err
    assert ended_s < 30, f"wasmscope took {ended_s:.1f} s to finish after the engine stopped"

    data = json.loads(out)
    reason = f"Docker engine not reachable at {second_engine.host}: "
    for table, runs in (("startup", 30), ("compute", 3)):
        got = rows(data, table)
        assert got["docker"]["status"] == "failed", (table, got["docker"])
        assert got["docker"]["reason"].startswith(reason), got["docker"]["reason"]
        assert "\n" not in got["docker"]["reason"]
        for name in ("native", "wasmtime"):
            assert got[name]["status"] == "ok" and len(got[name]["samples"]) == runs, (table, got[name])
    failed = [ln for ln in err.splitlines() if " failed: " in ln]
    assert failed == [f"wasmscope: {t} on docker failed: {rows(data, t)['docker']['reason']}"
                      for t in ("startup", "compute")]
