"""`wasmscope doctor` on a stand-in machine (standin_machine.py: a temporary system tree and
stand-in apt-get, dockerd, sudo and mount alone on PATH, so the machine looks fresh): the plan,
the commands run, the files written. The real dockerd of this machine is never signalled or
reconfigured: DOCKER_HOST points at the stand-in's socket.

Also: doctor on the real machine changes nothing, and the config merges keep what was there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from wasmscope.workloads.errors import SetupError
from wasmscope.workloads.setup import configs
from wasmscope.workloads.setup.doctor import MISSING, PRESENT, carry_out, diagnose
from wasmscope.workloads.setup.steps import AptInstall, MountCgroups, RegisterRuntime, StartDockerd
from wasmscope.workloads.system.sessions import OWNER_ENV

from owner_helpers import marked
from standin_machine import CRUN_PATH, Machine, make_machine, with_sudo

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def machine(monkeypatch):
    yield from make_machine(monkeypatch)
def snapshot(*roots: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under `roots` with its mtime and content (a directory: its mtime only)."""
    out = {}
    for root in roots:
        for path in [root, *root.rglob("*")] if root.exists() else []:
            if path.is_socket() or path.name == "dockerd.log":  # the running engine's own log, not doctor's
                continue
            st = path.lstat()
            body = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
            out[str(path)] = (st.st_mtime_ns, body)
    return out


def wasmscope(m: Machine | None, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, **(m.env if m else {})}
    env.pop(OWNER_ENV, None)
    env.pop("DEBIAN_FRONTEND", None)  # only doctor's apt-get install sets it
    return subprocess.run([sys.executable, "-m", "wasmscope.tui.cli", "doctor", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


# -- the plan ------------------------------------------------------------------------------

def test_a_fresh_machine_gets_the_whole_plan_and_doctor_changes_nothing(machine):
    before = snapshot(machine.root)
    report = diagnose(machine.profile(), machine.host())
    rows = {r.name: r for r in report.rows}
    assert [r.name for r in report.rows] == ["docker", "docker-crun", "native", "docker-engine",
                                             "engine-runtimes", "cgroup-for-crun", "c-compiler"]
    assert not report.ok and all(r.status == MISSING for r in report.rows)
    assert rows["docker-engine"].detail == "Docker is not installed (no dockerd)"
    assert "hugetlb" in rows["cgroup-for-crun"].detail
    assert rows["docker-crun"].waits_for == "docker-engine, engine-runtimes, cgroup-for-crun"
    assert report.plan() == [AptInstall(("docker.io", "crun", "clang", "libc6-dev")),
                             RegisterRuntime("crun", "/usr/bin/crun"), MountCgroups(("hugetlb",)), StartDockerd()]
    assert snapshot(machine.root) == before and machine.recorded() == []


def test_fix_as_root_sets_up_everything_and_a_second_fix_does_nothing(machine):
    first = wasmscope(machine, "--profile", str(machine.profile_path), "--fix", "--yes")
    assert first.returncode == 0, first.stderr + first.stdout
    sock, conf = machine.root / "var/run/docker.sock", machine.daemon_json
    for command in ("$ apt-get update -qq",
                    "$ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io crun clang libc6-dev",
                    f"$ mv -f {conf}.wasmscope-new {conf}",
                    f"$ mount -t cgroup -o hugetlb cgroup {machine.root}/sys/fs/cgroup/hugetlb",
                    f"$ dockerd --config-file {conf} --host unix://{sock} --pidfile {machine.root}/var/run/docker.pid"
                    f" >>{machine.state}/dockerd.log 2>&1 &"):
        assert command in first.stderr, command
    assert machine.recorded() == [
        "apt-get update -qq (DEBIAN_FRONTEND=)",
        "apt-get install -y -qq docker.io crun clang libc6-dev (DEBIAN_FRONTEND=noninteractive)",
        f"mount -t cgroup -o hugetlb cgroup {machine.root}/sys/fs/cgroup/hugetlb",
        f"dockerd start --config-file {conf} --host unix://{sock} --pidfile {machine.root}/var/run/docker.pid"]
    assert json.loads(conf.read_text()) == {"runtimes": {"crun": {"path": CRUN_PATH}}}
    assert not list(conf.parent.glob("*.wasmscope-*"))  # there was no file to back up, no temp left
    pid = machine.engine_pid()
    assert pid and psutil.pid_exists(pid)
    assert (machine.state / "dockerd.pid").read_text().strip() == str(pid)
    assert f"dockerd started: pid {pid}" in first.stderr and str(machine.state / "dockerd.log") in first.stderr
    assert "All 7 required rows present" in first.stdout
    assert OWNER_ENV not in psutil.Process(pid).environ()  # never swept as a dead run's leftover

    before = snapshot(machine.root)
    second = wasmscope(machine, "--profile", str(machine.profile_path), "--fix", "--yes")
    assert second.returncode == 0, second.stderr
    assert "nothing to fix" in second.stderr and "$ " not in second.stderr
    assert machine.recorded()[-1].startswith("dockerd start") and len(machine.recorded()) == 4
    assert snapshot(machine.root) == before and machine.engine_pid() == pid


def test_daemon_json_merge_keeps_other_keys_writes_a_backup_and_reloads_through_sudo(machine):
    with_sudo(machine)
    machine.preinstall("crun", "docker.io", "clang")
    machine.unified.write_text("")
    (machine.root / "etc/docker").mkdir()
    old = '{\n  "log-level": "warn",\n  "runtimes": {"other": {"path": "/opt/other"}},\n  "data-root": "/srv/docker"\n}\n'
    machine.daemon_json.write_text(old)
    engine = machine.start_engine()
    host = machine.host(euid=1000)  # not root: every root command goes through sudo
    report = diagnose(machine.profile(), host)
    assert report.row("engine-runtimes").status == MISSING
    assert report.plan() == [RegisterRuntime("crun", str(machine.bin / "crun"))]
    said: list[str] = []
    result = carry_out(report.plan(), host, said.append, consent=True, interactive=False)  # as the app: sudo -n
    assert result.ok, said
    merged = json.loads(machine.daemon_json.read_text())
    assert merged == {"log-level": "warn", "runtimes": {"other": {"path": "/opt/other"},
                                                        "crun": {"path": str(machine.bin / "crun")}},
                      "data-root": "/srv/docker"}
    backups = list(machine.daemon_json.parent.glob("daemon.json.wasmscope-backup-*"))
    assert len(backups) == 1 and backups[0].read_text() == old
    sudo = [line for line in machine.recorded() if line.startswith("sudo ")]
    assert [line.split()[3] for line in sudo] == ["cp", "install", "mv", "kill"]
    assert sudo[-1] == f"sudo -n -- kill -HUP {engine.pid}"
    assert "dockerd SIGHUP" in machine.recorded() and engine.poll() is None  # reloaded, not restarted
    assert sum(line.startswith("dockerd start") for line in machine.recorded()) == 1
    again = diagnose(machine.profile(), host)
    assert again.row("engine-runtimes").status == PRESENT and again.plan() == []


def test_without_root_or_sudo_nothing_runs_and_the_commands_are_listed(machine):
    host = machine.host(euid=1000)  # and no sudo on PATH
    report = diagnose(machine.profile(), host)
    result = carry_out(report.plan(), host, lambda line: None, consent=True)
    assert result.done == [] and result.blocked == report.plan()
    assert machine.recorded() == [] and not machine.daemon_json.exists()
    out = wasmscope(machine, "--profile", str(machine.profile_path))
    assert "sudo " not in out.stdout  # root here: the fix column shows plain commands


def test_a_remote_engine_is_never_started_or_configured(machine, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")
    machine.preinstall("docker.io")
    report = diagnose(machine.profile(), machine.host())
    engine = report.row("docker-engine")
    assert engine.status == MISSING and not engine.steps and "DOCKER_HOST" in engine.manual
    assert not any(isinstance(s, (StartDockerd, RegisterRuntime)) for s in report.plan())


# -- doctor without --fix changes nothing --------------------------------------------------

def _doctor_leaves_nothing(m: Machine | None, watched: list[Path], *args: str) -> subprocess.CompletedProcess:
    before = snapshot(*watched)
    env = {**os.environ, **(m.env if m else {})}
    env.pop(OWNER_ENV, None)
    proc = subprocess.Popen([sys.executable, "-m", "wasmscope.tui.cli", "doctor", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=150)
    assert marked(proc.pid) == []
    assert snapshot(*watched) == before
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_doctor_on_the_stand_in_machine_changes_nothing(machine):
    out = _doctor_leaves_nothing(machine, [machine.root])
    assert out.returncode == 1 and "✗ missing" in out.stdout
    assert machine.recorded() == []


def test_doctor_on_this_machine_changes_nothing():
    """The real machine: system config, wasmscope's tools and state, the engine's process."""
    import platformdirs

    engine_pid = Path("/var/run/docker.pid").read_text().strip() if Path("/var/run/docker.pid").exists() else ""
    watched = [Path("/etc/docker"), Path("/etc/containers"), Path(platformdirs.user_state_dir("wasmscope")),
               Path(os.environ.get("WASMSCOPE_CACHE_DIR") or platformdirs.user_cache_dir("wasmscope")) / "tools"]
    out = _doctor_leaves_nothing(None, watched, "--json")
    report = json.loads(out.stdout)
    assert report["scope"] == "everything wasmscope and its tests use"
    assert out.returncode == (0 if report["ok"] else 1)
    if engine_pid:
        assert Path("/var/run/docker.pid").read_text().strip() == engine_pid


# -- the merges --------------------------------------------------------------------------------

def test_daemon_json_merge_keeps_everything_else():
    old = '{"hosts": ["unix:///var/run/docker.sock"], "runtimes": {"other": {"path": "/x"}}}'
    merged = json.loads(configs.merged_daemon_json(old, "crun", "/usr/bin/crun", "daemon.json"))
    assert merged == {"hosts": ["unix:///var/run/docker.sock"],
                      "runtimes": {"other": {"path": "/x"}, "crun": {"path": "/usr/bin/crun"}}}
    assert configs.merged_daemon_json('{"runtimes": {"crun": {"path": "/opt/crun"}}}', "crun", "/usr/bin/crun", "f") is None
    assert json.loads(configs.merged_daemon_json(None, "crun", "/usr/bin/crun", "f")) == {"runtimes": {"crun": {"path": "/usr/bin/crun"}}}
    with pytest.raises(SetupError, match=r"^daemon.json: not valid JSON .*; left as it is$"):
        configs.merged_daemon_json("{nope", "crun", "/usr/bin/crun", "daemon.json")
    with pytest.raises(SetupError, match="expected a JSON object"):
        configs.merged_daemon_json('{"runtimes": []}', "crun", "/usr/bin/crun", "daemon.json")


def test_containers_conf_merge_keeps_comments_and_the_users_limits():
    old = '# my podman settings\n[containers]\nlog_driver = "k8s-file"  # keep\ndefault_ulimits = ["nofile=1024:2048"]\n\n[engine]\ncgroup_manager = "cgroupfs"\n'
    merged = configs.merged_containers_conf(old, ["nofile=20000:20000", "nproc=4096:4096"], "containers.conf")
    assert merged.startswith("# my podman settings\n") and 'log_driver = "k8s-file"  # keep' in merged
    assert 'default_ulimits = ["nofile=1024:2048", "nproc=4096:4096"]' in merged
    assert '[engine]\ncgroup_manager = "cgroupfs"' in merged
    assert configs.merged_containers_conf(merged, ["nofile=1:1", "nproc=1:1"], "c") is None
    with pytest.raises(SetupError, match="not valid TOML"):
        configs.merged_containers_conf("[containers", ["nproc=1:1"], "containers.conf")


def test_stand_in_engine_is_stopped_by_the_fixture(machine):
    """The stand-in dockerd answers the Docker SDK like an engine, and SIGTERM stops it."""
    engine = machine.start_engine()
    from wasmscope.workloads.setup.engine import ask_engine

    answer = ask_engine()
    assert answer.up and answer.version == "20.10.24-standin" and set(answer.runtimes) == {"runc"}
    os.kill(engine.pid, signal.SIGTERM)
    engine.wait(10)
    assert not ask_engine().up and machine.engine_pid() is None
