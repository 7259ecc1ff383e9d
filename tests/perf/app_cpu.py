"""Measure what the wasmscope app itself costs while it streams (not a test: a measurement).

Runs `wasmscope` in a real terminal (tmux), starts `idle` on the three runtimes so every panel
streams RSS at the profile's rate (4 Hz by default), then samples the app process's own CPU
time (children such as wasmtime workers and containers excluded) over a window.

    python tests/perf/app_cpu.py [--seconds 30] [--profile quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import uuid

import psutil


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


def wait_screen(session: str, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in tmux("capture-pane", "-p", "-t", session):
        if time.monotonic() > deadline:
            sys.exit(f"app_cpu: timed out waiting for {text!r} on screen")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--profile", default="quick")
    ns = parser.parse_args()
    session = f"wasmscope-cpu-{uuid.uuid4().hex[:6]}"
    cmd = f"exec {sys.executable} -m wasmscope.tui.cli --profile {ns.profile}"
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "36", cmd)
    try:
        wait_screen(session, "Docker Engine", 60)
        pid = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
        app = psutil.Process(pid)
        tmux("send-keys", "-t", session, "i")
        tmux("send-keys", "-t", session, "Right", "i")
        tmux("send-keys", "-t", session, "Right", "i")
        deadline = time.monotonic() + 60
        while tmux("capture-pane", "-p", "-t", session).count("running idle") < 3:
            if time.monotonic() > deadline:
                sys.exit("app_cpu: idle did not start on all three runtimes")
            time.sleep(0.2)
        time.sleep(3)  # let start-up work settle
        t0, c0 = time.monotonic(), app.cpu_times()
        time.sleep(ns.seconds)
        t1, c1 = time.monotonic(), app.cpu_times()
        busy = (c1.user - c0.user) + (c1.system - c0.system)
        pct = 100.0 * busy / (t1 - t0)
        print(f"wasmscope app CPU while streaming 3 runtimes at the profile's rate: "
              f"{pct:.2f} % of one core over {t1 - t0:.1f} s "
              f"(user {c1.user - c0.user:.2f} s, system {c1.system - c0.system:.2f} s; children excluded)")
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 60
        while app.is_running() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        tmux("kill-session", "-t", session)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
