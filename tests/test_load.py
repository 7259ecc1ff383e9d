"""The HTTP load generator against real keep-alive servers on 127.0.0.1 (ephemeral ports).

Every server runs in a thread of the test process and is stopped after its test; every load
run is short (≤ 2 s measured) and bounded by run_load itself and by pytest-timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

import psutil
import pytest
import tomlkit

from wasmscope.workloads.errors import Cancelled, WasmscopeError
from wasmscope.workloads.load import LoadCancelled, LoadError, LoadSpec, LoadSummary, Tick, run_load
from wasmscope.workloads.load import runner as load_runner
from wasmscope.workloads.load.pinning import pin_process_tree, split_cores, usable_cpus
from wasmscope.workloads.load.runner import is_generator_bound
from wasmscope.workloads.load.wrk import find_wrk, parse_wrk_output, wrk_command

pytestmark = pytest.mark.timeout(60)

WRK_DATA = Path(__file__).parent / "data" / "wrk"
HAVE_WRK = find_wrk() is not None
NO_WRK = "wrk is not installed (apt-get install wrk; .ci/run installs it)"


# --- a small keep-alive HTTP/1.1 server --------------------------------------------------------

class Server:
    """asyncio keep-alive server in a thread. behaviour: ok | 500 | close (every 3rd request
    the connection is closed without an answer). stall(s) holds every answer for s seconds."""

    def __init__(self, behaviour: str = "ok") -> None:
        self.behaviour = behaviour
        self.count = 0
        self.stall_until = 0.0
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(5), "test server did not start"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()
        self.server.close()
        self.loop.run_until_complete(self.server.wait_closed())
        self.loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stall(self, seconds: float) -> None:
        self.stall_until = time.monotonic() + seconds

    async def _handle(self, reader, writer) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                self.count += 1
                wait = self.stall_until - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if self.behaviour == "close" and self.count % 3 == 0:
                    return
                if self.behaviour == "500":
                    writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops")
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


@pytest.fixture
def serve():
    servers: list[Server] = []

    def start(behaviour: str = "ok") -> Server:
        s = Server(behaviour)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- wrk output parser (real wrk 4.1 output) ---------------------------------------------------

def test_parse_wrk_plain_run():
    f = parse_wrk_output((WRK_DATA / "ok_t1_c8.txt").read_text())
    assert f["requests"] == 97525 and f["duration_s"] == 2.0
    assert f["rps"] == pytest.approx(48725.18)
    assert f["p50_ms"] == pytest.approx(0.136) and f["p90_ms"] == pytest.approx(0.239)
    assert f["p99_ms"] == pytest.approx(0.620) and f["max_ms"] == pytest.approx(3.18)
    assert f["p999_ms"] is None
    assert f["errors"] == 0 and f["timeouts"] == 0


def test_parse_wrk_socket_errors_and_non2xx():
    f = parse_wrk_output((WRK_DATA / "errors_non2xx.txt").read_text())
    # Socket errors: connect 0, read 5628, write 0, timeout 0 + Non-2xx or 3xx responses: 9849
    assert f["errors"] == 5628 + 9849 and f["timeouts"] == 0
    assert f["requests"] == 43621 and f["duration_s"] == pytest.approx(2.10)
    assert f["p90_ms"] == pytest.approx(0.87) and f["p99_ms"] == pytest.approx(3.66)
    assert f["max_ms"] == pytest.approx(9.35)


def test_parse_wrk_timeouts_and_second_units():
    f = parse_wrk_output((WRK_DATA / "timeouts.txt").read_text())
    assert f["timeouts"] == 8 and f["errors"] == 0 and f["requests"] == 2396
    g = parse_wrk_output((WRK_DATA / "seconds_units.txt").read_text())
    assert g["p50_ms"] == pytest.approx(0.112)
    assert g["p90_ms"] == pytest.approx(934.23) and g["p99_ms"] == pytest.approx(1180.0)
    assert g["max_ms"] == pytest.approx(1200.0)


def test_parse_wrk_rejects_other_text():
    with pytest.raises(ValueError, match="not a wrk report: unable to connect"):
        parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_wrk_command_whole_seconds_and_threads():
    spec = LoadSpec(connections=8, duration_s=1.2, timeout_s=0.5)
    argv = wrk_command("http://127.0.0.1:1/", spec, threads=1, wrk="wrk")
    assert argv == ["wrk", "-t1", "-c8", "-d2s", "--timeout", "1s", "--latency",
                    "http://127.0.0.1:1/"]
    assert wrk_command("http://127.0.0.1:1/", LoadSpec(connections=2), 8, wrk="wrk")[1] == "-t2"


@pytest.mark.skipif(not HAVE_WRK, reason=NO_WRK)
def test_wrk_live_counts_requests_and_errors(serve):
    ok, bad = serve("ok"), serve("500")
    spec = LoadSpec(generator="wrk", connections=4, duration_s=1, warmup_s=0, timeout_s=1)
    s = run_load(ok.url, spec)
    assert s.generator.startswith("wrk ") and s.mode == "closed"
    assert s.requests > 100 and s.rps > 100 and s.errors == 0
    assert s.p50_ms is not None and s.p50_ms <= s.p90_ms <= s.p99_ms <= s.max_ms
    assert s.p999_ms is None
    assert s.generator_cpu_pct is not None and s.generator_cpu_pct > 0
    b = run_load(bad.url, spec)
    assert b.requests > 0 and b.errors == b.requests


@pytest.mark.skipif(not HAVE_WRK, reason=NO_WRK)
def test_wrk_live_connection_refused_is_a_load_error():
    spec = LoadSpec(generator="wrk", connections=2, duration_s=1, warmup_s=0)
    with pytest.raises(LoadError, match="unable to connect"):
        run_load(f"http://127.0.0.1:{free_port()}/", spec)


# --- built-in generator: closed loop ----------------------------------------------------------

def test_builtin_closed_loop_counts_requests(serve):
    srv = serve("ok")
    ticks: list[Tick] = []
    spec = LoadSpec(generator="builtin", connections=4, duration_s=1.0, warmup_s=0.3)
    s = run_load(srv.url, spec, on_tick=ticks.append)
    assert s.generator == "builtin (asyncio)" and s.mode == "closed" and s.rate is None
    assert s.requests > 100 and s.rps > 100 and s.errors == 0 and s.timeouts == 0
    assert s.requests <= srv.count  # warm-up requests reached the server but are not counted
    assert s.duration_s == pytest.approx(1.0, abs=0.3)
    assert s.rps == pytest.approx(s.requests / s.duration_s)
    assert 0 < s.p50_ms <= s.p90_ms <= s.p99_ms <= s.p999_ms <= s.max_ms
    assert len(ticks) == 2 and ticks[-1].elapsed_s == pytest.approx(1.0, abs=0.1)
    assert all(t.rps > 0 and t.p99_ms is not None and t.errors == 0 for t in ticks)


def test_builtin_counts_500_answers_as_errors(serve):
    srv = serve("500")
    ticks: list[Tick] = []
    s = run_load(srv.url, LoadSpec(generator="builtin", connections=2, duration_s=1.0,
                                   warmup_s=0), on_tick=ticks.append)
    assert s.requests > 0 and s.errors == s.requests
    assert sum(t.errors for t in ticks) > 0


def test_builtin_counts_closed_connections_as_errors(serve):
    srv = serve("close")
    s = run_load(srv.url, LoadSpec(generator="builtin", connections=2, duration_s=1.0,
                                   warmup_s=0))
    # every third request is answered by a hang-up: about half as many errors as answers
    assert s.requests > 10 and s.errors > 0
    assert s.errors == pytest.approx(s.requests / 2, rel=0.3)


def test_builtin_connection_refused_counts_errors():
    s = run_load(f"http://127.0.0.1:{free_port()}/",
                 LoadSpec(generator="builtin", connections=2, duration_s=0.5, warmup_s=0))
    assert s.requests == 0 and s.errors > 0 and s.p99_ms is None and s.rps == 0


# --- fixed rate: coordinated omission ---------------------------------------------------------

def _stall_during(srv: Server, after_s: float, seconds: float) -> threading.Timer:
    t = threading.Timer(after_s, srv.stall, args=(seconds,))
    t.start()
    return t


def test_fixed_rate_counts_a_stall_that_closed_loop_hides(serve):
    srv = serve("ok")
    rate, duration = 100.0, 2.0
    fixed = LoadSpec(mode="fixed-rate", rate=rate, connections=4, duration_s=duration,
                     warmup_s=0.5)
    timer = _stall_during(srv, 1.0, 1.0)   # inside the measured part (warm-up + start-up < 1 s)
    try:
        f = run_load(srv.url, fixed)
    finally:
        timer.cancel()
    assert f.mode == "fixed-rate" and f.rate == rate and f.generator == "builtin (asyncio)"
    # the stall delayed ~rate x 1 s requests by up to 1 s, measured from their intended time
    assert f.p99_ms >= 900, f
    # about half the requests were due during the stall, waiting 0..1 s: p90 is high too
    # (latency from the actual send time would give only one slow request per connection)
    assert f.p90_ms >= 500, f
    assert f.requests == pytest.approx(rate * duration, rel=0.05), f
    assert f.errors == 0 and f.timeouts == 0

    closed = LoadSpec(mode="closed", generator="builtin", connections=4, duration_s=duration,
                      warmup_s=0.5)
    timer = _stall_during(srv, 1.0, 1.0)
    try:
        c = run_load(srv.url, closed)
    finally:
        timer.cancel()
    # closed loop: only one request per connection waited; the percentiles hide the stall
    assert c.max_ms >= 900, c          # the stall happened during this run too
    assert c.requests > 10 * f.requests
    assert c.p99_ms < 100, c
    assert f.p99_ms > 10 * c.p99_ms


def test_fixed_rate_without_stall_keeps_the_rate(serve):
    srv = serve("ok")
    ticks: list[Tick] = []
    s = run_load(srv.url, LoadSpec(mode="fixed-rate", rate=200, connections=4, duration_s=1.0,
                                   warmup_s=0.2), on_tick=ticks.append)
    assert s.requests == pytest.approx(200, rel=0.05) and s.rps == pytest.approx(200, rel=0.1)
    assert s.p99_ms < 100 and s.errors == 0
    assert [round(t.elapsed_s * 2) for t in ticks] == [1, 2]
    assert all(t.rps == pytest.approx(200, rel=0.25) for t in ticks)


# --- pinning and CPU --------------------------------------------------------------------------

def _find_child(marker: str, deadline_s: float = 5.0) -> psutil.Process:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        for c in psutil.Process().children(recursive=True):
            try:
                if any(marker in part for part in c.cmdline()):
                    return c
            except psutil.Error:
                continue
        time.sleep(0.02)
    raise AssertionError(f"no child process running {marker}")


@pytest.mark.parametrize("generator", ["builtin", "wrk"])
def test_generator_runs_on_the_given_cores(serve, generator):
    if generator == "wrk" and not HAVE_WRK:
        pytest.skip(NO_WRK)
    srv = serve("ok")
    cpu = max(usable_cpus())
    spec = LoadSpec(generator=generator, connections=2, duration_s=1.5, warmup_s=0)
    out: dict = {}
    th = threading.Thread(target=lambda: out.update(s=run_load(srv.url, spec, cpus={cpu})))
    th.start()
    try:
        child = _find_child("wasmscope.workloads.load.builtin" if generator == "builtin" else "wrk")
        time.sleep(0.3)   # wrk has started its threads by now
        cmdline = child.cmdline()
        affinities = {tid: os.sched_getaffinity(tid) for tid in
                      (int(t) for t in os.listdir(f"/proc/{child.pid}/task"))}
    finally:
        th.join(15)
    assert not th.is_alive()
    assert affinities and all(a == {cpu} for a in affinities.values()), affinities
    s = out["s"]
    assert s.generator_cpus == [cpu]
    assert s.generator_cpu_pct is not None and s.generator_cpu_pct > 0
    assert s.generator_bound == is_generator_bound(s.generator_cpu_pct, 1)
    if generator == "wrk":
        assert "-t1" in cmdline   # one core, one wrk thread


def test_generator_bound_rule():
    assert is_generator_bound(95.0, 1) and not is_generator_bound(85.0, 1)
    assert is_generator_bound(181.0, 2) and not is_generator_bound(150.0, 2)
    assert not is_generator_bound(None, 1)


def test_builtin_bound_is_judged_against_one_core(serve, monkeypatch):
    """The built-in generator is one thread: 95 % of one core is bound even with 2 cores."""
    srv = serve("ok")
    seen = {}
    real = load_runner.is_generator_bound

    def spy(pct, cores):
        seen["cores"] = cores
        return real(pct, cores)

    monkeypatch.setattr(load_runner, "is_generator_bound", spy)
    cpus = usable_cpus()
    run_load(srv.url, LoadSpec(generator="builtin", connections=1, duration_s=0.5, warmup_s=0),
             cpus=cpus)
    assert seen["cores"] == 1


def test_split_cores(monkeypatch):
    split = split_cores()
    if len(usable_cpus()) < 2:
        assert split is None
    else:
        server, gen = split
        assert server and gen and not server & gen and server | gen == usable_cpus()
    from wasmscope.workloads.load import pinning
    monkeypatch.setattr(pinning, "usable_cpus", lambda: {3})
    assert pinning.split_cores() is None
    monkeypatch.setattr(pinning, "usable_cpus", lambda: set(range(8)))
    assert pinning.split_cores() == (set(range(6)), {6, 7})


def test_pin_process_tree_pins_threads_and_children():
    cpu = max(usable_cpus())
    code = ("import threading, subprocess, time, sys\n"
            "threading.Thread(target=time.sleep, args=(10,), daemon=True).start()\n"
            "p = subprocess.Popen(['sleep', '10'])\n"
            "print('ready', flush=True)\n"
            "time.sleep(10)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        pin_process_tree(proc.pid, {cpu})
        tids = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task")]
        assert len(tids) >= 2
        assert all(os.sched_getaffinity(t) == {cpu} for t in tids)
        kids = psutil.Process(proc.pid).children(recursive=True)
        assert kids and all(os.sched_getaffinity(k.pid) == {cpu} for k in kids)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait(5)


# --- bounds and cancel ------------------------------------------------------------------------

def test_cancel_kills_the_generator(serve):
    srv = serve("ok")
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    t0 = time.monotonic()
    with pytest.raises(LoadCancelled, match="^cancelled$") as exc:
        run_load(srv.url, LoadSpec(generator="builtin", connections=2, duration_s=10,
                                   warmup_s=0), cancel=cancel)
    assert time.monotonic() - t0 < 3
    assert isinstance(exc.value, LoadError) and isinstance(exc.value, Cancelled)
    time.sleep(0.1)
    assert not [c for c in psutil.Process().children(recursive=True)
                if "wasmscope.workloads.load.builtin" in " ".join(c.cmdline())]


def test_overrunning_generator_is_killed(serve, monkeypatch):
    srv = serve("ok")
    # limit = warm-up + duration + timeout + GRACE_S + 3 s of start-up; make it ~0.5 s
    monkeypatch.setattr(load_runner, "GRACE_S", -4.5 - 1.0)
    t0 = time.monotonic()
    with pytest.raises(LoadError, match="still running .* killed"):
        run_load(srv.url, LoadSpec(generator="builtin", connections=1, duration_s=2.0,
                                   warmup_s=0, timeout_s=1.0))
    assert time.monotonic() - t0 < 2


# --- invalid requests -------------------------------------------------------------------------

URL = "http://127.0.0.1:9/"


@pytest.mark.parametrize("url, spec, message", [
    (URL, LoadSpec(mode="fixed-rate"), "rate: fixed-rate mode needs a rate > 0 (requests/s), got None"),
    (URL, LoadSpec(mode="fixed-rate", rate=-5), "rate: fixed-rate mode needs a rate > 0"),
    (URL, LoadSpec(connections=0), "connections: expected an integer >= 1, got 0"),
    (URL, LoadSpec(mode="open"), "mode: expected 'closed' or 'fixed-rate', got 'open'"),
    (URL, LoadSpec(duration_s=0), "duration_s: expected a number of seconds > 0, got 0"),
    (URL, LoadSpec(generator="ab"), "generator: expected 'auto', 'wrk' or 'builtin', got 'ab'"),
    (URL, LoadSpec(mode="fixed-rate", rate=10, generator="wrk"), "generator: wrk has no fixed-rate mode"),
    ("http://example.com/", LoadSpec(), "url: expected http://127.0.0.1:PORT/ or http://localhost:PORT/ (loopback only), got 'http://example.com/'"),
    ("https://127.0.0.1:8443/", LoadSpec(), "url: expected http://127.0.0.1:PORT/"),
    ("http://10.0.0.1:80/", LoadSpec(), "url: expected"),
    ("127.0.0.1:80", LoadSpec(), "url: expected"),
])
def test_bad_specs_raise_one_line_load_errors(url, spec, message):
    with pytest.raises(LoadError) as exc:
        run_load(url, spec)
    text = str(exc.value)
    assert text.startswith(message) and "\n" not in text
    assert isinstance(exc.value, WasmscopeError)


def test_wrk_requested_but_missing(monkeypatch):
    monkeypatch.setattr(load_runner, "find_wrk", lambda: None)
    with pytest.raises(LoadError, match=r"^generator: wrk requested but not installed"):
        run_load(URL, LoadSpec(generator="wrk"))
    # auto falls back to the built-in generator
    assert load_runner.choose_generator(LoadSpec()) == "builtin"


def test_auto_picks_builtin_for_fixed_rate():
    assert load_runner.choose_generator(LoadSpec(mode="fixed-rate", rate=5)) == "builtin"
    if HAVE_WRK:
        assert load_runner.choose_generator(LoadSpec()) == "wrk"


def test_bad_cpus():
    with pytest.raises(LoadError, match=r"^cpus: expected a non-empty subset of the usable cores"):
        run_load(URL, LoadSpec(), cpus={10_000})
    with pytest.raises(LoadError, match=r"^cpus: "):
        run_load(URL, LoadSpec(), cpus=set())


# --- summary ----------------------------------------------------------------------------------

def test_summary_round_trips_through_json_and_toml():
    s = LoadSummary(generator="wrk 4.1.0", mode="closed", connections=8, duration_s=2.0,
                    rate=None, requests=100, errors=1, timeouts=0, rps=50.0, p50_ms=0.1,
                    p90_ms=0.2, p99_ms=0.6, p999_ms=None, max_ms=3.2, generator_cpu_pct=48.9,
                    generator_cpus=[1], generator_bound=False)
    d = s.to_dict()
    assert "rate" not in d and "p999_ms" not in d   # None values are omitted
    assert LoadSummary.from_dict(json.loads(json.dumps(d))) == s
    assert LoadSummary.from_dict(tomllib.loads(tomlkit.dumps(d))) == s
    with pytest.raises(ValueError, match="unknown field"):
        LoadSummary.from_dict({**d, "bogus": 1})


def test_load_package_does_not_import_textual():
    code = ("import sys, wasmscope.workloads.load, wasmscope.workloads.load.builtin; "
            "assert 'textual' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
