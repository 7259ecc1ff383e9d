"""One fresh instance per request: a small interface and four ways to make the instance.

Every spawner turns one complete HTTP request (head + body bytes) into the response bytes the
`handler` workload wrote, and reports what isolating that one request cost, in ms by phase,
plus "total". Nothing here is shared between requests except what `prepare()` built once
(binary, compiled module, image).

- none:     no instance at all; the fixed 200 response — the front's own ceiling.
- native:   fork/exec of the static handler binary per request (classic CGI), stdin/stdout pipes.
- wasmtime: embedded wasmtime; a new Store + WASI context per request, instantiated from one
            InstancePre, pooling allocator when the raw bindings allow it.
- docker:   one hardened container per request from the FROM-scratch image, stdin attached.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path

from ..guests.catalogue import Workload, builtin_workloads
from ..errors import WasmscopeError, WorkloadError
from ..runtimes.processes import child_env

WORKLOAD = "handler"
BODY = b"hello from wasmscope\n"
FIXED_RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                  % len(BODY)) + BODY
DEFAULT_MEMORY_LIMIT_MIB = 64
MAX_RESPONSE_BYTES = 1 << 20  # a handler writing more than this is treated as broken
NAMES = ("none", "native", "wasmtime", "docker")



class SpawnerError(WasmscopeError):
    """One request's instance failed (crash, trap, timeout, engine error); one line, for a 502."""


def _ms(t0: int, t1: int) -> float:
    return (t1 - t0) * 1e-6


def _handler_workload() -> Workload:
    try:
        return builtin_workloads()[WORKLOAD]
    except KeyError:
        raise WorkloadError(f"the built-in catalogue has no {WORKLOAD!r} workload") from None


class Spawner(ABC):
    """Makes one isolated instance per request. Thread-safe: `handle` runs in K threads."""

    name: str = ""
    BLOCKING = True  # False: handle() is instant, the front may call it on its event loop

    def __init__(self, options: dict | None = None) -> None:
        self.options = dict(options or {})

    @abstractmethod
    def mode(self) -> str:
        """Plain words: how an instance is made and which features are really in use."""

    def prepare(self) -> None:
        """Untimed set-up: build the binary/image, compile the module."""

    @abstractmethod
    def handle(self, request: bytes, timeout_s: float) -> tuple[bytes, dict[str, float]]:
        """The response bytes and the per-request isolation cost in ms by phase, plus "total".

        Raises SpawnerError when the instance fails; the front answers 502.
        """

    def close(self) -> None:
        """Release everything (children reaped, containers removed)."""


# -- none ---------------------------------------------------------------------------------------

class NoneSpawner(Spawner):
    name = "none"
    BLOCKING = False

    def mode(self) -> str:
        return "no instance: the front answers the fixed 200 response itself (its own ceiling)"

    def handle(self, request: bytes, timeout_s: float) -> tuple[bytes, dict[str, float]]:
        return FIXED_RESPONSE, {"total": 0.0}


# -- native -------------------------------------------------------------------------------------

class NativeSpawner(Spawner):
    """Classic CGI: a new process per request. Option `binary` replaces the handler binary."""

    name = "native"

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.binary: Path | None = Path(self.options["binary"]) if self.options.get("binary") else None
        self._env = child_env()
        # async=1: asyncio subprocesses on the front's event loop instead of K threads
        self.use_async = str(self.options.get("async", "0")).lower() in ("1", "true", "yes", "y")

    def mode(self) -> str:
        what = f"{self.binary}" if self.options.get("binary") else "the static handler binary (clang -O2 -static)"
        how = ("asyncio subprocess on the event loop, pidfd child watcher" if self.use_async
               else "subprocess.Popen in a worker thread, vfork path: no preexec hook")
        return (f"fork/exec of {what} per request ({how}), request on a stdin pipe, response from "
                "a stdout pipe, process reaped before answering")

    def prepare(self) -> None:
        if self.binary is None:
            from ..guests.native_build import native_binary

            self.binary = Path(native_binary(_handler_workload()))
        if not os.access(self.binary, os.X_OK):
            raise WorkloadError(f"{self.binary}: not an executable file")

    def handle(self, request: bytes, timeout_s: float) -> tuple[bytes, dict[str, float]]:
        if self.binary is None:
            self.prepare()
        t0 = time.perf_counter_ns()
        try:
            proc = subprocess.Popen([str(self.binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=self._env, start_new_session=False)
        except OSError as err:
            raise self._cannot_start(err) from None
        t1 = time.perf_counter_ns()
        try:
            out, err = proc.communicate(request, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise _native_timed_out(timeout_s) from None
        return _native_answer(proc.returncode, out, err, t0, t1, time.perf_counter_ns())

    async def handle_async(self, request: bytes, timeout_s: float) -> tuple[bytes, dict[str, float]]:
        """The same on the caller's event loop (used by the front when `use_async`)."""
        import asyncio

        if self.binary is None:
            self.prepare()
        t0 = time.perf_counter_ns()
        try:
            proc = await asyncio.create_subprocess_exec(
                str(self.binary), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=self._env)
        except OSError as err:
            raise self._cannot_start(err) from None
        t1 = time.perf_counter_ns()
        try:
            out, err = await asyncio.wait_for(proc.communicate(request), timeout_s)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise _native_timed_out(timeout_s) from None
        return _native_answer(proc.returncode, out, err, t0, t1, time.perf_counter_ns())

    def _cannot_start(self, err: OSError) -> SpawnerError:
        return SpawnerError(f"cannot start {self.binary}: {err.strerror or err}")


def _native_timed_out(timeout_s: float) -> SpawnerError:
    return SpawnerError(f"handler (native) timed out after {timeout_s:g} s (killed)")


def _native_answer(returncode: int | None, out: bytes, err: bytes, t0: int, t1: int,
                   t2: int) -> tuple[bytes, dict[str, float]]:
    """The handler's response with its spawn/exit timings, or its failure as one line."""
    if returncode != 0:
        last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no stderr"]
        raise SpawnerError(f"handler (native) exited with code {returncode}: {last[0]}")
    return out, {"spawn": _ms(t0, t1), "exited": _ms(t1, t2), "total": _ms(t0, t2)}


# -- wasmtime -----------------------------------------------------------------------------------

class WasmtimeSpawner(Spawner):
    """Embedded wasmtime. Options: `pooling` (default True), `pool_slots`, `memory_limit_mib`,
    `module` (a .wasm path instead of the committed handler.wasm)."""

    name = "wasmtime"

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.memory_limit_mib = int(self.options.get("memory_limit_mib", DEFAULT_MEMORY_LIMIT_MIB))
        self.want_pooling = str(self.options.get("pooling", "1")).lower() not in ("0", "false", "no", "n")
        self.pool_slots = int(self.options.get("pool_slots", 256))
        self.pooling: bool = False
        self.pooling_reason = "not prepared yet"
        self.stdin_from = "not prepared yet"
        self._engine = None
        self._pre = None
        self._ticker = None
        self._tmp: Path | None = None
        self._stdin_bytes = None
        self._lock = threading.Lock()

    def mode(self) -> str:
        alloc = ("pooling allocator (raw bindings), "
                 f"{self.pool_slots} slots x {self.memory_limit_mib} MiB" if self.pooling
                 else f"on-demand allocator ({self.pooling_reason})")
        return (f"new Store + WASI context + InstancePre.instantiate per request; {alloc}; "
                f"module compiled once in-process (Cranelift) at prepare; stdin {self.stdin_from}; "
                "stdout captured by a callback; epoch deadline on; "
                f"store memory limit {self.memory_limit_mib} MiB")

    def _module_path(self) -> Path:
        if self.options.get("module"):
            return Path(self.options["module"])
        module = _handler_workload().module
        assert module is not None
        return module

    def prepare(self) -> None:
        with self._lock:
            if self._pre is not None:
                return
            import wasmtime

            from ..runtimes.wasmtime_embedded import _EpochTicker
            from . import wasmtime_raw

            path = self._module_path()
            if not path.is_file():
                raise WorkloadError(f"{path}: module file not found")
            cfg = wasmtime.Config()
            cfg.epoch_interruption = True
            self.pooling, self.pooling_reason = False, "pooling switched off by option"
            if self.want_pooling:
                try:
                    wasmtime_raw.enable_pooling(cfg, instances=self.pool_slots,
                                                max_memory_bytes=self.memory_limit_mib << 20)
                    self.pooling = True
                except (wasmtime_raw.RawBindingsUnavailable, ValueError) as err:
                    self.pooling_reason = f"pooling unavailable: {err}"
            engine = wasmtime.Engine(cfg)
            try:
                module = wasmtime.Module(engine, path.read_bytes())
            except wasmtime.WasmtimeError as err:
                raise WorkloadError(f"{path}: not a valid Wasm module: {str(err).strip().splitlines()[0]}") from None
            linker = wasmtime.Linker(engine)
            linker.define_wasi()
            self._pre = linker.instantiate_pre(module)
            self._engine = engine
            self._ticker = _EpochTicker(engine)
            # stdin from memory through the raw binding; else a file per request in the run's temp dir
            try:
                wasmtime_raw.set_stdin_bytes(wasmtime.WasiConfig(), b"probe")
                self._stdin_bytes = wasmtime_raw.set_stdin_bytes
                self.stdin_from = "from bytes in memory (wasi_config_set_stdin_bytes, raw binding)"
            except wasmtime_raw.RawBindingsUnavailable as err:
                from ..system.sessions import make_temp_dir

                self._tmp = make_temp_dir("stdin-")
                self._stdin_bytes = None
                self.stdin_from = f"from a file per request in {self._tmp} ({err})"

    def handle(self, request: bytes, timeout_s: float) -> tuple[bytes, dict[str, float]]:
        import wasmtime

        from ..runtimes.wasmtime_engine import EPOCH_TICK_S, first_error_line

        if self._pre is None:
            self.prepare()
        out = bytearray()
        stdin_file: Path | None = None
        t0 = time.perf_counter_ns()
        store = wasmtime.Store(self._engine)
        wasi = wasmtime.WasiConfig()
        wasi.argv = [WORKLOAD]
        if self._stdin_bytes is not None:
            self._stdin_bytes(wasi, request)
        else:
            fd, name = __import__("tempfile").mkstemp(dir=self._tmp)
            with os.fdopen(fd, "wb") as fh:
                fh.write(request)
            stdin_file = Path(name)
            wasi.stdin_file = name
        wasi.stdout_custom = out.extend
        store.set_wasi(wasi)
        store.set_limits(memory_size=self.memory_limit_mib << 20)
        store.set_epoch_deadline(max(1, int(timeout_s / EPOCH_TICK_S) + 1))
        try:
            try:
                instance = self._pre.instantiate(store)
            except wasmtime.WasmtimeError as err:
                raise SpawnerError(f"handler (wasmtime) cannot instantiate: {first_error_line(err)}") from None
            t1 = time.perf_counter_ns()
            code = 0
            try:
                with self._ticker:
                    instance.exports(store)["_start"](store)
            except wasmtime.ExitTrap as exc:
                code = exc.code
            except wasmtime.Trap as exc:
                if exc.trap_code == wasmtime.TrapCode.INTERRUPT:
                    raise SpawnerError(f"handler (wasmtime) timed out after {timeout_s:g} s "
                                       "(epoch deadline)") from None
                raise SpawnerError(f"handler (wasmtime) trapped: {first_error_line(exc)}") from None
            t2 = time.perf_counter_ns()
        finally:
            del store  # frees the pool slot now, not at the next GC
            if stdin_file is not None:
                stdin_file.unlink(missing_ok=True)
        if code != 0:
            raise SpawnerError(f"handler (wasmtime) exited with code {code}")
        return bytes(out), {"instantiate": _ms(t0, t1), "run": _ms(t1, t2), "total": _ms(t0, t2)}

    def close(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
        if self._tmp is not None:
            import shutil

            shutil.rmtree(self._tmp, ignore_errors=True)
        self._pre = None


# -- docker -------------------------------------------------------------------------------------

class DockerSpawner(Spawner):
    """One container per request, stdin attached. Option `memory_limit_mib`."""

    name = "docker"

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.memory_limit_mib = int(self.options.get("memory_limit_mib", DEFAULT_MEMORY_LIMIT_MIB))
        self._adapter = None
        self._image: str | None = None
        self._live: dict[str, object] = {}
        self._lock = threading.Lock()
        self._closed = False

    def mode(self) -> str:
        return ("one runc container per request (create, attach stdin/stdout, start, wait, remove) "
                "from the FROM-scratch image of the static handler binary; network none, read-only, "
                f"cap-drop ALL, no-new-privileges, memory limit {self.memory_limit_mib} MiB; "
                "request written to the attached stdin and half-closed, stdout demultiplexed")

    def prepare(self) -> None:
        from ..runtimes.docker_engine import DockerAdapter

        with self._lock:
            if self._image is not None:
                return
            if self._adapter is None:
                self._adapter = DockerAdapter({"memory_limit_mib": self.memory_limit_mib})
            self._image = self._adapter.image_for(_handler_workload())  # RuntimeUnavailable if no engine

    def handle(self, request: bytes, timeout_s: float) -> tuple[bytes, dict[str, float]]:
        if self._image is None:
            self.prepare()
        if self._closed:
            raise SpawnerError("the docker spawner is closed")
        api = self._adapter.client().api
        t0 = time.perf_counter_ns()
        try:  # the Docker adapter's own container (hardening, labels), stdin as `docker run -i`
            cid = self._adapter.create_container(_handler_workload(), stdin=True).id
        except Exception as err:
            raise SpawnerError(f"docker create failed: {_docker_line(err)}") from None
        with self._lock:
            self._live[cid] = True
        try:
            t1 = time.perf_counter_ns()
            try:
                sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
                raw = getattr(sock, "_sock", sock)
                api.start(cid)
            except Exception as err:
                raise SpawnerError(f"docker start failed: {_docker_line(err)}") from None
            t2 = time.perf_counter_ns()
            try:
                raw.settimeout(timeout_s)
                raw.sendall(request)
                raw.shutdown(socket.SHUT_WR)  # EOF on the container's stdin (stdin_once)
                out = _read_stdout(raw)
            except (OSError, ValueError) as err:
                raise SpawnerError(f"handler (docker) I/O failed: {err}") from None
            finally:
                try:
                    sock.close()
                finally:
                    if raw is not sock:
                        raw.close()
            try:
                status = api.wait(cid, timeout=max(1.0, timeout_s))
            except Exception as err:
                raise SpawnerError(f"handler (docker) did not exit: {_docker_line(err)}") from None
            t3 = time.perf_counter_ns()
            code = int(status.get("StatusCode", -1))
            if code != 0:
                raise SpawnerError(f"handler (docker) exited with code {code}")
        finally:
            t4a = time.perf_counter_ns()
            self._remove(api, cid)
            t4 = time.perf_counter_ns()
            self._adapter.forget(cid)
        return out, {"create": _ms(t0, t1), "start": _ms(t1, t2), "wait": _ms(t2, t3),
                     "remove": _ms(t4a, t4), "total": _ms(t0, t4)}

    def _remove(self, api, cid: str) -> None:
        try:
            api.remove_container(cid, force=True)
        except Exception as err:
            if "No such container" not in str(err) and "already in progress" not in str(err):
                raise SpawnerError(f"docker remove failed: {_docker_line(err)}") from None
        finally:
            with self._lock:
                self._live.pop(cid, None)

    def close(self) -> None:
        self._closed = True
        if self._adapter is None:
            return
        try:
            api = self._adapter.client().api
        except WasmscopeError:
            return
        for cid in list(self._live):
            try:
                self._remove(api, cid)
            except SpawnerError:
                pass
        self._adapter.close()




def _docker_line(err: BaseException) -> str:
    text = str(getattr(err, "explanation", None) or err).strip()
    return (text.splitlines()[0] if text else type(err).__name__)[:200]


def _recv_exact(raw: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = raw.recv(n - len(buf))
        if not chunk:
            return None if not buf else bytes(buf)
        buf += chunk
    return bytes(buf)


def _read_stdout(raw: socket.socket) -> bytes:
    """stdout of Docker's multiplexed attach stream (8-byte frame headers) until it ends."""
    out = bytearray()
    while True:
        header = _recv_exact(raw, 8)
        if header is None:
            return bytes(out)
        if len(header) < 8:
            raise ValueError("truncated frame header on the attach stream")
        stream, size = header[0], struct.unpack(">I", header[4:8])[0]
        payload = _recv_exact(raw, size) if size else b""
        if payload is None or len(payload) < size:
            raise ValueError("truncated frame on the attach stream")
        if stream == 1:
            out += payload
            if len(out) > MAX_RESPONSE_BYTES:
                raise ValueError(f"handler wrote more than {MAX_RESPONSE_BYTES} bytes")


# -- registry -----------------------------------------------------------------------------------

_SPAWNERS: dict[str, type[Spawner]] = {
    "none": NoneSpawner, "native": NativeSpawner, "wasmtime": WasmtimeSpawner, "docker": DockerSpawner,
}


def make_spawner(name: str, options: dict | None = None) -> Spawner:
    """The spawner called `name` ("none", "native", "wasmtime" or "docker")."""
    try:
        cls = _SPAWNERS[name]
    except KeyError:
        raise WorkloadError(f"unknown spawner {name!r} (known: {', '.join(NAMES)})") from None
    return cls(options)
