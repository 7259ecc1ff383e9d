"""Messages from engine workers to the app: immutable data, never widgets.

High-rate messages (samples, progress) override `can_replace` so only the latest waits in the
queue: a slow frame never builds a backlog.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from wasmscope.workloads.live import Sample
from wasmscope.workloads.model.results import Results, RuntimeInfo


class RuntimesDescribed(Message):
    def __init__(self, infos: dict[str, RuntimeInfo]) -> None:
        super().__init__()
        self.infos = infos


class SamplesReady(Message):
    def __init__(self, samples: tuple[Sample, ...]) -> None:
        super().__init__()
        self.samples = samples

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SamplesReady)


@dataclass(frozen=True)
class RunPoint:
    runtime: str
    workload: str
    total_ms: float
    detail: str = ""


class RunFinished(Message):
    """One run-to-exit finished on a runtime (a hello, a fib, a burst step)."""

    def __init__(self, point: RunPoint) -> None:
        super().__init__()
        self.point = point


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


class IoPoint(Message):
    """A figure of a running HTTP load: `kind` is "rps" or "p99" (one 0.5 s interval), or
    "round" (a finished benchmark round's req/s). `key` is runtime[/model[/variant]]."""

    def __init__(self, kind: str, key: str, value: float) -> None:
        super().__init__()
        self.kind, self.key, self.value = kind, key, value


class LoadFinished(Message):
    """An interactive load run ended: its summary, or why it did not finish."""

    def __init__(self, runtime: str, summary=None, error: str = "") -> None:
        super().__init__()
        self.runtime, self.summary, self.error = runtime, summary, error
