"""Messages from engine workers to the app: immutable data, never widgets.

High-rate messages (samples, progress) override `can_replace` so only the latest waits in the
queue: a slow frame never builds a backlog.
"""

from __future__ import annotations

from textual.message import Message

from wasmscope.workloads.live import InstanceReading
from wasmscope.workloads.model.results import Results, RuntimeInfo
from wasmscope.workloads.model.samples import Sample


class RuntimesDescribed(Message):
    def __init__(self, infos: dict[str, RuntimeInfo]) -> None:
        super().__init__()
        self.infos = infos


class SamplesReady(Message):
    """One sampling tick of every running instance (its memory, whether it is alive)."""

    def __init__(self, samples: tuple[InstanceReading, ...]) -> None:
        super().__init__()
        self.samples = samples

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SamplesReady)


class Streamed(Message):
    """A typed sample from the engine: a benchmark's figure (its table fills) or a live action's
    (a cold start, a load interval), shown in the runtime's panel."""

    def __init__(self, sample: Sample) -> None:
        super().__init__()
        self.sample = sample


class WorkloadStarted(Message):
    def __init__(self, runtime: str, workload: str, ready_ms: float) -> None:
        super().__init__()
        self.runtime, self.workload, self.ready_ms = runtime, workload, ready_ms


class WorkloadStopped(Message):
    def __init__(self, runtime: str) -> None:
        super().__init__()
        self.runtime = runtime


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


class BenchFinished(Message):
    def __init__(self, results: Results | None, error: str = "", cancelled: bool = False) -> None:
        super().__init__()
        self.results, self.error, self.cancelled = results, error, cancelled


class SandboxFinished(Message):
    """The sandbox probe matrix is done (rows), failed (error) or was cancelled."""

    def __init__(self, rows: list | None, error: str = "", cancelled: bool = False) -> None:
        super().__init__()
        self.rows, self.error, self.cancelled = rows, error, cancelled


class LoadFinished(Message):
    """An interactive load run ended: its summary, or why it did not finish."""

    def __init__(self, runtime: str, summary=None, error: str = "") -> None:
        super().__init__()
        self.runtime, self.summary, self.error = runtime, summary, error
