"""The live view's thread bodies: each makes engine calls (they block: container starts, module
compiles, an HTTP load) and posts what happened as messages. No widgets here; the live view
starts them as thread workers and handles their messages."""

from __future__ import annotations

import threading
import time
from typing import Callable

from textual.message import Message
from textual.worker import get_current_worker

from wasmscope.workloads.errors import Cancelled, WasmscopeError
from wasmscope.workloads.live import LiveSession
from wasmscope.workloads.model.samples import LoadTick

from ..messages import EngineFailed, LoadFinished, SamplesReady, Streamed, WorkloadStarted, WorkloadStopped

Post = Callable[[Message], object]


def runs(session: LiveSession, post: Post, runtime: str, workload: str, n: int,
         stop: Callable[[], bool]) -> None:
    """`n` runs to exit, each one sample (a cold start, or the guest's own time)."""
    try:
        for _ in range(n):
            if stop():
                break
            post(Streamed(session.run_sample(runtime, workload)))
    except WasmscopeError as err:
        post(EngineFailed(runtime, str(err)))


def start(session: LiveSession, post: Post, runtime: str, workload: str) -> None:
    try:
        inst = session.start(runtime, workload)
    except WasmscopeError as err:
        post(EngineFailed(runtime, str(err)))
        return
    post(WorkloadStarted(runtime, workload, inst.started_ms, session.snapshot(sample=False)))


def stop(session: LiveSession, post: Post, runtime: str) -> None:
    session.stop(runtime)
    post(WorkloadStopped(runtime, session.snapshot(sample=False)))


def load(session: LiveSession, post: Post, runtime: str, server: str, cancel: threading.Event) -> None:
    """The profile's HTTP load on the runtime's server (started first when it does not run),
    streaming req/s and p99 per interval."""
    try:
        inst = session.instance(runtime)
        if inst is None or inst.workload != server:
            inst = session.start(runtime, server)
            post(WorkloadStarted(runtime, inst.workload, inst.started_ms, session.snapshot(sample=False)))
        summary = session.load(
            runtime, cancel=cancel,
            on_tick=lambda t: post(Streamed(LoadTick("", runtime, rps=t.rps, p99_ms=t.p99_ms))))
    except Cancelled:
        post(LoadFinished(runtime, error="cancelled"))
    except WasmscopeError as err:
        post(LoadFinished(runtime, error=str(err)))
    else:
        post(LoadFinished(runtime, summary))


def sampler(session: LiveSession, post: Post, interval_s: float, paused: Callable[[], bool],
            closing: Callable[[], bool]) -> None:
    """One producer thread at the profile's rate: the session's snapshot, posted while
    something runs (memray's live view)."""
    worker = get_current_worker()
    next_at = time.monotonic()
    while not closing() and not worker.is_cancelled:
        next_at += interval_s
        if not paused():
            state = session.snapshot()
            if state.instances or state.exited:
                post(SamplesReady(state))
        time.sleep(max(0.0, next_at - time.monotonic()))
        next_at = max(next_at, time.monotonic() - interval_s)  # never burst to catch up
