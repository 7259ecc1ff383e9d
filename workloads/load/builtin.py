"""The built-in load generator: asyncio, raw keep-alive HTTP/1.1, HdrHistogram in µs.

Run as a child process by `run_load` (``python -m wasmscope.workloads.load.builtin URL ...``);
it prints JSON lines on stdout: ``{"type": "start"}`` when the warm-up ends,
``{"type": "tick", ...}`` every 0.5 s of the measured part, and one ``{"type": "summary", ...}``.

Two modes:

* closed: `connections` connections, each sends its next request when the previous answer
  has arrived; latency = answer time - send time.
* fixed-rate (the wrk2 method): request i has the intended send time t0 + i/rate, and
  connection c carries requests c, c+N, c+2N, ... . A connection still busy with a slow answer
  sends its next request late, and latency = answer time - INTENDED send time, so the waiting
  is counted (coordinated omission cannot hide a stall).

Requests whose (intended) send time falls in the warm-up are not recorded. At the end no new
request is sent; requests already in flight finish (each bounded by the timeout) and count.
Requests scheduled but never sent because their connection was still busy at the end are not
counted. Errors: connect/read/write failures and non-2xx answers (the latter also count as
requests); timeouts are counted apart and the connection is reopened.

uvloop is not used: it is not installed here, and the generator's own CPU is reported anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hdrh.histogram import HdrHistogram

TICK_S = 0.5
_HIST_MAX_US = 3_600_000_000  # one hour
_BACKOFF_S = 0.01             # after a failed connect, so a dead server is not hammered


def _hist() -> HdrHistogram:
    return HdrHistogram(1, _HIST_MAX_US, 3)


@dataclass
class _Stats:
    hist: HdrHistogram = field(default_factory=_hist)
    tick_hist: HdrHistogram = field(default_factory=_hist)
    requests: int = 0
    errors: int = 0
    timeouts: int = 0
    tick_requests: int = 0
    tick_errors: int = 0

    def record(self, latency_s: float, ok: bool) -> None:
        us = min(max(1, int(latency_s * 1e6)), _HIST_MAX_US)
        self.hist.record_value(us)
        self.tick_hist.record_value(us)
        self.requests += 1
        self.tick_requests += 1
        if not ok:
            self.errors += 1
            self.tick_errors += 1

    def error(self, timeout: bool = False) -> None:
        if timeout:
            self.timeouts += 1
        else:
            self.errors += 1
        self.tick_errors += 1


class _Conn:
    """One keep-alive connection; reopened after any failure."""

    def __init__(self, host: str, port: int, request: bytes) -> None:
        self.host, self.port, self.request = host, port, request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def exchange(self) -> int:
        """Send one request and read the whole answer; return its status code."""
        if self.writer is None:
            try:
                await self._connect()
            except OSError as e:
                raise ConnectionError(f"connect: {e}") from e
        assert self.reader is not None and self.writer is not None
        self.writer.write(self.request)
        await self.writer.drain()
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("closed by server")
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ConnectionError(f"bad status line {line[:40]!r}")
        status = int(parts[1])
        length = 0
        close = parts[0] == b"HTTP/1.0"
        while True:
            h = await self.reader.readline()
            if not h:
                raise ConnectionError("closed in headers")
            if h in (b"\r\n", b"\n"):
                break
            name, _, value = h.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value.strip())
            elif name == b"connection":
                v = value.strip().lower()
                close = v == b"close" or (close and v != b"keep-alive")
            elif name == b"transfer-encoding":
                raise ConnectionError("chunked answers are not supported")
        if length:
            await self.reader.readexactly(length)
        if close:
            self.close()
        return status


def _request_bytes(url: str) -> tuple[str, int, bytes]:
    u = urlsplit(url)
    host = u.hostname or "127.0.0.1"
    port = u.port or 80
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    hosthdr = f"[{host}]" if ":" in host else host
    req = (f"GET {path} HTTP/1.1\r\nHost: {hosthdr}:{port}\r\n"
           "User-Agent: wasmscope-load\r\n\r\n").encode()
    return host, port, req


async def _one(conn: _Conn, stats: _Stats | None, timeout_s: float, since: float) -> None:
    """One request on `conn`; latency measured from `since` (send time or intended time)."""
    try:
        status = await asyncio.wait_for(conn.exchange(), timeout_s)
    except asyncio.TimeoutError:
        conn.close()
        if stats is not None:
            stats.error(timeout=True)
        return
    except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError) as e:
        conn.close()
        if stats is not None:
            stats.error()
        if isinstance(e, ConnectionError) and str(e).startswith("connect"):
            await asyncio.sleep(_BACKOFF_S)
        return
    if stats is not None:
        stats.record(time.perf_counter() - since, 200 <= status < 300)


async def _closed_worker(conn: _Conn, stats: _Stats, t_measure: float, t_end: float,
                         timeout_s: float) -> None:
    while True:
        t_send = time.perf_counter()
        if t_send >= t_end:
            return
        await _one(conn, stats if t_send >= t_measure else None, timeout_s, t_send)


async def _rate_worker(conn: _Conn, stats: _Stats, index: int, n_conns: int, rate: float,
                       t0: float, t_measure: float, t_end: float, timeout_s: float) -> None:
    i = index
    while True:
        intended = t0 + i / rate
        if intended >= t_end:
            return
        now = time.perf_counter()
        if intended > now:
            await asyncio.sleep(intended - now)
        elif now >= t_end:
            return  # scheduled, never sent: the run is over
        await _one(conn, stats if intended >= t_measure else None, timeout_s, intended)
        i += n_conns


def _pct(h: HdrHistogram, p: float) -> float | None:
    return h.get_value_at_percentile(p) / 1000.0 if h.get_total_count() else None


def _emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def run(url: str, mode: str, connections: int, duration_s: float, warmup_s: float,
              rate: float | None, timeout_s: float, emit=_emit) -> dict:
    """Run the load in this event loop; emit start/tick lines; return the summary dict."""
    host, port, req = _request_bytes(url)
    stats = _Stats()
    conns = [_Conn(host, port, req) for _ in range(connections)]
    t0 = time.perf_counter()
    t_measure = t0 + warmup_s
    t_end = t_measure + duration_s
    if mode == "closed":
        workers = [_closed_worker(c, stats, t_measure, t_end, timeout_s) for c in conns]
    else:
        assert rate and rate > 0
        workers = [_rate_worker(c, stats, k, connections, rate, t0, t_measure, t_end, timeout_s)
                   for k, c in enumerate(conns)]
    tasks = [asyncio.ensure_future(w) for w in workers]

    async def ticker() -> None:
        await asyncio.sleep(max(0.0, t_measure - time.perf_counter()))
        emit({"type": "start"})
        stats.tick_hist.reset()
        stats.tick_requests = stats.tick_errors = 0
        last = time.perf_counter()
        while last < t_end - 1e-3:
            await asyncio.sleep(max(0.0, min(last + TICK_S, t_end) - time.perf_counter()))
            now = time.perf_counter()
            emit({"type": "tick", "elapsed_s": round(now - t_measure, 3),
                  "rps": stats.tick_requests / (now - last) if now > last else 0.0,
                  "p99_ms": _pct(stats.tick_hist, 99.0), "errors": stats.tick_errors})
            stats.tick_hist.reset()
            stats.tick_requests = stats.tick_errors = 0
            last = now

    tick_task = asyncio.ensure_future(ticker())
    try:
        await asyncio.gather(*tasks)
        await tick_task
    finally:
        for t in tasks + [tick_task]:
            t.cancel()
        for c in conns:
            c.close()
    measured = max(1e-9, time.perf_counter() - t_measure)
    h = stats.hist
    return {
        "type": "summary",
        "generator": "builtin (asyncio)", "mode": mode, "connections": connections,
        "duration_s": measured, "rate": rate if mode == "fixed-rate" else None,
        "requests": stats.requests, "errors": stats.errors, "timeouts": stats.timeouts,
        "rps": stats.requests / measured,
        "p50_ms": _pct(h, 50.0), "p90_ms": _pct(h, 90.0), "p99_ms": _pct(h, 99.0),
        "p999_ms": _pct(h, 99.9),
        "max_ms": h.get_max_value() / 1000.0 if h.get_total_count() else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m wasmscope.workloads.load.builtin")
    ap.add_argument("url")
    ap.add_argument("--mode", choices=("closed", "fixed-rate"), default="closed")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=None)
    ap.add_argument("--timeout", type=float, default=2.0)
    a = ap.parse_args(argv)
    if a.mode == "fixed-rate" and not (a.rate and a.rate > 0):
        ap.error("--rate > 0 is needed in fixed-rate mode")
    summary = asyncio.run(run(a.url, a.mode, a.connections, a.duration, a.warmup, a.rate,
                              a.timeout))
    _emit(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
