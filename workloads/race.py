"""A race: the same run-to-exit workload (`hello`) started on several runtimes at the same
instant and run again and again for a few seconds, one lane (thread) per runtime.

What a race counts: runs that exited 0 before the whistle, per lane, while every lane runs at
once on this machine — the lanes share its cores and slow each other. That makes the cold-start
gap visible (thousands of runs against tens); it is not the startup table, which times each
runtime alone, interleaved, with warm-ups and medians. Each lane does one warm-up run before the
start (compiling a module, building an image), so the race starts when every lane is ready.

Headless and thread-safe: `Race.run` blocks its caller's thread and reports `RaceState`
snapshots through `on_update`; `cancel` stops every lane after the run it is in.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence

from .errors import GuestFailed, WasmscopeError
from .model.results import RuntimeInfo
from .runtimes.base import RunResult

WARMING, RACING, DONE, CANCELLED = "warming up", "racing", "done", "cancelled"
RunOnce = Callable[[str], RunResult]  # one run to exit on the named runtime


@dataclass(frozen=True)
class Lane:
    runtime: str
    display: str = ""
    runs: int = 0  # exited 0 before the whistle
    errors: int = 0  # exited non-zero before the whistle
    busy_ms: float = 0.0  # the counted runs' own times, summed
    failure: str = ""  # why the lane stopped (an engine error), if it did

    @property
    def name(self) -> str:
        return self.display or self.runtime

    @property
    def mean_ms(self) -> float | None:
        """Mean time of a counted run, in this race (lanes slow each other)."""
        return self.busy_ms / self.runs if self.runs else None


@dataclass(frozen=True)
class RaceState:
    """One moment of a race (or its end): what every lane has done so far."""

    workload: str
    duration_s: float
    lanes: tuple[Lane, ...]
    phase: str = WARMING
    elapsed_s: float = 0.0
    started_at: str = ""  # ISO 8601, UTC: when the lanes started together
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)

    def leader(self) -> Lane | None:
        counted = [lane for lane in self.lanes if lane.runs]
        return max(counted, key=lambda lane: lane.runs) if counted else None

    def ratio(self, lane: Lane) -> float | None:
        """How many times as many runs the leader did as `lane` (None: nothing to compare)."""
        lead = self.leader()
        if lead is None or lane is lead or not lane.runs:
            return None
        return lead.runs / lane.runs

    def counts_line(self) -> str:
        """'Wasmtime 9,412 runs · Docker 21 runs'."""
        return " · ".join(f"{lane.name} {lane.runs:,} run{'s' if lane.runs != 1 else ''}" for lane in self.lanes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lanes"] = [asdict(lane) for lane in self.lanes]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RaceState":
        """A stored race (a profile's [race] table); ValueError says what was expected where."""
        lanes_raw = data.get("lanes")
        if not isinstance(lanes_raw, list) or not lanes_raw:
            raise ValueError("lanes: expected a non-empty array of tables")
        lanes = tuple(_lane_from(raw, f"lanes[{i}]") for i, raw in enumerate(lanes_raw))
        duration = _number(data.get("duration_s"), "duration_s", above=0)
        return cls(workload=_text(data.get("workload", "hello"), "workload"), duration_s=duration, lanes=lanes,
                   phase=_text(data.get("phase", DONE), "phase"),
                   elapsed_s=_number(data.get("elapsed_s", duration), "elapsed_s"),
                   started_at=_text(data.get("started_at", ""), "started_at"),
                   cpus=int(_number(data.get("cpus", 1), "cpus", above=0)))


def _number(v: Any, where: str, above: float | None = None) -> float:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and v not in (float("inf"), float("-inf"))
    if not ok or (v <= above if above is not None else v < 0):
        raise ValueError(f"{where}: expected a number {'above ' + format(above, 'g') if above is not None else '>= 0'}, "
                         f"got {v!r}")
    return float(v)


def _text(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise ValueError(f"{where}: expected a string, got {v!r}")
    return v


def _lane_from(raw: Any, where: str) -> Lane:
    if not isinstance(raw, dict) or not isinstance(raw.get("runtime"), str):
        raise ValueError(f"{where}: expected a table with a runtime name")
    counts = {}
    for key in ("runs", "errors"):
        v = raw.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ValueError(f"{where}.{key}: expected an integer >= 0, got {v!r}")
        counts[key] = v
    return Lane(runtime=raw["runtime"], display=_text(raw.get("display", ""), f"{where}.display"),
                busy_ms=_number(raw.get("busy_ms", 0.0), f"{where}.busy_ms"),
                failure=_text(raw.get("failure", ""), f"{where}.failure"), **counts)

def race_lanes(selected: str, infos: Mapping[str, RuntimeInfo], configured: Sequence[str] = ()) -> list[str]:
    """Who races: the configured runtimes (the profile's `app.race_runtimes`) that are
    available, else the selected runtime against the baselines (native, container), with a
    Wasm runtime added when none of those is one. At least two lanes, or none."""
    usable = [name for name, info in infos.items() if info.available]
    if configured:
        lanes = [name for name in configured if name in usable]
    else:
        lanes = ([selected] if selected in usable else []) + [
            name for name in usable if infos[name].baseline and name != selected]
        if not any(infos[name].kind == "wasm" for name in lanes):
            lanes += [name for name in usable if infos[name].kind == "wasm"][:1]
    return lanes if len(lanes) >= 2 else []


class Race:
    def __init__(self, runtimes: Iterable[str], run_once: RunOnce, *, workload: str = "hello",
                 duration_s: float = 5.0, names: Mapping[str, str] | None = None,
                 warmup_timeout_s: float = 300.0) -> None:
        self.run_once = run_once
        self._lanes = {rt: Lane(rt, (names or {}).get(rt, "")) for rt in runtimes}
        self.workload, self.duration_s = workload, duration_s
        self.warmup_timeout_s = warmup_timeout_s
        self._lock = threading.Lock()
        self._start = self._deadline = 0.0
        self._started_at = ""
        self._barrier = threading.Barrier(len(self._lanes), action=self._go)

    def _go(self) -> None:
        """Runs once, in the last lane to be ready: every lane starts from here."""
        self._start = time.perf_counter()
        self._deadline = self._start + self.duration_s
        self._started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def state(self, phase: str) -> RaceState:
        with self._lock:
            lanes = tuple(self._lanes.values())
        elapsed = min(self.duration_s, time.perf_counter() - self._start) if self._start else 0.0
        return RaceState(self.workload, self.duration_s, lanes, phase, elapsed, self._started_at)

    def _count(self, runtime: str, **change: Any) -> None:
        with self._lock:
            lane = self._lanes[runtime]
            self._lanes[runtime] = replace(lane, **{k: (getattr(lane, k) + v if k != "failure" else v)
                                                     for k, v in change.items()})

    def _lane(self, runtime: str, cancel: threading.Event) -> None:
        try:
            self.run_once(runtime)  # warm-up: compiles, image builds, caches — not counted
        except WasmscopeError as err:
            self._count(runtime, failure=f"warm-up failed: {err}")
        try:
            self._barrier.wait(timeout=self.warmup_timeout_s)
        except threading.BrokenBarrierError:
            return
        while not self._lanes[runtime].failure and not cancel.is_set() and time.perf_counter() < self._deadline:
            try:
                res: RunResult | None = self.run_once(runtime)
            except GuestFailed:
                res = None  # the guest's fault: an error in the count, and on to the next run
            except WasmscopeError as err:
                self._count(runtime, failure=str(err))
                return
            if time.perf_counter() > self._deadline:
                return  # finished after the whistle: not counted
            if res is not None and res.exit_code == 0:
                self._count(runtime, runs=1, busy_ms=res.total_ms)
            else:
                self._count(runtime, errors=1)

    def run(self, cancel: threading.Event | None = None,
            on_update: Callable[[RaceState], None] | None = None, interval_s: float = 0.1) -> RaceState:
        """Run the race in lane threads; `on_update` gets a snapshot every `interval_s` (from
        this thread). Returns the final state (phase done, or cancelled)."""
        cancel = cancel or threading.Event()
        threads = [threading.Thread(target=self._lane, args=(rt, cancel), name=f"race-{rt}", daemon=True)
                   for rt in self._lanes]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            if cancel.is_set() and not self._start:
                self._barrier.abort()  # still warming up: nobody starts
            if on_update is not None:
                on_update(self.state(RACING if self._start else WARMING))
            for t in threads:
                t.join(timeout=interval_s / len(threads))
        final = self.state(CANCELLED if cancel.is_set() else DONE)
        if on_update is not None:
            on_update(final)
        return final
