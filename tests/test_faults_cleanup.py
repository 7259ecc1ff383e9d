"""Faults and cleanup: kill -9 of `wasmscope bench`, `wasmscope density` and the app in the
middle of a run, then the next start or `wasmscope clean` removes every container and child
process of the dead run and says so; Ctrl+C and `q` leave nothing behind.

Counted the way a user would: containers labelled with the dead process's pid, and processes
whose environment carries its WASMSCOPE_OWNER marker. Real Docker, real runtimes.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from owner_helpers import cmdlines, containers_of, marked, plain_env, proc_cmdline, remove_owned, wait_for
from wasmscope.workloads.system.sessions import OWNER_ENV, remove_leftovers, stale_leftovers

WASMSCOPE = [sys.executable, "-m", "wasmscope.tui.cli"]
LONG_FIB = """
[bench]
runtimes = ["native", "docker"]
measurements = ["compute"]
timeout_s = 120.0
[compute]
workload = "fib"
n = {n}
runs = 20
warmup = 0
"""


@pytest.fixture
def owners(docker_client):
    """Pids of the wasmscope processes a test starts; whatever they left is removed after the
    test even when it failed (their marked processes killed, their containers removed)."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            psutil.Process(pid).kill()
        except psutil.Error:
            pass
        remove_owned(docker_client, pid)


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*WASMSCOPE, *args], capture_output=True, text=True, timeout=timeout,
                          env=plain_env())


@pytest.mark.docker
def test_kill_9_of_bench_then_clean_removes_its_container_and_load_generator(docker_client, owners):
    """HTTP load on Docker: the container and the load generator (a child with no death
    signal) both outlive a kill -9; `wasmscope clean` removes both and names them."""
    proc = subprocess.Popen([*WASMSCOPE, "bench", "--runtimes", "docker", "--workloads", "http",
                             "--duration", "30"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=plain_env())
    owners.append(proc.pid)
    main_load = re.compile(r"(-d30s|--duration 30(\.0)?)( |$)")  # not the 1 s warm-up
    try:
        wait_for(lambda: containers_of(docker_client, proc.pid)
                 and any(main_load.search(c) for c in cmdlines(marked(proc.pid))), 90,
                 "the container and the 30 s load generator")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    left = cmdlines(marked(proc.pid))
    assert containers_of(docker_client, proc.pid) and left, "kill -9 leaves both behind"

    clean = run_cli("clean")
    assert clean.returncode == 0, clean.stderr
    assert "removed container" in clean.stdout
    assert re.search(r"removed process \d+ \(\S*(wrk|load\.builtin)", clean.stdout), clean.stdout
    assert not containers_of(docker_client, proc.pid)
    assert not marked(proc.pid)


@pytest.mark.docker
@pytest.mark.timeout(600)
def test_kill_9_trials_the_next_run_of_another_kind_and_clean_leave_nothing(docker_client):
    """Two kill -9 trials of `bench --profile article --workloads io` (tests/perf/kill9_trials.py
    runs ten by hand): one killed once Docker and Podman containers, a load generator and a
    temp dir exist, one at a random early time. The next run, of a kind that uses no engine
    itself, and then `wasmscope clean` leave nothing the killed run owned."""
    sys.path.insert(0, str(Path(__file__).parent / "perf"))
    import kill9_trials

    has_podman = shutil.which("podman") is not None

    def everything(c) -> bool:
        return c.docker > 0 and (c.podman > 0 or not has_podman) and c.processes > 0 and c.temp_dirs > 0

    import random

    trials = [kill9_trials.trial(240, ("runtimes",), until=everything),
              kill9_trials.trial(random.uniform(2.5, 10.0), ("report", "--profile", "quick"))]
    first = trials[0]
    assert first.at_kill.docker and first.at_kill.processes and first.at_kill.temp_dirs
    assert first.at_kill.podman or not has_podman
    assert any("removed container" in ln for ln in first.next_stderr), first.next_stderr
    assert any("removed temporary directory" in ln for ln in first.next_stderr), first.next_stderr
    for t in trials:
        assert t.after_next.total() == 0, (t.at_kill, t.after_next, t.next_stderr)
        assert t.after_clean.total() == 0, (t.at_kill, t.after_clean)


@pytest.mark.docker
def test_kill_9_of_density_leaves_no_process_and_clean_removes_the_rest(docker_client, owners):
    """Density's process-per-instance guests die with it (PR_SET_PDEATHSIG): none is left
    even before a clean; its containers are covered by test_density's kill -9 test."""
    proc = subprocess.Popen([*WASMSCOPE, "density", "--runtimes", "wasmtime-cli", "--max", "50"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=plain_env())
    owners.append(proc.pid)
    try:
        wait_for(lambda: len(marked(proc.pid)) >= 3, 60, "three wasmtime-cli instances")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while marked(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not marked(proc.pid), cmdlines(marked(proc.pid))
    clean = run_cli("clean")
    assert clean.returncode == 0, clean.stderr
    assert f"({proc.pid}" not in clean.stdout
    assert not containers_of(docker_client, proc.pid) and not marked(proc.pid)


@pytest.mark.docker
def test_ctrl_c_of_bench_leaves_nothing(docker_client, owners, tmp_path):
    """SIGINT while a native fib runs (a run-to-exit child in its own session, which never
    sees the SIGINT): exit 130, and at once no child and no container of the run remain."""
    profile = tmp_path / "fib.toml"
    profile.write_text(LONG_FIB.format(n=45))
    proc = subprocess.Popen([*WASMSCOPE, "bench", "--profile", str(profile)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=plain_env())
    owners.append(proc.pid)
    try:
        wait_for(lambda: any("fib" in c for c in cmdlines(marked(proc.pid))), 60, "a fib child")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 130, err
    assert not marked(proc.pid), cmdlines(marked(proc.pid))
    assert not containers_of(docker_client, proc.pid)


# -- the app in a real terminal (tmux) -----------------------------------------------------

def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


def start_app(tmp_path: Path, fib_n: int) -> tuple[str, int, Path]:
    """The app on a profile with a long fib, in a detached tmux session: (session, pid, exit file)."""
    profile = tmp_path / "app.toml"
    profile.write_text(f"[compute]\nworkload = \"fib\"\nn = {fib_n}\n")
    session = f"wasmscope-faults-{uuid.uuid4().hex[:8]}"
    code = tmp_path / "exit-code"
    cmd = f"{sys.executable} -m wasmscope.tui.cli --profile {profile}; echo $? > {code}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "110", "-y", "34", cmd],
                   check=True, env=plain_env(), timeout=10)
    shell = int(tmux("list-panes", "-t", session, "-F", "#{pane_pid}").split()[0])
    app = wait_for(lambda: psutil.Process(shell).children(), 10, "the app process")[0]
    wait_for(lambda: "Docker Engine" in tmux("capture-pane", "-p", "-t", session), 60, "the panels")
    return session, app.pid, code


def container_and_fib(session: str, client, pid: int) -> None:
    """Idle on Docker (third panel), then fib on native (second): a container and a
    run-to-exit child at once."""
    tmux("send-keys", "-t", session, "Right", "Right", "i")
    wait_for(lambda: containers_of(client, pid), 60, "the idle container")
    tmux("send-keys", "-t", session, "Left", "f")
    # the run itself ("fib N"), not the compiler building it on a cold cache (its -o names fib too)
    wait_for(lambda: any(re.search(r"/fib \d+$", c) for c in cmdlines(marked(pid))), 60, "the native fib child")


@contextmanager
def app_with_a_container_and_fib(tmp_path: Path, fib_n: int, client, owners: list[int]):
    """The app in tmux (its pid in `owners`) with an idle container and a native fib running:
    yields (session, pid, exit file); the tmux session goes on the way out, whatever happened."""
    session, pid, code = start_app(tmp_path, fib_n)
    owners.append(pid)
    try:
        container_and_fib(session, client, pid)
        yield session, pid, code
    finally:
        tmux("kill-session", "-t", session)


needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@needs_tmux
@pytest.mark.docker
def test_kill_9_of_the_app_then_the_next_start_removes_what_it_left(docker_client, owners, tmp_path):
    with app_with_a_container_and_fib(tmp_path, 47, docker_client, owners) as (_session, pid, _code):
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
                 10, "the app to die")
    assert containers_of(docker_client, pid) and marked(pid), "kill -9 leaves both behind"

    # the next start: a quick bench on Docker and native removes them, one stderr line each
    nxt = run_cli("bench", "--runtimes", "native,docker", "--workloads", "hello", "--runs", "1", "--json")
    assert nxt.returncode == 0, nxt.stderr
    assert re.search(r"wasmscope: removed process \d+ \(\S*/fib 47\)", nxt.stderr), nxt.stderr
    assert "wasmscope: removed container" in nxt.stderr
    assert not containers_of(docker_client, pid)
    assert not marked(pid)


@needs_tmux
@pytest.mark.docker
def test_q_in_the_app_during_a_run_leaves_nothing(docker_client, owners, tmp_path):
    with app_with_a_container_and_fib(tmp_path, 43, docker_client, owners) as (session, pid, code):
        tmux("send-keys", "-t", session, "q")
        wait_for(code.exists, 60, "the app to exit")
    assert code.read_text().strip() == "0"
    assert not containers_of(docker_client, pid)
    assert not marked(pid), cmdlines(marked(pid))


# -- build leftovers -----------------------------------------------------------------------

def test_a_killed_builds_leftovers_go_once_nobody_uses_them(tmp_path):
    """A compiler-like child writes a `.tmp` output (named on its command line) and a build
    holds a temp dir open: kept while they run, removed once they are killed and idle."""
    cache = tmp_path / "cache"
    (cache / "native").mkdir(parents=True)
    (cache / "debian-base" / "build-ab12cd34").mkdir(parents=True)
    out = cache / "native" / ".fib-x7y8z9w0.tmp"
    rootfs = cache / "debian-base" / "build-ab12cd34" / "rootfs.tar"
    writer = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; f = open(sys.argv[2], 'wb'); f.write(b'x'); "
                               "f.flush(); print('up', flush=True); time.sleep(60)", str(out), str(rootfs)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "up"
        out.write_bytes(b"partial")
        assert stale_leftovers(cache, idle_s=0) == []  # named on its command line, held open
    finally:
        writer.kill()
        writer.wait(timeout=10)
    assert stale_leftovers(cache, idle_s=60) == []  # just written: maybe a build between steps
    found = sorted(stale_leftovers(cache, idle_s=0))
    assert found == sorted([out, rootfs.parent])
    pid_named = cache / "native" / f"fib.{writer.pid}.tmp"  # the wasmtime CLI's naming
    pid_named.write_bytes(b"")
    assert pid_named in stale_leftovers(cache, idle_s=3600)  # its pid is gone: no need to wait
    report = remove_leftovers(cache, idle_s=0)
    assert sorted(report.leftovers) == sorted(map(str, [out, rootfs.parent, pid_named]))
    assert not out.exists() and not rootfs.parent.exists() and not pid_named.exists()
    assert (cache / "native").is_dir()


# -- the Podman API service ------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")
def test_a_dead_sessions_podman_service_goes_unless_a_session_uses_it(tmp_path):
    """The service a dead run started is a leftover; while a client is connected to it (a live
    session that found it answering) it stays, and the clean says why."""
    from wasmscope.workloads.runtimes.podman import SERVICE_FLAGS, _answers
    from wasmscope.workloads.system.sessions import reap_processes

    sock = tmp_path / "podman.sock"
    dead_owner = {**plain_env(), OWNER_ENV: "999999:1000.00"}  # an owner that cannot be running
    proc = subprocess.Popen(["podman", *SERVICE_FLAGS, "system", "service", "--time=0", f"unix://{sock}"],
                            env=dead_owner, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    client = None
    try:
        wait_for(lambda: _answers(f"unix://{sock}"), 20, "the podman service")
        import socket

        client = socket.socket(socket.AF_UNIX)
        client.connect(str(sock))
        time.sleep(0.2)
        kept = reap_processes()
        assert proc.poll() is None
        assert any(f"podman service {proc.pid}" in k for k in kept.kept), kept.lines()
        client.close()
        time.sleep(0.3)
        removed = reap_processes()
        assert any(line.startswith(f"{proc.pid} (podman ") for line in removed.processes), removed.lines()
        proc.wait(timeout=10)
    finally:
        if client is not None:
            client.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.skipif(shutil.which("podman") is None, reason="podman is not installed")
def test_the_podman_service_never_outlives_the_process_that_started_it():
    """An adapter nobody closed: the service goes when its process ends. A process killed with
    SIGKILL: its service carries the owner mark, and the next clean removes it."""
    from wasmscope.workloads.system.sessions import reap_processes

    start = ("import sys; from wasmscope.workloads.runtimes import create_adapter; "
             "a = create_adapter('podman'); assert a.availability().ok; print('up', flush=True); "
             "sys.stdin.read() if sys.argv[1:] == ['wait'] else None")

    def service_of(pid: int) -> list[psutil.Process]:
        return [p for p in psutil.process_iter() if f"wasmscope-podman-{pid}.sock" in proc_cmdline(p)]

    ended = subprocess.Popen([sys.executable, "-c", start], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=plain_env())
    out, err = ended.communicate(timeout=60)
    assert out.strip() == "up", err
    assert service_of(ended.pid) == []  # stopped at the end of the process that started it
    killed = subprocess.Popen([sys.executable, "-c", start, "wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=plain_env())
    try:
        assert killed.stdout.readline().strip() == "up"
        services = service_of(killed.pid)
        assert len(services) == 1 and services[0].environ().get(OWNER_ENV, "").startswith(f"{killed.pid}:")
    finally:
        killed.kill()
        killed.wait(timeout=10)
    removed = reap_processes()
    assert any(line.startswith(f"{services[0].pid} (") and "podman" in line for line in removed.processes), \
        removed.lines()
    assert service_of(killed.pid) == []
    from wasmscope.workloads.system.sessions import temp_root

    for left in temp_root().glob(f"{killed.pid}-*"):  # the killed run's session dir (the next run's to remove)
        shutil.rmtree(left, ignore_errors=True)
