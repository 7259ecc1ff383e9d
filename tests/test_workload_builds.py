"""The workloads: one C source each, built to Wasm (committed) and to native static binaries."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import time
import tomllib
from pathlib import Path

import pytest
import wasmtime

from wasmscope.workloads.guests.build import build_wasm, clang_version, wasm_toolchain_available
from wasmscope.workloads.guests.catalogue import WASM_DIR, builtin_workloads
from wasmscope.workloads.errors import BuildError, WorkloadError
from wasmscope.workloads.guests.native_build import find_c_compiler, native_binary, native_build_key

BODY = b"hello from wasmscope\n"


@pytest.fixture(scope="module")
def native_cache(tmp_path_factory):
    """One fresh native cache for this module, so every build here really compiles."""
    cache = tmp_path_factory.mktemp("native-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WASMSCOPE_CACHE_DIR", str(cache))
        mp.delenv("WASMSCOPE_CC", raising=False)
        yield cache


@pytest.fixture(scope="module")
def binaries(native_cache):
    return {name: native_binary(w) for name, w in builtin_workloads().items()}


# -- helpers ----------------------------------------------------------------------------------

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


def module_imports(path: Path) -> set[str]:
    return {i.name for i in wasmtime.Module.from_file(wasmtime.Engine(), str(path)).imports}


def module_exports(path: Path) -> set[str]:
    return {e.name for e in wasmtime.Module.from_file(wasmtime.Engine(), str(path)).exports}


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    if proc.stdout:
        proc.stdout.close()


def read_ready(proc: subprocess.Popen, timeout: float = 10) -> str:
    """The first stdout line, bounded by a timeout (a hung guest must not hang the test)."""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"no ready line within {timeout} s")
    return proc.stdout.readline()


def read_response(sock: socket.socket, buf: bytearray, head_only: bool = False) -> tuple[bytes, dict, bytes]:
    """One HTTP response from sock (buf keeps bytes read past it): status line, headers, body."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"connection closed mid-response: {bytes(buf)!r}")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(b":") for ln in lines)}
    length = 0 if head_only else int(headers[b"content-length"])
    while len(rest) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError("connection closed mid-body")
        rest += chunk
    buf[:] = rest[length:]
    return status, headers, rest[:length]


def is_closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def check_http_server(port: int) -> None:
    """The protocol behaviour every build of http.c must show, against 127.0.0.1:port."""
    def connect() -> socket.socket:
        return socket.create_connection(("127.0.0.1", port), timeout=5)

    with connect() as a, connect() as b:  # two concurrent keep-alive connections
        abuf, bbuf = bytearray(), bytearray()
        for sock, buf in ((a, abuf), (b, bbuf), (a, abuf), (b, bbuf)):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, body = read_response(sock, buf)
            assert status == b"HTTP/1.1 200 OK" and body == BODY
            assert headers[b"content-length"] == str(len(BODY)).encode()
            assert headers[b"connection"] == b"keep-alive"
        # a request split across writes, then two pipelined in one write
        a.sendall(b"GET /x HTTP/1.1\r\nHo")
        time.sleep(0.05)
        a.sendall(b"st: x\r\n\r\n")
        assert read_response(a, abuf)[2] == BODY
        a.sendall(b"GET / HTTP/1.1\r\n\r\nHEAD / HTTP/1.1\r\n\r\n")
        assert read_response(a, abuf)[2] == BODY
        status, headers, body = read_response(a, abuf, head_only=True)
        assert status == b"HTTP/1.1 200 OK" and body == b""
        # a body is read and skipped, the connection stays usable
        a.sendall(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcdeGET / HTTP/1.1\r\n\r\n")
        assert read_response(a, abuf)[2] == BODY and read_response(a, abuf)[2] == BODY
        # Connection: close is honoured
        a.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status, headers, body = read_response(a, abuf)
        assert body == BODY and headers[b"connection"] == b"close"
        assert not abuf and is_closed(a)
        b.sendall(b"GET / HTTP/1.1\r\n\r\n")  # the other connection is unaffected
        assert read_response(b, bbuf)[2] == BODY
    with connect() as s:  # HTTP/1.0 closes unless it asks for keep-alive
        buf = bytearray()
        s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert read_response(s, buf)[1][b"connection"] == b"keep-alive"
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert read_response(s, buf)[1][b"connection"] == b"close" and is_closed(s)
    for garbage in (b"nonsense\r\n\r\n", b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
                    b"GET /\x00 HTTP/1.1\r\n\r\n", b"X" * 8192):
        with connect() as s:
            buf = bytearray()
            s.sendall(garbage)
            status, headers, _ = read_response(s, buf)
            assert status == b"HTTP/1.1 400 Bad Request" and headers[b"connection"] == b"close"
            assert is_closed(s)
    with connect() as s:  # still serving after all that
        s.sendall(b"GET / HTTP/1.1\r\n\r\n")
        assert read_response(s, bytearray())[2] == BODY


# -- native -----------------------------------------------------------------------------------

def test_native_hello(binaries):
    out = subprocess.run([binaries["hello"]], capture_output=True, text=True, timeout=10)
    assert (out.returncode, out.stdout) == (0, "hello from wasmscope\n")


def test_native_fib_and_bad_argument(binaries):
    out = subprocess.run([binaries["fib"], "20"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("fib(20) = 6765 elapsed_ns=")
    assert out.stdout.count("\n") == 1 and int(out.stdout.split("elapsed_ns=")[1]) >= 0
    for bad in ("x", "", "-1", "12abc"):
        res = subprocess.run([binaries["fib"], bad], capture_output=True, text=True, timeout=10)
        assert res.returncode == 2 and res.stdout == "" and "expected N" in res.stderr


def test_native_binaries_are_static(binaries):
    out = subprocess.run(["file", "-b", str(binaries["hello"])], capture_output=True, text=True)
    if out.returncode == 0 and out.stdout:
        assert "statically linked" in out.stdout or "static-pie" in out.stdout


def test_native_idle_reports_then_exits_on_sigterm(binaries):
    proc = subprocess.Popen([binaries["idle"], "8"], stdout=subprocess.PIPE, text=True)
    try:
        # the pattern i*31+7 covers every byte value once per 256 bytes: sum 32640 each
        assert read_ready(proc) == f"ready mib=8 checksum={32640 * (8 << 20) // 256}\n"
        rss_kib = next(int(ln.split()[1]) for ln in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                       if ln.startswith("VmRSS:"))
        assert rss_kib >= 8 * 1024  # the memory was really touched, not optimised away
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0 and time.monotonic() - started < 2
    finally:
        stop(proc)


def test_native_idle_zero_and_sigint(binaries):
    proc = subprocess.Popen([binaries["idle"], "0"], stdout=subprocess.PIPE, text=True)
    try:
        assert read_ready(proc) == "ready mib=0 checksum=0\n"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=5) == 0
    finally:
        stop(proc)


def test_native_http_serves_keep_alive_and_rejects_garbage(binaries):
    proc = subprocess.Popen([binaries["http"], "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = read_ready(proc)
        assert line.startswith("ready port=")
        port = int(line.strip().split("port=")[1])
        assert port > 0
        check_http_server(port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        stop(proc)


def test_native_http_bad_port(binaries):
    res = subprocess.run([binaries["http"], "notaport"], capture_output=True, text=True, timeout=10)
    assert res.returncode == 2 and "expected a port" in res.stderr


# -- the native cache ------------------------------------------------------------------------

def test_native_cache_is_reused_and_keyed_by_source(native_cache, binaries, tmp_path):
    hello = builtin_workloads()["hello"]
    first = binaries["hello"]
    assert first == native_cache / "native" / f"hello-{native_build_key(hello)}" / "hello"
    mtime = first.stat().st_mtime_ns
    started = time.monotonic()
    assert native_binary(hello) == first
    assert first.stat().st_mtime_ns == mtime and time.monotonic() - started < 1
    assert not [p for p in first.parent.iterdir() if p.name != "hello"]  # no temp files left
    changed_src = tmp_path / "hello.c"
    changed_src.write_text(hello.source.read_text().replace("hello from", "hi from"))
    changed = dataclasses.replace(hello, source=changed_src)
    assert native_build_key(changed) != native_build_key(hello)
    out = subprocess.run([native_binary(changed)], capture_output=True, text=True, timeout=10)
    assert out.stdout == "hi from wasmscope\n"


def test_native_compile_error_is_one_line(native_cache, tmp_path):
    src = tmp_path / "broken.c"
    src.write_text("int main(void) { return undefined_thing; }\n")
    broken = dataclasses.replace(builtin_workloads()["hello"], name="broken", source=src)
    with pytest.raises(BuildError) as err:
        native_binary(broken)
    msg = str(err.value)
    assert msg.startswith("building native broken failed: ") and "undefined_thing" in msg
    assert "\n" not in msg


def test_workload_without_source(native_cache):
    no_source = dataclasses.replace(builtin_workloads()["hello"], source=None)
    with pytest.raises(WorkloadError):
        native_binary(no_source)


def test_missing_compiler_is_one_clear_line(monkeypatch, tmp_path):
    hello = builtin_workloads()["hello"]
    monkeypatch.setenv("WASMSCOPE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("WASMSCOPE_CC", "/nonexistent/cc")
    monkeypatch.setenv("PATH", "")
    assert find_c_compiler() is None
    with pytest.raises(BuildError) as err:
        native_binary(hello)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("no C compiler found")
    assert "/nonexistent/cc" in msg and "clang" in msg and "apt-get install -y clang" in msg
    monkeypatch.delenv("WASMSCOPE_CC")  # nothing on PATH either
    with pytest.raises(BuildError) as err:
        native_build_key(hello)
    assert "tried $WASMSCOPE_CC, clang, cc, gcc" in str(err.value)


# -- the committed Wasm modules ----------------------------------------------------------------

def test_committed_hello_and_fib_run():
    assert run_wasm(WASM_DIR / "hello.wasm") == (0, "hello from wasmscope\n")
    code, out = run_wasm(WASM_DIR / "fib.wasm", "20")
    assert code == 0 and out.startswith("fib(20) = 6765 elapsed_ns=") and out.count("\n") == 1
    assert run_wasm(WASM_DIR / "fib.wasm", "x") == (2, "")


def test_committed_serve_modules_have_the_right_imports():
    idle = WASM_DIR / "idle.wasm"
    assert "_start" in module_exports(idle)
    assert "poll_oneoff" in module_imports(idle)  # sleep() until killed
    http = WASM_DIR / "http.wasm"
    assert "_start" in module_exports(http)
    assert {"sock_accept", "sock_recv", "sock_send", "poll_oneoff"} <= module_imports(http)


def test_committed_modules_match_build_info_and_sources(builtin):
    info = tomllib.loads((WASM_DIR / "BUILD-INFO.toml").read_text())
    assert info["compiler"]
    for name, workload in builtin.items():
        entry = info[name]
        data = (WASM_DIR / f"{name}.wasm").read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
        # a source edited without `python -m wasmscope.workloads.guests.build` shows up here
        assert hashlib.sha256(workload.source.read_bytes()).hexdigest() == entry["source_sha256"], (
            f"src/{name}.c changed since wasm/{name}.wasm was built: rebuild the modules")
        assert entry["command"].endswith(f"-o wasm/{name}.wasm src/{name}.c")


def _wasmtime_cli_with_tcplisten() -> str | None:
    cli = os.environ.get("WASMSCOPE_WASMTIME_CLI") or shutil.which("wasmtime")
    if not cli:
        return None
    out = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=30)
    major = out.stdout.split()[1].split(".")[0] if out.returncode == 0 and out.stdout.split()[1:] else ""
    return cli if major.isdigit() and int(major) < 49 else None  # 49 dropped -S tcplisten


def test_committed_http_serves_under_wasmtime_cli():
    """http.wasm on a pre-opened listener (fd 3). Needs a wasmtime CLI before 49 (36.x LTS)."""
    cli = _wasmtime_cli_with_tcplisten()
    if cli is None:
        pytest.skip("no wasmtime CLI < 49 (with -S tcplisten) on PATH or in $WASMSCOPE_WASMTIME_CLI")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([cli, "run", "-S", "preview2=n", "-S", f"tcplisten=127.0.0.1:{port}",
                             str(WASM_DIR / "http.wasm")], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "RUST_BACKTRACE": "0"})
    try:
        assert read_ready(proc, timeout=60) == "ready port=preopened\n"
        check_http_server(port)
    finally:
        stop(proc)


# -- rebuilding --------------------------------------------------------------------------------

@pytest.mark.toolchain
def test_rebuild_reproduces_the_committed_modules(tmp_path):
    reason = wasm_toolchain_available()
    if reason:
        pytest.skip(reason)
    built = build_wasm(tmp_path)
    assert sorted(built) == ["crash", "fib", "handler", "hello", "hog", "http", "idle", "probe", "spin"]
    committed = tomllib.loads((WASM_DIR / "BUILD-INFO.toml").read_text())
    rebuilt = tomllib.loads((tmp_path / "BUILD-INFO.toml").read_text())
    assert rebuilt["compiler"] == clang_version()
    if rebuilt["compiler"] == committed["compiler"]:
        for name, path in built.items():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == committed[name]["sha256"], name
            assert rebuilt[name]["sha256"] == committed[name]["sha256"]
    assert run_wasm(built["hello"]) == (0, "hello from wasmscope\n")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch left


def test_missing_wasm_toolchain_is_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", "")
    reason = wasm_toolchain_available()
    assert reason and "\n" not in reason and "apt-get install -y clang lld wasi-libc" in reason
    with pytest.raises(BuildError) as err:
        build_wasm(tmp_path)
    assert str(err.value) == reason
