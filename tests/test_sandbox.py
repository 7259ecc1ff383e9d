"""The isolation matrix against real runtimes and the real Docker engine: the probe guest's
word is checked by the host (its file, its secret, its listener, its directory)."""

from __future__ import annotations

import glob
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from wasmscope.workloads.measurements.sandbox import (SECRET_VAR, HostFacts, Listener, classify, fnv1a,
                                                 parse_probe, run_sandbox)
from wasmscope.workloads.runtimes import create_adapter
from wasmscope.workloads.system.sessions import OWNER_PID


def _leftover_dirs() -> set[str]:
    from wasmscope.workloads.system.sessions import session_temp_dir

    return set(glob.glob(os.path.join(session_temp_dir(), "sandbox-*")))


@pytest.fixture(scope="module")
def matrix(request):
    """One run over the in-process, process and container runtimes (Docker required in CI)."""
    from conftest import docker_required

    runtimes = ["wasmtime", "native", "wasmtime-cli", "node"]
    if create_adapter("docker").availability().ok:
        runtimes.append("docker")
    elif docker_required():
        pytest.fail("WASMSCOPE_REQUIRE_DOCKER=1 but the Docker engine is unavailable")
    before = _leftover_dirs()
    os.environ.pop(SECRET_VAR, None)
    rows = run_sandbox(runtimes)
    return {(r.runtime, r.settings): r for r in rows}, before


def verdicts(row) -> dict[str, str]:
    assert not row.error, row.error
    return {cap: cell.verdict for cap, cell in row.cells.items()}


def test_wasm_guest_reaches_nothing_it_was_not_granted(matrix):
    rows, _ = matrix
    for rt in ("wasmtime", "wasmtime-cli", "node"):
        if rows[rt, "runtime-defaults"].error.startswith("unavailable"):
            continue
        v = verdicts(rows[rt, "runtime-defaults"])
        assert v["read-file"] == v["list-root"] == v["read-env"] == v["write-cwd"] == "denied", (rt, v)
        assert v["tcp-connect"] == v["resolve"] == v["spawn"] == "absent", (rt, v)
        assert v["clock"] == v["random"] == "allowed", (rt, v)
        granted = verdicts(rows[rt, "wasmscope"])
        # the one grant: a scratch directory as "." — the file lands there on the host, and the
        # guest's "/" is that directory, not the host's root
        assert granted["write-cwd"] == "granted" and granted["list-root"] == "granted", (rt, granted)
        assert granted["read-file"] == granted["read-env"] == "denied", (rt, granted)


def test_native_process_reaches_the_hosts_file_secret_and_listener(matrix):
    rows, _ = matrix
    v = verdicts(rows["native", "runtime-defaults"])
    assert v["read-file"] == v["list-root"] == v["read-env"] == v["write-cwd"] == v["tcp-connect"] == "host", v
    assert v["spawn"] == "allowed"
    assert "accepted 1 connection" in rows["native", "runtime-defaults"].cells["tcp-connect"].note
    # wasmscope's settings strip the environment, nothing else: a process is not a sandbox
    w = verdicts(rows["native", "wasmscope"])
    assert w["read-env"] == "denied" and w["read-file"] == "host" and w["tcp-connect"] == "host", w


def test_containers_see_their_own_files_and_hardening_denies_writes(matrix):
    rows, _ = matrix
    if ("docker", "wasmscope") not in rows:
        pytest.skip("no Docker engine")
    hard = verdicts(rows["docker", "wasmscope"])
    assert hard["read-file"] == "denied"  # FROM scratch: no /etc/passwd at all
    assert hard["list-root"] == "own" and hard["read-env"] == "denied"
    assert hard["write-cwd"] == "denied" and "Read-only file system" in rows["docker", "wasmscope"].cells["write-cwd"].detail
    assert hard["tcp-connect"] == "denied" and hard["spawn"] == "allowed"
    plain = verdicts(rows["docker", "runtime-defaults"])
    assert plain["write-cwd"] == "own" and plain["tcp-connect"] == "denied", plain
    assert "--read-only" not in rows["docker", "runtime-defaults"].command


def test_sandbox_run_leaves_nothing_behind(matrix):
    _, before = matrix
    assert _leftover_dirs() <= before
    assert SECRET_VAR not in os.environ
    if create_adapter("docker").availability().ok:
        client = create_adapter("docker").client()
        left = client.containers.list(all=True, filters={"label": f"{OWNER_PID}={os.getpid()}"})
        assert not left, [c.name for c in left]


def test_classify_trusts_the_host_not_the_guest(tmp_path):
    """A guest claiming a connection the listener never saw is not the host's; an /etc/passwd
    with another digest is the guest's own copy; a realtime clock near zero is wrong."""
    data = b"root:x:0:0::/root:/bin/sh\n"
    facts = HostFacts((len(data), fnv1a(data)), ("bin", "etc"), "s3cret")
    kw = dict(facts=facts, granted=False, workdir=tmp_path, now=1.8e9)
    assert classify("tcp-connect", ("allowed", "connected"), connections=0, **kw).verdict == "own"
    assert classify("tcp-connect", ("denied", "refused"), connections=1, **kw).verdict == "host"
    mine = f"{len(data)} bytes, fnv1a {fnv1a(data)}, first line: root"
    assert classify("read-file", ("allowed", mine), connections=0, **kw).verdict == "host"
    assert classify("read-file", ("allowed", "9 bytes, fnv1a 00000000, first line: x"), connections=0, **kw).verdict == "own"
    assert classify("read-env", ("allowed", "WASMSCOPE_SECRET=s3cret"), connections=0, **kw).verdict == "host"
    assert classify("read-env", ("allowed", "WASMSCOPE_SECRET=other"), connections=0, **kw).verdict == "own"
    assert classify("clock", ("allowed", "realtime 8719.893"), connections=0, **kw).verdict == "wrong"
    assert classify("clock", ("allowed", "realtime 1800000001.000"), connections=0, **kw).verdict == "allowed"
    assert classify("spawn", None, connections=0, **kw).verdict == "missing"
    assert parse_probe("probe clock allowed realtime 1.0\nnoise\nprobe spawn absent no fork\n") == {
        "clock": ("allowed", "realtime 1.0"), "spawn": ("absent", "no fork")}


def test_listener_counts_connections():
    lis = Listener()
    try:
        socket.create_connection(("127.0.0.1", lis.port), timeout=2).close()
        for _ in range(100):
            if lis.count() == 1:
                break
            time.sleep(0.01)
        assert lis.count() == 1
    finally:
        lis.close()


def _cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wasmscope.tui.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_cli_json_and_table():
    res = _cli("sandbox", "--runtimes", "wasmtime,native", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert set(data["capabilities"]) >= {"read-file", "tcp-connect", "spawn"}
    rows = {(r["runtime"], r["settings"]): r for r in data["rows"]}
    assert rows["native", "runtime-defaults"]["cells"]["read-env"]["verdict"] == "host"
    assert "<host's value>" in rows["native", "runtime-defaults"]["cells"]["read-env"]["detail"]
    res = _cli("sandbox", "--runtimes", "wasmtime", "--settings", "wasmscope")
    assert res.returncode == 0, res.stderr
    assert "Sandbox: what the probe guest reached" in res.stdout and "granted" in res.stdout


def test_cli_rejects_unknown_runtime_and_setting_in_one_line():
    res = _cli("sandbox", "--runtimes", "wasmtimee")
    assert res.returncode == 2 and res.stderr.strip().count("\n") == 0
    assert "unknown runtime 'wasmtimee'" in res.stderr
    res = _cli("sandbox", "--runtimes", "wasmtime", "--settings", "paranoid")
    assert res.returncode == 2 and "unknown setting 'paranoid'" in res.stderr


def test_progress_says_which_probe_runs_before_it_ends():
    """A first probe on a container runtime builds its image (a minute): the progress line
    names the probe while it runs, not only the one before it."""
    from wasmscope.workloads.measurements.control import RunControl
    from wasmscope.workloads.measurements.sandbox import run_sandbox

    said: list[tuple[str, int, int]] = []
    run_sandbox(["native"], control=RunControl(progress=lambda m, d, t: said.append((m, d, t))))
    assert said == [("sandbox: probing native, runtime-defaults (1/2)…", 0, 2),
                    ("sandbox: probed native (runtime-defaults)", 1, 2),
                    ("sandbox: probing native, wasmscope (2/2)…", 1, 2),
                    ("sandbox: probed native (wasmscope)", 2, 2)]
