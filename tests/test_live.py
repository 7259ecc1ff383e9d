"""LiveSession, headless: the one record of what runs where, against real runtimes."""

from __future__ import annotations

import os
import signal
import threading

from wasmscope.profiles import load_profile
from wasmscope.workloads.live import LiveSession

PROFILE = """[bench]
runtimes = ["wasmtime", "native"]
[memory]
mib = 4
"""


def session(tmp_path) -> LiveSession:
    path = tmp_path / "live.toml"
    path.write_text(PROFILE)
    return LiveSession(load_profile(path), ["wasmtime", "native"])


def test_snapshot_follows_start_stop_and_an_exit_behind_its_back(tmp_path):
    live = session(tmp_path)
    try:
        empty = live.snapshot()
        assert empty.instances == () and empty.exited == ()
        inst = live.start("native", "idle")
        started = live.snapshot()
        assert started.version > empty.version
        assert started.running() == {"native": "idle"} and started.workload("wasmtime") is None
        reading = started.reading("native").reading
        assert reading is not None and reading.instance_rss >= 4 << 20  # the 4 MiB it touched
        unsampled = live.snapshot(sample=False)
        assert unsampled.reading("native").reading is None and unsampled.version == started.version
        for pid in inst.pids():  # as `kill` from another terminal would
            os.kill(pid, signal.SIGKILL)
        inst.proc.wait(timeout=10)
        gone = live.snapshot()
        assert [(r.runtime, r.workload) for r in gone.exited] == [("native", "idle")]
        assert gone.instances == () and live.running() == {}
        again = live.snapshot()  # an exit is reported once
        assert again.exited == () and again.version > started.version
        live.start("wasmtime", "idle")
        assert live.stop("wasmtime") and not live.stop("wasmtime")
        assert live.snapshot().instances == ()
    finally:
        live.close()


def test_runs_on_one_runtime_take_turns(tmp_path):
    """Two threads running on the same adapter (a burst and a race lane) never overlap."""
    live = session(tmp_path)
    inside, overlaps = [0], []
    real_run = live.adapters["native"].run

    def counting_run(*args, **kwargs):
        inside[0] += 1
        overlaps.append(inside[0])
        try:
            return real_run(*args, **kwargs)
        finally:
            inside[0] -= 1

    live.adapters["native"].run = counting_run  # type: ignore[method-assign]
    try:
        threads = [threading.Thread(target=lambda: [live.run_once("native", "hello") for _ in range(5)])
                   for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert len(overlaps) == 15 and max(overlaps) == 1
    finally:
        live.close()
