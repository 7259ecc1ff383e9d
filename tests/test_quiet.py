"""Quiet samples: the load arithmetic, the gate's waiting and judging (made-up counters and a real
busy process), and the Docker teardown a sample waits for."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import replace

import pytest

from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.measurements.quiet import (GIVE_UP_AFTER, HZ, CpuClock, QuietGate, QuietSpec,
                                                    load_between, read_clock)
from wasmscope.workloads.measurements.startup import measure_startup
from wasmscope.workloads.measurements.base import View
from wasmscope.workloads.measurements import get
from wasmscope.workloads.measurements.timing import Schedule
from wasmscope.workloads.model.results import Results
from wasmscope.workloads.runtimes import create_adapter


def clock(busy: int, total: int, steal: int = 0, own_s: float = 0.0, at: float = 0.0) -> CpuClock:
    return CpuClock(busy=busy, steal=steal, total=total, own_s=own_s, at=at)


def test_load_counts_other_processes_and_steal_apart_from_our_own_cpu():
    a = clock(busy=1000, total=10_000)
    # 20 ticks passed on 2 CPUs: 10 busy, of which 2 steal and 4 ticks' worth our own CPU
    b = clock(busy=1010, total=10_020, steal=2, own_s=4 / HZ, at=0.1)
    load = load_between(a, b)
    assert load.steal_pct == pytest.approx(10.0)
    assert load.others_pct == pytest.approx(20.0)  # 10 busy - 2 steal - 4 ours = 4 of 20
    # a warm worker's CPU (ours, outside this process) is not other processes' either
    assert load_between(a, b, ours_s=4 / HZ).others_pct == pytest.approx(0.0)
    assert load_between(b, b).others_pct == 0.0  # no time passed: nothing to say


class FakeMachine:
    """Counters that advance with a fake clock: one core in two busy from `busy_from` to `busy_until` s."""

    def __init__(self, busy_until: float, steal: bool = False, busy_from: float = 0.0) -> None:
        self.t = 0.0
        self.busy_from, self.busy_until = busy_from, busy_until
        self.steal = steal

    def sleep(self, s: float) -> None:
        self.t += s

    def now(self) -> float:
        return self.t

    def clock(self) -> CpuClock:
        ticks = int(self.t * HZ)
        busy_ticks = int(max(0.0, min(self.t, self.busy_until) - self.busy_from) * HZ)
        steal = ticks // 5 if self.steal else 0
        return CpuClock(busy=busy_ticks + steal, steal=steal, total=2 * ticks, own_s=0.0, at=self.t)

    def gate(self, spec: QuietSpec) -> QuietGate:
        return QuietGate(spec, clock=self.clock, sleep=self.sleep, monotonic=self.now)


def test_gate_waits_until_the_busy_process_stops():
    machine = FakeMachine(busy_until=0.5)
    gate = machine.gate(QuietSpec(window_s=0.1, max_wait_s=2.0))
    start = gate.before()
    assert not start.gave_up
    assert 0.5 <= start.waited_s <= 0.7  # a whole quiet window after the busy half second
    assert start.window.others_pct < 15
    cond = gate.after(start)
    assert not cond.busy and cond.wait_ms == pytest.approx(start.waited_s * 1e3)


def test_gate_gives_up_on_a_busy_machine_flags_the_sample_and_stops_paying():
    machine = FakeMachine(busy_until=1e9)
    gate = machine.gate(QuietSpec(window_s=0.1, max_wait_s=0.5))
    start = gate.before()
    assert start.gave_up and start.waited_s >= 0.5
    cond = gate.after(start)
    assert cond.busy and "other processes 50 % CPU at its start" in cond.why
    for _ in range(GIVE_UP_AFTER - 1):
        gate.after(gate.before())
    short = gate.before()  # busy through GIVE_UP_AFTER waits: one window, then go
    assert short.gave_up and short.waited_s < 0.2


def test_a_sample_disturbed_while_it_ran_is_taken_again_a_bounded_number_of_times():
    machine = FakeMachine(busy_from=0.15, busy_until=1e9)  # quiet at the sample's start, busy during it
    gate = machine.gate(QuietSpec(window_s=0.1, max_wait_s=0.5, retakes=2))
    start = gate.before()
    assert not start.gave_up
    machine.sleep(0.2)  # the sample runs 0.2 s, most of it next to a busy process
    cond = gate.after(start)
    assert cond.busy and cond.disturbed and "during it" in cond.why
    assert gate.retake(cond, 0) and gate.retake(cond, 1) and not gate.retake(cond, 2)
    gave_up = gate.after(gate.before())  # the machine stays busy: the wait gives up, the sample is kept
    assert gave_up.busy and not gave_up.disturbed and not gate.retake(gave_up, 0)


class DisturbedOnce(QuietGate):
    """A real gate whose first judgement says the sample was disturbed while it ran."""

    def after(self, start, helpers=()):
        cond = super().after(start, helpers)
        self.judged = getattr(self, "judged", 0) + 1
        return replace(cond, busy=True, disturbed=True, why="made up") if self.judged == 1 else cond


def test_the_schedule_takes_a_disturbed_sample_again(builtin):
    from wasmscope.workloads.measurements.timing import interleaved
    from wasmscope.workloads.model.results import Table
    from wasmscope.workloads.model.samples import ColdStart

    native = create_adapter("native")
    gate = DisturbedOnce(QuietSpec(window_s=0.05, max_wait_s=0.05, busy_pct=100, steal_pct=100))
    runs = interleaved({"native": native}, builtin["hello"], [], schedule=Schedule(runs=3), timeout_s=10,
                       table=Table("startup", "ms", "hello"), control=RunControl(), gate=gate,
                       sample=lambda name, res: ColdStart("startup", name, ms=res.total_ms))
    taken = runs["native"]
    assert len(taken) == 3 and gate.judged == 4  # one sample taken twice, three kept
    assert [t.conditions.retaken for t in taken] == [1, 0, 0]


def test_steal_time_makes_a_sample_busy():
    machine = FakeMachine(busy_until=0.0, steal=True)
    gate = machine.gate(QuietSpec(window_s=0.1, max_wait_s=0.3, steal_pct=5.0))
    cond = gate.after(gate.before())
    assert cond.busy and "steal" in cond.why


def test_a_disabled_gate_neither_waits_nor_flags():
    machine = FakeMachine(busy_until=1e9)
    gate = machine.gate(QuietSpec(enabled=False))
    start = gate.before()
    assert start.waited_s == 0 and not gate.after(start).busy


@pytest.fixture
def busy_process():
    """A real process spinning on one core (of this 2-core machine: 50 % of all cores)."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.2)
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def test_a_real_busy_process_makes_the_sample_wait_and_be_flagged(busy_process):
    if read_clock() is None:
        pytest.skip("no /proc/stat")
    gate = QuietGate(QuietSpec(window_s=0.1, max_wait_s=0.6))
    start = gate.before()
    assert start.gave_up and start.waited_s >= 0.6
    assert start.window.others_pct >= 15
    cond = gate.after(start)
    assert cond.busy and "other processes" in cond.why


def test_the_sample_waits_while_a_real_busy_process_runs():
    if read_clock() is None:
        pytest.skip("no /proc/stat")
    proc = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 0.8: pass"])
    try:
        time.sleep(0.2)
        start = QuietGate(QuietSpec(window_s=0.1, max_wait_s=5.0)).before()
        # it waited at least until the spinner stopped (longer if other work keeps the machine busy)
        assert start.waited_s >= 0.4
        assert proc.poll() is not None or start.gave_up
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_busy_samples_are_counted_and_the_row_flagged_in_table_and_json(busy_process, builtin):
    native = create_adapter("native")
    table = measure_startup({"native": native}, builtin["hello"], schedule=Schedule(runs=4, block=2),
                            timeout_s=10, control=RunControl(), quiet=QuietSpec(window_s=0.1, max_wait_s=0.2))
    row = table.row("native")
    assert row.stats["busy"] == 4 and row.busy_samples == 4
    assert all(w >= 100 for w in row.conditions["wait_ms"])
    results = Results(profile="t", started_at="", tables={"startup": table})
    m, view = get("startup"), View(results, table)
    assert m.row_label(view, row).endswith(" ⚠")
    assert any(line.startswith("⚠ Taken while the machine was busy") for line in m.caption(view))
    from wasmscope.workloads.measurements.figures import comparisons

    assert comparisons(results)["startup"]["native"]["busy_samples"] == 4


def test_a_docker_sample_waits_until_the_container_and_its_shim_are_gone(docker_adapter, builtin):
    from wasmscope.workloads.runtimes import processes

    docker_adapter.prepare(builtin["hello"])
    docker_adapter.run(builtin["hello"], timeout_s=30)
    cid = docker_adapter._teardown._cid
    assert cid
    deadline = time.monotonic() + 10
    while not docker_adapter.settled():
        assert time.monotonic() < deadline, "teardown did not end within 10 s"
        time.sleep(0.005)
    assert not [p for p in processes.pids_with_argument(cid) if processes.running(p)]
    import docker

    with pytest.raises(docker.errors.NotFound):
        docker_adapter.client().api.inspect_container(cid)
