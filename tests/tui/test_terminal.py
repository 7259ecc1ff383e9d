"""`wasmscope` in a real terminal (tmux): panels appear, a cold-start burst shows its figure,
and quitting leaves no container behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout


def screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-t", session)


def wait_screen(session: str, predicate, timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = screen(session)
        if predicate(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; screen was:\n{text}")


@pytest.mark.docker
def test_cold_start_burst_in_tmux_then_quit_cleanly(docker_client, tmp_path):
    session = f"wasmscope-test-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "exit-code"
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX")}
    cmd = f"{sys.executable} -m wasmscope.tui.cli --profile quick; echo $? > {marker}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "32", cmd],
                   check=True, env=env, timeout=10)
    try:
        wait_screen(session, lambda s: "Docker Engine" in s and "wasmtime-py" in s, 60, "the panels")
        tmux("send-keys", "-t", session, "b")  # burst on the first (wasmtime) panel
        text = wait_screen(session, lambda s: "n=20" in s, 60,
                           "the burst's figures")
        assert "cold start" in text and " ms" in text
        tmux("send-keys", "-t", session, "Right", "Right", "i")  # idle on Docker, then quit
        wait_screen(session, lambda s: "running idle" in s, 60, "idle on docker")
        assert docker_client.containers.list(filters={"label": "wasmscope=1"})
        tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.read_text().strip() == "0"
    finally:
        tmux("kill-session", "-t", session)
    from wasmscope.workloads.system.sessions import owner_alive

    # the app has exited: nothing of a dead owner may remain (live sessions' containers,
    # e.g. another wasmscope running on this machine, are not this test's concern)
    left = docker_client.containers.list(all=True, filters={"label": "wasmscope=1"})
    assert not [c.name for c in left if not owner_alive(c.labels)]
