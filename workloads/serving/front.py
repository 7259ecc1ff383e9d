"""wasmscope's own small HTTP/1.1 front: one fresh instance per request behind keep-alive.

    python -m wasmscope.workloads.serving.front --spawner NAME --host 127.0.0.1 --port 0 \\
        --stats FILE [--workers K] [--option KEY=VALUE ...]

The front frames requests itself (head up to the blank line, then a Content-Length body) and
hands each complete request to `spawner.handle()`: blocking spawners in a pool of K threads
(native with `--option async=1`: asyncio subprocesses on the loop, at most K at a time).
It owns the connection: the handler's response gets `Connection: keep-alive` or `close`
added here. Requests it cannot frame (oversized head, chunked or bad Content-Length) get 400
and a close without reaching a spawner; a spawner error gets 502 with a one-line reason and
is counted. Prints `ready port=N` once listening, loopback only.

On SIGTERM/SIGINT: stop accepting, close idle connections, finish in-flight requests, close
the spawner (containers removed), write JSON stats to FILE, exit 0. Stats: spawner, mode,
requests, errors (502s), bad_requests (400s the front gave itself), and per phase the
isolation cost's count / median / p90 / p99 / min / max in ms (HdrHistogram, 3 digits).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from ..errors import WasmscopeError
from .spawners import NAMES, Spawner, SpawnerError, make_spawner

PROG = "wasmscope-front"
MAX_HEAD = 8192  # same limit as the handler
MAX_BODY = 1 << 20
DEFAULT_TIMEOUT_S = 30.0
DRAIN_TIMEOUT_S = 7.0  # below launch.STOP_GRACE_S, so containers are still removed


def default_workers(spawner: str) -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cpus)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PhaseHistogram:
    """Per-request cost of one phase: HdrHistogram in ns (3 significant digits, bounded memory)."""

    HIGHEST_NS = 3_600 * 10**9

    def __init__(self) -> None:
        from hdrh.histogram import HdrHistogram

        self.h = HdrHistogram(1, self.HIGHEST_NS, 3)

    def record(self, ms: float) -> None:
        self.h.record_value(min(self.HIGHEST_NS, max(1, int(ms * 1e6))))

    def summary(self) -> dict[str, float]:
        """count, median / p90 / p99 / min / max in ms (0.001 ms = 1 µs floor)."""
        n = self.h.get_total_count()
        if n == 0:
            return {"count": 0}
        ms = lambda ns: round(ns / 1e6, 4)  # noqa: E731
        return {"count": n, "median": ms(self.h.get_value_at_percentile(50)),
                "p90": ms(self.h.get_value_at_percentile(90)), "p99": ms(self.h.get_value_at_percentile(99)),
                "min": ms(self.h.get_min_value()), "max": ms(self.h.get_max_value())}


class BadRequest(Exception):
    pass


def _frame(head: bytes) -> tuple[int, bool]:
    """(body length, keep-alive) of a request head; BadRequest if it cannot be framed."""
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
        raise BadRequest("undecodable head") from None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest("bad request line")
    http10 = parts[2] == "HTTP/1.0"
    length, conn = 0, ""
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise BadRequest("bad header line")
        name, value = name.strip().lower(), value.strip()
        if name == "content-length":
            if not value.isdigit() or len(value) > 15:
                raise BadRequest("bad Content-Length")
            length = int(value)
        elif name == "transfer-encoding":
            raise BadRequest("Transfer-Encoding is not supported")
        elif name == "connection":
            conn = value.lower()
    if length > MAX_BODY:
        raise BadRequest(f"body larger than {MAX_BODY} bytes")
    tokens = {t.strip() for t in conn.split(",")}
    keep = "keep-alive" in tokens if http10 else "close" not in tokens
    return length, keep


def _simple(status: str, text: str) -> bytes:
    body = (text.replace("\r", " ").replace("\n", " ")[:300] + "\n").encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
            .encode() + body)


def with_connection(response: bytes, keep: bool) -> bytes:
    """The handler's response with our `Connection:` header after its status line."""
    end = response.find(b"\r\n")
    line = b"Connection: keep-alive\r\n" if keep else b"Connection: close\r\n"
    return response[: end + 2] + line + response[end + 2:]


class Front:
    def __init__(self, spawner: Spawner, workers: int, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.spawner = spawner
        self.workers = workers
        self.timeout_s = timeout_s
        self.use_async = bool(getattr(spawner, "use_async", False))
        self.pool = (ThreadPoolExecutor(max_workers=workers, thread_name_prefix="spawn")
                     if spawner.BLOCKING and not self.use_async else None)
        self.slots = asyncio.Semaphore(workers)  # bounds async spawners like the thread pool
        self.requests = 0
        self.errors = 0
        self.bad_requests = 0
        self.phases: dict[str, PhaseHistogram] = {}
        self.first_error: str | None = None
        self.t_first: float | None = None
        self.t_last: float | None = None
        self.conns: dict[asyncio.Task, list[bool]] = {}  # task -> [busy]
        self.stopping = False

    async def _call(self, request: bytes) -> tuple[bytes, dict[str, float]]:
        if self.use_async:
            async with self.slots:
                return await self.spawner.handle_async(request, self.timeout_s)
        if self.pool is None:
            return self.spawner.handle(request, self.timeout_s)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, self.spawner.handle, request, self.timeout_s)

    async def answer(self, request: bytes) -> bytes:
        now = time.monotonic()
        self.t_first = self.t_first if self.t_first is not None else now
        self.requests += 1
        try:
            response, phases = await self._call(request)
            if not response.startswith(b"HTTP/1.") or b"\r\n\r\n" not in response:
                raise SpawnerError(f"{self.spawner.name}: the handler wrote no HTTP response "
                                   f"({len(response)} bytes)")
        except Exception as err:  # SpawnerError, or a bug in a spawner: both a 502, counted
            self.errors += 1
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            self.first_error = self.first_error or reason
            response = _simple("502 Bad Gateway", reason)
        else:
            for phase, ms in phases.items():
                hist = self.phases.get(phase)
                if hist is None:
                    hist = self.phases[phase] = PhaseHistogram()
                hist.record(ms)
        self.t_last = time.monotonic()
        return response

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        state = [False]
        self.conns[task] = state
        try:
            while not self.stopping:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return  # the client closed between requests (or mid-head)
                except asyncio.LimitOverrunError:
                    self.bad_requests += 1
                    writer.write(with_connection(_simple("400 Bad Request", "request head too large"), False))
                    await writer.drain()
                    return
                state[0] = True
                try:
                    length, keep = _frame(head)
                except BadRequest as err:
                    self.bad_requests += 1
                    writer.write(with_connection(_simple("400 Bad Request", str(err)), False))
                    await writer.drain()
                    return
                try:
                    body = await reader.readexactly(length) if length else b""
                except asyncio.IncompleteReadError:
                    return
                response = await self.answer(head + body)
                keep = keep and not self.stopping
                writer.write(with_connection(response, keep))
                await writer.drain()
                state[0] = False
                if not keep:
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self.conns.pop(task, None)
            writer.close()

    async def drain(self) -> None:
        """Close idle connections; wait for the busy ones to finish their request."""
        self.stopping = True
        for task, state in list(self.conns.items()):
            if not state[0]:
                task.cancel()
        pending = [t for t in self.conns if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=DRAIN_TIMEOUT_S)

    def stats(self) -> dict:
        elapsed = (self.t_last - self.t_first) if self.t_first is not None and self.t_last else 0.0
        return {
            "spawner": self.spawner.name, "mode": self.spawner.mode(), "workers": self.workers,
            "concurrency": ("asyncio" if self.use_async else "inline" if self.pool is None else "threads"),
            "requests": self.requests, "errors": self.errors, "bad_requests": self.bad_requests,
            "first_error": self.first_error, "elapsed_s": round(elapsed, 6),
            "phases_ms": {k: v.summary() for k, v in sorted(self.phases.items())},
        }


async def serve(spawner: Spawner, host: str, port: int, workers: int, stats_path: str | None) -> int:
    loop = asyncio.get_running_loop()
    if getattr(spawner, "use_async", False) and sys.version_info < (3, 12) and hasattr(asyncio, "PidfdChildWatcher"):
        # 3.11's default child watcher starts one thread per child; pidfd waits on the loop itself
        watcher = asyncio.PidfdChildWatcher()
        asyncio.set_child_watcher(watcher)
        watcher.attach_loop(loop)
    front = Front(spawner, workers)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(front.connection, host, port, limit=MAX_HEAD,
                                        reuse_address=True, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"ready port={bound}", flush=True)
    await stop.wait()
    server.close()  # stop accepting
    await front.drain()
    await loop.run_in_executor(None, spawner.close)
    if stats_path:
        tmp = f"{stats_path}.tmp"
        with open(tmp, "w") as fh:
            json.dump(front.stats(), fh, indent=2)
        os.replace(tmp, stats_path)
    if front.pool is not None:  # a request past the drain timeout may still hold a thread
        front.pool.shutdown(wait=True, cancel_futures=True)
    return 0


def _options(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--option expects KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description="HTTP front: one fresh instance per request.")
    parser.add_argument("--spawner", required=True, choices=NAMES)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--stats", help="write JSON stats here on exit")
    parser.add_argument("--workers", type=int, help="threads running blocking spawners (default: CPUs)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="spawner option (e.g. pooling=0, binary=PATH, memory_limit_mib=N)")
    ns = parser.parse_args(argv)
    if not is_loopback(ns.host):
        print(f"{PROG}: refusing to listen on non-loopback host {ns.host!r} (use 127.0.0.1 or ::1)",
              file=sys.stderr)
        return 2
    if ns.workers is not None and ns.workers < 1:
        print(f"{PROG}: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        spawner = make_spawner(ns.spawner, _options(ns.option))
        spawner.prepare()
    except (WasmscopeError, ValueError) as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 3 if type(err).__name__ == "RuntimeUnavailable" else 1
    try:
        return asyncio.run(serve(spawner, ns.host, ns.port, ns.workers or default_workers(ns.spawner),
                                 ns.stats))
    except OSError as err:
        spawner.close()
        print(f"{PROG}: cannot listen on {ns.host}:{ns.port}: {err.strerror or err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
