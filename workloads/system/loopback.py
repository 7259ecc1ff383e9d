"""Talking to servers wasmscope starts on 127.0.0.1: a free port to give one, one GET to it."""

from __future__ import annotations

import http.client
import socket


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
