"""kill -9 trials: what a killed `wasmscope bench` leaves, and what removes it (not a test itself:
tests/test_faults_cleanup.py runs two trials; run ten by hand for the issue's table).

Each trial starts `wasmscope bench --profile article --workloads io` (Docker, Podman, wrk and
the per-request front all start within seconds), kills it with SIGKILL at a random time, then
counts what that run owned: Docker and Podman containers labelled with its run, processes whose
environment carries its WASMSCOPE_OWNER marker, and its temporary directories. It counts again
after the next run (a different kind each trial) and after `wasmscope clean`. Only what the
killed run owned is counted: other people's runs on this machine are left alone.

    python tests/perf/kill9_trials.py [--trials 10] [--seed N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable

import psutil

from wasmscope.workloads.system.sessions import OWNER_ENV, OWNER_RUN, temp_root

WASMSCOPE = [sys.executable, "-m", "wasmscope.tui.cli"]
KILLED = ("bench", "--profile", "article", "--workloads", "io")
# the next run: a different kind each trial (none of them uses Docker or Podman itself)
NEXT_RUNS = (
    ("bench", "--profile", "quick", "--runtimes", "wasmtime", "--workloads", "hello", "--runs", "1"),
    ("runtimes",),
    ("report", "--profile", "quick"),
    ("density", "--runtimes", "wasmtime", "--max", "1"),
    ("sandbox", "--runtimes", "wasmtime", "--settings", "wasmscope"),
    ("advise", "--language", "rust"),
)


def plain_env() -> dict[str, str]:
    """Our environment without a marker of ours: the runs judge what they find on their own."""
    return {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX", OWNER_ENV)}


@dataclass
class Counts:
    docker: int
    podman: int
    processes: int
    temp_dirs: int  # the run's session directory and the directories in it

    def total(self) -> int:
        return self.docker + self.podman + self.processes + self.temp_dirs


def _docker_ids(run: str) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={OWNER_RUN}={run}"],
                         capture_output=True, text=True, timeout=60)
    return out.stdout.split()


def _podman_ids(run: str) -> list[str]:
    if shutil.which("podman") is None:
        return []
    out = subprocess.run(["podman", "--cgroup-manager=cgroupfs", "--events-backend=file", "ps", "-aq",
                          "--filter", f"label={OWNER_RUN}={run}"], capture_output=True, text=True, timeout=60)
    return out.stdout.split()


def marked_processes(run: str) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter():
        try:
            if p.environ().get(OWNER_ENV) == run:
                out.append(p)
        except psutil.Error:
            continue
    return out


def count(run: str) -> Counts:
    pid, start = run.split(":")
    session = temp_root() / f"{pid}-{start}"
    dirs = 0
    if session.is_dir():
        dirs = 1 + sum(1 for e in session.iterdir() if e.is_dir() and e.name != "engines")
    return Counts(len(_docker_ids(run)), len(_podman_ids(run)), len(marked_processes(run)), dirs)


def run_cli(args: tuple[str, ...], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*WASMSCOPE, *args], capture_output=True, text=True, timeout=timeout,
                          env=plain_env(), stdin=subprocess.DEVNULL)


def force_cleanup(run: str) -> None:
    """After a failed trial: nothing of the killed run may stay on the machine."""
    for p in marked_processes(run):
        try:
            p.kill()
        except psutil.Error:
            pass
    for ids, rm in ((_docker_ids(run), ["docker", "rm", "-f"]),
                    (_podman_ids(run), ["podman", "--cgroup-manager=cgroupfs", "rm", "-f"])):
        if ids:
            subprocess.run([*rm, *ids], capture_output=True, timeout=120)
    pid, start = run.split(":")
    shutil.rmtree(temp_root() / f"{pid}-{start}", ignore_errors=True)


@dataclass
class Trial:
    killed_at_s: float
    next_run: str
    at_kill: Counts
    after_next: Counts
    after_clean: Counts
    next_stderr: list[str]


def trial(kill_after_s: float, next_run: tuple[str, ...],
          until: Callable[[Counts], bool] | None = None) -> Trial:
    """One kill -9 trial, killed after `kill_after_s`, or (with `until`) as soon as the run's
    counts satisfy it (`kill_after_s` is then the deadline). Whatever it leaves is removed by
    force if the runs did not."""
    proc = subprocess.Popen([*WASMSCOPE, *KILLED], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=plain_env(), stdin=subprocess.DEVNULL)
    t0 = time.monotonic()
    run = f"{proc.pid}:{psutil.Process(proc.pid).create_time():.2f}"
    try:
        if until is None:
            time.sleep(kill_after_s)
        else:
            while not until(count(run)):
                if time.monotonic() - t0 > kill_after_s or proc.poll() is not None:
                    raise TimeoutError(f"the run never reached the state to kill it in (exit {proc.poll()})")
                time.sleep(0.3)
        killed_at = time.monotonic() - t0
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        time.sleep(1.0)  # children with a death signal get it now
        at_kill = count(run)
        nxt = run_cli(next_run)
        after_next = count(run)
        clean = run_cli(("clean",))
        after_clean = count(run)
        removals = [ln for ln in nxt.stderr.splitlines() if "removed" in ln or "kept" in ln]
        return Trial(killed_at, " ".join(next_run[:1]), at_kill, after_next, after_clean,
                     removals + ([f"clean exit {clean.returncode}"] if clean.returncode else []))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        force_cleanup(run)


def table(trials: list[Trial]) -> str:
    head = ("| # | killed at | next run | at kill: Docker / Podman / processes / temp dirs | "
            "after next run | after clean |\n|---|---|---|---|---|---|")
    rows = []
    for i, t in enumerate(trials, 1):
        def fmt(c: Counts) -> str:
            return f"{c.docker} / {c.podman} / {c.processes} / {c.temp_dirs}"
        rows.append(f"| {i} | {t.killed_at_s:.1f} s | {t.next_run} | {fmt(t.at_kill)} | "
                    f"{fmt(t.after_next)} | {fmt(t.after_clean)} |")
    return "\n".join([head, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    ns = parser.parse_args()
    rng = random.Random(ns.seed)
    trials = []
    for i in range(ns.trials):
        t = trial(rng.uniform(2.5, 17.0), NEXT_RUNS[i % len(NEXT_RUNS)])
        trials.append(t)
        print(f"trial {i + 1}: killed at {t.killed_at_s:.1f} s, left {asdict(t.at_kill)}, after "
              f"{t.next_run} {asdict(t.after_next)}, after clean {asdict(t.after_clean)}", file=sys.stderr, flush=True)
    print(json.dumps([asdict(t) for t in trials], indent=2) if ns.json else table(trials))


if __name__ == "__main__":
    main()
