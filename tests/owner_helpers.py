"""What a wasmscope process owns, counted the way a user would: containers labelled with its pid
and processes whose environment carries its WASMSCOPE_OWNER marker — only what that run owned
(other test runs share this machine). One copy for the remote, cleanup, doctor and adapter tests."""

from __future__ import annotations

import os
import time

import psutil
import pytest

from wasmscope.workloads.system.sessions import OWNER_ENV, OWNER_PID


def proc_name(p: psutil.Process) -> str:
    """The process's name, or "" once it is gone."""
    try:
        return p.name()
    except psutil.Error:
        return ""


def proc_cmdline(p: psutil.Process) -> str:
    """The process's command line as one string, or "" once it is gone."""
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def cmdlines(procs: list[psutil.Process]) -> list[str]:
    """The command lines of those processes still there."""
    return [line for line in map(proc_cmdline, procs) if line]


def plain_env() -> dict[str, str]:
    """Our environment without our own marker: the processes we start are not wasmscope's
    children (a clean must judge them by their own parent)."""
    return {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TMUX", OWNER_ENV)}


def wait_for(predicate, timeout: float, what: str):
    """Poll `predicate` until it returns something true (returned), or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def containers_of(client, pid: int, running_only: bool = False) -> list[dict]:
    """Containers labelled with the owner `pid`, stopped ones too unless `running_only` (the
    low-level list: the high-level one fails on a container removed while it inspects)."""
    return client.api.containers(all=not running_only, filters={"label": f"{OWNER_PID}={pid}"})


def marked(pid: int) -> list[psutil.Process]:
    """Processes that carry the WASMSCOPE_OWNER marker of `pid`."""
    out = []
    for p in psutil.process_iter():
        try:
            if p.environ().get(OWNER_ENV, "").startswith(f"{pid}:"):
                out.append(p)
        except psutil.Error:
            continue
    return out


def leftovers(client, pid: int) -> tuple[int, int]:
    """(containers, processes) the process `pid` owned that are still there."""
    return len(containers_of(client, pid)), len(marked(pid))


def remove_owned(client, pid: int) -> None:
    """A test's cleanup, even after it failed: kill what carries `pid`'s marker, remove its containers."""
    for p in marked(pid):
        try:
            p.kill()
        except psutil.Error:
            pass
    for c in containers_of(client, pid):
        try:
            client.api.remove_container(c["Id"], force=True)
        except Exception:
            pass
