"""Worker processes for in-process runtimes that cannot be interrupted (wasm3, wasmer-sdk).

wasm3 holds the GIL while Wasm runs and has no interrupt; wasmer-sdk's timeout returns but
leaves the guest spinning on a thread. So such a runtime runs in a child process that can be
killed: a warm *run worker* (started once, untimed, like importing wasmtime) that runs one
module per request and times the phases itself, and a one-shot *instance worker* per
long-running instance (`idle`), which can be sampled and stopped like any process.

Protocol of a run worker: one JSON request per line on its stdin, one JSON reply per line on
the stdout it had at start; the worker points fd 1 at stderr first, so nothing the runtime
prints from C can corrupt a reply. The parent side is `WarmWorker`; the child side is
`serve_requests`. The wasmer adapter uses both with its own handler.

    python -m wasmscope.workloads.runtimes.wasm3_worker serve [--stack-kib N]
    python -m wasmscope.workloads.runtimes.wasm3_worker run --module M [--name N] -- ARGS
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from typing import Callable, Sequence

from ..errors import GuestFailed, WorkloadError
from . import processes
from .base import RunResult

MAX_WORKER_RSS = 512 << 20  # pywasm3 never frees a Runtime (~200 KiB per hello run): restart past this


class WorkerTimeout(Exception):
    """The worker gave no reply before the deadline and has been killed."""


class WarmWorker:
    """Parent side of a run worker: started on first use, killed past a deadline or on close."""

    def __init__(self, argv: Sequence[str], what: str, *, start_timeout_s: float = 60.0) -> None:
        self.argv = list(argv)
        self.what = what
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen | None = None
        self._errlog = None
        self._buf = b""
        self.started = 0  # how many worker processes were started (tests, restarts)

    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def _last_stderr(self) -> str:
        if self._errlog is None:
            return ""
        try:
            self._errlog.seek(0)
            lines = [ln for ln in self._errlog.read().decode(errors="replace").splitlines() if ln.strip()]
        except (OSError, ValueError):
            return ""
        return lines[-1].strip() if lines else ""

    def ensure(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        self.kill()
        self._errlog = tempfile.TemporaryFile(prefix="wasmscope-worker-")
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errlog,
            env=processes.child_env(), preexec_fn=processes._die_with_parent, start_new_session=True)
        self.started += 1
        self._buf = b""
        try:
            hello = self._read_line(self.start_timeout_s)
        except WorkerTimeout:
            raise WorkloadError(f"{self.what} worker did not start within {self.start_timeout_s:g} s") from None
        if not hello.get("ready"):
            self.kill()
            raise WorkloadError(f"{self.what} worker failed to start: {hello.get('error', hello)}")

    def _read_line(self, timeout_s: float) -> dict:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout_s
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buf:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.kill()
                    raise WorkerTimeout()
                if not sel.select(timeout=remaining):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.proc.wait(timeout=5)
                    code = self.proc.returncode
                    last = self._last_stderr() or "no stderr"
                    self.kill()
                    why = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
                    raise WorkloadError(f"{self.what} worker {why}: {last}")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, request: dict, timeout_s: float) -> dict:
        """Send one request; its reply, or WorkerTimeout (worker killed) past `timeout_s`."""
        self.ensure()
        assert self.proc is not None and self.proc.stdin is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            last = self._last_stderr() or "no stderr"
            self.kill()
            raise WorkloadError(f"{self.what} worker died: {last}") from None
        reply = self._read_line(timeout_s)
        if reply.get("rss", 0) > MAX_WORKER_RSS:
            self.kill()  # the next call starts a fresh one
        return reply

    def kill(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                processes.terminate(self.proc, grace_s=0.0)
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None and not stream.closed:
                    try:
                        stream.close()
                    except OSError:
                        pass
            self.proc = None
        if self._errlog is not None:
            self._errlog.close()
            self._errlog = None


def worker_result(reply: dict, what: str) -> RunResult:
    """Parent side: a run worker's reply as the run's result, or its failure as one line."""
    if "error" in reply:
        raise WorkloadError(f"{what}: {reply['error']}")
    stdout, stderr, code = reply["stdout"], reply["stderr"], int(reply["code"])
    if reply.get("trap"):
        raise GuestFailed(f"{what} trapped: {reply['trap']}", exit_code=134, output=stdout + stderr)
    reason = reply.get("reason", "exited")  # a runtime that can end a guest otherwise says how
    if code != 0 or reason != "exited":
        last = stderr.strip().splitlines()[-1] if stderr.strip() else "no stderr"
        why = f"exited with code {code}" if reason == "exited" else f"was {reason}"
        raise GuestFailed(f"{what} {why}: {last}", exit_code=code, output=stdout + stderr)
    phases = {k: float(v) for k, v in reply["phases"].items()}
    return RunResult(0, stdout, stderr, sum(phases.values()), phases)


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def serve_requests(handle: Callable[[dict], dict], setup: Callable[[], None] | None = None) -> int:
    """Child side of a run worker: answer requests from stdin until it closes."""
    reply_fd = os.dup(1)
    os.dup2(2, 1)  # C code printing to stdout lands in stderr, not in a reply
    replies = os.fdopen(reply_fd, "w", buffering=1)
    try:
        if setup is not None:
            setup()
    except Exception as err:  # e.g. the runtime package is missing
        replies.write(json.dumps({"ready": False, "error": f"{type(err).__name__}: {err}"}) + "\n")
        return 3
    replies.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = handle(json.loads(line))
        except Exception as err:  # report it; the worker stays usable
            reply = {"error": f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"}
        reply["rss"] = _rss()
        replies.write(json.dumps(reply) + "\n")
    return 0


# -- wasm3 ------------------------------------------------------------------------------------

def _wasm3_request(stack_bytes: int) -> Callable[[dict], dict]:
    from . import wasm3 as adapter

    def handle(req: dict) -> dict:
        out, err = bytearray(), bytearray()
        result = adapter.run_module(req["module"], req["argv"], stdout=out.extend, stderr=err.extend,
                                    stdin=req.get("stdin", "").encode("latin-1"), stack_bytes=stack_bytes)
        return {"code": result.code, "trap": result.trap, "phases": result.phases,
                "stdout": out.decode(errors="replace"), "stderr": err.decode(errors="replace")}

    return handle


def _write_fd(fd: int) -> Callable[[bytes], None]:
    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]

    return write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wasmscope-wasm3-worker")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="a warm run worker (JSON lines)")
    serve.add_argument("--stack-kib", type=int, default=1024)
    run = sub.add_parser("run", help="run one long-running module with inherited stdio")
    run.add_argument("--module", required=True)
    run.add_argument("--name", default="guest")
    run.add_argument("--stack-kib", type=int, default=1024)
    run.add_argument("args", nargs="*")
    ns = parser.parse_args(argv)
    if ns.cmd == "serve":
        def setup() -> None:
            import wasm3  # noqa: F401  (fails here, once, when pywasm3 is missing)

        return serve_requests(_wasm3_request(ns.stack_kib << 10), setup)

    from . import wasm3 as adapter

    def announce() -> None:  # the Python + wasm3 host, before the instance exists
        print("wasmscope-host " + json.dumps({"rss": _rss()}), flush=True)

    result = adapter.run_module(ns.module, [ns.name, *ns.args], stdout=_write_fd(1), stderr=_write_fd(2),
                                stack_bytes=ns.stack_kib << 10, before_load=announce)
    if result.trap:
        print(f"trap: {result.trap}", file=sys.stderr)
    return result.code


if __name__ == "__main__":
    sys.exit(main())
