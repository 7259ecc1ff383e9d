"""Long engine runs (benchmark, density, sandbox probe) from a thread worker: one RunControl
whose callbacks post messages (and one per remote host, sharing its cancel), the benchmark over
this machine and the remote hosts, and one way to post how the run ended."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Sequence

from textual.message import Message

from wasmscope.workloads.bench import run_benchmark
from wasmscope.workloads.errors import Cancelled, WasmscopeError
from wasmscope.workloads.measurements.base import Plan
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.model.results import Results
from wasmscope.workloads.remote.address import LOCAL

from .messages import BenchProgress, EngineRunFinished, LogLine, Streamed

if TYPE_CHECKING:
    from wasmscope.profiles import Profile
    from wasmscope.workloads.remote.session import RemoteSession

Post = Callable[[Message], object]


def run_control(post: Post, *, samples: bool = False) -> RunControl:
    """A RunControl whose progress, log lines (and samples) arrive as messages via `post`."""
    return RunControl(progress=lambda m, d, t: post(BenchProgress(m, d, t)),
                      on_sample=(lambda sample: post(Streamed(sample))) if samples else None,
                      log=lambda m: post(LogLine(m)))


def host_control(post: Post, host: str, cancel: threading.Event) -> RunControl:
    """A remote host's RunControl: its progress and log lines named with the host, its samples
    tagged with it (they fill that host's rows and panels), the benchmark's cancel shared."""
    return RunControl(progress=lambda m, d, t: post(BenchProgress(f"{host}: {m}", d, t)),
                      on_sample=lambda sample: post(Streamed(sample, host)),
                      log=lambda m: post(LogLine(f"{host}: {m}")), cancel=cancel)


def benchmark_hosts(profile: "Profile", plan: Plan, control: RunControl, remotes: Sequence["RemoteSession"],
                    post: Post) -> list[Results]:
    """This machine's benchmark, then each remote host's, one after another (hosts measured at
    once would disturb each other when they share hardware): this machine's run first, then
    each host's that gave results; a host that dropped or failed is said in the log."""
    runs = [run_benchmark(profile, plan, control)]
    if remotes:
        runs[0].host = LOCAL  # as `wasmscope bench --host` names it
    for session in remotes:
        control.check()
        try:
            runs.append(session.run_benchmark(plan, host_control(post, session.host, control.cancel)))
        except Cancelled:
            raise
        except WasmscopeError as err:  # dropped, or refused there: its reason, and the next host
            post(LogLine(f"benchmark on {session.host}: no results: {err}"))
    return runs


def finish_with(post: Post, finished: type[EngineRunFinished], run: Callable[[], object]) -> None:
    """Run one engine call in this worker thread and post its result, error or cancellation
    as a `finished` message."""
    try:
        result = run()
    except Cancelled:
        post(finished(None, cancelled=True))
    except WasmscopeError as err:
        post(finished(None, error=str(err)))
    else:
        post(finished(result))
