"""The live view's thread bodies: each makes engine calls (they block: container starts, module
compiles, an HTTP load, a round trip to a remote host) and posts what happened as messages,
tagged with the session's host. No widgets here; the live view starts them as thread workers
and handles their messages. A session is this machine's LiveSession or a remote host's
RemoteSession (the same calls)."""

from __future__ import annotations

import threading
import time
from typing import Callable

from textual.message import Message
from textual.worker import get_current_worker

from wasmscope.workloads.errors import Cancelled, HostDisconnected, WasmscopeError
from wasmscope.workloads.live import LiveSession
from wasmscope.workloads.model.samples import LoadTick
from wasmscope.workloads.remote.session import RemoteSession

from ..messages import (EngineFailed, HostConnected, HostDown, LoadFinished, RuntimesDescribed, SamplesReady,
                        Streamed, WorkloadStarted, WorkloadStopped)

Post = Callable[[Message], object]
Session = LiveSession | RemoteSession


def runs(session: Session, post: Post, runtime: str, workload: str, n: int,
         stop: Callable[[], bool], cold: bool | None = None) -> None:
    """`n` runs to exit, each one sample (a cold start, or the guest's own time: `cold`)."""
    try:
        for _ in range(n):
            if stop():
                break
            post(Streamed(session.run_sample(runtime, workload, cold), session.host))
    except WasmscopeError as err:
        post(EngineFailed(runtime, str(err), session.host))


def start(session: Session, post: Post, runtime: str, workload: str) -> None:
    try:
        inst = session.start(runtime, workload)
        state = session.snapshot(sample=False)
    except WasmscopeError as err:
        post(EngineFailed(runtime, str(err), session.host))
        return
    post(WorkloadStarted(runtime, workload, inst.started_ms, state, session.host))


def stop(session: Session, post: Post, runtime: str) -> None:
    try:
        session.stop(runtime)
        post(WorkloadStopped(runtime, session.snapshot(sample=False), session.host))
    except WasmscopeError as err:  # a remote host that dropped: its agent stopped it there
        post(EngineFailed(runtime, str(err), session.host))


def load(session: Session, post: Post, runtime: str, server: str, cancel: threading.Event) -> None:
    """The profile's HTTP load on the runtime's server (started first when it does not run),
    streaming req/s and p99 per interval (on a remote host, generated there)."""
    host = session.host
    try:
        inst = session.instance(runtime)
        if inst is None or inst.workload != server:
            inst = session.start(runtime, server)
            post(WorkloadStarted(runtime, inst.workload, inst.started_ms, session.snapshot(sample=False), host))
        summary = session.load(
            runtime, cancel=cancel,
            on_tick=lambda t: post(Streamed(LoadTick("", runtime, rps=t.rps, p99_ms=t.p99_ms), host)))
    except Cancelled:
        post(LoadFinished(runtime, error="cancelled", host=host))
    except WasmscopeError as err:
        post(LoadFinished(runtime, error=str(err), host=host))
    else:
        post(LoadFinished(runtime, summary, host=host))


def describe(session: Session, post: Post) -> None:
    """Availability, version and mode of every runtime on the session's host."""
    try:
        post(RuntimesDescribed(session.describe(), session.host))
    except HostDisconnected:
        return  # the link's end says why (HostDown)
    except WasmscopeError as err:
        post(EngineFailed(None, f"{session.host}: {err}", session.host))


def connect(session: RemoteSession, post: Post) -> bool:
    """SSH to a remote host, the hello, a live session there (it blocks: seconds); then its
    runtimes. HostDown with the one line when the host cannot be used."""
    try:
        peer = session.connect()
    except WasmscopeError as err:  # HostUnavailable, or a profile the host cannot be sent
        post(HostDown(session.host, str(err).removeprefix(f"{session.host}: "), dropped=False))
        return False
    post(HostConnected(session.host, peer))
    describe(session, post)
    return True


def send_profile(session: RemoteSession, post: Post, profile) -> None:
    """A remote host's session measures `profile` from its next call (the user's modules travel)."""
    try:
        session.use_profile(profile)
    except WasmscopeError as err:
        post(EngineFailed(None, f"{session.host}: the profile was not taken there: {err}", session.host))


def sampler(session: Session, post: Post, interval_s: float, paused: Callable[[], bool],
            closing: Callable[[], bool]) -> None:
    """One producer thread per host at the profile's rate: the session's snapshot, posted
    while something runs (memray's live view). A remote host that drops ends its own sampler
    only (the link's end says why)."""
    worker = get_current_worker()
    next_at, said = time.monotonic(), ""
    while not closing() and not worker.is_cancelled:
        next_at += interval_s
        if not paused():
            try:
                state = session.snapshot()
            except HostDisconnected:
                return
            except WasmscopeError as err:  # a reply the host could not give: said once, not 4 times a second
                if str(err) != said:
                    said = str(err)
                    post(EngineFailed(None, f"{session.host}: sampling: {err}", session.host))
                state = None
            if state is not None and (state.instances or state.exited):
                post(SamplesReady(state, session.host))
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at = max(next_at, time.monotonic() - interval_s)  # never burst to catch up
