"""The app with a remote host: the real loopback sshd of the remote tests (remote_helpers.py),
the real ssh client, and the agent (this venv's wasmscope) driving this machine's runtimes as
if they were another machine's. Local and remote panels side by side; a run on a remote panel;
a dropped connection shown with its reason while this machine's panels go on; a kill -9 of a
real app process in tmux leaving nothing on the host. Only what each run owned is counted (the
agent's pid); every wait is bounded."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import asynccontextmanager

import psutil
import pytest

from owner_helpers import containers_of, leftovers, marked, plain_env, proc_name
from owner_helpers import wait_for as wait_until
from remote_helpers import agent_command, reaper, sshd, via_ssh  # noqa: F401 - fixtures
from wasmscope.profiles import load_profile
from wasmscope.tui.app import WasmscopeApp
from wasmscope.workloads.remote.address import LOCAL, REMOTE_COMMAND_ENV, SSH_COMMAND_ENV
from wasmscope.workloads.runtimes import known_runtimes

from .test_app import press_on, quit_and_wait, small_profile, wait_for
from .test_terminal import tmux, wait_screen

pytestmark = pytest.mark.timeout(600)
RUNTIMES = ("wasmtime", "native")


def host_app(tmp_path, url: str) -> WasmscopeApp:
    return WasmscopeApp(load_profile(small_profile(tmp_path)), runtimes=RUNTIMES, hosts=[url])


@asynccontextmanager
async def connected_app(tmp_path, server, reaper: list[int]):
    """The app on this machine and the test host, under Pilot until the host's agent answered (its
    pid is reaped after the test) and every panel, here and there, is described: (app, pilot)."""
    app, host = host_app(tmp_path, server.url), server.label
    async with app.run_test(size=(120, 36)) as pilot:
        live = app.live_view
        await wait_for(pilot, lambda: live.host_states[host].status != "connecting", 120, "the host to connect")
        assert live.host_states[host].status == "connected", live.host_states[host]
        reaper.append(live.host_states[host].peer["pid"])
        await wait_for(pilot, lambda: all(t.info for t in live.tracks.values()), 120, "every panel described")
        yield app, pilot


def host_bar(app: WasmscopeApp) -> list[str]:
    """The host bar's cells on screen, without the hint the last one carries."""
    cells = [str(cell.text) for cell in app.live_view.query("HostBar HostCell") if cell.display and cell.text]
    return [text.removesuffix("  (H: one host at a time)") for text in cells]


async def test_local_and_remote_panels_side_by_side_and_a_run_on_the_remote_one(via_ssh, reaper, tmp_path):
    host = via_ssh.label
    async with connected_app(tmp_path, via_ssh, reaper) as (app, pilot):
        live = app.live_view
        for rt in RUNTIMES:  # one grid row per runtime: this machine's panel, then the host's
            here, there = live.panels[(LOCAL, rt)], live.panels[(host, rt)]
            assert here.region.y == there.region.y and here.region.right < there.region.x, rt
        agent = live.host_states[host].peer["pid"]
        assert host_bar(app)[:2] == ["● local (this machine)",
                                     f"● {host} · connected ({live.host_states[host].detail})"]
        assert f"agent pid {agent}" in host_bar(app)[1]
        here, there = live.panels[(LOCAL, "native")], live.panels[(host, "native")]
        await press_on(pilot, there, "h")
        await wait_for(pilot, lambda: there.last_cold_ms is not None, 60, "a cold start on the remote panel")
        assert here.last_cold_ms is None and there.last_cold_ms > 0
        assert any(line.startswith(f"{host}: native: hello: $ ") and line.endswith(f"(on {host})")
                   for line in app.history), app.history
        await pilot.press("i")  # sampled there, by that host's own sampler
        await wait_for(pilot, lambda: there.running == "idle" and len(there.rss) >= 2, 60, "idle sampled there")
        assert here.running is None and not here.rss
        assert [p for p in marked(agent) if p.is_running()]  # the idle process is the agent's
        assert live.query_one("#detail").text.startswith(f"▸ Native process on {host} · ")
        await pilot.press("H")  # the selected panel's host alone
        assert not here.display and there.display and live.hosts_on_screen() == [host]
        await pilot.press("H")  # and back to every host side by side
        assert here.display and there.display and live.hosts_on_screen() == [LOCAL, host]
        await quit_and_wait(app, pilot)
    wait_until(lambda: not psutil.pid_exists(agent), 60, "the agent to end after bye")
    assert not marked(agent)


async def test_a_dropped_host_says_why_while_this_machines_panels_go_on(via_ssh, reaper, tmp_path):
    host = via_ssh.label
    async with connected_app(tmp_path, via_ssh, reaper) as (app, pilot):
        live = app.live_view
        agent = live.host_states[host].peer["pid"]
        there, here = live.panels[(host, "native")], live.panels[(LOCAL, "native")]
        await press_on(pilot, there, "i")
        await wait_for(pilot, lambda: there.running == "idle", 60, "idle there")
        for p in via_ssh.sessions():  # the connection drops under the app
            p.kill()
        await wait_for(pilot, lambda: live.host_states[host].status == "disconnected", 60, "the drop to show")
        reason = app.hosts.get(host).link.reason
        assert reason and live.host_states[host].detail == reason
        for rt in RUNTIMES:  # every panel of the host says it, with the reason
            assert live.tracks[(host, rt)].status() == (f"disconnected: {reason}", "-error")
            assert str(live.panels[(host, rt)].query_one(".status").render()).startswith("disconnected: ")
        assert there.running is None
        assert f"✖ {host} · disconnected: {reason}" in host_bar(app)
        assert f"{host}: disconnected: {reason.rstrip('.')}; its agent stopped what it ran there" in app.history
        await pilot.press("h")  # on the dropped host: refused, in one line
        await pilot.pause(0.2)
        assert there.last_cold_ms is None
        await press_on(pilot, here, "h")  # this machine's panels go on: a run, and its sampler still samples
        await wait_for(pilot, lambda: here.last_cold_ms is not None, 60, "a cold start here")
        await pilot.press("i")
        await wait_for(pilot, lambda: here.running == "idle" and len(here.rss) >= 3, 60, "idle sampled here")
        await quit_and_wait(app, pilot)
    wait_until(lambda: not psutil.pid_exists(agent), 60, "the agent to clean up and end")
    assert not marked(agent)  # its idle was stopped there when the connection dropped


@pytest.mark.docker
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_kill_9_of_the_app_in_a_terminal_leaves_nothing_on_the_host(sshd, docker_client, reaper, tmp_path):
    """The real app in tmux, connected to the host, runs idle there in a process (Wasmtime) and
    in a container (Docker); then it is killed with SIGKILL: the agent must remove both."""
    session = f"wasmscope-hosts-{uuid.uuid4().hex[:8]}"
    env = {SSH_COMMAND_ENV: sshd.ssh_command(), REMOTE_COMMAND_ENV: agent_command(),
           "WASMSCOPE_CACHE_DIR": os.environ["WASMSCOPE_CACHE_DIR"]}
    cmd = shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), sys.executable, "-m", "wasmscope.tui.cli",
                      "--profile", str(small_profile(tmp_path)), "--host", sshd.url])
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", f"exec {cmd}"],
                   check=True, env=plain_env(), timeout=10)
    app_pid = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
    reaper.append(app_pid)  # what the killed app left here is removed after the test too
    try:
        agent = wait_until(lambda: [p.pid for p in sshd.agents()], 60, "the agent to start")[0]
        reaper.append(agent)
        wait_screen(session, lambda s: f"{sshd.label} · connected" in s, 120, "the host connected")
        wait_screen(session, lambda s: s.count("Docker (runc)") >= 2 and "probing" not in s and "connecting" not in s,
                    120, "the panels on screen described, here and there")
        order = list(known_runtimes())  # panels runtime by runtime, this machine's then the host's
        tmux("send-keys", "-t", session, "Right", "i")  # Wasmtime (embedded) on the host
        wait_until(lambda: marked(agent), 60, "the host's idle process")
        tmux("send-keys", "-t", session, *["Right"] * (2 * (order.index("docker") - order.index("wasmtime"))), "i")
        wait_until(lambda: containers_of(docker_client, agent), 120, "the host's idle container")
        clients = [p for p in psutil.Process(app_pid).children() if proc_name(p) == "ssh"]
        assert clients, "the app reaches the host with the system ssh client"
        print(f"\nbefore kill -9: the host owns {leftovers(docker_client, agent)} (containers, processes)")
    finally:
        os.kill(app_pid, 9)
        tmux("kill-session", "-t", session)
    t0 = time.monotonic()
    wait_until(lambda: not psutil.pid_exists(agent), 90, "the agent to clean up and end")
    wait_until(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in clients), 30,
               "the orphaned ssh client to end")
    left = leftovers(docker_client, agent)
    here = [proc_name(p) for p in marked(app_pid)]  # this machine's side (the next run's sweep removes it)
    print(f"after kill -9 of the app: agent {agent} ended {time.monotonic() - t0:.1f} s later; left on the host: "
          f"{left[0]} containers, {left[1]} processes; left here by the killed app: {here or 'nothing'}")
    assert left == (0, 0)


async def test_an_unreachable_host_is_one_line_on_its_panels(tmp_path, monkeypatch):
    """Nothing listens there: the host's panels and its cell in the bar say why, in one line."""
    import socket

    monkeypatch.setenv(SSH_COMMAND_ENV, "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null")
    with socket.socket() as closed:  # bound, never listening: refused, and no other test takes the port
        closed.bind(("127.0.0.1", 0))
        app = host_app(tmp_path, f"ssh://nobody@127.0.0.1:{closed.getsockname()[1]}")
        async with app.run_test(size=(120, 36)) as pilot:
            host, live = app.hosts.remote[0].host, app.live_view
            await wait_for(pilot, lambda: live.host_states[host].status == "unreachable", 60, "unreachable")
            detail = live.host_states[host].detail
            assert detail.startswith("ssh failed: ssh: connect to host 127.0.0.1 port ") and \
                detail.endswith("Connection refused"), detail
            assert live.tracks[(host, "native")].down == f"unreachable: {detail}"
            assert f"✖ {host} · unreachable: {detail}" in host_bar(app)
            await wait_for(pilot, lambda: live.tracks[(LOCAL, "native")].info is not None, 60, "this machine")
            await press_on(pilot, live.panels[(host, "native")], "h")  # refused in one line, nothing started
            await pilot.pause(0.2)
            assert live.tracks[(host, "native")].cold_ms is None
            await quit_and_wait(app, pilot)


async def test_a_benchmark_runs_here_then_on_the_host_and_saves_and_reopens_both(via_ssh, reaper, tmp_path):
    from wasmscope.tui import profile_files

    host = via_ssh.label
    async with connected_app(tmp_path, via_ssh, reaper) as (app, pilot):
        await pilot.press("r")
        await wait_for(pilot, lambda: not app.bench_running, 300, "the benchmark on both hosts")
        assert app.results is not None and app.results.host == LOCAL and set(app.remote_results) == {host}
        assert app.remote_results[host].machine["wasmscope"] == app.results.machine["wasmscope"]
        view = app.results_view
        for rt in RUNTIMES:  # one table, a Host column, each host's rows with its own ratios
            assert view.cell("startup", rt, "host") == LOCAL
            assert view.cell("startup", f"{host}|{rt}", "host") == host
        assert view.cell("startup", f"{host}|native", "vs_native") == "baseline"
        assert app.live_view.tracks[(host, "native")].cold_ms is not None  # its samples streamed into its panels
        saved = tmp_path / "saved.toml"
        profile_files.save_chosen(app, saved)
        assert f"saved profile {saved} with this session's results (and {host})" in app.history
        await quit_and_wait(app, pilot)
    stored = load_profile(saved)
    assert stored.results.host == LOCAL and set(stored.remote_results) == {host}
    replay = WasmscopeApp(stored, runtimes=RUNTIMES, live=False)  # reopened: both hosts, nothing driven
    async with replay.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.2)
        assert replay.live_view.hosts == [LOCAL, host] and replay.hosts.remote == []
        assert replay.results_view.cell("startup", f"{host}|wasmtime", "host") == host
        assert replay.live_view.tracks[(host, "native")].cold_ms == stored.remote_results[host].tables[
            "startup"].ok_value("native")
