"""HTTP I/O end to end: both serving models against the real runtimes, bounded and cleaned up;
the plan and command-line overrides; the [io] profile section; the article's claims."""

from __future__ import annotations

import os
from dataclasses import replace

import psutil
import pytest

from wasmscope.profiles import ProfileError, load_profile, resolve_profile_path
from wasmscope.workloads.bench import UsageError, make_plan, override_io, run_benchmark
from wasmscope.workloads.measurements.claims import FAILS, HOLDS, NOT_MEASURED, check_claims
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.measurements.io import served_port
from wasmscope.workloads.model.results import OK, UNSUPPORTED, Results, Row, RuntimeInfo, Table
from wasmscope.workloads.system.sessions import OWNER_PID


def quick_io(**io):
    profile = load_profile(resolve_profile_path("quick"))
    base = dict(duration_s=1.0, warmup_s=0.2, connections=4, per_request_connections=2, rounds=1)
    return replace(profile, io=replace(profile.io, **{**base, **io}))


@pytest.mark.docker
def test_io_table_has_both_serving_models_on_every_runtime(docker_client):
    profile = quick_io(sweep=(1, 4), sweep_duration_s=0.5)
    plan = make_plan(profile, runtimes=["wasmtime", "native", "docker", "wasmtime-cli"],
                     workloads=["http", "handler"])
    assert plan.measurements == ["io"] and plan.io_models == ["server", "per-request"]
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    streamed: list[tuple[str, str]] = []
    control = RunControl(on_sample=lambda sample: streamed.append((sample.measurement, sample.row_key)))
    results = run_benchmark(profile, plan, control)
    table = results.tables["io"]
    rows = {r.key: r for r in table.rows}
    assert set(rows) == {
        "wasmtime/server", "native/server", "docker/server", "docker/server/host network",
        "wasmtime-cli/server", "wasmtime-cli/server/wasmtime serve",
        "front/per-request/no instance", "wasmtime/per-request", "native/per-request",
        "docker/per-request", "wasmtime-cli/per-request"}, sorted(rows)
    assert rows["wasmtime/server"].status == UNSUPPORTED
    assert "pre-open a listening socket" in rows["wasmtime/server"].reason
    assert rows["wasmtime-cli/per-request"].status == UNSUPPORTED
    measured = [r for r in table.rows if r.status not in (UNSUPPORTED,)]
    for r in measured:
        assert r.status == OK, f"{r.key}: {r.reason}"
        assert r.value > 0 and r.stats["requests"] > 0, r.key
        assert r.stats["errors"] == 0 and r.stats["timeouts"] == 0, (r.key, r.load)
        assert r.stats["p50_ms"] <= r.stats["p99_ms"] <= r.stats["max_ms"] + 1e-6
        assert r.load and r.load[0]["connections"] == (4 if r.model == "server" else 2)
    # the per-request model: isolation cost measured inside the front, by phase
    assert {"instantiate", "run", "total"} <= set(rows["wasmtime/per-request"].phases)
    assert "InstancePre" in rows["wasmtime/per-request"].counts  # the spawner says how it instantiates
    assert {"spawn", "total"} <= set(rows["native/per-request"].phases)
    assert {"create", "start", "remove", "total"} <= set(rows["docker/per-request"].phases)
    assert rows["docker/per-request"].phases["total"] > rows["wasmtime/per-request"].phases["total"]
    assert rows["front/per-request/no instance"].value > rows["docker/per-request"].value
    # what carries Docker's port, and where the generator ran
    assert rows["docker/server/host network"].facts["port_proxy"] == "none (host network)"
    assert rows["docker/server"].facts["port_proxy"].startswith(("docker-proxy", "iptables NAT"))
    if len(os.sched_getaffinity(0)) >= 2:
        assert rows["native/server"].facts["pinning"].startswith("servers on cores")
    assert "fresh instance per request" in rows["wasmtime-cli/server/wasmtime serve"].counts
    # the sweep: one point per level on every server row
    for key in ("native/server", "docker/server", "wasmtime-cli/server"):
        assert [p["x"] for p in rows[key].sweep] == [1.0, 4.0] and all(p["rps"] > 0 for p in rows[key].sweep)
    # ratios within one serving model, and the stream a front end sees
    assert table.versus(rows["docker/per-request"], "docker") == pytest.approx(1.0)
    assert 0 < table.versus(rows["docker/per-request"], "native") < 1
    assert ("io", "native/server") in streamed  # each round's req/s (wrk streams no ticks)
    # JSON and TOML round trip keep the I/O shape
    again = Results.from_dict(results.to_dict())
    assert {r.key for r in again.tables["io"].rows} == set(rows)
    assert again.tables["io"].higher_is_better
    # nothing left behind: no container of ours, no server or front process
    assert not docker_client.containers.list(all=True, filters={"label": f"{OWNER_PID}={os.getpid()}"})
    leftovers = [p for p in psutil.Process().children(recursive=True) if p.pid not in before
                 and p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not leftovers, [p.cmdline() for p in leftovers]


def test_native_server_alone_in_fixed_rate_mode():
    profile = quick_io(mode="fixed-rate", rate=200.0, duration_s=1.0)
    plan = make_plan(profile, runtimes=["native"], workloads=["http"])
    results = run_benchmark(profile, plan)
    (row,) = [r for r in results.tables["io"].rows if r.status == OK]
    assert row.key == "native/server" and row.load[0]["mode"] == "fixed-rate"
    assert row.facts["generator"].startswith("builtin")  # wrk has no fixed-rate mode
    assert 150 <= row.value <= 230  # open loop: the offered rate, not the server's maximum
    assert "fixed rate 200 req/s" in results.tables["io"].what


def test_plan_and_overrides():
    profile = load_profile(resolve_profile_path("quick"))
    assert make_plan(profile, workloads=["handler"]).io_models == ["per-request"]
    assert make_plan(profile, workloads=["io"]).io_models == ["server", "per-request"]
    assert make_plan(profile, workloads=["hello", "http"]).measurements == ["startup", "io"]
    swept = override_io(profile, connections=["1", "8", "32"])
    assert swept.io.sweep == (1, 8, 32) and swept.io.connections == profile.io.connections
    assert override_io(profile, connections=["16"]).io.connections == 16
    rated = override_io(profile, rates=["500", "1000"], duration_s=2)
    assert (rated.io.mode, rated.io.rate, rated.io.sweep, rated.io.duration_s) == ("fixed-rate", 500, (500, 1000), 2)
    with pytest.raises(UsageError, match=r"^--connections: expected an integer between 1 and 10000, got 'x'$"):
        override_io(profile, connections=["x"])
    with pytest.raises(UsageError, match=r"^--rate: expected a number > 0 and <= 10000000, got '-5'$"):
        override_io(profile, rates=["-5"])
    with pytest.raises(UsageError, match="sweep one of them"):
        override_io(profile, connections=["1", "2"], rates=["5"])


@pytest.mark.parametrize("body, key, fragment", [
    ('mode = "open"', "io.mode", "expected one of closed, fixed-rate, got 'open'"),
    ('mode = "fixed-rate"', "io.rate", "mode 'fixed-rate' needs a rate > 0 (requests/s), got 0"),
    ("sweep = [1, 0]", "io.sweep", "expected a list of numbers > 0 (connections or rates), got [1, 0]"),
    ('server_workload = "htp"', "io.server_workload", "unknown workload 'htp'"),
    ("conections = 4", "io.conections", "unknown key (did you mean 'io.connections'?)"),
    ('models = ["server", "lambda"]', "io.models", "unknown serving model 'lambda'"),
    ('generator = "wrk"\nmode = "fixed-rate"\nrate = 10', "io.generator", "wrk has no fixed-rate mode"),
])
def test_bad_io_sections_give_one_precise_line(tmp_path, body, key, fragment):
    path = tmp_path / "p.toml"
    path.write_text(f"[io]\n{body}\n")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{path}: {key}: ") and fragment in msg, msg


def test_served_port_reads_the_published_port_or_the_ready_line():
    class Inst:
        host_port = None
        ready_line = "ready port=43211"

    assert served_port(Inst()) == 43211
    Inst.host_port = 8081
    assert served_port(Inst()) == 8081
    Inst.host_port, Inst.ready_line = None, "ready port=preopened"
    assert served_port(Inst()) is None


def _results(**tables: Table) -> Results:
    runtimes = {"wasmtime": RuntimeInfo("wasmtime", "Wasmtime (embedded)", "wasm"),
                "wasmtime-cli": RuntimeInfo("wasmtime-cli", "Wasmtime CLI", "wasm"),
                "native": RuntimeInfo("native", "Native process", "native", baseline="native"),
                "docker": RuntimeInfo("docker", "Docker (runc)", "container", baseline="container")}
    return Results("t", "", runtimes=runtimes, tables=dict(tables), settings={"fib_n": 40, "idle_mib": 0})


def test_claims_hold_fail_or_are_not_measured_by_the_figures():
    startup = Table("startup", "ms", "hello", rows=[Row("wasmtime", value=0.9), Row("docker", value=300.0)])
    compute = Table("compute", "ms", "fib", rows=[Row("wasmtime", value=115.0), Row("native", value=100.0),
                                                  Row("docker", value=101.0)])
    memory = Table("memory", "MiB", "idle", rows=[Row("docker", value=30.0, stats={"total_rss_mib": 44.0})])
    io = Table("io", "req/s", "http", higher_is_better=True, rows=[
        Row("native", value=50000.0, model="server"), Row("docker", value=30000.0, model="server"),
        Row("wasmtime-cli", value=31000.0, model="server")])
    verdicts = {v.claim: v for v in check_claims(_results(startup=startup, compute=compute, memory=memory, io=io))}
    assert verdicts["Wasm cold start under 5 ms"].verdict == HOLDS
    assert verdicts["Wasm starts two orders of magnitude faster than a container"].verdict == HOLDS
    assert verdicts["Wasm costs 10–30 % on pure compute"].verdict == HOLDS
    assert verdicts["Containers run compute at native speed"].verdict == HOLDS
    assert verdicts["Docker idle RSS 48 MB"].verdict == HOLDS
    assert verdicts["Wasm HTTP throughput ~60 % of native"].verdict == HOLDS
    assert "62 %" in verdicts["Wasm HTTP throughput ~60 % of native"].figures
    assert verdicts["Containers serve HTTP near native speed"].verdict == FAILS  # 60 % < 85 %
    assert verdicts["~500 Wasm modules fit where ~30 containers do"].verdict == NOT_MEASURED
    slow = Table("startup", "ms", "hello", rows=[Row("wasmtime", value=6.0), Row("docker", value=300.0)])
    assert check_claims(_results(startup=slow))[0].verdict == FAILS
    empty = check_claims(_results())
    assert all(v.verdict == NOT_MEASURED for v in empty)
