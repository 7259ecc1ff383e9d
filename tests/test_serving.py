"""Serving model 2, one fresh instance per request: the handler workload, the spawners, the front.

Real runtimes throughout (native processes, embedded wasmtime, Docker containers); every front
started here is stopped in a finally block, and Docker leaves no container behind.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest
import wasmtime

from wasmscope.workloads.guests.catalogue import WASM_DIR
from wasmscope.workloads.guests.native_build import native_binary
from wasmscope.workloads.serving import wasmtime_raw
from wasmscope.workloads.serving.launch import FrontStats, start_front
from wasmscope.workloads.serving.spawners import SpawnerError, make_spawner

pytestmark = pytest.mark.timeout(60)

BODY = b"hello from wasmscope\n"
GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
POST = b"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello=world"
GARBAGE = b"this is not http\r\n\r\n"


def parse_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, raw
    lines = head.decode().split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return status, headers, body


def check_handler_answers(run) -> None:
    status, headers, body = parse_response(run(GET))
    assert (status, body) == (200, BODY)
    assert headers["content-type"] == "text/plain" and headers["content-length"] == str(len(BODY))
    assert "connection" not in headers  # the front's business
    assert parse_response(run(POST))[:3:2] == (200, BODY)
    for bad in (GARBAGE, b"", b"GET / HTTP/1.1\r\n", b"POST / HTTP/1.1\r\nContent-Length: 99\r\n\r\nshort",
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"):
        assert parse_response(run(bad))[0] == 400, bad
    status, _, body = parse_response(run(b"HEAD / HTTP/1.1\r\n\r\n"))
    assert (status, body) == (200, b"")


# -- the handler workload -------------------------------------------------------------------------

def test_handler_native(builtin):
    binary = native_binary(builtin["handler"])

    def run(request: bytes) -> bytes:
        proc = subprocess.run([str(binary)], input=request, capture_output=True, timeout=10)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    check_handler_answers(run)


def test_handler_under_embedded_wasmtime_with_a_stdin_file(tmp_path):
    """The committed module through the package's public API only (stdin from a file)."""
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, str(WASM_DIR / "handler.wasm"))

    def run(request: bytes) -> bytes:
        stdin = tmp_path / "stdin"
        stdin.write_bytes(request)
        out = bytearray()
        store = wasmtime.Store(engine)
        wasi = wasmtime.WasiConfig()
        wasi.stdin_file = str(stdin)
        wasi.stdout_custom = out.extend
        store.set_wasi(wasi)
        inst = linker.instantiate(store, module)
        try:
            inst.exports(store)["_start"](store)
        except wasmtime.ExitTrap as exc:
            assert exc.code == 0
        return bytes(out)

    check_handler_answers(run)


# -- raw bindings and spawners, in-process ---------------------------------------------------------

def test_raw_bindings_pooling_and_stdin_bytes():
    cfg = wasmtime.Config()
    with pytest.raises(ValueError, match="address space"):
        wasmtime_raw.enable_pooling(cfg, instances=30_000, max_memory_bytes=4 << 30)
    wasmtime_raw.enable_pooling(cfg, instances=4, max_memory_bytes=16 << 20)
    engine = wasmtime.Engine(cfg)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    pre = linker.instantiate_pre(wasmtime.Module.from_file(engine, str(WASM_DIR / "handler.wasm")))
    for _ in range(10):  # more requests than slots: each Store frees its slot when dropped
        store = wasmtime.Store(engine)
        wasi = wasmtime.WasiConfig()
        wasmtime_raw.set_stdin_bytes(wasi, GET)
        out = bytearray()
        wasi.stdout_custom = out.extend
        store.set_wasi(wasi)
        try:
            pre.instantiate(store).exports(store)["_start"](store)
        except wasmtime.ExitTrap as exc:
            assert exc.code == 0
        assert parse_response(bytes(out))[2] == BODY
        del store


@contextmanager
def prepared_spawner(name: str, options: dict | None = None):
    """The in-process spawner of `name`, prepared; closed on the way out."""
    spawner = make_spawner(name, options)
    try:
        spawner.prepare()
        yield spawner
    finally:
        spawner.close()


@pytest.mark.parametrize("name", ["none", "native", "wasmtime"])
def test_spawner_in_process(name):
    with prepared_spawner(name) as spawner:
        response, phases = spawner.handle(GET, 10)
        assert parse_response(response)[::2] == (200, BODY)
        assert "total" in phases and all(v >= 0 for v in phases.values())
        if name == "wasmtime":
            assert set(phases) == {"instantiate", "run", "total"}
            assert "pooling allocator" in spawner.mode() and "stdin from bytes" in spawner.mode()
            assert parse_response(spawner.handle(GARBAGE, 10)[0])[0] == 400
        if name == "native":
            assert set(phases) == {"spawn", "exited", "total"}


def test_wasmtime_spawner_without_pooling_says_so():
    with prepared_spawner("wasmtime", {"pooling": "0"}) as spawner:
        assert "on-demand allocator (pooling switched off by option)" in spawner.mode()
        assert parse_response(spawner.handle(POST, 10)[0])[::2] == (200, BODY)


def test_native_spawner_crash_is_a_spawner_error():
    with prepared_spawner("native", {"binary": "/bin/false"}) as spawner:
        with pytest.raises(SpawnerError, match="exited with code 1"):
            spawner.handle(GET, 10)


# -- through a real front --------------------------------------------------------------------------

def keep_alive_requests(front, n: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", front.port, timeout=20)
    try:
        for i in range(n):
            if i % 5 == 4:
                conn.request("POST", "/form", body=b"a=1&b=2",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
            else:
                conn.request("GET", f"/item/{i}")
            resp = conn.getresponse()
            assert (resp.status, resp.read()) == (200, BODY)
            assert resp.getheader("Connection") == "keep-alive"
            assert not resp.will_close
    finally:
        conn.close()


@pytest.mark.parametrize("name,phases", [
    ("none", {"total"}),
    ("native", {"spawn", "exited", "total"}),
    ("wasmtime", {"instantiate", "run", "total"}),
])
def test_front_serves_keep_alive_and_writes_stats(name, phases):
    front = start_front(name, workers=2)
    try:
        assert front.url == f"http://127.0.0.1:{front.port}/"
        assert front.pid in front.pids()
        keep_alive_requests(front, 30)
    finally:
        stats = front.stop()
    assert stats is front.stop()  # idempotent
    assert not front.alive()
    assert (stats.spawner, stats.requests, stats.errors, stats.workers) == (name, 30, 0, 2)
    assert stats.concurrency == ("inline" if name == "none" else "threads")
    assert stats.mode
    assert set(stats.phases_ms) == phases
    for summary in stats.phases_ms.values():
        assert summary["count"] == 30
        assert 0 <= summary["median"] <= summary["p90"] <= summary["p99"]


def test_front_native_with_asyncio_subprocesses():
    front = start_front("native", workers=2, options={"async": "1"})
    try:
        keep_alive_requests(front, 10)
    finally:
        stats = front.stop()
    assert (stats.requests, stats.errors, stats.concurrency) == (10, 0, "asyncio")
    assert "asyncio subprocess" in stats.mode and set(stats.phases_ms) == {"spawn", "exited", "total"}


def test_front_connection_close_http10_and_unframeable_requests():
    front = start_front("none")
    try:
        conn = http.client.HTTPConnection("127.0.0.1", front.port, timeout=10)
        conn.request("GET", "/", headers={"Connection": "close"})
        resp = conn.getresponse()
        assert (resp.status, resp.getheader("Connection"), resp.read()) == (200, "close", BODY)
        conn.close()
        for raw, status in ((b"GET / HTTP/1.0\r\n\r\n", b"200"),
                            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"400"),
                            (b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", b"400")):
            with socket.create_connection(("127.0.0.1", front.port), timeout=10) as s:
                s.sendall(raw)
                data = b""
                while chunk := s.recv(4096):  # the front closes after answering
                    data += chunk
            assert data.startswith(b"HTTP/1.1 " + status) and b"Connection: close\r\n" in data, data
    finally:
        stats = front.stop()
    assert (stats.requests, stats.bad_requests) == (2, 2)


def test_front_refuses_non_loopback_host(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "wasmscope.workloads.serving.front", "--spawner", "none",
                           "--host", "0.0.0.0", "--port", "0", "--stats", str(tmp_path / "s.json")],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "non-loopback" in proc.stderr
    assert not (tmp_path / "s.json").exists()


def test_crashing_spawner_answers_502_and_is_counted():
    front = start_front("native", options={"binary": "/bin/false"})
    try:
        conn = http.client.HTTPConnection("127.0.0.1", front.port, timeout=10)
        for _ in range(3):
            conn.request("GET", "/")
            resp = conn.getresponse()
            body = resp.read()
            assert resp.status == 502
            assert body.count(b"\n") == 1 and b"exited with code 1" in body
        conn.close()
    finally:
        stats = front.stop()
    assert (stats.requests, stats.errors) == (3, 3)
    assert "exited with code 1" in stats.first_error
    assert stats.phases_ms == {}


def test_stop_finishes_in_flight_requests(tmp_path):
    slow = tmp_path / "slow-handler"
    slow.write_text("#!/bin/sh\ncat >/dev/null\nsleep 1\n"
                    "printf 'HTTP/1.1 200 OK\\r\\nContent-Length: 4\\r\\n\\r\\nslow'\n")
    slow.chmod(0o755)
    front = start_front("native", options={"binary": str(slow)})
    got: list = []
    try:
        def client():
            conn = http.client.HTTPConnection("127.0.0.1", front.port, timeout=20)
            conn.request("GET", "/")
            resp = conn.getresponse()
            got.append((resp.status, resp.getheader("Connection"), resp.read()))
            conn.close()

        t = threading.Thread(target=client)
        t.start()
        time.sleep(0.4)  # the request is in flight (the handler sleeps 1 s)
    finally:
        stats = front.stop()
    t.join(10)
    assert got == [(200, "close", b"slow")]
    assert (stats.requests, stats.errors) == (1, 0)


def test_start_front_pins_cpus():
    cpus = {sorted(os.sched_getaffinity(0))[0]}
    front = start_front("none", cpus=cpus)
    try:
        assert os.sched_getaffinity(front.pid) == cpus
    finally:
        front.stop()


@pytest.mark.docker
def test_docker_spawner_one_container_per_request(docker_client):
    from wasmscope.workloads.system.sessions import OWNER_PID

    front = start_front("docker", workers=2, ready_timeout_s=60)
    pid = front.pid
    try:
        keep_alive_requests(front, 5)
        conn = http.client.HTTPConnection("127.0.0.1", front.port, timeout=20)
        conn.request("POST", "/", body=b"x" * 5000)
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        stats = front.stop()
    left = docker_client.containers.list(all=True, filters={"label": f"{OWNER_PID}={pid}"})
    assert not left, f"front leaked containers: {[c.name for c in left]}"
    assert (stats.spawner, stats.requests, stats.errors) == ("docker", 6, 0)
    assert set(stats.phases_ms) == {"create", "start", "wait", "remove", "total"}
    assert "network none" in stats.mode
    assert isinstance(stats, FrontStats) and json.dumps(stats.__dict__)


def test_wasmtime_spawner_falls_back_to_a_stdin_file(monkeypatch):
    def missing(wasi, data):
        raise wasmtime_raw.RawBindingsUnavailable("wasmtime._bindings has no wasi_config_set_stdin_bytes")

    monkeypatch.setattr(wasmtime_raw, "set_stdin_bytes", missing)
    with prepared_spawner("wasmtime") as spawner:
        assert "stdin from a file per request" in spawner.mode() and "no wasi_config_set_stdin_bytes" in spawner.mode()
        assert parse_response(spawner.handle(POST, 10)[0])[::2] == (200, BODY)
        tmp = spawner._tmp
        assert tmp is not None and not list(tmp.iterdir())  # each request's file is removed
    assert not tmp.exists()
