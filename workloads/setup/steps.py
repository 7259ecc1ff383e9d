"""The fixes `wasmscope doctor --fix` carries out. Each step shows what it will do (`preview`),
and `apply` does it, printing every command first; applied again it finds the work done and
says so. ROOT steps run as root (directly or through sudo); CONSENT steps change something
outside wasmscope's own directories, so a terminal user is asked once before any runs."""

from __future__ import annotations

import importlib
import os
import resource
import shlex
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ClassVar

from ..errors import SetupError
from ..runtimes.docker_engine import hybrid_cgroup_trap
from ..system import tools
from ..system.paths import state_dir
from .configs import merged_containers_conf, merged_daemon_json
from .engine import ask_engine, wait_for_engine
from .host import Host
from .runner import Runner

ENGINE_START_S = 60.0
ENGINE_RELOAD_S = 10.0
PODMAN_NPROC = 4096  # as the Podman adapter passes (podman.py)


@dataclass
class Fixing:
    """What a step works with: the machine, the command runner, the progress line printer."""

    host: Host
    runner: Runner
    say: Callable[[str], None]


class Step(ABC):
    ORDER: ClassVar[int] = 50
    ROOT: ClassVar[bool] = True
    CONSENT: ClassVar[bool] = True

    @property
    @abstractmethod
    def title(self) -> str:
        """One line: what this step sets up."""

    @abstractmethod
    def preview(self, host: Host) -> list[str]:
        """The commands it will run (or, for a file merge, what it writes where)."""

    @abstractmethod
    def apply(self, fixing: Fixing) -> str:
        """Do it (idempotent); one line saying what was done or that nothing was needed."""

    def command_lines(self, host: Host) -> list[str]:
        """`preview` as it will run: sudo in front of a root step's commands when we are not root."""
        from .host import SUDO

        prefix = "sudo " if self.ROOT and host.privilege == SUDO else ""
        return [line if line.startswith(("merge ", "add ", "(")) else prefix + line for line in self.preview(host)]


@dataclass(frozen=True)
class AptInstall(Step):
    packages: tuple[str, ...]
    ORDER: ClassVar[int] = 0

    @property
    def title(self) -> str:
        return f"Debian packages: {' '.join(self.packages)}"

    def argv(self) -> list[list[str]]:
        return [["apt-get", "update", "-qq"],
                ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", *self.packages]]

    def preview(self, host: Host) -> list[str]:
        return [shlex.join(a) for a in self.argv()]

    def apply(self, fixing: Fixing) -> str:
        for argv in self.argv():
            fixing.runner.run(argv)
        return f"installed {' '.join(self.packages)}"


def merge_apt(steps: list[Step]) -> list[Step]:
    """All AptInstall steps as one (one `apt-get update`, one install), where the first was."""
    packages = list(dict.fromkeys(p for s in steps if isinstance(s, AptInstall) for p in s.packages))
    out: list[Step] = []
    for s in steps:
        if not isinstance(s, AptInstall):
            out.append(s)
        elif packages:
            out.append(AptInstall(tuple(packages)))
            packages = []
    return out


def write_config(fixing: Fixing, dst: Path, text: str) -> str:
    """Put `text` at `dst` as root: the old file copied aside first, the new one written next to
    it and renamed over it (never half written). Returns the backup's path ("" if none)."""
    run, backup = fixing.runner.run, ""
    if not dst.parent.is_dir():
        run(["mkdir", "-p", str(dst.parent)])
    if dst.exists():
        backup = f"{dst}.wasmscope-backup-{time.strftime('%Y%m%d-%H%M%S')}"
        run(["cp", "-p", str(dst), backup])
    with tempfile.TemporaryDirectory(prefix="wasmscope-config-") as tmp:
        staged = Path(tmp) / dst.name
        staged.write_text(text)
        os.chmod(tmp, 0o755)  # sudo's root reads it even on a root-squashed home
        run(["install", "-m", "0644", str(staged), f"{dst}.wasmscope-new"])
    run(["mv", "-f", f"{dst}.wasmscope-new", str(dst)])
    return backup


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise SetupError(f"{path}: cannot read: {err.strerror or err}") from None


@dataclass(frozen=True)
class RegisterRuntime(Step):
    """The engine's daemon.json `runtimes` entry, then a SIGHUP to a running dockerd (it reloads
    `runtimes` live): never a restart, never another engine than the local default one."""

    name: str
    path: str
    ORDER: ClassVar[int] = 20

    @property
    def title(self) -> str:
        return f"register {self.name} with the Docker engine"

    def entry(self) -> str:
        return f'{{"runtimes": {{"{self.name}": {{"path": "{self.path}"}}}}}}'

    def preview(self, host: Host) -> list[str]:
        file = host.engine_config_file()
        proc = host.engine_process()
        return [f"merge {self.entry()} into {file} (other keys kept; the old file kept as "
                f"{file.name}.wasmscope-backup-<time>)",
                f"kill -HUP {proc.pid}  (dockerd reloads its runtimes)" if proc else "(dockerd reads it when it starts)"]

    def apply(self, fixing: Fixing) -> str:
        file = fixing.host.engine_config_file()
        merged = merged_daemon_json(_read(file), self.name, self.path, str(file))
        done = f"{self.name} already in {file}"
        if merged is not None:
            fixing.say(f"# merge {self.entry()} into {file}")
            backup = write_config(fixing, file, merged)
            done = f"{self.name} added to {file}" + (f" (old file: {backup})" if backup else "")
        return f"{done}; {self._reload(fixing)}"

    def _reload(self, fixing: Fixing) -> str:
        proc = fixing.host.engine_process()
        answer = ask_engine()
        if proc is None or not answer.up:
            return "dockerd loads it when it starts"
        if self.name in answer.runtimes:
            return "the engine lists it"
        fixing.runner.run(["kill", "-HUP", str(proc.pid)])
        answer = wait_for_engine(lambda a: self.name in a.runtimes, ENGINE_RELOAD_S)
        if self.name not in answer.runtimes:
            raise SetupError(f"dockerd (pid {proc.pid}) still lists no {self.name} runtime "
                             f"{ENGINE_RELOAD_S:g} s after SIGHUP (does it read {fixing.host.engine_config_file()}?)")
        return f"dockerd (pid {proc.pid}) reloaded it (SIGHUP)"


@dataclass(frozen=True)
class PodmanUlimits(Step):
    """`default_ulimits` in containers.conf, for `podman run` by hand (wasmscope passes its own)."""

    ORDER: ClassVar[int] = 25

    @property
    def title(self) -> str:
        return "Podman's default ulimits (containers.conf)"

    @staticmethod
    def wanted() -> list[str]:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        nofile = hard if hard != resource.RLIM_INFINITY else 1 << 20
        return [f"nofile={nofile}:{nofile}", f"nproc={PODMAN_NPROC}:{PODMAN_NPROC}"]

    def preview(self, host: Host) -> list[str]:
        return [f"add default_ulimits {self.wanted()} to [containers] in {host.containers_conf} "
                "(other settings and comments kept; the old file kept as a backup)"]

    def apply(self, fixing: Fixing) -> str:
        conf = fixing.host.containers_conf
        merged = merged_containers_conf(_read(conf), self.wanted(), str(conf))
        if merged is None:
            return f"{conf} sets them already"
        fixing.say(f"# add default_ulimits {self.wanted()} to [containers] in {conf}")
        backup = write_config(fixing, conf, merged)
        return f"{conf} written" + (f" (old file: {backup})" if backup else "")


@dataclass(frozen=True)
class MountCgroups(Step):
    """Each controller crun finds in the cgroup2 hierarchy of a v1 host mounted as v1 instead
    (the kernel then moves it out of cgroup2): what makes crun run on this hybrid VM."""

    controllers: tuple[str, ...]
    ORDER: ClassVar[int] = 30

    @property
    def title(self) -> str:
        return f"mount {', '.join(self.controllers)} as cgroup v1 (for crun)"

    def argv(self, host: Host) -> list[list[str]]:
        out = []
        for c in self.controllers:
            where = str(host.cgroup / c)
            out += [["mkdir", "-p", where], ["mount", "-t", "cgroup", "-o", c, "cgroup", where]]
        return out

    def preview(self, host: Host) -> list[str]:
        return [shlex.join(a) for a in self.argv(host)]

    def apply(self, fixing: Fixing) -> str:
        if hybrid_cgroup_trap(fixing.host.cgroup) is None:
            return "nothing left in the cgroup2 hierarchy"
        for argv in self.argv(fixing.host):
            fixing.runner.run(argv)
        held = hybrid_cgroup_trap(fixing.host.cgroup)
        if held:
            raise SetupError(f"the cgroup2 hierarchy still holds {held} after the mount")
        return f"{', '.join(self.controllers)} mounted as cgroup v1"


@dataclass(frozen=True)
class StartDockerd(Step):
    """Start the local default engine when nothing answers: its log and pid in wasmscope's
    state dir. Never a second dockerd beside one that runs, never a remote engine."""

    ORDER: ClassVar[int] = 40

    @property
    def title(self) -> str:
        return "start the Docker engine (dockerd)"

    @staticmethod
    def files() -> tuple[Path, Path]:
        return state_dir() / "dockerd.log", state_dir() / "dockerd.pid"

    def preview(self, host: Host) -> list[str]:
        log, pid = self.files()
        return [f"{shlex.join(host.dockerd_argv())} >>{log} 2>&1 &  (its pid kept in {pid})"]

    def apply(self, fixing: Fixing) -> str:
        if not fixing.host.engine_is_local_default():
            raise SetupError("DOCKER_HOST is not this machine's default engine: doctor does not start engines")
        if ask_engine().up:
            return "the engine answers already"
        log, pidfile = self.files()
        proc = None
        if fixing.host.engine_process() is None:
            proc = fixing.runner.spawn(fixing.host.dockerd_argv(), log=log)
        else:
            fixing.say("# dockerd runs but does not answer yet: waiting for it (no second dockerd)")
        answer = wait_for_engine(lambda a: a.up or (proc is not None and proc.poll() is not None), ENGINE_START_S)
        if not answer.up:
            why = f"exited with code {proc.returncode}" if proc and proc.poll() is not None else \
                f"does not answer after {ENGINE_START_S:g} s"
            raise SetupError(f"dockerd {why} ({answer.error}); its log: {log}: {_tail(log)}")
        if proc is None:
            return f"the engine answers now; Docker Engine {answer.version}"
        running = fixing.host.engine_process()
        pid = running.pid if running else proc.pid
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        pidfile.write_text(f"{pid}\n")
        return f"dockerd started: pid {pid} (kept in {pidfile}), log {log}; Docker Engine {answer.version}"


def _tail(path: Path) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1][:200] if lines else "empty log"


@dataclass(frozen=True)
class PipTool(Step):
    """A tool's wheels into wasmscope's own tools dir (no root, nothing outside it)."""

    tool: str
    ORDER: ClassVar[int] = 60
    ROOT: ClassVar[bool] = False
    CONSENT: ClassVar[bool] = False

    @property
    def spec(self) -> tools.ToolSpec:
        return tools.TOOLS[self.tool]

    @property
    def title(self) -> str:
        return f"{self.spec.title} {self.spec.version} into wasmscope's tools dir"

    def preview(self, host: Host) -> list[str]:
        specs = [f"{p}=={self.spec.version}" for p in self.spec.packages]
        return [shlex.join(tools.pip_install_command(specs, self.spec.install_dir()))]

    def apply(self, fixing: Fixing) -> str:
        if not (self.spec.install_dir() / self.spec.binaries[0]).is_file():
            for line in self.preview(fixing.host):
                fixing.say(f"$ {line}  (staged, then moved into place)")
        return tools.install(self.spec).describe()


@dataclass(frozen=True)
class PipExtra(Step):
    """One of wasmscope's optional extras into the Python environment wasmscope runs in."""

    extra: str
    requirements: tuple[str, ...]
    ORDER: ClassVar[int] = 70
    ROOT: ClassVar[bool] = False

    @property
    def title(self) -> str:
        return f"Python extra [{self.extra}]: {' '.join(self.requirements)}"

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
                *self.requirements]

    def preview(self, host: Host) -> list[str]:
        return [shlex.join(self.argv())]

    def apply(self, fixing: Fixing) -> str:
        fixing.runner.run(self.argv(), root=False)
        importlib.invalidate_caches()  # this process's re-check must see the new packages
        return f"installed {' '.join(self.requirements)}"
