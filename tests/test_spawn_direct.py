"""run_to_exit through posix_spawn: output, exit codes and signals, and the deadline that kills
the whole process group (the self-check found Popen + communicate doubled a native cold start)."""

from __future__ import annotations

import time

import pytest

from wasmscope.workloads.errors import GuestTimeout
from wasmscope.workloads.runtimes import processes, spawn_direct

ENV = {"PATH": "/usr/bin:/bin"}


def test_output_exit_code_and_signal_are_reported():
    res = processes.run_to_exit(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], timeout_s=10,
                                timeout_message="t", env=ENV)
    assert (res.returncode, res.stdout, res.stderr) == (3, "out\n", "err\n")
    assert res.spawn_ms > 0 and res.exited_ms > 0
    assert processes.run_to_exit(["/bin/sh", "-c", "kill -SEGV $$"], timeout_s=10, timeout_message="t",
                                 env=ENV).returncode == -11


def test_a_child_that_closes_its_output_is_still_waited_for():
    res = processes.run_to_exit(["/bin/sh", "-c", "exec 1>&- 2>&-; sleep 0.3; exit 4"], timeout_s=10,
                                timeout_message="t", env=ENV)
    assert res.returncode == 4 and res.total_ms >= 300


def test_the_deadline_kills_the_process_group():
    token = f"{time.time():.6f}"[-6:]  # marks this test's grandchild
    t0 = time.monotonic()
    with pytest.raises(GuestTimeout, match="too slow"):
        processes.run_to_exit(["/bin/sh", "-c", f"sleep 30.{token} & sleep 30"], timeout_s=0.5,
                              timeout_message="too slow", env=ENV)
    assert time.monotonic() - t0 < 5
    time.sleep(0.2)
    assert not [p for p in processes.pids_with_argument(f"30.{token}") if processes.running(p)]


def test_what_posix_spawn_cannot_do_goes_through_popen():
    assert spawn_direct.usable(["/bin/true"], None, None)
    assert not spawn_direct.usable(["true"], None, None)  # no PATH search
    assert not spawn_direct.usable(["/bin/true"], "/tmp", None)  # no chdir
    assert not spawn_direct.usable(["/bin/true"], None, 1 << 30)  # no rlimit
    res = processes.run_to_exit(["/bin/pwd"], timeout_s=10, timeout_message="t", env=ENV, cwd="/tmp")
    assert res.stdout.strip() == "/tmp"
