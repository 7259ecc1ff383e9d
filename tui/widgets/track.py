"""What the live view shows of one runtime: its probe, its recent figures (rolling windows) and
what it is doing. The grid's panel and the list's row both render the same track.

What runs there is not decided here: `workload` is copied from its host's session's last
snapshot. A track is one runtime on one host (this machine, or a remote host over SSH).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from wasmscope.workloads.model.results import RuntimeInfo
from wasmscope.workloads.model.samples import ColdStart, GuestTime, LoadTick, MemorySample, Sample
from wasmscope.workloads.remote.address import LOCAL


def fmt_ms(v: float) -> str:
    return f"{v:.3f} ms" if v < 10 else f"{v:.1f} ms"


def figure_text(v: float) -> str:
    """A cold start as the big digits show it (ms implied)."""
    return f"{v:.3f}" if v < 10 else (f"{v:.1f}" if v < 1000 else f"{v:,.0f}")


def span(values, unit: str) -> str:
    """'11.9–12.4 MiB', '0.27–9.8 ms': the range a graph is scaled to, three figures each."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    short = lambda v: f"{v:,.0f}" if v >= 1000 else f"{v:.3g}"  # noqa: E731
    return (short(lo) if short(lo) == short(hi) else f"{short(lo)}–{short(hi)}") + (f" {unit}" if unit else "")


def spread(values, unit: str) -> str:
    """The range beside a graph; nothing when the series is flat (its headline says the value)."""
    return span(values, unit) if values and min(values) != max(values) else ""


@dataclass
class Track:
    runtime: str
    display: str
    counts: str  # what the RSS figure is the RSS of, in one word (process, instance, container)
    window: int
    host: str = LOCAL  # where it runs: LOCAL or a remote host's `user@host:port`
    uid: str = ""  # its widgets' id suffix (unique over hosts; the runtime's name on this machine)
    info: RuntimeInfo | None = None
    rss: deque = field(init=False)
    latency: deque = field(init=False)
    rps: deque = field(init=False)
    p99: deque = field(init=False)
    cold_ms: float | None = None
    latency_of: str = "hello"  # the workload the latency series times
    rps_of: str = ""
    workload: str | None = None  # from the session's snapshot
    error: str | None = None  # shown until the next workload starts
    activity: str = ""  # "starting idle…", "HTTP load…" while a worker is at it
    note: str = ""  # replay: what the stored run knew of this runtime
    pending: str = "probing…"  # what it waits for before its host has described it
    down: str = ""  # its host cannot be used: "unreachable: …", "disconnected: …"

    def __post_init__(self) -> None:
        self.rss, self.latency, self.rps, self.p99 = (deque(maxlen=self.window) for _ in range(4))
        self.uid = self.uid or self.runtime

    @property
    def available(self) -> bool:
        return self.info is None or self.info.available

    @property
    def io(self) -> bool:
        """An HTTP load has run here: its req/s and p99 series are shown."""
        return bool(self.rps)

    def status(self) -> tuple[str, str]:
        """The status line and its CSS class."""
        if self.note:
            return self.note, ""
        if self.down:
            return self.down, "-error"
        if self.info is None:
            return self.pending, ""
        if not self.info.available:
            return f"unavailable: {self.info.reason}", "-unavailable"
        if self.activity:
            return self.activity, "-running"
        if self.workload:
            return f"running {self.workload}", "-running"
        if self.error:
            return f"error: {self.error}", "-error"
        return "ready", ""

    def detail(self) -> str:
        """Version and mode (available), or the fix (unavailable)."""
        if self.info is None:
            return ""
        if not self.info.available:
            return f"fix: {self.info.hint}" if self.info.hint else "not available here"
        mode = self.info.mode.split(";")[0] if self.info.mode else ""
        return " · ".join(x for x in (self.info.version, mode) if x)

    def rss_headline(self) -> str:
        return f"RSS {self.rss[-1]:.1f} MiB" if self.rss else "RSS —"

    def latency_headline(self) -> str:
        """'0.504 ms' for cold starts (the figure above says so), 'fib 812.3 ms' for others."""
        what = "" if self.latency_of == "hello" else f"{self.latency_of} "
        return f"{what}{fmt_ms(self.latency[-1])}" if self.latency else f"{self.latency_of} —"

    def show_running(self, workload: str | None) -> bool:
        """The snapshot's word on what runs here; True when it changed (RSS starts afresh)."""
        if workload == self.workload:
            return False
        self.workload, self.activity = workload, ""
        if workload:
            self.error = None
        self.rss.clear()
        return True

    def add(self, sample: Sample) -> None:
        """A streamed sample into the series its kind belongs to."""
        if isinstance(sample, ColdStart):
            self.latency_of, self.cold_ms = sample.workload or "hello", sample.ms
            self.latency.append(sample.ms)
        elif isinstance(sample, GuestTime):
            self.latency_of = sample.workload or "compute"
            self.latency.append(sample.ms)
        elif isinstance(sample, MemorySample):
            self.rss.append(sample.mib)
        elif isinstance(sample, LoadTick):
            self.rps_of = sample.row_key.partition("/")[2].replace("/", " ")
            self.rps.append(sample.rps)
            if sample.p99_ms is not None:
                self.p99.append(sample.p99_ms)

    def summary(self) -> str:
        """The selected runtime's detail strip: everything the panel had no room for."""
        parts = [self.display if self.host == LOCAL else f"{self.display} on {self.host}"]
        if self.down:
            parts.append(self.down)
        elif self.info is not None and not self.info.available:
            parts.append(f"unavailable: {self.info.reason}" + (f" — fix: {self.info.hint}" if self.info.hint else ""))
        elif self.detail():
            parts.append(self.detail())
        if self.rss:
            parts.append(f"RSS of the {self.counts} {span(self.rss, 'MiB')}")
        if self.latency:
            parts.append(f"{self.latency_of} {span(self.latency, 'ms')} over {len(self.latency)} runs")
        if self.rps:
            parts.append(f"req/s {span(self.rps, '')}")
        return " · ".join(parts)
