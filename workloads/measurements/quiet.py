"""Quiet samples: before each sample, wait (bounded) until the machine is quiet, and record how
quiet it was.

On a small shared machine two things slow a sample down that are not the runtime's doing:
other processes on the CPUs (another tenant, a test suite, the container engine still tearing
down the previous container: on 2 cores a wasmtime cold start taken right after a `docker run`
is ~2× slower) and steal time (the hypervisor running another guest on our vCPU). So before a
sample the gate waits until whatever the last run left behind is gone (an adapter's `settled()`:
the container removed, its shim exited) and until other processes' CPU over a short window is
under a threshold. Every sample then carries the wait, the load at its start and a verdict:
busy when the wait gave up with the machine still busy, when steal time went past its threshold,
or, for samples long enough to judge and runtimes whose CPU is all ours, when other processes
used the CPU during the sample. A sample disturbed while it ran (the machine was quiet at its
start) is taken again, a bounded number of times; one whose wait gave up is kept and flagged.

CPU time comes from /proc/stat (ticks of 1/USER_HZ s); this process's own CPU (and its reaped
children's, and an adapter's warm workers') is subtracted, so what is left is other processes'.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

STAT = Path("/proc/stat")
HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
POLL_S = 0.02  # how often the load is re-read while waiting
SETTLE_POLL_S = 0.003  # how often a teardown is checked
SETTLE_MAX_S = 3.0  # a teardown that takes longer goes on without us (the sample is judged anyway)
GIVE_UP_AFTER = 3  # waits in a row that hit the bound: the machine stays busy, stop paying for it
MIN_JUDGED_S = 0.02  # a sample this long is judged by other processes' CPU during it
MIN_TICKS = 2  # ... and found busy only when they had at least this many ticks of it (20 ms): one tick is noise


@dataclass(frozen=True)
class QuietSpec:
    """The quiet-sample settings (profile `[quiet]`)."""

    enabled: bool = True
    busy_pct: float = 15.0  # other processes' CPU, % of all cores, at or above which it is busy
    steal_pct: float = 5.0  # steal time, % of all cores, at or above which it is busy
    window_s: float = 0.1  # the window the load is measured over
    max_wait_s: float = 1.0  # the longest a sample waits for a quiet machine
    retakes: int = 2  # a sample other processes disturbed while it ran is taken again, this many times at most


@dataclass(frozen=True)
class CpuClock:
    """A reading of the host's CPU counters (ticks) and of our own CPU (seconds)."""

    busy: int  # ticks the CPUs ran anything, steal included
    steal: int
    total: int
    own_s: float  # this process (all threads) and its reaped children
    at: float  # time.monotonic()


@dataclass(frozen=True)
class Load:
    """What the CPUs did between two readings, in % of all cores."""

    others_pct: float
    steal_pct: float
    seconds: float
    others_ticks: float = 0.0  # the same CPU time in ticks (1/USER_HZ s)


@dataclass(frozen=True)
class Conditions:
    """What a sample was taken under."""

    wait_ms: float = 0.0  # waited for the machine to settle and be quiet
    load_pct: float = 0.0  # other processes' CPU over the window before the sample
    steal_pct: float = 0.0  # steal from the start of that window to the sample's end
    busy: bool = False
    why: str = ""  # what made it busy
    disturbed: bool = False  # busy because of what happened while it ran (the machine was quiet at its start)
    retaken: int = 0  # times it was taken again because it was disturbed

    def as_record(self) -> dict[str, float]:
        return {"wait_ms": round(self.wait_ms, 2), "load_pct": round(self.load_pct, 1),
                "steal_pct": round(self.steal_pct, 1), "busy": 1.0 if self.busy else 0.0,
                "retaken": float(self.retaken)}


@dataclass(frozen=True)
class Start:
    """The gate's state when a sample starts: the window before it, and the readings the sample's
    own judgement starts from."""

    window: Load
    waited_s: float
    gave_up: bool
    window_begin: CpuClock | None
    clock: CpuClock | None
    helpers: float  # CPU seconds of the adapter's helper processes at the start


def own_cpu_s() -> float:
    """CPU seconds of this process (every thread) and of the children it has waited for."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def read_clock(stat: Path = STAT) -> CpuClock | None:
    """The host's CPU counters now (None where /proc/stat cannot be read)."""
    try:
        with open(stat, encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    v = [int(x) for x in fields[1:9]] + [0] * max(0, 9 - len(fields))
    user, nice, system, idle, iowait, irq, softirq, steal = v[:8]
    busy = user + nice + system + irq + softirq + steal
    return CpuClock(busy, steal, busy + idle + iowait, own_cpu_s(), time.monotonic())


def load_between(a: CpuClock, b: CpuClock, ours_s: float = 0.0) -> Load:
    """Other processes' CPU and steal between two readings, in % of all cores. `ours_s`: CPU
    seconds spent meanwhile by processes of ours that `own_s` does not see (warm workers)."""
    total = b.total - a.total
    if total <= 0:
        return Load(0.0, 0.0, b.at - a.at)
    steal = b.steal - a.steal
    ours = (b.own_s - a.own_s + ours_s) * HZ
    others = max(0.0, (b.busy - a.busy - steal) - ours)
    return Load(min(100.0, others / total * 100), steal / total * 100, b.at - a.at, others)


def process_cpu_s(pids: Sequence[int]) -> float:
    """CPU seconds (user + system) of these processes so far; a vanished one counts 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, IndexError, ValueError):
            continue
    return total / HZ


class QuietGate:
    """Waits before each sample and judges it after; one per measurement run.

    `clock` and `sleep` are replaceable so the arithmetic can be tested with made-up counters.
    """

    def __init__(self, spec: QuietSpec | None = None, *, clock: Callable[[], CpuClock | None] = read_clock,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic,
                 check: Callable[[], None] | None = None) -> None:
        self.spec = spec or QuietSpec()
        self._clock = clock
        self._sleep = sleep
        self._now = monotonic
        self._check = check or (lambda: None)
        self.gave_up_in_a_row = 0
        self.waits = 0
        self.busy = 0

    def before(self, settled: Callable[[], bool] | None = None, helpers: Sequence[int] = (),
               quiet: bool = True) -> Start:
        """Wait for the last run's teardown (`settled`) and, if `quiet`, for a quiet window."""
        t0 = self._now()
        if settled is not None:
            self._settle(settled, t0 + SETTLE_MAX_S)
        if not (self.spec.enabled and quiet):
            now = self._clock()
            return Start(Load(0.0, 0.0, 0.0), self._now() - t0, False, now, now, process_cpu_s(helpers))
        window, begin, end, gave_up = self._quiet_window(helpers)
        self.waits += 1
        self.gave_up_in_a_row = self.gave_up_in_a_row + 1 if gave_up else 0
        return Start(window, self._now() - t0, gave_up, begin, end, process_cpu_s(helpers))

    def _settle(self, settled: Callable[[], bool], deadline: float) -> None:
        while not settled() and self._now() < deadline:
            self._check()
            self._sleep(SETTLE_POLL_S)

    def _quiet_window(self, helpers: Sequence[int]) -> tuple[Load, CpuClock | None, CpuClock | None, bool]:
        """Readings every POLL_S until the last `window_s` was quiet or the wait's bound passed
        (just one window once the machine has stayed busy through GIVE_UP_AFTER waits)."""
        spec = self.spec
        bound = spec.window_s if self.gave_up_in_a_row >= GIVE_UP_AFTER else max(spec.window_s, spec.max_wait_s)
        first = self._clock()
        if first is None:
            return Load(0.0, 0.0, 0.0), None, None, False
        history = [(first, process_cpu_s(helpers))]
        while True:
            self._check()
            self._sleep(POLL_S)
            now, cpu = self._clock(), process_cpu_s(helpers)
            if now is None:
                return Load(0.0, 0.0, 0.0), None, None, False
            history.append((now, cpu))
            old = [h for h in history if now.at - h[0].at >= spec.window_s - 1e-3]
            if not old:
                continue
            begin, begin_cpu = old[-1]
            load = load_between(begin, now, cpu - begin_cpu)
            history = history[history.index(old[-1]):]
            if self._quiet(load):
                return load, begin, now, False
            if now.at - first.at >= bound:
                return load, begin, now, True

    def _quiet(self, load: Load) -> bool:
        return load.others_pct < self.spec.busy_pct and load.steal_pct < self.spec.steal_pct

    def after(self, start: Start, helpers: Sequence[int] | None = ()) -> Conditions:
        """How the sample that just ended was taken. `helpers` None: its CPU is spent where
        it cannot be told from other processes' (a container engine), so only the load at its
        start and steal judge it."""
        spec = self.spec
        why = []
        if start.gave_up:
            why.append(f"other processes {start.window.others_pct:.0f} % CPU at its start")
        end = self._clock() if spec.enabled else None
        steal = 0.0
        if end is not None and start.window_begin is not None:
            steal = load_between(start.window_begin, end).steal_pct
            if steal >= spec.steal_pct:
                why.append(f"steal {steal:.0f} %")
        if end is not None and start.clock is not None and helpers is not None \
                and end.at - start.clock.at >= MIN_JUDGED_S:
            during = load_between(start.clock, end, process_cpu_s(helpers) - start.helpers)
            if during.others_pct >= spec.busy_pct and during.others_ticks >= MIN_TICKS:
                why.append(f"other processes {during.others_pct:.0f} % CPU during it")
        busy = bool(why) and spec.enabled
        self.busy += busy
        return Conditions(start.waited_s * 1e3, start.window.others_pct, steal, busy, "; ".join(why),
                          disturbed=busy and not start.gave_up)

    def retake(self, cond: Conditions, tries: int) -> bool:
        """Whether a sample just judged should be taken again: it was disturbed while it ran (the
        machine was quiet at its start), retakes are left, and the machine is not busy for good."""
        return (cond.disturbed and tries < self.spec.retakes and self.gave_up_in_a_row < GIVE_UP_AFTER)


def summary(gate: QuietGate) -> dict[str, float]:
    """The gate's settings as a table records them."""
    s = gate.spec
    return {"enabled": s.enabled, "busy_pct": s.busy_pct, "steal_pct": s.steal_pct,
            "window_s": s.window_s, "max_wait_s": s.max_wait_s, "retakes": s.retakes}
