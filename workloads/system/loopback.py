"""Talking to servers wasmscope starts on 127.0.0.1: a free port to give one, one GET to it,
GETs until one answers."""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from typing import Callable, Iterator

from ..errors import WorkloadError


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS's pick for an ephemeral bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def get(port: int, timeout: float) -> tuple[int, bytes]:
    """GET / on a fresh connection to 127.0.0.1:port: (status, body). OSError if nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def answers(proc: subprocess.Popen, port: int, timeout_s: float, interval_s: float,
            exited: Callable[[int], str]) -> Iterator[tuple[int, bytes]]:
    """Each answer to GET / on 127.0.0.1:port, (0, b"") when nothing answered, until timeout_s.

    A server that is starting answers late or not at all; the caller stops at the answer it
    waits for and says itself what the time running out means. A server that exits first raises
    WorkloadError(exited(returncode)): waiting on would only run out the clock.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise WorkloadError(exited(proc.returncode))
        try:
            answer = get(port, timeout=max(0.5, min(5.0, deadline - time.monotonic())))
        except OSError:
            answer = 0, b""
        yield answer
        if time.monotonic() >= deadline:
            return
        time.sleep(interval_s)
