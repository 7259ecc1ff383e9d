"""Messages from engine workers to the app: immutable data, never widgets.

High-rate messages (samples, progress) override `can_replace` so only the latest waits in the
queue: a slow frame never builds a backlog.
"""

from __future__ import annotations

from textual.message import Message

from wasmscope.workloads.live import LiveState
from wasmscope.workloads.model.results import Results, RuntimeInfo
from wasmscope.workloads.model.samples import Sample
from wasmscope.workloads.remote.address import LOCAL

# Every message about a runtime names its host too (LOCAL, or a remote host's `user@host:port`):
# the live view keys its panels by (host, runtime).


class RuntimesDescribed(Message):
    def __init__(self, infos: dict[str, RuntimeInfo], host: str = LOCAL) -> None:
        super().__init__()
        self.infos, self.host = infos, host


class HostConnected(Message):
    """A remote host answered: its agent's hello (host name, Python, pid)."""

    def __init__(self, host: str, peer: dict) -> None:
        super().__init__()
        self.host, self.peer = host, peer


class HostDown(Message):
    """A remote host cannot be used: unreachable at the start, or its connection dropped
    (`dropped`; its agent stopped what it ran there). `reason` is one line."""

    def __init__(self, host: str, reason: str, dropped: bool) -> None:
        super().__init__()
        self.host, self.reason, self.dropped = host, reason, dropped


class SamplesReady(Message):
    """One sampling tick of one host: its session's snapshot of what runs, with each
    instance's memory."""

    def __init__(self, state: LiveState, host: str = LOCAL) -> None:
        super().__init__()
        self.state, self.host = state, host

    def can_replace(self, message: Message) -> bool:
        # this older tick of the same host may give way to a newer one, unless it reports an
        # exit (reported once); another host's tick never replaces it
        return isinstance(message, SamplesReady) and message.host == self.host and not self.state.exited


class Streamed(Message):
    """A typed sample from the engine: a benchmark's figure (its table fills) or a live action's
    (a cold start, a load interval), shown in the runtime's panel on its host."""

    def __init__(self, sample: Sample, host: str = LOCAL) -> None:
        super().__init__()
        self.sample, self.host = sample, host


class WorkloadStarted(Message):
    """A long-running workload answered; `state` is the host's session's snapshot right after."""

    def __init__(self, runtime: str, workload: str, ready_ms: float, state: LiveState, host: str = LOCAL) -> None:
        super().__init__()
        self.runtime, self.workload, self.ready_ms, self.state, self.host = runtime, workload, ready_ms, state, host


class WorkloadStopped(Message):
    def __init__(self, runtime: str, state: LiveState, host: str = LOCAL) -> None:
        super().__init__()
        self.runtime, self.state, self.host = runtime, state, host


class EngineFailed(Message):
    """The engine refused or a guest failed: one line, shown in the panel and the log."""

    def __init__(self, runtime: str | None, text: str, host: str = LOCAL) -> None:
        super().__init__()
        self.runtime, self.text, self.host = runtime, text, host


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
    """`result`: the runs measured, this machine's first, then each remote host's that gave
    results (a host that dropped is said in the log)."""

    run_name = "benchmark"

    @property
    def runs(self) -> list[Results]:
        return list(self.result) if self.result else []  # type: ignore[call-overload]

    @property
    def results(self) -> Results | None:
        """This machine's run."""
        return self.runs[0] if self.runs else None


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

    def __init__(self, runtime: str, summary=None, error: str = "", host: str = LOCAL) -> None:
        super().__init__()
        self.runtime, self.summary, self.error, self.host = runtime, summary, error, host


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
