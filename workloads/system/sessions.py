"""What ties every container, child process and build leftover to the wasmscope process that
made it, and the cleanup of those whose owner is gone (crash, kill -9).

- Containers carry labels (owner pid + start time + host): the next wasmscope that talks to
  Docker removes a dead owner's containers, `wasmscope clean` does on demand.
- Child processes carry `WASMSCOPE_OWNER=<pid>:<start>` in their environment (child_env(), and
  os.environ once the CLI marked it, so children of children and tools started with the
  inherited environment carry it too). A run-to-exit child has no PR_SET_PDEATHSIG (it would
  cost ~5 ms per spawn) and grandchildren never get it: after a kill -9 they live on, and the
  marker is how a later process finds them (/proc/PID/environ).
- Build leftovers (`*.tmp` files, temp build directories in the cache dir) are removed when no
  running process uses them any more.
- Temporary directories (a front's stats, a wash project, Wasmer's no-cache roots, sandbox
  scratch dirs, a test session's cache) live in one parent per user, `<tmp>/wasmscope-<uid>/`,
  inside a directory named after the owner's marker (`<pid>-<start>`); children that carry
  the marker use their owner's. The owner removes its directory when it exits; a dead owner's
  is removed by the next run or `wasmscope clean`. The same directory notes which container
  engines the run talked to (`engines/docker`, `engines/podman`), so the next run of any kind
  knows where a killed run may have left containers, without contacting engines otherwise.

The Podman API service wasmscope starts is meant to live as long as the process that started
it (podman.py stops it on close(); its socket is per process, but a profile's `socket` option
can point another wasmscope at it, which then uses it without owning it). So a dead owner's
service is a leftover, unless a client is still connected to its socket (a live session uses
it): then it is kept and said so.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import stat
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import psutil

LABEL = "wasmscope"
OWNER_PID = "wasmscope.owner-pid"
OWNER_START = "wasmscope.owner-start"
OWNER_HOST = "wasmscope.owner-host"
OWNER_RUN = "wasmscope.owner-run"  # the run's WASMSCOPE_OWNER: a child's containers name the run too
OWNER_ENV = "WASMSCOPE_OWNER"  # "<pid>:<start time>" in every child's environment
TERM_GRACE_S = 2.0  # SIGTERM first (a front removes its containers), SIGKILL after this
LEFTOVER_IDLE_S = 10.0  # an unused build leftover younger than this may be a build between steps

_reporter: Callable[[str], None] | None = None


def set_reporter(report: Callable[[str], None] | None) -> None:
    """Say each removal as it happens (the CLI: stderr); removals happen on a first Docker
    contact deep inside a run, so a return value would never reach the user."""
    global _reporter
    _reporter = report


def say(line: str) -> None:
    """One line to the user through the reporter (the CLI: stderr), if one is set."""
    if _reporter is not None:
        _reporter(line)



_token: tuple[int, str] | None = None


def owner_token() -> str:
    """`<pid>:<start time>` of this process (recomputed after a fork)."""
    global _token
    pid = os.getpid()
    if _token is None or _token[0] != pid:
        _token = (pid, f"{pid}:{psutil.Process(pid).create_time():.2f}")
    return _token[1]


_TOKEN = re.compile(r"(\d+):(\d+(?:\.\d+)?)")


def run_token() -> str:
    """The run this process works for: its WASMSCOPE_OWNER (a child's owner), else itself."""
    inherited = os.environ.get(OWNER_ENV, "").strip()
    return inherited if _TOKEN.fullmatch(inherited) else owner_token()


def mark_environ() -> None:
    """Mark os.environ so that every child, even one started with the inherited environment
    (load generators, mmdebstrap, the Podman service), can be traced back to us."""
    os.environ[OWNER_ENV] = owner_token()


def session_labels(**extra: str) -> dict[str, str]:
    """Labels for a container made by this process."""
    me = psutil.Process()
    labels = {LABEL: "1", OWNER_PID: str(me.pid), OWNER_START: f"{me.create_time():.2f}",
              OWNER_HOST: socket.gethostname(), OWNER_RUN: run_token()}
    labels.update(extra)
    return labels


def owner_alive(labels: dict[str, str]) -> bool:
    """True when the process that made the container still runs (pid reuse ruled out)."""
    if labels.get(OWNER_HOST) not in (None, socket.gethostname()):
        return True  # another machine's session: not ours to judge
    try:
        pid = int(labels.get(OWNER_PID, "0"))
        start = float(labels.get(OWNER_START, "0"))
    except ValueError:
        return False
    if pid <= 0:
        return False
    try:
        owner = psutil.Process(pid)
        # a zombie is dead: killed, not yet reaped by its parent
        return abs(owner.create_time() - start) < 1.0 and owner.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _token_alive(token: str) -> bool:
    """Whether the owner named by a WASMSCOPE_OWNER value runs; a malformed value is not ours."""
    m = _TOKEN.fullmatch(token.strip())
    if m is None:
        return True
    return owner_alive({OWNER_PID: m.group(1), OWNER_START: m.group(2)})


@dataclass
class CleanReport:
    containers: list[str] = field(default_factory=list)  # "name (id12, image)"
    images: list[str] = field(default_factory=list)
    kept_live: int = 0
    processes: list[str] = field(default_factory=list)  # "PID (command line)"
    leftovers: list[str] = field(default_factory=list)  # paths
    temp_dirs: list[str] = field(default_factory=list)  # paths of dead runs' temporary directories
    kept: list[str] = field(default_factory=list)  # why something of a dead owner stays

    def removed_anything(self) -> bool:
        return bool(self.containers or self.images or self.processes or self.leftovers or self.temp_dirs)

    def merge(self, other: "CleanReport") -> "CleanReport":
        """Add another pass's findings (another engine, the local sweep) to this report."""
        self.containers += other.containers
        self.images += other.images
        self.kept_live += other.kept_live
        self.processes += other.processes
        self.leftovers += other.leftovers
        self.temp_dirs += other.temp_dirs
        self.kept += other.kept
        return self

    def lines(self) -> list[str]:
        out = [f"removed container {c}" for c in self.containers]
        out += [f"removed image {i}" for i in self.images]
        out += [f"removed process {p}" for p in self.processes]
        out += [f"removed build leftover {p}" for p in self.leftovers]
        out += [f"removed temporary directory {p}" for p in self.temp_dirs]
        out += [f"kept {k}" for k in self.kept]
        if self.kept_live:
            out.append(f"kept {self.kept_live} container(s) of running wasmscope sessions (use --all)")
        if not self.removed_anything():
            out.insert(0, "nothing to clean")
        return out


def remove_containers(client, *, include_live: bool = False, engine: str = "docker",
                      mine: bool = False) -> CleanReport:
    """Remove labelled containers of dead sessions (or all of them with include_live; or, with
    `mine`, only this process's own: a remote agent whose connection dropped); each removal is
    said naming the engine unless it is Docker."""
    report = CleanReport()
    label = f"{OWNER_PID}={os.getpid()}" if mine else f"{LABEL}=1"
    # The low-level list: the high-level one inspects each container and fails on any that
    # its owner removes meanwhile (a per-request front removes one every few hundred ms).
    for c in client.api.containers(all=True, filters={"label": label}):
        labels = c.get("Labels") or {}
        if mine and labels.get(OWNER_HOST) not in (None, socket.gethostname()):
            continue
        if not include_live and not mine and owner_alive(labels):  # ours included: another adapter may own it
            report.kept_live += 1
            continue
        try:
            client.api.remove_container(c["Id"], force=True)
        except Exception as err:  # gone, or being removed by its owner or another sweep: not ours to do
            status = getattr(getattr(err, "response", None), "status_code", None)
            if status not in (404, 409) and "No such container" not in str(err):
                raise
            continue
        name = (c.get("Names") or ["?"])[0].lstrip("/")
        report.containers.append(f"{name} ({c['Id'][:12]}, {c.get('Image', '?')})")
        say(f"removed {'' if engine == 'docker' else engine + ' '}container {report.containers[-1]}")
    return report


def clean(client, *, include_live: bool = False, images: bool = False,
          already: CleanReport | None = None) -> CleanReport:
    """Containers of dead sessions, dangling labelled images, and with `images` every image.

    `already` is what an earlier pass (a client's first contact) removed, reported too.
    """
    report = remove_containers(client, include_live=include_live)
    if already is not None:
        report.containers[:0] = already.containers
    for img in client.images.list(filters={"label": f"{LABEL}=1", "dangling": True}):
        client.images.remove(img.id, force=True)
        report.images.append(f"{img.short_id} (dangling)")
    if images:
        for img in client.images.list(filters={"label": f"{LABEL}=1"}):
            tags = ", ".join(img.tags) or img.short_id
            try:
                client.images.remove(img.id, force=True)
            except Exception as err:
                if "No such image" not in str(err):
                    raise
                continue
            report.images.append(tags)
    return report


# -- child processes of dead sessions ------------------------------------------------------

def _cmdline(p: psutil.Process) -> str:
    try:
        text = " ".join(p.cmdline()) or p.name()
    except psutil.Error:
        text = "?"
    return text if len(text) <= 120 else text[:117] + "..."


def _lineage() -> set[int]:
    """This process and its ancestors: never ours to reap, whatever their environment says."""
    me = psutil.Process()
    return {me.pid, *(p.pid for p in me.parents())}


def stale_processes() -> list[psutil.Process]:
    """Processes marked with a WASMSCOPE_OWNER that no longer runs.

    Only processes whose environment we may read (our user's) are seen; containers' processes
    run as another user and are the engine's to stop.
    """
    spared = _lineage()
    out = []
    for p in psutil.process_iter():
        if p.pid in spared:
            continue
        try:
            token = p.environ().get(OWNER_ENV)
        except (psutil.Error, OSError):
            continue
        if token and not _token_alive(token):
            out.append(p)
    return out


def _podman_service_socket(p: psutil.Process) -> str | None:
    """The socket path when `p` is a `podman system service`, else None."""
    try:
        argv = p.cmdline()
    except psutil.Error:
        return None
    if not argv or Path(argv[0]).name != "podman" or "service" not in argv:
        return None
    addr = next((a for a in argv if a.startswith("unix://")), None)
    return addr.removeprefix("unix://") if addr else "/run/podman/podman.sock"


def _socket_clients(path: str) -> int:
    """Connected sockets bound to this unix socket path (the service's side of each client)."""
    try:
        lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    except OSError:
        return 0
    n = 0
    for line in lines:
        fields = line.split()
        # Num RefCount Protocol Flags Type St Inode Path; St 03 = connected
        if len(fields) >= 8 and fields[7] == path and fields[5] == "03":
            n += 1
    return n


def own_processes() -> list[psutil.Process]:
    """Processes carrying this process's own WASMSCOPE_OWNER marker (ourselves excepted)."""
    mine, out = owner_token(), []
    for p in psutil.process_iter():
        if p.pid == os.getpid():
            continue
        try:
            if p.environ().get(OWNER_ENV) == mine:
                out.append(p)
        except (psutil.Error, OSError):
            continue
    return out


def reap_processes(grace_s: float = TERM_GRACE_S, *, mine: bool = False) -> CleanReport:
    """Stop every stale process with its descendants: SIGTERM, SIGKILL after `grace_s`.
    With `mine`, this process's own marked children instead (a remote agent whose connection
    dropped while a measurement still ran)."""
    report = CleanReport()
    victims: dict[int, psutil.Process] = {}
    for p in (own_processes() if mine else stale_processes()):
        sock = None if mine else _podman_service_socket(p)
        if sock is not None and _socket_clients(sock):
            report.kept.append(f"podman service {p.pid} of a dead session: a running session uses {sock}")
            continue
        try:
            tree = [p, *p.children(recursive=True)]
        except psutil.Error:
            continue
        for q in tree:
            if q.pid not in victims:
                victims[q.pid] = q
                report.processes.append(f"{q.pid} ({_cmdline(q)})")
    for q in victims.values():
        try:
            q.terminate()  # psutil checks the start time first: a reused pid is left alone
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(list(victims.values()), timeout=grace_s)
    for q in alive:
        try:
            q.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(alive, timeout=5)
    for line in report.processes:
        say(f"removed process {line}")
    return report


# -- build leftovers -----------------------------------------------------------------------

# Work in progress in the cache dir: tempfile's `*.tmp` files and staging dirs (tools, native
# binaries, compiled modules, components), `<name>.<pid>.tmp` / `<name>.tmp<pid>.so` (wasmtime
# CLI, WasmEdge AOT), and the TemporaryDirectory of a Debian base or component build.
_PID_NAMED = re.compile(r".*\.(\d+)\.tmp|.*\.tmp(\d+)\.so")
_TEMP_BUILD_DIR = re.compile(r"build[-.][A-Za-z0-9_]{8}")


def _leftover_candidates(root: Path, depth: int = 4) -> list[Path]:
    out: list[Path] = []

    def walk(d: Path, level: int) -> None:
        try:
            entries = list(os.scandir(d))
        except OSError:
            return
        for e in entries:
            is_dir = e.is_dir(follow_symlinks=False)
            if e.name.endswith(".tmp") or _PID_NAMED.fullmatch(e.name) or (
                    is_dir and _TEMP_BUILD_DIR.fullmatch(e.name)):
                out.append(Path(e.path))
            elif is_dir and level < depth:
                walk(Path(e.path), level + 1)

    walk(root, 1)
    return out


def _in_use(root: Path) -> tuple[set[str], list[str]]:
    """Paths under `root` that running processes hold open or work in, and their command
    lines that name it (a compiler's -o, mmdebstrap's target)."""
    held: set[str] = set()
    argvs: list[str] = []
    prefix = str(root)
    for p in psutil.process_iter():
        try:
            cwd = p.cwd()
            if cwd.startswith(prefix):
                held.add(cwd)
            for f in p.open_files():
                if f.path.startswith(prefix):
                    held.add(f.path)
            argv = " ".join(p.cmdline())
            if prefix in argv:
                argvs.append(argv)
        except (psutil.Error, OSError):
            continue
    return held, argvs


def _newest_mtime(path: Path) -> float:
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                try:
                    newest = max(newest, os.lstat(os.path.join(dirpath, name)).st_mtime)
                except OSError:
                    continue
    return newest


def stale_leftovers(root: Path | None = None, idle_s: float = LEFTOVER_IDLE_S) -> list[Path]:
    """Build leftovers in the cache dir whose builder is gone.

    Nobody may hold it open, work in it or name it on a command line; then a pid in the name
    decides (that process is gone), else it must be untouched for `idle_s` (a live build is
    between two such steps for milliseconds, not seconds).
    """
    if root is None:
        from .paths import cache_dir

        root = cache_dir(create=False)  # only looks: a sweep creates nothing
    candidates = _leftover_candidates(root)
    if not candidates:
        return []
    held, argvs = _in_use(root)
    now = time.time()
    out = []
    for path in candidates:
        s = str(path)
        if any(h == s or h.startswith(s + os.sep) for h in held) or any(s in a for a in argvs):
            continue
        m = _PID_NAMED.fullmatch(path.name)
        if m is not None:
            if not psutil.pid_exists(int(m.group(1) or m.group(2))):
                out.append(path)
            continue
        try:
            if now - _newest_mtime(path) < idle_s:
                continue
        except OSError:
            continue
        out.append(path)
    return out


def remove_leftovers(root: Path | None = None, idle_s: float = LEFTOVER_IDLE_S) -> CleanReport:
    report = CleanReport()
    for path in stale_leftovers(root, idle_s):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        except OSError as err:  # not ours to force (another user's file): say so, carry on
            report.kept.append(f"build leftover {path}: {err.strerror or err}")
            continue
        report.leftovers.append(str(path))
        say(f"removed build leftover {path}")
    return report


# -- temporary directories -------------------------------------------------------------------

_SESSION_DIR = re.compile(r"(\d+)-(\d+(?:\.\d+)?)")
_session_lock = threading.Lock()
_cleanup_registered: set[int] = set()


def temp_root() -> Path:
    """`<tmp>/wasmscope-<uid>`: the one parent of every temporary directory wasmscope makes."""
    return Path(tempfile.gettempdir()) / f"wasmscope-{os.getuid()}"


def _own_root() -> Path:
    """temp_root(), created private (0700); refused when someone else owns it (a shared /tmp)."""
    from ..errors import WasmscopeError

    root = temp_root()
    try:
        root.mkdir(mode=0o700)
    except FileExistsError:
        pass
    st = os.lstat(root)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise WasmscopeError(f"{root} is not a directory of user {os.getuid()}: move it away, wasmscope "
                             "keeps its temporary directories there")
    return root


def session_temp_dir() -> Path:
    """This run's directory under temp_root(): named after WASMSCOPE_OWNER (a child's owner)
    or this process; removed when the process it names exits."""
    token = run_token()
    path = _own_root() / token.replace(":", "-")
    with _session_lock:
        try:
            path.mkdir(exist_ok=True)
        except FileNotFoundError:  # the last run just removed the empty root: make it again
            _own_root()
            path.mkdir(exist_ok=True)
        pid = os.getpid()
        if token == owner_token() and pid not in _cleanup_registered:
            _cleanup_registered.add(pid)
            atexit.register(_remove_own_dir, path, pid)
    return path


def _remove_own_dir(path: Path, pid: int) -> None:
    if os.getpid() == pid:  # a forked child inherits atexit handlers: not its directory
        shutil.rmtree(path, ignore_errors=True)
        _remove_root_if_empty()


def _remove_root_if_empty() -> None:
    """temp_root() goes with the last run's directory (nothing of wasmscope's stays in /tmp)."""
    try:
        temp_root().rmdir()
    except OSError:  # another run's directory is there, or it is gone already
        pass


def make_temp_dir(prefix: str) -> Path:
    """A new temporary directory in this run's session directory (mkdtemp)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=session_temp_dir()))


def note_engine(kind: str) -> None:
    """Record that this run talks to a container engine ("docker", "podman") before it
    creates anything there: if it is killed, the next run knows to look there."""
    notes = session_temp_dir() / "engines"
    notes.mkdir(exist_ok=True)
    (notes / kind).touch()


def dead_sessions() -> dict[Path, set[str]]:
    """Session directories of runs that no longer run, with the engines each one noted."""
    root = temp_root()
    try:
        entries = list(root.iterdir())
    except OSError:
        return {}
    out: dict[Path, set[str]] = {}
    for entry in entries:
        m = _SESSION_DIR.fullmatch(entry.name)
        if m is None or owner_alive({OWNER_PID: m.group(1), OWNER_START: m.group(2)}):
            continue
        try:
            out[entry] = {e.name for e in (entry / "engines").iterdir()}
        except OSError:
            out[entry] = set()
    return out


def remove_dead_sessions() -> CleanReport:
    """Remove the temporary directories of dead runs (after their processes are gone)."""
    report = CleanReport()
    for path in dead_sessions():
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            continue
        except OSError as err:
            report.kept.append(f"temporary directory {path}: {err.strerror or err}")
            continue
        report.temp_dirs.append(str(path))
        say(f"removed temporary directory {path}")
    _remove_root_if_empty()
    return report


def sweep_local() -> CleanReport:
    """What needs no container engine: stale child processes, then build leftovers and the
    dead runs' temporary directories (a killed build's files are only free once its
    processes are gone)."""
    return reap_processes().merge(remove_leftovers()).merge(remove_dead_sessions())
