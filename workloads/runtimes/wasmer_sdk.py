"""Wasmer through PyPI `wasmer-sdk` (0.5.x): a raw WASI module run in a Wasmer sandbox, in process.

Not the old `wasmer` package (no Python 3.11 build). The SDK is async; its native library
(~100 MB) embeds Wasmer with the Cranelift compiler (no Singlepass or LLVM in this wheel) and
WASIX. A raw `.wasm` given as bytes becomes a package with one command; `cache_root` keeps
compiled artifacts on disk (wasmscope's cache dir), so after the first run a module is loaded,
not compiled. Everything runs offline: nothing is fetched from the Wasmer registry.

The SDK's own timeout returns control but leaves the guest spinning on one of its threads, so
runs happen in a warm worker process (started once, untimed) that is killed at the deadline;
phases load (package from the module bytes: compile or cached artifact) / sandbox / run are
timed inside it. Long-running instances get their own worker process.

    python -m wasmscope.workloads.runtimes.wasmer_sdk serve --cache-root DIR
    python -m wasmscope.workloads.runtimes.wasmer_sdk run --module M --cache-root DIR -- ARGS
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from importlib.metadata import PackageNotFoundError, version as _dist_version
from pathlib import Path
from typing import Sequence

from ..guests.catalogue import Workload
from ..errors import GuestTimeout
from ..guests.module_check import PREVIEW0, PREVIEW1, WASIX
from . import processes
from .base import Availability, Instance, RunResult, WasmModuleAdapter
from .options import Option
from .wasm3_worker import WarmWorker, WorkerTimeout, serve_requests, worker_result

PIP_HINT = "run `wasmscope doctor --fix`, or: pip install 'wasmscope[wasmer]'  (or: pip install 'wasmer-sdk>=0.5,<0.6')"
MODULE = "wasmscope.workloads.runtimes.wasmer_sdk"
GRACE_S = 2.0  # past the SDK's own timeout before the worker is killed from outside


def _sdk_version() -> str | None:
    try:
        return _dist_version("wasmer-sdk")
    except PackageNotFoundError:
        return None


def trap_line(message: str) -> str:
    """'command execution failed: RuntimeError: unreachable\\n    at ...' → 'unreachable'."""
    line = message.strip().splitlines()[0] if message.strip() else "trap"
    for prefix in ("command execution failed:", "RuntimeError:"):
        line = line.strip()
        if line.startswith(prefix):
            line = line[len(prefix):]
    return line.strip() or "trap"


def cache_root() -> Path:
    """Where compiled artifacts live: `wasmer-sdk/` in wasmscope's cache dir."""
    from ..system.paths import cache_dir, cache_writes

    path = cache_dir() / "wasmer-sdk"
    if not path.is_dir():
        with cache_writes("Wasmer's artifact cache"):
            path.mkdir(parents=True, exist_ok=True)
    return path


# -- worker side (runs in the child process) ------------------------------------------------------

class _Host:
    """The Wasmer client(s) of one worker process, on one event loop.

    With the cache on, one client for the worker's life (its artifact cache on disk and in
    memory). With it off, a fresh client on a fresh, empty cache root per request (created
    before the clock starts), so every run compiles.
    """

    def __init__(self, root: str | None) -> None:
        import asyncio

        from wasmer_sdk import Wasmer

        self.loop = asyncio.new_event_loop()
        self.wasmer = Wasmer(cache_root=root) if root else None

    def handle(self, req: dict) -> dict:
        if self.wasmer is not None:
            return self.loop.run_until_complete(self._run(self.wasmer, req))
        import shutil

        from wasmer_sdk import Wasmer

        from ..system.sessions import make_temp_dir

        root = str(make_temp_dir("wasmer-nocache-"))  # the run's session dir: a kill -9 leaves it to the next run
        wasmer = Wasmer(cache_root=root)
        try:
            return self.loop.run_until_complete(self._run(wasmer, req))
        finally:
            if not req.get("keep"):
                self.loop.run_until_complete(wasmer.close())
            shutil.rmtree(root, ignore_errors=True)

    async def _run(self, wasmer, req: dict) -> dict:
        from wasmer_sdk import ExitReason, WasmerError

        t0 = time.perf_counter_ns()
        pkg = await wasmer.packages.load(Path(req["module"]).read_bytes())
        t1 = time.perf_counter_ns()
        sandbox = await wasmer.sandboxes.create(packages=[pkg])
        t2 = time.perf_counter_ns()
        try:
            command = sandbox.command(pkg, req["args"], env=req.get("env") or None)
            stdin = req["stdin"].encode("latin-1") if "stdin" in req else None
            out = await command.run(stdin=stdin, check=False, timeout=req["timeout_s"])
        except WasmerError as err:  # a trap, or a module it cannot start
            await sandbox.close()
            if "unable to spawn the command" in str(err):
                return {"error": trap_line(str(err)).replace("unable to spawn the command: ", "")}
            return {"trap": trap_line(str(err)), "code": 134, "stdout": "", "stderr": ""}
        t3 = time.perf_counter_ns()
        if out.reason is ExitReason.TIMEOUT:
            req["keep"] = True  # the guest still spins on a thread: the parent kills this worker
        else:
            await sandbox.close()
        ms = 1e-6
        return {"code": out.exit_code, "reason": out.reason.value,
                "stdout": out.stdout.bytes.decode(errors="replace"),
                "stderr": out.stderr.bytes.decode(errors="replace"),
                "phases": {"load": (t1 - t0) * ms, "sandbox": (t2 - t1) * ms, "run": (t3 - t2) * ms}}


async def _run_instance(root: str, module: str, args: list[str]) -> int:
    """Long-running: announce the host's RSS, then forward the guest's stdout line by line."""
    import psutil
    from wasmer_sdk import Wasmer

    wasmer = Wasmer(cache_root=root)
    pkg = await wasmer.packages.load(Path(module).read_bytes())
    sandbox = await wasmer.sandboxes.create(packages=[pkg])
    print("wasmscope-host " + json.dumps({"rss": psutil.Process().memory_info().rss}), flush=True)
    proc = await sandbox.command(pkg, args).spawn(stdout="pipe", stderr="pipe")
    assert proc.stdout is not None
    async for chunk in proc.stdout:
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
    out = await proc.wait()
    sys.stderr.buffer.write(out.stderr.bytes)
    return out.exit_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wasmscope-wasmer-worker")
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="a warm run worker (JSON lines)")
    serve.add_argument("--cache-root", help="artifact cache; without it, every run compiles")
    run = sub.add_parser("run", help="run one long-running module, stdout forwarded")
    run.add_argument("--module", required=True)
    run.add_argument("--cache-root", required=True)
    run.add_argument("args", nargs="*")
    ns = parser.parse_args(argv)
    if ns.cmd == "serve":
        host: list[_Host] = []
        return serve_requests(lambda req: host[0].handle(req), lambda: host.append(_Host(ns.cache_root)))
    import asyncio

    return asyncio.run(_run_instance(ns.cache_root, ns.module, list(ns.args)))


# -- the adapter ---------------------------------------------------------------------------------

class WasmerSdkAdapter(WasmModuleAdapter):
    name = "wasmer"
    NEEDS = ("extra/wasmer",)
    SHORT_NAME = "Wasmer"
    WASI_PROVIDES = (PREVIEW1, PREVIEW0, *WASIX)  # each checked: a module importing it runs
    NO_LISTEN = ("wasmer-sdk cannot pre-open a listening socket for a WASI preview 1 module "
                    "(its sandbox networking is WASIX sockets, which our http module does not use)")
    display_name = "Wasmer (wasmer-sdk)"
    kind = "wasm"
    IN_PROCESS = True
    NO_MEMORY_LIMIT = "none: wasmer-sdk 0.5 offers no memory limit for a sandbox"
    OPTIONS = (Option("cache", "flag", "compiled artifacts reused across runs (off: Cranelift compiles every run)",
                      default=True),)

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.cache: bool = self.options["cache"]
        self._worker: WarmWorker | None = None

    def _run_worker(self) -> WarmWorker:
        if self._worker is None:
            cache = ["--cache-root", str(cache_root())] if self.cache else []
            self._worker = WarmWorker([sys.executable, "-m", MODULE, "serve", *cache], "wasmer-sdk")
        return self._worker

    # -- facts -----------------------------------------------------------------------------
    def availability(self) -> Availability:
        if _sdk_version() is None:
            return Availability(False, "the wasmer-sdk package is not installed", PIP_HINT)
        try:
            import wasmer_sdk  # noqa: F401
        except Exception as err:  # its native library needs glibc 2.35 and x86_64/arm64
            return Availability(False, f"wasmer-sdk is installed but does not import: {err}",
                                "pip install --force-reinstall 'wasmer-sdk>=0.5,<0.6'")
        return Availability(True)

    def version(self) -> str:
        v = _sdk_version()
        return f"wasmer-sdk {v} (Wasmer with Cranelift)" if v else "wasmer-sdk not installed"

    def mode(self) -> str:
        cache = ("compiled artifacts cached on disk (cache_root) and in memory, reused across runs"
                 if self.cache else "no artifact cache (a fresh client and cache_root per run: "
                 "Cranelift compiles every run)")
        return (f"compiled with Cranelift when a command first runs (Wasmer's sys backend), {cache}; "
                "a sandbox per run; in a warm worker process, killed at the deadline")

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        module = workload.module.name if workload.module else "?"
        return shlex.join(["wasmer", "run", module, *(["--", *args] if args else [])])

    def prepare(self, workload: Workload) -> None:
        """Start the worker and, with the cache on, fill it: Wasmer compiles when a command
        first runs, so run the module once without arguments (outcome ignored, 10 s at most)."""
        module = self.available_module(workload)
        worker = self._run_worker()
        if self.cache and workload.kind == "run":
            try:
                reply = worker.call({"module": str(module), "args": [], "timeout_s": 10.0}, 10.0 + GRACE_S)
                if reply.get("reason") == "timeout":
                    worker.kill()
            except WorkerTimeout:
                pass
        worker.ensure()

    # -- run to exit -----------------------------------------------------------------------
    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        module = self.available_module(workload)
        what = f"{workload.name} on Wasmer"
        worker = self._run_worker()
        timed_out = f"{what} timed out after {timeout_s:g} s"
        try:
            request = {"module": str(module), "args": list(args), "timeout_s": timeout_s,
                       "env": self.guest_env(workload)}
            if workload.stdin is not None:  # bytes through JSON: one character per byte
                request["stdin"] = workload.stdin.decode("latin-1")
            reply = worker.call(request, timeout_s + GRACE_S)
        except WorkerTimeout:
            raise GuestTimeout(f"{timed_out} (worker process killed)") from None
        if reply.get("reason") == "timeout":
            worker.kill()  # the SDK left the guest running on a thread
            raise GuestTimeout(f"{timed_out} (wasmer-sdk timeout; worker process killed)")
        return worker_result(reply, what)

    # -- long-running ----------------------------------------------------------------------
    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        module = self.available_module(workload)
        argv = [sys.executable, "-m", MODULE, "run", "--module", str(module),
                "--cache-root", str(cache_root()), "--", *args]
        # its own worker process: Python host + Wasmer + one sandbox
        inst, text = self._launch(processes.HostedInstance, argv, workload, args, ready_timeout_s,
                                  f"{workload.name} on Wasmer (worker)")
        inst.read_host(text, "the Python+Wasmer host measured just before the guest was spawned")
        return inst

    def worker_pid(self) -> int | None:
        return self._worker.pid() if self._worker is not None else None

    def helper_pids(self) -> list[int] | None:
        pid = self.worker_pid()  # the warm worker runs the guests: its CPU is the runs' own
        return [pid] if pid else []

    def close(self) -> None:
        super().close()
        if self._worker is not None:
            self._worker.kill()


if __name__ == "__main__":
    sys.exit(main())
