"""A real sshd for the tests of remote hosts (the engine's and the app's): Debian's sshd on a
free loopback port with a key made for the test, the agent this venv's wasmscope, and a reaper of
what a remote run left behind (counted by owner_helpers: only what that run owned). Import the
fixtures into a test module: `from remote_helpers import sshd, ...`."""

from __future__ import annotations

import getpass
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from wasmscope.workloads.remote.address import REMOTE_COMMAND_ENV, SSH_COMMAND_ENV
from wasmscope.workloads.system.tools import WASMTIME_CLI

from conftest import docker_required
from owner_helpers import plain_env, proc_cmdline, proc_name, remove_owned, wait_for

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


@dataclass
class Sshd:
    port: int
    key: Path
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"ssh://{getpass.getuser()}@127.0.0.1:{self.port}"

    @property
    def label(self) -> str:
        return f"{getpass.getuser()}@127.0.0.1:{self.port}"

    def ssh_command(self) -> str:
        return (f"ssh -i {self.key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                "-o LogLevel=ERROR")

    def sessions(self) -> list[psutil.Process]:
        """The per-connection sshd processes (killing them is a dropped connection)."""
        try:
            kids = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            return []
        return [p for p in kids if proc_name(p) == "sshd"]

    def agents(self) -> list[psutil.Process]:
        try:
            kids = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.Error:
            return []
        return [p for p in kids if "wasmscope.tui.cli" in proc_cmdline(p) and " agent" in proc_cmdline(p)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    """Debian's sshd on a free loopback port, keys and config in a temp dir, stopped by its pid."""
    if not os.access(SSHD, os.X_OK):
        why = "openssh-server is not installed (apt-get install -y openssh-server)"
        pytest.fail(why) if docker_required() else pytest.skip(why)
    d = tmp_path_factory.mktemp("sshd")
    for name in ("host", "user"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True, timeout=30)
    (d / "authorized_keys").write_text((d / "user.pub").read_text())
    port = free_port()
    config = d / "sshd_config"
    config.write_text(f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host'}\n"
                      f"AuthorizedKeysFile {d / 'authorized_keys'}\nPasswordAuthentication no\n"
                      "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nStrictModes no\n"
                      f"UsePAM no\nPidFile {d / 'sshd.pid'}\n")
    Path("/run/sshd").mkdir(exist_ok=True)  # its privilege separation directory
    proc = subprocess.Popen([SSHD, "-D", "-f", str(config), "-E", str(d / "sshd.log")], env=plain_env(),
                            start_new_session=True)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return proc.poll() is not None  # ended: the assert below says why

    wait_for(listening, 15, "sshd to listen")
    assert proc.poll() is None, (d / "sshd.log").read_text()
    yield Sshd(port, d / "user", proc)
    os.kill(int((d / "sshd.pid").read_text()), signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def agent_command(python_code: str | None = None) -> str:
    """The remote command: this venv's wasmscope, with this test session's cache and wasmtime CLI
    (an SSH session starts with a fresh environment)."""
    env = [f"{k}={os.environ[k]}" for k in ("WASMSCOPE_CACHE_DIR", WASMTIME_CLI.env_var) if k in os.environ]
    tail = ["-c", python_code] if python_code else ["-m", "wasmscope.tui.cli", "agent"]
    return shlex.join(["env", *env, sys.executable, *tail])


def remote_env(server: Sshd, remote_command: str | None = None) -> dict[str, str]:
    env = plain_env()
    env[SSH_COMMAND_ENV] = server.ssh_command()
    env[REMOTE_COMMAND_ENV] = remote_command or agent_command()
    return env


@pytest.fixture
def via_ssh(sshd, monkeypatch):
    """This process reaches the test sshd (the in-process tests)."""
    monkeypatch.setenv(SSH_COMMAND_ENV, sshd.ssh_command())
    monkeypatch.setenv(REMOTE_COMMAND_ENV, agent_command())
    return sshd


@pytest.fixture
def reaper(docker_client):
    """Pids of agents a test starts: whatever they left is removed after the test, even when it failed."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        remove_owned(docker_client, pid)
