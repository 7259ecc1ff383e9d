"""A stand-in machine for `wasmscope doctor` tests: a temporary system tree (etc/docker, var/run,
sys/fs/cgroup of a cgroup v1 hybrid host) and stand-in `apt-get`, `dockerd`, `mount` (and, when
asked, `sudo`) alone on PATH with a few coreutils, so the machine looks fresh: no Docker, no crun,
no C compiler. The stand-ins (tests/data/doctor/) record what they were asked; apt-get
"installs" a package by putting the commands it provides on PATH. DOCKER_HOST points at the
stand-in engine's socket: the real dockerd of this machine is never signalled or reconfigured."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from wasmscope.profiles import load_profile
from wasmscope.workloads.setup.host import Host

STANDINS = Path(__file__).parent / "data" / "doctor"
COREUTILS = ("env", "cp", "install", "mv", "mkdir", "kill")
PROFILE = '[profile]\nname = "standin"\n\n[bench]\nruntimes = ["docker", "docker-crun", "native"]\nmeasurements = ["startup"]\n'
CRUN_PATH = "/usr/bin/crun"


class Machine:
    """The stand-in machine's paths, environment and what its stand-ins recorded."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin, self.pkgs, self.state = root / "bin", root / "pkgs", root / "state"
        self.log = root / "standins.log"
        self.profile_path = root / "profile.toml"

    @property
    def env(self) -> dict[str, str]:
        return {"PATH": str(self.bin), "STANDIN_LOG": str(self.log), "STANDIN_BIN": str(self.bin),
                "STANDIN_PACKAGES": str(self.pkgs / "packages.json"), "WASMSCOPE_SYSTEM_ROOT": str(self.root),
                "DOCKER_HOST": f"unix://{self.root}/var/run/docker.sock",
                "WASMSCOPE_STATE_DIR": str(self.state), "WASMSCOPE_CACHE_DIR": str(self.root / "cache")}

    @property
    def daemon_json(self) -> Path:
        return self.root / "etc/docker/daemon.json"

    @property
    def unified(self) -> Path:
        return self.root / "sys/fs/cgroup/unified/cgroup.controllers"

    def recorded(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def host(self, euid: int = 0) -> Host:
        return Host(self.root, euid)

    def profile(self):
        return load_profile(self.profile_path)

    def engine_pid(self) -> int | None:
        try:
            return int((self.root / "var/run/docker.pid").read_text())
        except (OSError, ValueError):
            return None

    def preinstall(self, *packages: str) -> None:
        """As if these packages were installed before doctor ran (what the apt-get stand-in does)."""
        provided = json.loads((self.pkgs / "packages.json").read_text())
        for package in packages:
            for command, target in provided[package].items():
                (self.bin / command).symlink_to(target)

    def start_engine(self) -> subprocess.Popen:
        """The stand-in dockerd started by the test itself (an engine that already runs)."""
        proc = subprocess.Popen([str(self.pkgs / "dockerd"), *self.host().dockerd_argv()[1:]], env=self.env,
                                start_new_session=True)
        deadline = time.monotonic() + 10
        while not (self.root / "var/run/docker.sock").exists():
            assert time.monotonic() < deadline and proc.poll() is None, "stand-in dockerd did not start"
            time.sleep(0.05)
        return proc


def _install_script(source: Path, target: Path) -> None:
    target.write_text(f"#!{sys.executable}\n" + source.read_text())
    target.chmod(0o755)


def make_machine(monkeypatch):
    """Build the stand-in machine, point this process's environment at it; stop its engine after."""
    root = Path(tempfile.mkdtemp(prefix="wd-", dir="/tmp"))  # short: a unix socket path has 108 bytes
    m = Machine(root)
    for d in (m.bin, m.pkgs, root / "sys/fs/cgroup/memory", root / "sys/fs/cgroup/unified", root / "etc", root / "var/run"):
        d.mkdir(parents=True)
    m.unified.write_text("hugetlb\n")  # this VM: cgroup v1 whose cgroup2 hierarchy holds hugetlb
    for name in COREUTILS:
        (m.bin / name).symlink_to(shutil.which(name))
    _install_script(STANDINS / "apt_get.py", m.bin / "apt-get")
    _install_script(STANDINS / "mount.py", m.bin / "mount")
    _install_script(STANDINS / "dockerd.py", m.pkgs / "dockerd")
    (m.pkgs / "packages.json").write_text(json.dumps({
        "docker.io": {"dockerd": str(m.pkgs / "dockerd")}, "crun": {"crun": CRUN_PATH},
        "clang": {"clang": shutil.which("clang"), "ld": shutil.which("ld")},  # binutils comes with it
        "libc6-dev": {}}))
    m.profile_path.write_text(PROFILE)
    for key, value in m.env.items():
        monkeypatch.setenv(key, value)
    yield m
    pid = m.engine_pid()
    if pid:
        _stop(pid)
    shutil.rmtree(root, ignore_errors=True)


def _stop(pid: int) -> None:
    try:
        proc = psutil.Process(pid)
        proc.terminate()
        proc.wait(5)
    except psutil.TimeoutExpired:
        proc.kill()
    except psutil.Error:
        pass


def with_sudo(m: Machine) -> None:
    _install_script(STANDINS / "sudo.py", m.bin / "sudo")


