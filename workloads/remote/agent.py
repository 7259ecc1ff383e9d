"""The remote end: `wasmscope agent`, started over SSH, serving one local wasmscope.

It answers the protocol on stdin/stdout (see protocol.py): benchmarks, doctor, and the live
session the app drives, each request in a thread of its own. Every request's adapters, and the
live session, are this process's: when its stdin closes (the connection dropped, the local side
was killed), when the local side says bye, or after WATCHDOG_S without a word, it cancels what
runs, closes them (containers removed), then removes whatever else still carries its marks
(sessions.py: containers labelled with its pid, processes with its WASMSCOPE_OWNER) and ends.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable

from ..bench import UsageError, check_runtime_names, run_benchmark
from ..errors import RuntimeUnavailable, WasmscopeError, WorkloadError
from ..live import LiveSession
from ..measurements.control import RunControl
from ..model.samples import sample_to_dict
from ..runtimes import create_adapter
from ..runtimes.base import RuntimeAdapter
from ..system import sessions
from . import live_wire, protocol

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

GRACE_S = 20.0  # how long a cancelled measurement may take to stop before its adapters are closed under it
PROG = "wasmscope agent"


def say(line: str) -> None:
    """A line on stderr: the local side shows it in its log, prefixed with the host."""
    print(f"{PROG}: {line}", file=sys.stderr, flush=True)


@dataclass
class Job:
    """One request being served: its thread, its cancel event, the adapters it opened."""

    id: int
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    adapters: dict[str, RuntimeAdapter] = field(default_factory=dict)
    _closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def close_adapters(self) -> None:
        """Close its adapters once (containers removed), whoever gets here first."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for adapter in self.adapters.values():
            try:
                adapter.close()
            except Exception as err:  # noqa: BLE001 - the others must still be closed
                say(f"closing {adapter.name}: {type(err).__name__}: {err}")


class Agent:
    def __init__(self, inp: IO[bytes], out: IO[bytes], read_profile: Callable[[dict], "Profile"]) -> None:
        self._in, self._out = inp, out
        self.read_profile = read_profile  # profile data → Profile (the front end's schema)
        self._send_lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._jobs_lock = threading.Lock()
        self._live: LiveSession | None = None
        self._live_lock = threading.Lock()
        self._last_heard = time.monotonic()
        self._down = threading.Event()
        self._workdir: tempfile.TemporaryDirectory | None = None
        self._handlers: dict[str, Callable[[Job, dict], dict]] = {
            "bench": self._bench, "doctor": self._doctor, "live": self._open_live, "call": self._live_call}

    # -- the conversation ------------------------------------------------------------------------
    def serve(self) -> int:
        """Hello, then requests until stdin ends or bye; everything started is gone on return."""
        self.send(protocol.hello("agent"))
        theirs = self._read()
        if theirs is None:
            return 0
        if theirs.get("t") != "hello" or (line := protocol.mismatch(theirs, "the local side")) is not None:
            line = line if theirs.get("t") == "hello" else "expected a hello first"
            say(line)
            self.send({"t": "error", "id": None, "kind": "HostUnavailable", "message": line})
            return 2
        threading.Thread(target=self._watchdog, name="agent-watchdog", daemon=True).start()
        why = "the connection closed"
        try:
            while (message := self._read()) is not None:
                self._last_heard = time.monotonic()
                if message.get("t") == "bye":
                    why = "the local side said bye"
                    break
                self._dispatch(message)
        except KeyboardInterrupt:
            why = "stopped by a signal"
        self.shutdown(why)
        return 0

    def _read(self) -> dict[str, Any] | None:
        while True:
            raw = self._in.readline()
            if not raw:
                return None
            try:
                return protocol.decode(raw)
            except ValueError:
                self.send({"t": "error", "id": None, "kind": "UsageError",
                           "message": f"not a protocol message: {raw[:80]!r}"})

    def send(self, message: dict[str, Any]) -> None:
        """Write one message; a broken link is not an error here (stdin's end will follow)."""
        data = protocol.encode(message)
        with self._send_lock:
            try:
                self._out.write(data)
                self._out.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind, rid = message.get("t"), message.get("id")
        if kind == "ping":
            return
        if kind == "cancel":
            with self._jobs_lock:
                job = self._jobs.get(rid)  # type: ignore[arg-type]
            if job is not None:
                job.cancel.set()
            return
        handler = self._handlers.get(str(kind))
        if handler is None or not isinstance(rid, int):
            self.send({"t": "error", "id": rid, "kind": "UsageError",
                       "message": f"unknown request {kind!r} (known: {', '.join(self._handlers)})"})
            return
        job = Job(rid)
        job.thread = threading.Thread(target=self._run, args=(job, handler, message), name=f"agent-{kind}-{rid}",
                                      daemon=True)
        with self._jobs_lock:
            self._jobs[rid] = job
        job.thread.start()

    def _run(self, job: Job, handler: Callable[[Job, dict], dict], message: dict) -> None:
        try:
            reply = handler(job, message)
        except Exception as err:  # noqa: BLE001 - every failure is a reply, never a dead thread
            if not isinstance(err, WasmscopeError) and type(err).__name__ != "ProfileError":
                traceback.print_exc(file=sys.stderr)
            self.send(protocol.error_message(job.id, err))
        else:
            self.send({"t": "result", "id": job.id, **reply})
        finally:
            with self._jobs_lock:
                self._jobs.pop(job.id, None)

    def _watchdog(self) -> None:
        while not self._down.wait(1.0):
            if time.monotonic() - self._last_heard > protocol.WATCHDOG_S:
                self.shutdown(f"no word from the local side for {protocol.WATCHDOG_S:g} s")
                os._exit(0)  # the main thread is blocked reading a dead link

    # -- requests --------------------------------------------------------------------------------
    def _control(self, job: Job) -> RunControl:
        rid, send = job.id, self.send
        return RunControl(
            progress=lambda m, done, total: send({"t": "progress", "id": rid, "message": m, "done": done, "total": total}),
            on_sample=lambda s: send({"t": "sample", "id": rid, "sample": sample_to_dict(s)}),
            log=lambda line: send({"t": "log", "id": rid, "line": line}),
            cancel=job.cancel)

    def _profile(self, message: dict) -> "Profile":
        """The profile sent, its user modules written here first (checked against their hash)."""
        data = message.get("profile")
        if not isinstance(data, dict):
            raise UsageError("the request carries no profile")
        for name, module in (message.get("modules") or {}).items():
            blob = base64.b64decode(module["data"])
            if hashlib.sha256(blob).hexdigest() != module["sha256"]:
                raise WorkloadError(f"workloads.{name}.module: arrived damaged (sha256 differs)")
            if self._workdir is None:
                self._workdir = tempfile.TemporaryDirectory(prefix="wasmscope-agent-")
            path = Path(self._workdir.name) / name / Path(module["file"]).name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(blob)
            data["workloads"][name]["module"] = str(path)
        return self.read_profile(data)

    def _bench(self, job: Job, message: dict) -> dict:
        profile = self._profile(message)
        plan = protocol.plan_from_dict(message["plan"])
        check_runtime_names(plan.runtimes)
        job.adapters = {name: create_adapter(name, profile.adapter_options(name)) for name in plan.runtimes}
        try:
            results = run_benchmark(profile, plan, self._control(job), job.adapters)
        finally:
            job.close_adapters()
        return {"results": results.to_dict()}

    def _doctor(self, job: Job, message: dict) -> dict:
        """This host's doctor report; with `fix`, its plan carried out first (sudo never prompts)."""
        from ..setup.doctor import carry_out, diagnose
        from ..setup.host import Host

        profile = self._profile(message) if message.get("profile") else None
        host = Host.current()
        progress = lambda m: self.send({"t": "progress", "id": job.id, "message": m, "done": 0, "total": 0})  # noqa: E731
        report = diagnose(profile, host, progress=progress)
        reply: dict[str, Any] = {}
        if message.get("fix") and (steps := report.plan()):
            log = lambda line: self.send({"t": "log", "id": job.id, "line": line})  # noqa: E731
            done = carry_out(steps, host, log, consent=bool(message.get("consent")), interactive=False)
            reply["fix"] = {"done": done.done, "blocked": [s.title for s in done.blocked], "failed": done.failed}
            report = diagnose(profile, host, progress=progress)
        reply["report"] = report.to_dict()
        return reply

    def _open_live(self, job: Job, message: dict) -> dict:
        """A live session (what the app drives) over the given runtimes; replaces an earlier one."""
        profile = self._profile(message)
        runtimes = message.get("runtimes") or None
        if runtimes:
            check_runtime_names(runtimes)
        with self._live_lock:
            old, self._live = self._live, LiveSession(profile, runtimes)
        if old is not None:
            old.close()
        return {}

    def _live_call(self, job: Job, message: dict) -> dict:
        with self._live_lock:
            live = self._live
        if live is None:
            raise WorkloadError("no live session on this host yet")
        method = str(message.get("method"))
        if method == "profile":
            live.profile = self._profile(message)
            return {"value": None}
        call = live_wire.CALLS.get(method)
        if call is None:
            raise UsageError(f"unknown live call {method!r} (known: profile, {', '.join(live_wire.CALLS)})")
        tick = lambda t: self.send({"t": "tick", "id": job.id, "tick": live_wire.tick_to_dict(t)})  # noqa: E731
        return {"value": call(live, job.cancel, tick, *message.get("args", []))}

    # -- the end ---------------------------------------------------------------------------------
    def shutdown(self, why: str) -> None:
        """Cancel every request, give them GRACE_S to stop, close what they opened, then remove
        whatever still carries this process's marks. Runs once."""
        if self._down.is_set():
            return
        self._down.set()
        with self._jobs_lock:
            jobs = list(self._jobs.values())
        with self._live_lock:
            live, self._live = self._live, None
        if jobs or live is not None:
            say(f"{why}: cancelling {len(jobs)} request(s) and removing what they started")
        for job in jobs:
            job.cancel.set()
        deadline = time.monotonic() + GRACE_S
        for job in jobs:
            if job.thread is not None:
                job.thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for job in jobs:
            job.close_adapters()
        if live is not None:
            live.close()
        self._sweep_own(containers=live is not None or any(a.kind == "container" for j in jobs for a in j.adapters.values()))
        if self._workdir is not None:
            self._workdir.cleanup()

    def _sweep_own(self, containers: bool) -> None:
        """What a stuck measurement or a grandchild left: processes with our marker, containers with our pid."""
        report = sessions.reap_processes(mine=True)
        if containers:
            report.merge(_remove_own_containers())
        for line in report.lines() if report.removed_anything() else []:
            say(line)


def _remove_own_containers() -> sessions.CleanReport:
    from ..runtimes.docker_engine import DockerAdapter

    adapter = DockerAdapter({"sweep": False})
    try:
        return sessions.remove_containers(adapter.client(), mine=True)
    except RuntimeUnavailable:
        return sessions.CleanReport()
    finally:
        adapter.close()


class _Unbreakable:
    """A text stream whose writes never raise: when the link drops, stderr (the SSH channel)
    breaks too, and a failed log line must not stop the cleanup that follows."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._broken = False

    def write(self, text: str) -> int:
        if not self._broken:
            try:
                self._stream.write(text)
            except (OSError, ValueError):
                self._broken = True
        return len(text)

    def flush(self) -> None:
        if not self._broken:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._broken = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def stdio_channel() -> tuple[IO[bytes], IO[bytes]]:
    """The protocol's own copies of stdin and stdout; fd 0 becomes /dev/null and fd 1 stderr,
    so a stray print or a child that inherits them can never write into (or read from) the
    protocol stream; sys.stdout and sys.stderr never raise (the link may be gone)."""
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdout = _Unbreakable(sys.stdout)  # type: ignore[assignment]
    sys.stderr = _Unbreakable(sys.stderr)  # type: ignore[assignment]
    return inp, out
