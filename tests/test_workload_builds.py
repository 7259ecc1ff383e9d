"""The workloads: one C source each, built to Wasm (committed) and to native static binaries."""

from __future__ import annotations

import dataclasses
import hashlib
import signal
import socket
import subprocess
import tomllib
from pathlib import Path

import pytest
import wasmtime

from wasmscope.workloads.build import build_wasm, clang_version, wasm_toolchain_available
from wasmscope.workloads.catalogue import WASM_DIR
from wasmscope.workloads.errors import BuildError
from wasmscope.workloads.native_build import native_binary, native_build_key


def run_wasm(path: Path, *args: str) -> tuple[int, str]:
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    out = bytearray()
    wasi = wasmtime.WasiConfig()
    wasi.argv = [path.stem, *args]
    wasi.stdout_custom = out.extend
    store.set_wasi(wasi)
    inst = linker.instantiate(store, wasmtime.Module.from_file(engine, str(path)))
    code = 0
    try:
        inst.exports(store)["_start"](store)
    except wasmtime.ExitTrap as e:
        code = e.code
    return code, out.decode()


def imports(path: Path) -> set[str]:
    return {i.name for i in wasmtime.Module.from_file(wasmtime.Engine(), str(path)).imports}


def test_committed_modules_run(builtin):
    assert run_wasm(WASM_DIR / "hello.wasm") == (0, "hello from wasmscope\n")
    code, out = run_wasm(WASM_DIR / "fib.wasm", "20")
    assert code == 0 and out.startswith("fib(20) = 6765 elapsed_ns=")
    assert "sock_accept" in imports(WASM_DIR / "http.wasm")  # serves a pre-opened listener
    assert "poll_oneoff" in imports(WASM_DIR / "idle.wasm")  # sleeps until killed


def test_native_hello_fib_and_bad_argument(builtin):
    hello = native_binary(builtin["hello"])
    assert subprocess.run([hello], capture_output=True, text=True, timeout=10).stdout == "hello from wasmscope\n"
    fib = subprocess.run([native_binary(builtin["fib"]), "20"], capture_output=True, text=True, timeout=10)
    assert fib.stdout.startswith("fib(20) = 6765 elapsed_ns=")
    bad = subprocess.run([native_binary(builtin["fib"]), "x"], capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2 and "expected N" in bad.stderr


def test_native_binaries_are_static(builtin):
    out = subprocess.run(["file", "-b", str(native_binary(builtin["hello"]))], capture_output=True, text=True)
    if out.returncode == 0 and out.stdout:
        assert "statically linked" in out.stdout


def test_native_idle_exits_on_sigterm(builtin):
    proc = subprocess.Popen([native_binary(builtin["idle"]), "4"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("ready mib=4 checksum=")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()


def _http_request(sock: socket.socket, raw: bytes) -> bytes:
    sock.sendall(raw)
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"\n\n") and not data.endswith(b"wasmscope\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        if data.endswith(b"hello from wasmscope\n") or data.endswith(b"bad request\n"):
            break
    return data


def test_native_http_keep_alive_close_and_bad_request(builtin):
    proc = subprocess.Popen([native_binary(builtin["http"]), "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        port = int(line.split("port=")[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            for _ in range(2):  # two requests over one keep-alive connection
                resp = _http_request(s, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert resp.startswith(b"HTTP/1.1 200 OK") and resp.endswith(b"hello from wasmscope\n")
            resp = _http_request(s, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert b"Connection: close" in resp
            assert s.recv(10) == b""  # the server closed it
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            assert _http_request(s, b"nonsense\r\n\r\n").startswith(b"HTTP/1.1 400")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()


def test_native_cache_is_reused_and_keyed_by_source(builtin, tmp_path):
    first = native_binary(builtin["hello"])
    mtime = first.stat().st_mtime_ns
    assert native_binary(builtin["hello"]) == first and first.stat().st_mtime_ns == mtime
    changed_src = tmp_path / "hello.c"
    changed_src.write_text(builtin["hello"].source.read_text().replace("hello from", "hi from"))
    changed = dataclasses.replace(builtin["hello"], source=changed_src)
    assert native_build_key(changed) != native_build_key(builtin["hello"])
    assert subprocess.run([native_binary(changed)], capture_output=True, text=True).stdout == "hi from wasmscope\n"


def test_missing_compiler_is_one_clear_line(builtin, monkeypatch, tmp_path):
    monkeypatch.setenv("WASMSCOPE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("WASMSCOPE_CC", "/nonexistent/cc")
    with pytest.raises(BuildError) as err:
        native_binary(builtin["hello"])
    msg = str(err.value)
    assert "\n" not in msg and "no C compiler found" in msg and "/nonexistent/cc" in msg and "clang" in msg


@pytest.mark.toolchain
def test_rebuild_reproduces_the_committed_modules(tmp_path):
    reason = wasm_toolchain_available()
    if reason:
        pytest.skip(reason)
    built = build_wasm(tmp_path)
    info = tomllib.loads((WASM_DIR / "BUILD-INFO.toml").read_text())
    for name, path in built.items():
        if clang_version() == info["compiler"]:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == info[name]["sha256"], name
    assert run_wasm(built["hello"]) == (0, "hello from wasmscope\n")
