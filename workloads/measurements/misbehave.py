"""Misbehaving guests: what each runtime does with a guest that spins, hogs memory or crashes.

Per runtime, three workloads built from one C source each (`spin`, `hog`, `crash`):

- spin: an infinite loop run with a short deadline. Measured: wall time from calling `run()`
  to it returning, minus the deadline and minus what the runtime spent before its deadline
  clock started (a container's create + start) = "deadline → stopped"; and whether the host
  stayed responsive: a ticker thread in this process records its worst scheduling gap during
  the run, against the same gap measured idle first.
- hog: grows memory in steps under the runtime's memory knob (a store limit, a runtime flag,
  a ulimit, a cgroup limit — or none, when the runtime has none: then the guest grows to the
  wasm32 ceiling of 4 GiB, which is a finding too). Measured: the peak the guest reported
  (`grown N MiB` lines), the peak sampled from the host (cgroup `memory.max_usage_in_bytes`
  for containers; RSS growth of this process tree otherwise) and how it ended.
- crash: trap, segv, abort — each must come back as the guest's fault (GuestFailed) with the
  guest's message, never as an error of wasmscope.

How a run ended is one word: deadline, oom-killed, malloc-failed (the guest's own message
after memory.grow / malloc was refused), trap, signal, exit, completed, or error (an
exception other than the guest's: wasmscope or the runtime's host failed).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import psutil

from ..errors import GuestFailed, GuestTimeout, WasmscopeError
from ..guests.catalogue import Workload
from ..model.results import FAILED, OK, Row, Table
from ..runtimes import create_adapter
from ..runtimes.base import RuntimeAdapter
from . import misbehave_show as show
from .base import Column, Measurement, Plan, View
from .control import RunControl

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

WORKLOADS = ("spin", "hog", "crash")
CRASH_MODES = ("trap", "segv", "abort")
WASM32_CEILING_MIB = 4096
TICK_S = 0.005  # the responsiveness ticker's period
SAMPLE_S = 0.01  # the memory sampler's period
STEPS_PER_RUNTIME = 2 + len(CRASH_MODES)



@dataclass(frozen=True)
class MisbehaveSpec:
    """Deadlines and the memory limit; each run stays bounded by its deadline."""

    spin_deadline_s: float = 2.0
    hog_limit_mib: int = 256
    hog_step_mib: int = 4
    hog_deadline_s: float = 30.0
    crash_deadline_s: float = 15.0


@dataclass
class Outcome:
    """One misbehaving run as the host saw it."""

    ended: str
    message: str
    wall_ms: float
    deadline_ms: float
    before_deadline_ms: float = 0.0
    gap_ms: float = 0.0  # worst scheduling gap of this process's ticker during the run
    guest_peak_mib: float | None = None  # from the guest's own `grown N MiB` lines
    sampled_peak_mib: float | None = None
    sampled: str = ""  # what sampled_peak_mib counts
    guest_said: str = ""  # the guest's last line of output, where the runtime kept it

    @property
    def past_deadline_ms(self) -> float:
        """From the deadline to the run returning (the guest stopped and cleaned up)."""
        return self.wall_ms - self.deadline_ms - self.before_deadline_ms

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v not in (None, "")}
        if self.ended == "deadline":
            data["past_deadline_ms"] = round(self.past_deadline_ms, 3)
        return data


class _Background:
    """A daemon thread running `_loop` for the length of a `with` block; `_begin` runs first."""

    thread_name = "misbehave-background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)

    def _begin(self) -> None:
        pass

    def _loop(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        self._begin()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


class GapTicker(_Background):
    """A thread that sleeps TICK_S over and over and keeps the worst lateness: if this process
    (its GIL, its scheduler share) stalls while a guest misbehaves, the gap shows it."""

    thread_name = "misbehave-ticker"

    def __init__(self) -> None:
        super().__init__()
        self._worst = 0.0
        self._lock = threading.Lock()

    def _loop(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(TICK_S)
            now = time.perf_counter()
            late = (now - last - TICK_S) * 1e3
            last = now
            with self._lock:
                self._worst = max(self._worst, late)

    def take(self) -> float:
        """The worst gap (ms) since the last take()."""
        with self._lock:
            worst, self._worst = self._worst, 0.0
        return worst


def _cgroup_dir(container_id: str) -> Path | None:
    """A container's memory cgroup (v1: docker's and podman's cgroupfs layouts)."""
    base = Path("/sys/fs/cgroup/memory")
    for rel in (f"docker/{container_id}", f"libpod_parent/libpod-{container_id}",
                f"machine.slice/libpod-{container_id}.scope", f"system.slice/docker-{container_id}.scope"):
        if (base / rel / "memory.max_usage_in_bytes").exists():
            return base / rel
    return None


def _oom_kills(cgroup: Path) -> int:
    """The cgroup's `oom_kill` counter (memory.oom_control), 0 when absent."""
    for line in (cgroup / "memory.oom_control").read_text().splitlines():
        if line.startswith("oom_kill "):
            return int(line.split()[1])
    return 0


class PeakSampler(_Background):
    """Samples memory while one run goes on, in a thread.

    Containers: the cgroup's own high-water mark (`memory.max_usage_in_bytes`, exact up to the
    last sample before the engine removes the cgroup). Everything else: RSS growth of this
    process's tree — new child processes count whole (the runtime's own RSS included), children
    that existed before (warm workers) and an in-process runtime count what they grew by.
    For containers it also keeps the cgroup's OOM-kill counter: Podman 4.3 with crun on cgroup
    v1 reports an OOM-killed container as a plain exit 137 (State.OOMKilled false).
    """

    thread_name = "misbehave-sampler"

    def __init__(self, adapter: RuntimeAdapter) -> None:
        super().__init__()
        self.adapter = adapter
        self.peak = 0
        self.oom_kills = 0
        self.counts = ""
        self._me = psutil.Process()
        self._before: dict[int, int] = {}
        self._self_before = 0

    def _begin(self) -> None:
        for p in self._me.children(recursive=True):
            try:
                self._before[p.pid] = p.memory_info().rss
            except psutil.Error:
                pass
        self._self_before = self._me.memory_info().rss

    def _loop(self) -> None:
        ids = getattr(self.adapter, "live_container_ids", None)
        cgroups: dict[str, Path] = {}
        while True:
            if ids is not None:
                self.counts = "cgroup memory.max_usage_in_bytes"
                for cid in ids():
                    if cid not in cgroups and (d := _cgroup_dir(cid)) is not None:
                        cgroups[cid] = d
                for d in cgroups.values():
                    try:
                        self.peak = max(self.peak, int((d / "memory.max_usage_in_bytes").read_text()))
                        self.oom_kills = max(self.oom_kills, _oom_kills(d))
                    except (OSError, ValueError):
                        continue
            else:
                self.counts = "RSS growth of wasmscope's process tree (runtime processes included)"
                total = 0
                for p in self._me.children(recursive=True):
                    try:
                        total += max(0, p.memory_info().rss - self._before.get(p.pid, 0))
                    except psutil.Error:
                        continue
                if self.adapter.IN_PROCESS:
                    total += max(0, self._me.memory_info().rss - self._self_before)
                self.peak = max(self.peak, total)
            if self._stop.wait(SAMPLE_S):
                return


_GROWN = re.compile(r"grown (\d+) MiB")
_MALLOC = re.compile(r"malloc failed after (\d+) MiB")


def guest_peak(output: str) -> float | None:
    """The most the hog said it held: its last `grown N MiB` (or `malloc failed after N MiB`)."""
    values = [int(m) for m in _GROWN.findall(output)] + [int(m) for m in _MALLOC.findall(output)]
    return float(max(values)) if values else None


def _last_line(output: str) -> str:
    lines = [re.sub(r"^\d+:\s+", "", ln.strip()) for ln in output.splitlines()
             if ln.strip() and not ln.startswith("wasmscope-node-runner ")]
    return lines[-1][:200] if lines else ""


def run_one(adapter: RuntimeAdapter, workload: Workload, args: Sequence[str], deadline_s: float,
            ticker: GapTicker, *, sample: bool = False) -> Outcome:
    """Run a misbehaving guest once; whatever happens becomes an Outcome (never raises a
    guest's or a runtime's failure: those are what is measured)."""
    sampler = PeakSampler(adapter) if sample else None
    ticker.take()
    t0 = time.perf_counter()
    before, output, ended, message = 0.0, "", "completed", ""
    try:
        if sampler:
            with sampler:
                res = adapter.run(workload, args, timeout_s=deadline_s)
        else:
            res = adapter.run(workload, args, timeout_s=deadline_s)
        output = res.stdout + res.stderr
        message = f"ran to completion (exit {res.exit_code})"
    except GuestTimeout as err:
        ended, message, before = "deadline", str(err), err.before_deadline_ms
    except GuestFailed as err:
        output, message = err.output, str(err)
        ended = "malloc-failed" if _MALLOC.search(err.output) and err.ended == "exit" else err.ended
        if ended == "signal" and sampler is not None and sampler.oom_kills:
            ended = "oom-killed"
            message += (" — an OOM kill: the cgroup's oom_kill counter rose during the run "
                        "(the engine did not report OOMKilled)")
    except WasmscopeError as err:
        ended, message = "error", str(err)
    except Exception as err:  # noqa: BLE001 - a runtime's host failing is a finding, not a crash of ours
        ended, message = "error", f"{type(err).__name__}: {err}"
    wall_ms = (time.perf_counter() - t0) * 1e3
    out = Outcome(ended=ended, message=message, wall_ms=wall_ms, deadline_ms=deadline_s * 1e3,
                  before_deadline_ms=before, gap_ms=ticker.take(), guest_said=_last_line(output))
    if workload.name == "hog":
        out.guest_peak_mib = guest_peak(output)
    if sampler and sampler.peak:
        out.sampled_peak_mib = round(sampler.peak / 2**20, 1)
        out.sampled = sampler.counts
    return out


def idle_gap(ticker: GapTicker, seconds: float = 0.5) -> float:
    """The ticker's worst gap while nothing runs: the baseline for 'stayed responsive'."""
    ticker.take()
    time.sleep(seconds)
    return ticker.take()


def _knob(adapter: RuntimeAdapter) -> tuple[str, bool]:
    """The runtime's memory knob in words, and whether it has one."""
    if adapter.MEMORY_LIMIT:
        return adapter.MEMORY_LIMIT, True
    return adapter.NO_MEMORY_LIMIT, False


def hog_adapter(adapter: RuntimeAdapter, limit_mib: int) -> RuntimeAdapter:
    """A fresh adapter of the same runtime and options with its memory limit switched on."""
    return create_adapter(adapter.name, {**adapter.options, adapter.MEMORY_LIMIT_OPTION: limit_mib})


def measure_runtime(adapter: RuntimeAdapter, workloads: dict[str, Workload], spec: MisbehaveSpec,
                    ticker: GapTicker, idle_gap_ms: float, control: RunControl | None = None) -> Row:
    """spin, hog and the crash modes on one runtime, as one row."""
    control = control or RunControl()
    name = adapter.name
    knob, has_knob = _knob(adapter)
    facts: dict[str, Any] = {"memory_knob": knob, "idle_gap_ms": round(idle_gap_ms, 3)}
    problems: list[str] = []

    control.check()
    spin = workloads["spin"]
    adapter.prepare(spin)
    s = run_one(adapter, spin, [], spec.spin_deadline_s, ticker)
    facts["spin"] = s.to_dict()
    if s.ended != "deadline":
        problems.append(f"spin ended '{s.ended}', not by its deadline: {s.message}")
    control.step(f"misbehave: {name} spin")

    control.check()
    hog = workloads["hog"]
    limited = hog_adapter(adapter, spec.hog_limit_mib)
    try:
        limited.prepare(hog)
        h = run_one(limited, hog, [str(spec.hog_step_mib)], spec.hog_deadline_s, ticker, sample=True)
    finally:
        limited.close()
    facts["hog"] = {**h.to_dict(), "limit_mib": spec.hog_limit_mib if has_knob else None}
    facts["hog"] = {k: v for k, v in facts["hog"].items() if v is not None}
    if h.ended in ("error", "completed"):
        problems.append(f"hog ended '{h.ended}': {h.message}")
    control.step(f"misbehave: {name} hog")

    crash = workloads["crash"]
    adapter.prepare(crash)
    facts["crash"] = {}
    for mode in CRASH_MODES:
        control.check()
        c = run_one(adapter, crash, [mode], spec.crash_deadline_s, ticker)
        facts["crash"][mode] = c.to_dict()
        if c.ended not in ("trap", "signal", "exit"):
            problems.append(f"crash {mode} ended '{c.ended}' (not reported as the guest's fault): {c.message}")
        control.step(f"misbehave: {name} crash {mode}")

    stats = {"spin_past_deadline_ms": round(s.past_deadline_ms, 3), "spin_gap_ms": round(s.gap_ms, 3),
             "idle_gap_ms": round(idle_gap_ms, 3)}
    if h.guest_peak_mib is not None:
        stats["hog_guest_peak_mib"] = h.guest_peak_mib
    if h.sampled_peak_mib is not None:
        stats["hog_sampled_peak_mib"] = h.sampled_peak_mib
    return Row(name, FAILED if problems else OK, "; ".join(problems), stats=stats, facts=facts,
               counts=f"hog peak sampled as: {h.sampled or 'not sampled'}")


def measure_misbehave(adapters: dict[str, RuntimeAdapter], workloads: dict[str, Workload],
                      spec: MisbehaveSpec | None = None, control: RunControl | None = None) -> Table:
    """The misbehaving-guests table over the given (available) runtimes."""
    spec = spec or MisbehaveSpec()
    control = control or RunControl()
    table = Table("misbehave", "ms", "spin, hog, crash", what=(
        f"spin stopped by a {spec.spin_deadline_s:g} s deadline; hog growing {spec.hog_step_mib} MiB "
        f"steps under a {spec.hog_limit_mib} MiB limit where the runtime has one; crash by trap, segv, abort"))
    with GapTicker() as ticker:
        for name, adapter in adapters.items():
            control.check()
            gap = idle_gap(ticker)
            try:
                row = measure_runtime(adapter, workloads, spec, ticker, gap, control)
            except WasmscopeError as err:  # e.g. a module it cannot load: the row says why
                if type(err).__name__ == "Cancelled":
                    raise
                row = Row(name, FAILED, str(err))
            table.rows.append(row)
    return table


def workloads_from(names: Sequence[str] = WORKLOADS) -> dict[str, Workload]:
    """The built-in spin/hog/crash workloads."""
    from ..guests.catalogue import builtin_workloads

    known = builtin_workloads()
    return {n: known[n] for n in names}



class Misbehave(Measurement):
    """What each runtime does with a guest that spins, hogs memory or crashes."""

    name = "misbehave"
    title = "Misbehaving guests"
    unit = "ms"
    reasons_in_caption = True
    columns = (
        Column("past_deadline", "spin: past deadline", show.past_deadline, essential=True),
        Column("stopped_by", "stopped by", show.spin_stopped_by, essential=True),
        Column("gap", "gap (idle)", show.gaps),
        Column("hog_limit", "hog: limit", show.hog_limit),
        Column("peak", "peak MiB (guest · host)", show.peaks, essential=True),
        Column("hog_ended", "hog ended", show.hog_ended, essential=True),
        Column("trap", "crash: trap", show.crash("trap"), essential=True),
        Column("segv", "segv", show.crash("segv")),
        Column("abort", "abort", show.crash("abort")),
    )

    def selected_by(self, profile: "Profile") -> dict[str, list[str]]:
        return {w: [] for w in WORKLOADS}

    def steps(self, profile: "Profile", plan: Plan, runtimes: Sequence[str]) -> int:
        return STEPS_PER_RUNTIME * len(runtimes)

    def run(self, adapters, profile: "Profile", plan: Plan, control: RunControl) -> Table:
        return measure_misbehave(adapters, {w: profile.workload(w) for w in WORKLOADS}, control=control)

    def shows_figures(self, row: Row) -> bool:
        return show.shows_figures(row)

    def row_label(self, view: View, row: Row) -> str:
        return view.name(row.runtime) + (" ⚠" if row.status == FAILED and row.facts else "")

    def caption(self, view: View) -> list[str]:
        return show.caption(view)
