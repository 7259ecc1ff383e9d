"""Misbehaving guests against the real runtimes and the real Docker engine: a spinning guest is
stopped at its deadline, a memory hog by each runtime's limit (and an OOM kill is named as
such), a crashing guest comes back as the guest's fault with its own message."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from wasmscope.workloads.errors import GuestFailed
from wasmscope.workloads.measurements.misbehave import (GapTicker, MisbehaveSpec, guest_peak, measure_runtime,
                                                   run_one, workloads_from)
from wasmscope.workloads.runtimes import create_adapter

from conftest import docker_required

DEADLINE_S = 1.0
STOP_BOUND_MS = 1500.0  # deadline → stopped, at most (the slowest here: a container's forced removal)
CONTAINERS = ("docker", "docker-crun", "docker-debian", "podman")
MUST_RUN = ("wasmtime", "wasmtime-cli", "native")  # installed by the test setup: never skipped
OTHERS = ("wamr", "wasmer", "wasm3", "node", "wasmedge")


@pytest.fixture(scope="module")
def guests():
    return workloads_from()


@pytest.fixture(scope="module")
def ticker():
    with GapTicker() as t:
        yield t


def _adapter(name: str, options: dict | None = None):
    """A runtime's adapter; a missing runtime skips, except those CI installs (and Docker under
    WASMSCOPE_REQUIRE_DOCKER=1), which fail."""
    adapter = create_adapter(name, options)
    avail = adapter.availability()
    if not avail.ok:
        adapter.close()
        if name in MUST_RUN or (name == "docker" and docker_required()):
            pytest.fail(f"{name} must be available here: {avail.reason}")
        pytest.skip(f"{name}: {avail.reason}")
    return adapter


# -- spin: stopped at the deadline, host responsive ----------------------------------------------

@pytest.mark.parametrize("name", [*MUST_RUN, *CONTAINERS, *OTHERS])
def test_spin_is_stopped_within_its_deadline_and_the_host_stays_responsive(name, guests, ticker):
    adapter = _adapter(name)
    try:
        adapter.prepare(guests["spin"])
        out = run_one(adapter, guests["spin"], [], DEADLINE_S, ticker)
    finally:
        adapter.close()
    assert out.ended == "deadline", out.message
    assert out.wall_ms >= DEADLINE_S * 1e3 * 0.95  # it ran until the deadline, not less
    assert -50 < out.past_deadline_ms < STOP_BOUND_MS, out
    assert out.gap_ms < 500, f"wasmscope's ticker stalled {out.gap_ms:.0f} ms while {name} spun"


# -- hog: each runtime's limit stops it, and says how ----------------------------------------------

def test_hog_on_docker_is_reported_oom_killed_not_exit_137(docker_adapter, guests, ticker):
    docker_adapter.prepare(guests["hog"])
    with pytest.raises(GuestFailed) as info:
        docker_adapter.run(guests["hog"], ["16"], timeout_s=30)
    assert info.value.ended == "oom-killed"
    assert "OOM-killed by the kernel (cgroup limit 256 MiB)" in str(info.value)
    assert "137" not in str(info.value)
    out = run_one(docker_adapter, guests["hog"], ["16"], 30, ticker, sample=True)
    assert out.ended == "oom-killed"
    assert out.guest_peak_mib is not None and 128 <= out.guest_peak_mib <= 256
    assert out.sampled_peak_mib is not None and out.sampled_peak_mib <= 256.5  # the cgroup's own high-water mark


def test_hog_on_podman_is_found_oom_killed_from_its_cgroup(guests, ticker, tmp_path, monkeypatch):
    """Podman 4.3 + crun on cgroup v1 reports a plain exit 137; the cgroup's counter tells."""
    monkeypatch.chdir(tmp_path)  # the user's directory: conmon must not drop its `oom` file here
    adapter = _adapter("podman", {"memory_limit_mib": 128})
    try:
        adapter.prepare(guests["hog"])
        out = run_one(adapter, guests["hog"], ["16"], 30, ticker, sample=True)
    finally:
        adapter.close()
    assert out.ended == "oom-killed", out.message
    assert out.guest_peak_mib is not None and out.guest_peak_mib <= 128
    assert not (tmp_path / "oom").exists(), "conmon's oom marker landed in the user's working directory"


@pytest.mark.parametrize("name", ["wasmtime", "wasmtime-cli"])
def test_hog_on_wasmtime_meets_the_memory_limit(name, guests, ticker):
    adapter = _adapter(name, {"memory_limit_mib": 64})
    try:
        if name == "wasmtime-cli":
            assert "max-memory-size=67108864" in adapter.command_line(guests["hog"])
        out = run_one(adapter, guests["hog"], ["4"], 30, ticker)
        # the same module without a limit passes 64 MiB (so the limit, not the guest, stopped it)
        free = _adapter(name, {"memory_limit_mib": 512})
        try:
            beyond = free.run(guests["hog"], ["4", "96"], timeout_s=30)
        finally:
            free.close()
    finally:
        adapter.close()
    assert out.ended == "malloc-failed", out.message  # memory.grow refused: the guest's malloc said so
    assert "hog: malloc failed after" in out.message
    assert out.guest_peak_mib is not None and 48 <= out.guest_peak_mib <= 64
    assert "capped at 96 MiB" in beyond.stdout


def test_native_ulimit_stops_the_hog(guests, ticker):
    limited = _adapter("native", {"rlimit_as_mib": 64})
    free = _adapter("native")
    try:
        assert "RLIMIT_AS 64 MiB" in limited.mode()
        out = run_one(limited, guests["hog"], ["4"], 30, ticker)
        beyond = free.run(guests["hog"], ["4", "96"], timeout_s=30)
    finally:
        limited.close()
        free.close()
    assert out.ended == "malloc-failed", out.message
    assert out.guest_peak_mib is not None and out.guest_peak_mib <= 64
    assert "capped at 96 MiB" in beyond.stdout


def test_guest_peak_reads_the_hogs_own_lines():
    assert guest_peak("grown 4 MiB\ngrown 8 MiB\nhog: malloc failed after 8 MiB\n") == 8.0
    assert guest_peak("no lines\n") is None


# -- crash: the guest's fault, with its message -----------------------------------------------------

CRASH_ENDS = {
    "wasmtime": {"trap": ("trap", "unreachable"), "segv": ("trap", "out of bounds memory access"),
                 "abort": ("trap", "unreachable")},
    "native": {"trap": ("signal", "SIGILL"), "segv": ("signal", "SIGSEGV"), "abort": ("signal", "SIGABRT")},
    # PID 1 of a container ignores the SIGABRT abort() raises; glibc then faults on purpose
    "docker": {"trap": ("signal", "SIGILL"), "segv": ("signal", "SIGSEGV"), "abort": ("signal", "SIGSEGV")},
}


@pytest.mark.parametrize("name", list(CRASH_ENDS))
def test_crash_modes_are_the_guests_fault_with_its_message(name, guests, request):
    adapter = request.getfixturevalue("docker_adapter") if name == "docker" else _adapter(name)
    try:
        adapter.prepare(guests["crash"])
        for mode, (ended, words) in CRASH_ENDS[name].items():
            with pytest.raises(GuestFailed) as info:
                adapter.run(guests["crash"], [mode], timeout_s=15)
            assert info.value.ended == ended, str(info.value)
            assert words in str(info.value)
            assert f"crash: {mode}" in info.value.output  # the guest's own last words
        assert adapter.run(create_hello(), timeout_s=15).stdout  # the runtime (and wasmscope) still work
    finally:
        if name != "docker":
            adapter.close()


def create_hello():
    from wasmscope.workloads.guests.catalogue import builtin_workloads

    return builtin_workloads()["hello"]


def test_one_runtime_row_holds_spin_hog_and_crash(guests, ticker):
    adapter = _adapter("native")
    try:
        row = measure_runtime(adapter, guests, MisbehaveSpec(spin_deadline_s=0.5, hog_limit_mib=64), ticker, 1.0)
    finally:
        adapter.close()
    assert row.status == "ok", row.reason
    assert row.facts["spin"]["ended"] == "deadline"
    assert row.facts["hog"]["ended"] == "malloc-failed" and row.facts["hog"]["limit_mib"] == 64
    assert {m: c["ended"] for m, c in row.facts["crash"].items()} == {"trap": "signal", "segv": "signal",
                                                                      "abort": "signal"}
    assert "RLIMIT_AS" in row.facts["memory_knob"]


# -- the command ---------------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "wasmscope.tui.cli", *args], capture_output=True,
                          text=True, timeout=240, env=env)


def test_bench_workloads_spin_hog_crash_prints_the_table_and_json(tmp_path):
    proc = _cli("bench", "--workloads", "spin,hog,crash", "--runtimes", "native,wasmtime,wasmedge")
    assert proc.returncode == 0, proc.stderr
    assert "Misbehaving guests" in proc.stdout
    # words that a narrow (piped, 132-column) table does not wrap
    for words in ("Native", "Wasmtime", "SIGSEGV", "SIGABRT", "256 MiB", "epoch", "WasmEdge", "unavailable",
                  "RLIMIT_AS", "store limit"):
        assert words in proc.stdout, words
    profile = tmp_path / "p.toml"
    profile.write_text("[bench]\nruntimes = [\"wasmtime\"]\n")
    proc = _cli("bench", "--profile", str(profile), "--workloads", "misbehave", "--json", "--save", str(profile))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    row = data["tables"]["misbehave"]["rows"][0]
    assert row["runtime"] == "wasmtime" and row["status"] == "ok"
    assert row["facts"]["spin"]["ended"] == "deadline"
    assert row["facts"]["hog"]["ended"] == "malloc-failed"
    assert row["facts"]["crash"]["segv"]["message"].endswith("out of bounds memory access")
    report = _cli("report", "--profile", str(profile))  # stored with the profile's results, reported again
    assert report.returncode == 0, report.stderr
    assert "Misbehaving guests" in report.stdout and "epoch deadline" in report.stdout
