"""The machine doctor looks at and changes: where the system files are (under
$WASMSCOPE_SYSTEM_ROOT in tests), which Docker engine is the local default one (the only
engine doctor ever starts or configures), and how a command gets root."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import psutil

from ..runtimes.docker_engine import engine_address
from ..system.paths import system_root

ROOT, SUDO, NO_ROOT = "root", "sudo", "none"


def _under_root(relative: str) -> property:
    """A system file's path, under the host's root (a stand-in tree in tests)."""
    def path(self: "Host") -> Path:
        return self.root / relative

    return property(path, doc=f"/{relative} under the host's root")


@dataclass(frozen=True)
class Host:
    root: Path  # "/" on a real machine
    euid: int

    @classmethod
    def current(cls) -> "Host":
        return cls(system_root(), os.geteuid())

    daemon_json = _under_root("etc/docker/daemon.json")
    containers_conf = _under_root("etc/containers/containers.conf")
    cgroup = _under_root("sys/fs/cgroup")
    engine_socket = _under_root("var/run/docker.sock")
    engine_pidfile = _under_root("var/run/docker.pid")

    @property
    def privilege(self) -> str:
        """ROOT, SUDO (not root, sudo on PATH) or NO_ROOT."""
        if self.euid == 0:
            return ROOT
        return SUDO if shutil.which("sudo") else NO_ROOT

    def engine_is_local_default(self) -> bool:
        """True when the engine wasmscope talks to is this machine's default socket: the only
        one doctor starts or reconfigures (never a remote or another user's DOCKER_HOST)."""
        address = engine_address()
        if not address.startswith("unix://"):
            return False
        return _same_path(Path(address.removeprefix("unix://")), self.engine_socket)

    def dockerd_argv(self) -> list[str]:
        """`dockerd` as the system starts it; under a stand-in root, pointed at that tree."""
        if self.root == Path("/"):
            return ["dockerd"]
        return ["dockerd", "--config-file", str(self.daemon_json), "--host", f"unix://{self.engine_socket}",
                "--pidfile", str(self.engine_pidfile)]

    def engine_process(self) -> psutil.Process | None:
        """The running dockerd of the local default engine (from its pidfile), or None."""
        try:
            pid = int(self.engine_pidfile.read_text().strip())
            proc = psutil.Process(pid)
            argv = proc.cmdline()
        except (OSError, ValueError, psutil.Error):
            return None
        return proc if any(Path(a).name == "dockerd" for a in argv[:2]) else None

    def engine_config_file(self) -> Path:
        """The daemon.json the running dockerd reads (its --config-file), else the default one."""
        proc = self.engine_process()
        argv = proc.cmdline() if proc else []
        for i, arg in enumerate(argv):
            if arg == "--config-file" and i + 1 < len(argv):
                return Path(argv[i + 1])
            if arg.startswith("--config-file="):
                return Path(arg.split("=", 1)[1])
        return self.daemon_json


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b
