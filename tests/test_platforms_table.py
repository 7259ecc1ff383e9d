"""The Platforms table end to end: the Python wasi:http component under `wasmtime serve`
(both allocators) and a wasmCloud host, CPython in a container, the native C server."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import psutil
import pytest

from wasmscope.profiles import load_profile, resolve_profile_path
from wasmscope.workloads.bench import make_plan, run_benchmark
from wasmscope.workloads.model.results import OK
from wasmscope.workloads.system.sessions import OWNER_PID

pytestmark = pytest.mark.timeout(400)


@pytest.mark.docker
def test_platforms_table_measures_every_host_and_leaves_nothing(docker_client, wash, monkeypatch):
    from wasmscope.workloads.system.tools import WASH

    monkeypatch.setenv(WASH.env_var, str(wash.path))
    profile = load_profile(resolve_profile_path("quick"))
    profile = replace(profile, io=replace(profile.io, duration_s=1.0, warmup_s=0.2, connections=4, rate=50.0))
    plan = make_plan(profile, runtimes=["wasmtime-cli", "docker", "native"], workloads=["component-http"])
    assert plan.measurements == ["platforms"]
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    results = run_benchmark(profile, plan)
    rows = {r.runtime: r for r in results.tables["platforms"].rows}
    absent = {"spin", "spinkube", "docker-wasm-shims", "kwasm"}  # none can be installed here
    assert set(rows) == {"wasmtime-serve", "wasmtime-serve-pooling", "wasmcloud", "python-container", "native-http",
                         *absent}
    for name in absent:
        assert rows[name].status in ("unavailable", "unsupported") and " — " in rows[name].reason or \
            rows[name].reason.startswith("detected ("), rows[name].reason
    for name, row in rows.items():
        if name in absent:
            continue
        assert row.status == OK, f"{name}: {row.reason}"
        s = row.stats
        assert row.value > 0 and s["first_200_ms"] > 0 and s["after_idle_ms"] > 0 and s["rss_mib"] > 0, name
        assert 35 <= s["fixed_rps"] <= 60, (name, s)  # the fixed rate is what was offered
        assert s["errors"] == 0, (name, row.load)
    assert "fresh instance per request" in rows["wasmtime-serve"].counts
    assert "pooling" in rows["wasmtime-serve-pooling"].counts
    assert "wash" in rows["wasmcloud"].counts
    assert "CPython" in rows["python-container"].counts
    # a platform's cold start is the host's, not a process exec: the native server is faster
    assert rows["native-http"].stats["first_200_ms"] < rows["wasmcloud"].stats["first_200_ms"]
    assert not docker_client.containers.list(all=True, filters={"label": f"{OWNER_PID}={os.getpid()}"})
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before
            and p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, [p.cmdline() for p in left]


def test_bench_lists_component_http_and_rejects_unknown():
    proc = subprocess.run([sys.executable, "-m", "wasmscope.tui.cli", "bench", "--workloads", "component-htp"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "'component-htp' is not measured by this profile" in proc.stderr and "component-http" in proc.stderr
