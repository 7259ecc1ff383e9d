"""Remote hosts over SSH: a real sshd on a loopback port with a key made for the test, the
real `ssh` client, and the agent (this venv's wasmscope) measuring this machine's runtimes.

Faults are counted the way a user would: containers labelled with the agent's pid, processes
whose environment carries its WASMSCOPE_OWNER marker — only what that run owned (other test
runs share this machine). Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest

from owner_helpers import containers_of, leftovers, marked, plain_env, proc_name, wait_for
from remote_helpers import agent_command, reaper, remote_env, sshd, via_ssh  # noqa: F401 - fixtures
from userprog_helpers import project  # noqa: F401 - a fixture: wordstat, a user's C program built here
from wasmscope.workloads.remote.address import SSH_COMMAND_ENV

WASMSCOPE = [sys.executable, "-m", "wasmscope.tui.cli"]

QUICK = """
[profile]
name = "remote-quick"
[bench]
runtimes = ["wasmtime", "native", "docker"]
measurements = ["startup", "memory", "compute"]
[startup]
runs = 3
warmup = 1
[compute]
n = 27
runs = 2
warmup = 0
[memory]
mib = 4
samples = 2
interval_s = 0.1
"""

# Long enough to be cut in the middle: a container per fib run, many runs.
LONG = """
[profile]
name = "remote-long"
[bench]
runtimes = ["native", "docker"]
measurements = ["compute"]
timeout_s = 120.0
[compute]
n = 36
runs = 40
warmup = 0
"""


# -- a real two-host run --------------------------------------------------------------------------

def _headers(table) -> list[str]:
    return [str(c.header) for c in table.columns]


def _cells(table, i: int) -> list[str]:
    return [getattr(c, "plain", str(c)) for c in table.columns[i].cells]


@pytest.mark.docker
def test_bench_on_this_machine_and_a_host_gives_the_same_tables_with_a_host_column(sshd, docker_client, reaper,
                                                                                       tmp_path):
    from wasmscope.profiles import load_profile
    from wasmscope.tui.render.tables import hosts_measurement_table, measurement_table

    profile = tmp_path / "quick.toml"
    profile.write_text(QUICK)
    saved = tmp_path / "saved.toml"
    proc = subprocess.run([*WASMSCOPE, "bench", "--profile", str(profile), "--host", sshd.url, "--save", str(saved)],
                          capture_output=True, text=True, timeout=300, env=remote_env(sshd))
    agent = int(re.search(r"agent pid (\d+)", proc.stderr).group(1))
    reaper.append(agent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(rf"^│ {re.escape(sshd.label)} +│ Wasmtime \(embedded\)", proc.stdout, re.M), proc.stdout
    assert "Hosts" in proc.stdout and "│ local " in proc.stdout

    stored = load_profile(saved)
    here, there = stored.results, stored.remote_results[sshd.label]
    assert (here.host, there.host) == ("local", sshd.label)
    assert there.machine["cores"] == os.cpu_count() and there.machine["wasmscope"] == here.machine["wasmscope"]
    for name in ("startup", "memory", "compute"):
        alone_here, alone_there = measurement_table(here, name), measurement_table(there, name)
        both = hosts_measurement_table([here, there], name)
        assert _headers(both) == _headers(alone_there) == ["Host", *_headers(alone_here)]  # a remote host is named
        # (a row some of whose samples were taken on a busy machine is marked ⚠: not its name)
        names = [[c.removesuffix(" ⚠") for c in cells] for cells in (_cells(alone_here, 0), _cells(alone_there, 1))]
        assert names[0] == names[1] == ["Wasmtime (embedded)", "Native process", "Docker (runc)"]
        assert _cells(both, 0) == ["local"] * 3 + [sshd.label] * 3
        assert all(r.status == "ok" for r in there.tables[name].rows)

    report = subprocess.run([*WASMSCOPE, "report", "--profile", str(saved), "--format", "json"],
                            capture_output=True, text=True, timeout=60, env=plain_env())
    assert report.returncode == 0, report.stderr
    hosts = {h["host"]: h for h in json.loads(report.stdout)["hosts"]}
    assert set(hosts) == {"local", sshd.label}
    startup = there.tables["startup"]  # a ratio is taken within one host: that host's own medians
    expected = round(startup.ok_value("docker") / startup.ok_value("wasmtime"), 4)
    assert hosts[sshd.label]["comparisons"]["startup"]["wasmtime"]["docker_over_this"] == expected
    md = subprocess.run([*WASMSCOPE, "report", "--profile", str(saved)], capture_output=True, text=True,
                        timeout=60, env=plain_env()).stdout
    assert "| Host | Runtime |" in md and f"## The article's claims on {sshd.label}" in md

    wait_for(lambda: not psutil.pid_exists(agent), 30, "the agent to end")
    assert leftovers(docker_client, agent) == (0, 0)


# -- faults ---------------------------------------------------------------------------------------

@pytest.mark.docker
def test_a_dropped_connection_mid_run_leaves_nothing_on_the_host(via_ssh, docker_client, reaper, tmp_path):
    from wasmscope.profiles import load_profile
    from wasmscope.workloads.bench import make_plan
    from wasmscope.workloads.errors import HostDisconnected
    from wasmscope.workloads.remote.address import parse_host
    from wasmscope.workloads.remote.link import AgentLink
    from wasmscope.workloads.remote.runs import remote_benchmark

    (tmp_path / "long.toml").write_text(LONG)
    profile = load_profile(tmp_path / "long.toml")
    ended: list[str] = []
    link = AgentLink(parse_host(via_ssh.url), on_end=ended.append)
    agent = link.open()["pid"]
    reaper.append(agent)
    outcome: dict[str, BaseException] = {}

    def measure() -> None:
        try:
            remote_benchmark(link, profile, make_plan(profile))
        except BaseException as err:  # noqa: BLE001 - the test reads it
            outcome["error"] = err

    runner = threading.Thread(target=measure, daemon=True)
    runner.start()
    try:
        wait_for(lambda: containers_of(docker_client, agent), 120, "a container of the remote run")
        dropped = via_ssh.sessions()
        for p in dropped:  # the link dies under the agent: its sshd session processes are gone
            p.kill()
        runner.join(timeout=60)
        assert isinstance(outcome.get("error"), HostDisconnected), outcome
        assert "connection lost" in str(outcome["error"])
        assert ended == [link.reason] and not link.connected  # what the app shows on a disconnected host
        print(f"\nthe local side saw: {outcome['error']}")
        t0 = time.monotonic()
        wait_for(lambda: not psutil.pid_exists(agent), 60, "the agent to clean up and end")
        left = leftovers(docker_client, agent)
        print(f"\nafter a dropped connection: agent {agent} ended {time.monotonic() - t0:.1f} s later; "
              f"left: {left[0]} containers, {left[1]} processes (killed {len(dropped)} sshd session processes)")
        assert left == (0, 0)
    finally:
        link.close(timeout_s=10)


@pytest.mark.docker
def test_kill_9_of_the_local_side_leaves_nothing_on_the_host(sshd, docker_client, reaper, tmp_path):
    (tmp_path / "long.toml").write_text(LONG)
    with open(tmp_path / "stderr", "wb") as err:
        proc = subprocess.Popen([*WASMSCOPE, "bench", "--profile", str(tmp_path / "long.toml"), "--host", sshd.url,
                                 "--no-local"], stdout=subprocess.DEVNULL, stderr=err, env=remote_env(sshd))
    try:
        agent = wait_for(lambda: [p.pid for p in sshd.agents()], 60, "the agent to start")[0]
        reaper.append(agent)
        wait_for(lambda: containers_of(docker_client, agent), 120, "a container of the remote run")
        clients = [p for p in psutil.Process(proc.pid).children() if proc_name(p) == "ssh"]
        assert clients, "the local side runs the system ssh client"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    t0 = time.monotonic()
    wait_for(lambda: not psutil.pid_exists(agent), 60, "the agent to clean up and end")
    wait_for(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in clients), 30,
             "the orphaned ssh client to end")
    left = leftovers(docker_client, agent)
    local_left = len(marked(proc.pid))
    print(f"\nafter kill -9 of the local side: agent {agent} ended {time.monotonic() - t0:.1f} s later; "
          f"left on the host: {left[0]} containers, {left[1]} processes; left here: {local_left} processes")
    assert left == (0, 0) and local_left == 0


def test_a_version_mismatch_is_one_line_naming_both_versions(sshd, tmp_path):
    """A real agent over the real link, speaking protocol 99 of wasmscope 9.9.9."""
    from wasmscope.workloads.remote.protocol import PROTOCOL, WASMSCOPE_VERSION

    other = ("import wasmscope.workloads.remote.protocol as p; p.PROTOCOL = 99; p.WASMSCOPE_VERSION = '9.9.9'; "
             "from wasmscope.tui.cli import main; raise SystemExit(main(['agent']))")
    (tmp_path / "quick.toml").write_text(QUICK)
    proc = subprocess.run([*WASMSCOPE, "bench", "--profile", str(tmp_path / "quick.toml"), "--host", sshd.url,
                           "--no-local"], capture_output=True, text=True, timeout=120,
                          env=remote_env(sshd, agent_command(other)))
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == ""
    header, said = proc.stderr.splitlines()  # what it measures, then that one line
    assert header.startswith("wasmscope bench: profile") and header.endswith(f"hosts: {sshd.label}")
    assert said == (f"wasmscope: {sshd.label} runs wasmscope 9.9.9 (protocol 99); this is wasmscope "
                    f"{WASMSCOPE_VERSION} (protocol {PROTOCOL}): install wasmscope {WASMSCOPE_VERSION} there")


def test_an_unreachable_host_is_one_line(tmp_path):
    (tmp_path / "quick.toml").write_text(QUICK)
    env = plain_env()
    env[SSH_COMMAND_ENV] = "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
    with socket.socket() as closed:  # bound, never listening: refused, and no other test can take the port
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        proc = subprocess.run([*WASMSCOPE, "bench", "--profile", str(tmp_path / "quick.toml"), "--host",
                               f"ssh://nobody@127.0.0.1:{port}"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 3
    last = proc.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"wasmscope: nobody@127\.0\.0\.1:\d+: ssh failed: ssh: connect to host 127\.0\.0\.1 port "
                        r"\d+: Connection refused", last), proc.stderr


# -- the app's session, and doctor ------------------------------------------------------------------

def test_a_remote_session_drives_a_live_workload(via_ssh, reaper):
    from wasmscope.profiles import load_profile, resolve_profile_path
    from wasmscope.workloads.errors import Cancelled
    from wasmscope.workloads.model.samples import ColdStart, GuestTime
    from wasmscope.workloads.remote.address import parse_host
    from wasmscope.workloads.remote.session import RemoteSession

    ended: list[str] = []
    session = RemoteSession(load_profile(resolve_profile_path("quick")), parse_host(via_ssh.url), ["native"],
                            on_end=ended.append)
    agent = session.connect()["pid"]
    reaper.append(agent)
    try:
        infos = session.describe()
        assert set(infos) == {"native"} and infos["native"].available
        assert session.command_line("native", "hello").endswith(f"(on {via_ssh.label})")
        sample = session.run_sample("native", "hello")
        assert isinstance(sample, ColdStart) and sample.runtime == "native" and sample.ms > 0
        timed = session.run_sample("native", "hello", False)  # the guest's own time, not a cold start
        assert isinstance(timed, GuestTime) and timed.workload == "hello"
        inst = session.start("native", "idle")
        assert (inst.runtime, inst.workload) == ("native", "idle") and session.running() == {"native": "idle"}
        state = session.snapshot()  # what runs there, as LiveSession.snapshot() there says
        assert state.running() == {"native": "idle"} and state.reading("native").reading.instance_rss > 0
        assert session.snapshot(sample=False).reading("native").reading is None
        for p in marked(agent):  # killed behind the session's back there: reported once, released
            p.kill()
        gone = wait_for(lambda: session.snapshot().exited, 30, "the exit to be reported")
        assert [(r.runtime, r.workload) for r in gone] == [("native", "idle")]
        assert session.snapshot().exited == () and session.running() == {}
        session.start("native", "idle")
        assert session.stop("native") and session.running() == {}
        session.start("native", "http")  # HTTP load generated on the host, its ticks streamed here
        ticks, stop = [], threading.Event()
        with pytest.raises(Cancelled):
            session.load("native", on_tick=lambda t: (ticks.append(t), stop.set()), cancel=stop)
        assert ticks and ticks[0].rps > 0
        assert session.stop("native")
    finally:
        session.close()
    wait_for(lambda: not psutil.pid_exists(agent), 30, "the agent to end")
    assert not marked(agent) and not ended  # closed, not dropped


def test_a_remote_session_takes_a_new_profile_with_a_program_of_the_users(via_ssh, reaper, project, tmp_path):
    """use_profile() waits until the agent's session uses the profile: the user's module travels
    with it, and the next run on the host is that program, checked there."""
    from userprog_helpers import report
    from wasmscope.profiles import load_profile, resolve_profile_path
    from wasmscope.profiles.workloads import command_line_workload, with_workload
    from wasmscope.workloads.model.samples import ColdStart, GuestTime
    from wasmscope.workloads.remote.address import parse_host
    from wasmscope.workloads.remote.session import RemoteSession

    quick = load_profile(resolve_profile_path("quick"))
    session = RemoteSession(quick, parse_host(via_ssh.url), ["wasmtime"])
    reaper.append(session.connect()["pid"])
    try:
        (tmp_path / "out").mkdir()
        entry = {"module": str(project / "wordstat.wasm"), "args": ["/data/input.txt", "/out/r.txt", "there"],
                 "dirs": [f"{project / 'data'}:/data", f"{tmp_path / 'out'}:/out:rw"]}
        session.use_profile(with_workload(quick, command_line_workload(entry, "wordstat", tmp_path)))
        sample = session.run_sample("wasmtime", "wordstat")
        assert isinstance(sample, ColdStart) and sample.detail == report("there", greeting="(none)").strip()
        assert isinstance(session.run_sample("wasmtime", "wordstat", False), GuestTime)
        assert not any((tmp_path / "out").iterdir())  # written into a fresh copy there, as here
    finally:
        session.close()


def test_doctor_on_a_host_says_what_is_there_and_what_is_missing(sshd, tmp_path):
    (tmp_path / "native.toml").write_text("[bench]\nruntimes = ['native']\nmeasurements = ['startup']\n")
    args = [*WASMSCOPE, "doctor", "--profile", str(tmp_path / "native.toml"), "--host", sshd.url, "--json"]
    ok = subprocess.run(args, capture_output=True, text=True, timeout=120, env=remote_env(sshd))
    assert ok.returncode == 0, ok.stderr
    rows = {r["name"]: r for r in json.loads(ok.stdout)["rows"]}
    assert [rows[n]["status"] for n in ("ssh", "python", "wasmscope", "native")] == ["present"] * 4
    missing = subprocess.run(args, capture_output=True, text=True, timeout=120,
                             env=remote_env(sshd, "wasmscope-is-not-here agent"))
    assert missing.returncode == 1
    rows = {r["name"]: r for r in json.loads(missing.stdout)["rows"]}
    assert rows["ssh"]["status"] == rows["python"]["status"] == "present"
    assert rows["wasmscope"]["status"] == "missing"
    assert "wasmscope-is-not-here: command not found" in rows["wasmscope"]["detail"]
    assert rows["wasmscope"]["manual"].startswith("install wasmscope")


# -- the pieces, without a host ---------------------------------------------------------------------

def test_host_addresses_read_as_ssh_urls_and_bad_ones_are_one_line():
    from wasmscope.workloads.remote.address import BadHostAddress, parse_host

    a = parse_host("ssh://deploy@Box.example:2222")
    assert (a.user, a.host, a.port, a.label) == ("deploy", "Box.example", 2222, "deploy@Box.example:2222")
    assert a.ssh_argv("wasmscope agent")[-2:] == ["deploy@Box.example", "wasmscope agent"]
    assert parse_host("ssh://[::1]:22").label == "[::1]:22" and parse_host("ssh://box").label == "box"
    for bad in ("box", "http://box", "ssh://", "ssh://box/path", "ssh://-oProxyCommand=x", "ssh://box:99999",
                "ssh://u:pw@box"):
        with pytest.raises(BadHostAddress, match=r"expected ssh://\[user@\]host\[:port\]"):
            parse_host(bad)


def test_a_profile_names_its_hosts_and_travels_as_data(tmp_path):
    from wasmscope.profiles import ProfileError, load_profile, resolve_profile_path
    from wasmscope.profiles.schema import build_profile

    p = tmp_path / "hosts.toml"
    p.write_text('[bench]\nhosts = ["ssh://a@box:2222", "ssh://other"]\nlocal = false\n')
    prof = load_profile(p)
    assert prof.bench.hosts == ("ssh://a@box:2222", "ssh://other") and prof.bench.local is False
    for bad, why in (('hosts = ["box"]', "expected ssh://[user@]host[:port], got 'box'"),
                     ('hosts = ["ssh://a", "ssh://a"]', "lists a host twice"),
                     ("local = 1", "expected true or false, got 1 (int)")):
        p.write_text(f"[bench]\n{bad}\n")
        with pytest.raises(ProfileError, match=re.escape(why)):
            load_profile(p)
    for name in ("quick", "article"):  # what a remote host's agent reads back is the same profile
        prof = load_profile(resolve_profile_path(name))
        back = build_profile(prof.to_data(), None, "sent")
        assert (back.name, back.bench, back.startup, back.compute, back.memory, back.io, back.reference) == (
            prof.name, prof.bench, prof.startup, prof.compute, prof.memory, prof.io, prof.reference)


def test_samples_plans_and_results_cross_the_line_as_they_were():
    from wasmscope.workloads.measurements.base import Plan
    from wasmscope.workloads.model.results import Results
    from wasmscope.workloads.model.samples import KINDS, sample_from_dict, sample_to_dict
    from wasmscope.workloads.remote import protocol

    for kind in KINDS.values():
        s = kind("startup", "wasmtime", key="wasmtime", workload="hello")
        assert sample_from_dict(json.loads(json.dumps(sample_to_dict(s)))) == s
    with pytest.raises(ValueError, match="unknown sample kind 'Nope'"):
        sample_from_dict({"kind": "Nope"})
    plan = Plan(["native", "docker"], ["startup", "io"], 3, {"io": ["server"]})
    assert protocol.plan_from_dict(json.loads(json.dumps(protocol.plan_to_dict(plan)))) == plan
    r = Results("p", "2026-01-01T00:00:00+00:00", host="me@box:22")
    assert Results.from_dict(r.to_dict()).host == "me@box:22"
    assert protocol.mismatch({"protocol": protocol.PROTOCOL, "wasmscope": protocol.WASMSCOPE_VERSION}, "x") is None
    line = protocol.mismatch({"protocol": 7, "wasmscope": "0.0.1"}, "me@box")
    assert line == (f"me@box runs wasmscope 0.0.1 (protocol 7); this is wasmscope {protocol.WASMSCOPE_VERSION} "
                    f"(protocol {protocol.PROTOCOL}): install wasmscope {protocol.WASMSCOPE_VERSION} there")


def test_captions_of_several_hosts_say_a_shared_line_once_and_name_the_host_of_the_others():
    from wasmscope.tui.render.tables import merged_lines

    merged = merged_lines([("local", ["Phases:", "  a: 1 ms", "Both from this run."]),
                           ("box", ["Phases:", "  a: 2 ms", "Both from this run."])])
    assert merged == ["Phases:", "local: a: 1 ms", "box: a: 2 ms", "Both from this run."]
