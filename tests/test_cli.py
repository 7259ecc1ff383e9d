"""The headless `wasmscope` command end to end: tables, JSON, exit codes, --save, cleanup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from owner_helpers import containers_of, wait_for

WASMSCOPE = [sys.executable, "-m", "wasmscope.tui.cli"]


# A bench that keeps one container running for ~100 s: long enough to interrupt or kill it.
LONG_DOCKER_PROFILE = """
[bench]
runtimes = ["docker"]
measurements = ["memory"]
[memory]
mib = 1
samples = 400
interval_s = 0.25
"""


def run_cli(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, **(env or {}))
    full_env.pop("NO_COLOR", None)
    return subprocess.run([*WASMSCOPE, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def write_profile(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


@pytest.mark.docker
def test_bench_quick_prints_three_tables_with_all_three_runtimes(docker_client):
    proc = run_cli("bench", "--profile", "quick", "--runs", "3", "--repeat", "2")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for title in ("Startup", "Memory", "Compute"):
        assert title in out
    for name in ("Wasmtime (embedded)", "Native process", "Docker (runc)"):
        assert out.count(name) >= 4, name  # runtimes table + three measurement tables
    assert "unavailable" not in out and "failed" not in out
    assert "faster" in out  # a same-run ratio against Docker was computed


@pytest.mark.docker
def test_bench_json_has_measured_rows_and_ratios(docker_client):
    proc = run_cli("bench", "--profile", "quick", "--runs", "2", "--workloads", "hello,fib", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data["tables"]) == {"startup", "compute"}
    startup = {r["runtime"]: r for r in data["tables"]["startup"]["rows"]}
    assert all(startup[n]["status"] == "ok" and startup[n]["value"] > 0 for n in ("wasmtime", "native", "docker"))
    assert data["comparisons"]["startup"]["wasmtime"]["docker_over_this"] > 1
    assert "pct_over_native" in data["comparisons"]["compute"]["wasmtime"]
    assert data["machine"]["cores"] >= 1 and data["machine"]["docker"].startswith("Docker Engine")


def test_unreachable_docker_is_a_row_and_the_rest_still_runs(tmp_path):
    env = {"DOCKER_HOST": f"unix://{tmp_path}/none.sock"}
    proc = run_cli("bench", "--workloads", "hello", "--runs", "2", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    rows = {r["runtime"]: r for r in json.loads(proc.stdout)["tables"]["startup"]["rows"]}
    assert rows["docker"]["status"] == "unavailable"
    assert rows["docker"]["reason"].startswith(f"Docker engine not reachable at unix://{tmp_path}/none.sock")
    assert rows["wasmtime"]["status"] == rows["native"]["status"] == "ok"


def test_a_missing_runtime_is_named_once_at_the_top_with_the_fix(tmp_path):
    sock = f"unix://{tmp_path}/none.sock"
    proc = run_cli("bench", "--workloads", "hello,fib", "--runs", "2", env={"DOCKER_HOST": sock})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == (f"Not available here: Docker (runc) (Docker engine not reachable at {sock}: connection "
                        "refused) — run `wasmscope doctor --fix`.")
    assert proc.stdout.count("not reachable") == 1  # not repeated in the Runtimes, Startup and Compute tables
    docker_rows = [ln for ln in lines if ln.startswith("│ Docker (runc)")]
    assert len(docker_rows) == 3 and all("unavailable" in ln for ln in docker_rows)


def test_failing_runtime_gives_exit_code_1(tmp_path):
    bad = tmp_path / "trap.wasm"
    import wasmtime

    bad.write_bytes(wasmtime.wat2wasm('(module (func (export "_start") unreachable))'))
    profile = write_profile(tmp_path / "p.toml", f"""
[bench]
runtimes = ["wasmtime"]
measurements = ["startup"]
[startup]
workload = "trap"
runs = 1
warmup = 0
[workloads.trap]
module = "{bad}"
""")
    proc = run_cli("bench", "--profile", str(profile), "--json")
    assert proc.returncode == 1
    assert "startup on wasmtime failed: trap on wasmtime trapped" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["bench", "--profile", "nonexistent-profile"], "nonexistent-profile"),
    (["bench", "--runtimes", "wasmtme"], "unknown runtime 'wasmtme'"),
    (["bench", "--workloads", "nope"], "'nope' is not measured by this profile"),
    (["bench", "--repeat", "0"], "--repeat: expected an integer between 1 and 100, got 0"),
    (["compare", "nonexistent-profile"], "nonexistent-profile: no such profile file"),
    (["compare", "quick"], "quick.toml: no [results] to compare: run `wasmscope bench --profile quick --save "),
])
def test_bad_usage_exits_2_with_one_line(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wasmscope: ") and message in lines[0]


def test_bad_profile_exits_2(tmp_path):
    profile = write_profile(tmp_path / "bad.toml", "[bench\nruns = 1\n")
    proc = run_cli("bench", "--profile", str(profile))
    assert proc.returncode == 2
    assert proc.stderr.startswith("wasmscope: ") and "bad.toml" in proc.stderr and "TOML" in proc.stderr


def test_save_writes_results_and_keeps_comments(tmp_path):
    profile = write_profile(tmp_path / "mine.toml", """# my own profile
[bench]
runtimes = ["wasmtime", "native"]  # no docker here
measurements = ["startup"]

# few runs: this is a test
[startup]
runs = 2
warmup = 0
""")
    proc = run_cli("bench", "--profile", str(profile), "--save", str(profile), "--json")
    assert proc.returncode == 0, proc.stderr
    text = profile.read_text()
    assert text.startswith("# my own profile\n")
    assert "# no docker here" in text and "# few runs: this is a test" in text
    from wasmscope.profiles import load_profile

    saved = load_profile(profile).results
    assert saved.tables["startup"].rows[0].status == "ok"
    assert saved.machine["cores"] >= 1


@pytest.mark.docker
def test_kill_9_leaves_nothing_after_clean_or_next_start(docker_client, tmp_path):
    profile = write_profile(tmp_path / "long.toml", LONG_DOCKER_PROFILE)

    def start_and_kill() -> None:
        proc = subprocess.Popen([*WASMSCOPE, "bench", "--profile", str(profile)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: containers_of(docker_client, proc.pid, running_only=True), 60,
                     "the bench process's container")
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        left = containers_of(docker_client, proc.pid)
        assert left, "kill -9 should leave the container behind (nothing could remove it)"
        return proc.pid

    pid = start_and_kill()
    proc = run_cli("clean")
    assert proc.returncode == 0, proc.stderr
    assert "removed container" in proc.stdout
    assert not containers_of(docker_client, pid)

    pid = start_and_kill()
    from wasmscope.workloads.runtimes.docker_engine import DockerAdapter

    DockerAdapter().client()  # the next start reaps stale containers on first contact
    assert not containers_of(docker_client, pid)


@pytest.mark.docker
def test_sigterm_during_bench_removes_its_containers(docker_client, tmp_path):
    profile = write_profile(tmp_path / "long.toml", LONG_DOCKER_PROFILE)
    proc = subprocess.Popen([*WASMSCOPE, "bench", "--profile", str(profile)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: containers_of(docker_client, proc.pid, running_only=True), 60, "a container to appear")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "interrupted" in err
    assert not containers_of(docker_client, proc.pid)


def test_bench_http_rows_in_json_and_table():
    """The I/O table from the CLI: native in both serving models, the front's ceiling beside."""
    proc = run_cli("bench", "--profile", "quick", "--runtimes", "native", "--workloads", "http,handler",
                   "--duration", "1", "--json", timeout=120)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    rows = {"/".join(x for x in (r["runtime"], r.get("model", ""), r.get("variant", "")) if x): r
            for r in data["tables"]["io"]["rows"]}
    assert set(rows) == {"native/server", "front/per-request/no instance", "native/per-request"}
    assert all(r["status"] == "ok" and r["value"] > 0 for r in rows.values())
    assert data["comparisons"]["io"]["native/per-request"]["share_of_native"] == pytest.approx(1.0)
    assert data["settings"]["io"]["duration_s"] == 1.0
    table = run_cli("bench", "--profile", "quick", "--runtimes", "native", "--workloads", "http",
                    "--duration", "1", "--connections", "1,4", timeout=120)
    assert table.returncode == 0, table.stderr
    assert "HTTP I/O" in table.stdout and "Latency against throughput" in table.stdout
    assert "p99 ms (log)" in table.stdout  # the plotext chart of the sweep


def test_bench_rejects_a_bad_rate_in_one_line():
    proc = run_cli("bench", "--workloads", "http", "--rate", "fast")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "wasmscope: --rate: expected a number > 0 and <= 10000000, got 'fast'"


REPORT_PROFILE = Path(__file__).parent / "tui" / "data" / "replay.toml"
REPORT_GOLDEN = Path(__file__).parent / "data" / "report" / "replay.md"


def test_report_markdown_of_a_stored_profile_is_stable():
    """Deterministic: the same stored results give the same Markdown, byte for byte (set
    WASMSCOPE_UPDATE_GOLDEN=1 to rewrite the expected file after an intended change)."""
    proc = run_cli("report", "--profile", str(REPORT_PROFILE))
    assert proc.returncode == 0, proc.stderr
    if os.environ.get("WASMSCOPE_UPDATE_GOLDEN") == "1":
        REPORT_GOLDEN.write_text(proc.stdout)
    assert proc.stdout == REPORT_GOLDEN.read_text()
    for heading in ("### Startup", "### Memory", "### Compute", "### HTTP I/O", "## The article's claims"):
        assert heading in proc.stdout
    assert "| Wasm cold start under 5 ms |" in proc.stdout


def test_report_json_and_errors(tmp_path):
    proc = run_cli("report", "--profile", str(REPORT_PROFILE), "--format", "json", "-o", str(tmp_path / "r.json"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert {c["verdict"] for c in data["claims"]} <= {"holds", "does not hold", "inconclusive on this run",
                                                      "not measured"}
    # the stored run's I/O table had 3 rounds: its HTTP claim carries that interval, and it straddles 75 %
    http = next(c for c in data["claims"] if c["claim"] == "Wasm HTTP throughput ~60 % of native")
    assert http["verdict"] == "inconclusive on this run" and "3 rounds" in http["figures"]
    assert data["comparisons"]["io"]["docker/server"]["share_of_native_interval"]["n"] == 3
    assert set(data["results"]["tables"]) >= {"startup", "memory", "compute"}
    empty = write_profile(tmp_path / "empty.toml", "[profile]\nname = 'empty'\n")
    proc = run_cli("report", "--profile", str(empty))
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"wasmscope: {empty}: no [results] to report: run ")


def test_serve_refuses_a_public_address_without_public():
    proc = run_cli("serve", "--host", "0.0.0.0", "--port", "8799", timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("wasmscope: --host 0.0.0.0: not a loopback address; the served app can start "
                                   "containers on this machine, so serving it beyond it needs --public")
