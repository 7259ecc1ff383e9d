"""Long engine runs (benchmark, density, sandbox probe) from a thread worker: one RunControl
whose callbacks post messages, and one way to post how the run ended."""

from __future__ import annotations

from typing import Callable

from textual.message import Message

from wasmscope.workloads.errors import Cancelled, WasmscopeError
from wasmscope.workloads.measurements.control import RunControl

from .messages import BenchProgress, EngineRunFinished, LogLine, Streamed

Post = Callable[[Message], object]


def run_control(post: Post, *, samples: bool = False) -> RunControl:
    """A RunControl whose progress, log lines (and samples) arrive as messages via `post`."""
    return RunControl(progress=lambda m, d, t: post(BenchProgress(m, d, t)),
                      on_sample=(lambda sample: post(Streamed(sample))) if samples else None,
                      log=lambda m: post(LogLine(m)))


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
