"""Density against the real runtimes: small runs, the memory guard, cleanup after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import pytest

from owner_helpers import containers_of, wait_for
from wasmscope.profiles import load_profile, resolve_profile_path
from wasmscope.workloads.bench import UsageError, run_density
from wasmscope.workloads.guests.catalogue import builtin_workloads
from wasmscope.workloads.measurements.claims import check_claims
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.measurements.density import (IN_HOST, PER_CONTAINER, PER_PROCESS, DensitySpec,
                                                 measure_density, meminfo, slope)
from wasmscope.workloads.model.results import FAILED, OK
from wasmscope.workloads.runtimes import create_adapter
from wasmscope.workloads.system.sessions import OWNER_PID

QUICK = resolve_profile_path("quick")


def density_hosts() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline"]) if "wasmscope.workloads.runtimes.density_host"
            in " ".join(p.info.get("cmdline") or [])]


@pytest.mark.docker
def test_density_of_embedded_wasmtime_and_docker(docker_client):
    results = run_density(load_profile(QUICK), ["wasmtime", "docker"], DensitySpec(max_instances=10))
    rows = {r.runtime: r for r in results.tables["density"].rows}
    wasm, box = rows["wasmtime"], rows["docker"]
    assert wasm.status == OK and box.status == OK, (wasm.reason, box.reason)
    assert (wasm.model, box.model) == (IN_HOST, PER_CONTAINER)
    assert [p["x"] for p in wasm.sweep] == [0, 1, 10] and [p["x"] for p in box.sweep] == [0, 1, 5, 10]
    assert wasm.stats["instances"] == box.stats["instances"] == 10
    assert wasm.facts["stopped_by"] == "--max 10 reached"
    # each instance touched 64 KiB: the in-host slope is at least that, a container far more
    assert 64 <= wasm.stats["pss_kib_per_instance"] < 2048
    assert box.stats["pss_kib_per_instance"] > wasm.stats["pss_kib_per_instance"]
    assert wasm.value > box.value > 0
    assert "cgroup_kib_per_instance" in box.stats and "cgroup_mib" in box.sweep[-1]
    assert all(p["cold_ms"] > 0 for p in box.sweep[1:])
    verdict = next(v for v in check_claims(results) if v.claim.startswith("~500 Wasm"))
    assert verdict.verdict in ("holds", "does not hold") and "per GiB" in verdict.figures
    assert not docker_client.containers.list(all=True, filters={"label": f"{OWNER_PID}={os.getpid()}"})
    assert not density_hosts()


def test_process_per_instance_and_the_memory_guard():
    """Native processes that each touch 64 MiB; the floor sits 200 MiB under what is available
    now, so the guard lets one through and refuses the next batch of four."""
    native = create_adapter("native")
    workload = builtin_workloads()["idle"]
    now = meminfo()
    floor_pct = (now["MemAvailable"] - 200 * 2**20) / now["MemTotal"] * 100
    try:
        table = measure_density({"native": native}, workload,
                                DensitySpec(max_instances=50, kib=65536, floor_pct=floor_pct), RunControl())
    finally:
        native.close()
    (row,) = table.rows
    assert row.model == PER_PROCESS
    assert row.status == FAILED and "memory guard: 4 more would bring MemAvailable under" in row.reason
    left = [p for p in psutil.Process().children(recursive=True) if p.is_running()
            and p.status() != psutil.STATUS_ZOMBIE and "idle" in " ".join(p.cmdline())]
    assert not left


def test_slope_and_bad_settings():
    assert slope([(0, 0), (1, 10), (2, 20)]) == pytest.approx(10)
    assert slope([(1, 5)]) is None
    with pytest.raises(UsageError, match="expected --max >= 1"):
        run_density(load_profile(QUICK), ["native"], DensitySpec(max_instances=0))
    with pytest.raises(UsageError, match="unknown runtime 'dockr'"):
        run_density(load_profile(QUICK), ["dockr"], DensitySpec())


@pytest.mark.docker
def test_kill_9_during_density_leaves_nothing_after_clean(docker_client):
    proc = subprocess.Popen([sys.executable, "-m", "wasmscope.tui.cli", "density", "--runtimes", "docker",
                             "--max", "50"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(containers_of(docker_client, proc.pid)) >= 3, 90, "three density containers")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert containers_of(docker_client, proc.pid)
    clean = subprocess.run([sys.executable, "-m", "wasmscope.tui.cli", "clean"], capture_output=True,
                           text=True, timeout=120)
    assert clean.returncode == 0, clean.stderr
    assert "removed container" in clean.stdout
    assert not containers_of(docker_client, proc.pid)


def test_density_host_dies_with_its_parent():
    """kill -9 of the process that hosts the measurement takes the density host with it."""
    code = ("from wasmscope.workloads.guests.catalogue import builtin_workloads;"
            "from wasmscope.workloads.measurements.density import make_target;"
            "from wasmscope.workloads.runtimes import create_adapter;"
            "t = make_target(create_adapter('wasmtime'), builtin_workloads()['idle'], 64); t.add(5);"
            "print('up', flush=True); import time; time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "up"
        hosts = [h for h in density_hosts() if h.ppid() == proc.pid]
        assert len(hosts) == 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    hosts[0].wait(timeout=10)
    assert not hosts[0].is_running()
