"""Messages from engine workers to the app: immutable data, never widgets.

High-rate messages (samples, progress) override `can_replace` so only the latest waits in the
queue: a slow frame never builds a backlog.
"""

from __future__ import annotations

from textual.message import Message

from wasmscope.workloads.live import LiveState
from wasmscope.workloads.model.results import Results, RuntimeInfo
from wasmscope.workloads.model.samples import Sample


class RuntimesDescribed(Message):
    def __init__(self, infos: dict[str, RuntimeInfo]) -> None:
        super().__init__()
        self.infos = infos


class SamplesReady(Message):
    """One sampling tick: the session's snapshot of what runs, with each instance's memory."""

    def __init__(self, state: LiveState) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        # this older tick may give way to a newer one, unless it reports an exit (reported once)
        return isinstance(message, SamplesReady) and not self.state.exited


class Streamed(Message):
    """A typed sample from the engine: a benchmark's figure (its table fills) or a live action's
    (a cold start, a load interval), shown in the runtime's panel."""

    def __init__(self, sample: Sample) -> None:
        super().__init__()
        self.sample = sample


class WorkloadStarted(Message):
    """A long-running workload answered; `state` is the session's snapshot right after."""

    def __init__(self, runtime: str, workload: str, ready_ms: float, state: LiveState) -> None:
        super().__init__()
        self.runtime, self.workload, self.ready_ms, self.state = runtime, workload, ready_ms, state


class WorkloadStopped(Message):
    def __init__(self, runtime: str, state: LiveState) -> None:
        super().__init__()
        self.runtime, self.state = runtime, state


class EngineFailed(Message):
    """The engine refused or a guest failed: one line, shown in the panel and the log."""

    def __init__(self, runtime: str | None, text: str) -> None:
        super().__init__()
        self.runtime, self.text = runtime, text


class LogLine(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class BenchProgress(Message):
    def __init__(self, text: str, done: int, total: int) -> None:
        super().__init__()
        self.text, self.done, self.total = text, done, total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BenchProgress)


class EngineRunFinished(Message):
    """A long engine run (benchmark, density, sandbox probe) ended: its result, or why not.
    The view that started it shows the result; the app frees the progress bar for the next."""

    run_name = "benchmark"

    def __init__(self, result: object | None, error: str = "", cancelled: bool = False) -> None:
        super().__init__()
        self.result, self.error, self.cancelled = result, error, cancelled


class BenchFinished(EngineRunFinished):
    run_name = "benchmark"

    @property
    def results(self) -> Results | None:
        return self.result  # type: ignore[return-value]


class DensityFinished(EngineRunFinished):
    run_name = "density"

    @property
    def results(self) -> Results | None:
        return self.result  # type: ignore[return-value]


class SandboxFinished(EngineRunFinished):
    """The sandbox probe matrix is done (rows), failed (error) or was cancelled."""

    run_name = "sandbox"

    @property
    def rows(self) -> list | None:
        return self.result  # type: ignore[return-value]


class LoadFinished(Message):
    """An interactive load run ended: its summary, or why it did not finish."""

    def __init__(self, runtime: str, summary=None, error: str = "") -> None:
        super().__init__()
        self.runtime, self.summary, self.error = runtime, summary, error


class RaceProgress(Message):
    """A race's lanes now (every ~0.1 s while it runs)."""

    def __init__(self, state) -> None:
        super().__init__()
        self.state = state

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RaceProgress)


class RaceFinished(EngineRunFinished):
    """A race ended: its final state (done, or cancelled part-way), or why it could not run."""

    run_name = "race"
