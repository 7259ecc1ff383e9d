"""The Python wasi:http component: built with componentize-py, served by the real `wasmtime serve`
(CLI 36, installed into the test cache once per session when no 36.x is found)."""

from __future__ import annotations

import http.client
import socket
import struct
import time
from pathlib import Path

import psutil
import pytest

from adapter_helpers import taken_port
from wasmscope.workloads.guests import components
from wasmscope.workloads.runtimes.wasmtime_serve import serve_component

from wasmscope.workloads.system import tools
from wasmscope.workloads.guests.components import builder
from wasmscope.workloads.errors import BuildError, WasmscopeError

pytestmark = pytest.mark.timeout(60)  # the build (~6-10 s) and a cold serve (~5 s) included


@pytest.fixture(scope="session")
def component() -> Path:
    return components.build_component()


def get(port: int, conn: http.client.HTTPConnection | None = None) -> tuple[int, bytes]:
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", "/")
        resp = c.getresponse()
        return resp.status, resp.read()
    finally:
        if conn is None:
            c.close()


def test_build_is_cached_by_source_and_tool_versions(component):
    assert component.name == "hello.wasm"
    assert component.parent.name == components.component_key()
    assert component.read_bytes()[:8] == b"\0asm\x0d\0\x01\0"  # a component, not a core module
    assert component.stat().st_size > 5_000_000  # CPython inside
    t0 = time.monotonic()
    assert components.build_component() == component
    assert time.monotonic() - t0 < 1
    assert not [p for p in component.parent.iterdir() if p.name.startswith("build.")]


def test_missing_componentize_py_is_one_line_with_the_pip_hint(monkeypatch):
    monkeypatch.setattr(builder, "componentize_py_version", lambda: None)
    with pytest.raises(BuildError, match=r"^componentize-py is not installed: pip install 'wasmscope\[http-component\]'"):
        components.build_component()


def test_missing_spin_sdk_is_one_line_with_the_pip_hint(monkeypatch):
    real = builder.importlib.util.find_spec
    monkeypatch.setattr(builder.importlib.util, "find_spec",
                        lambda name: None if name == "spin_sdk" else real(name))
    with pytest.raises(BuildError, match=r"^spin-sdk is not installed .*pip install 'wasmscope"):
        components.build_component()


def test_serve_answers_200_and_stop_leaves_no_process(cli36, component):
    inst = serve_component(cli36, component=component)
    pid = inst.proc.pid
    try:
        assert inst.pids() == [pid] and inst.alive()
        assert isinstance(inst.host_port, int) and inst.host_port > 0
        assert inst.ready_line.startswith("Serving HTTP on")
        assert f"--addr 127.0.0.1:{inst.host_port} hello.wasm" in inst.command_line()
        desc = inst.mode_description
        assert "a fresh instance per request" in desc and "no pooling" in desc
        assert f"Python (componentize-py {builder.componentize_py_version()})" in desc
        assert " MB" in desc and "wasmtime serve 36." in desc
        conn = http.client.HTTPConnection("127.0.0.1", inst.host_port, timeout=10)
        try:
            for _ in range(3):  # keep-alive: three requests on one connection
                assert get(inst.host_port, conn) == (200, b"hello from wasmscope\n")
        finally:
            conn.close()
        # clients hanging up mid-request (RST) must not trap the handler
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", inst.host_port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        assert get(inst.host_port) == (200, b"hello from wasmscope\n")
        time.sleep(0.2)
        assert "wasm trap" not in inst._log.read_text(errors="replace")
        assert "wasmtime serve" in inst.memory().counts
    finally:
        inst.stop()
    assert not inst.alive()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    with pytest.raises(OSError):
        get(inst.host_port)


def test_pooling_mode_is_named_and_pinned_to_a_cpu(cli36, component):
    inst = serve_component(cli36, component=component, mode="pooling", cpus=[0])
    try:
        assert "pooling allocator" in inst.mode_description
        assert "-O pooling-allocator=y" in inst.command_line()
        assert inst.command_line().startswith("taskset -c 0 wasmtime serve")
        assert psutil.Process(inst.proc.pid).cpu_affinity() == [0]
        assert get(inst.host_port) == (200, b"hello from wasmscope\n")
    finally:
        inst.stop()
    assert not inst.alive()


def test_reuse_mode_needs_cli_49(cli36, component):
    with pytest.raises(WasmscopeError, match="needs --max-instance-reuse-count"):
        serve_component(cli36, component=component, mode="reuse")
    with pytest.raises(WasmscopeError, match="unknown serve mode"):
        serve_component(cli36, component=component, mode="turbo")


def test_port_in_use_fails_in_one_line(cli36, component):
    with taken_port() as port:
        with pytest.raises(WasmscopeError, match="wasmtime serve exited with code"):
            serve_component(cli36, component=component, port=port, ready_timeout_s=20)


def test_reuse_mode_on_cli_49_when_present(component):
    found49 = tools.locate(tools.WASMTIME_CLI, 49)
    cli49 = found49.path if found49 else None
    if cli49 is None:
        pytest.skip("no wasmtime CLI 49.x here (optional: reuse modes need --max-instance-reuse-count)")
    inst = serve_component(cli49, component=component, mode="reuse")
    try:
        assert "instances reused for up to 1000 requests" in inst.mode_description
        assert "--max-instance-reuse-count 1000" in inst.command_line()
        assert get(inst.host_port) == (200, b"hello from wasmscope\n")
    finally:
        inst.stop()
    assert not inst.alive()


def test_the_committed_component_is_served_without_a_toolchain():
    """The package ships the built component with its record: used as is while its sources
    are unchanged (componentize-py is then not needed), and its record matches the file."""
    import hashlib
    import tomllib

    from wasmscope.workloads.guests.components.builder import COMMITTED, COMMITTED_INFO, component_path, sources_sha256

    info = tomllib.loads(COMMITTED_INFO.read_text())
    data = COMMITTED.read_bytes()
    assert info["source_sha256"] == sources_sha256(), "sources changed: run python -m wasmscope.workloads.guests.components"
    assert info["size"] == len(data) and info["sha256"] == hashlib.sha256(data).hexdigest()
    assert component_path() == COMMITTED
    assert data[:8] == b"\0asm\x0d\0\x01\0"  # a component (layer 1), not a core module
