"""A toy runtime, registered by a test the way a new one is (one file, one registry line):
WebAssembly through the `wasmtime` Python package in a fresh Python process per run — a real
runtime (slow to start: every run imports wasmtime and compiles the module)."""

from __future__ import annotations

import shlex
import sys
from typing import Sequence

from wasmscope.workloads.errors import GuestFailed
from wasmscope.workloads.guests.catalogue import Workload
from wasmscope.workloads.runtimes import processes
from wasmscope.workloads.runtimes.base import Availability, Instance, RunResult, WasmModuleAdapter

# The whole runtime: argv = [module, name, ARGS...]; the guest's stdio is the process's own.
RUNNER = """
import sys, wasmtime
module, name, *args = sys.argv[1:]
engine = wasmtime.Engine()
linker = wasmtime.Linker(engine)
linker.define_wasi()
store = wasmtime.Store(engine)
wasi = wasmtime.WasiConfig()
wasi.argv = [name, *args]
wasi.inherit_stdout(); wasi.inherit_stderr(); wasi.inherit_stdin()
store.set_wasi(wasi)
instance = linker.instantiate(store, wasmtime.Module.from_file(engine, module))
try:
    instance.exports(store)["_start"](store)
except wasmtime.ExitTrap as exc:
    sys.exit(exc.code)
except wasmtime.Trap as exc:
    print("trap:", [ln for ln in str(exc).splitlines() if ln.strip()][-1].strip(), file=sys.stderr, flush=True)
    sys.exit(134)
"""


class ToyAdapter(WasmModuleAdapter):
    name = "toy"
    display_name = "Toy (wasmtime-py per process)"
    SHORT_NAME = "toy"
    NO_LISTEN = "the toy runtime pre-opens no socket"

    def availability(self) -> Availability:
        return Availability(True)

    def version(self) -> str:
        from importlib.metadata import version

        return f"wasmtime-py {version('wasmtime')} in {sys.executable}"

    def mode(self) -> str:
        return "a Python process per run: import wasmtime, compile (Cranelift), instantiate, run"

    def _argv(self, workload: Workload, args: Sequence[str]) -> list[str]:
        return [sys.executable, "-c", RUNNER, str(self.module_path(workload)), workload.name, *args]

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        return shlex.join(["python", "-c", "<runner>", workload.module.name if workload.module else "?", *args])

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        what = f"{workload.name} on {self.display_name}"
        res = processes.run_to_exit(self._argv(workload, args), timeout_s=timeout_s, env=self.process_env(),
                                    timeout_message=f"{what} timed out after {timeout_s:g} s (killed)")
        if res.returncode != 0:
            last = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "no stderr"
            trapped = res.returncode == 134 and last.startswith("trap: ")
            why = f"trapped: {last.removeprefix('trap: ')}" if trapped else f"exited with code {res.returncode}: {last}"
            raise GuestFailed(f"{what} {why}", exit_code=res.returncode, output=res.stdout + res.stderr,
                              ended="trap" if trapped else "")
        return RunResult(0, res.stdout, res.stderr, res.total_ms, {"spawn": res.spawn_ms, "exited": res.exited_ms})

    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        inst, _ = processes.launch(processes.ProcessInstance, self._argv(workload, args), runtime=self.name,
                                   workload=workload.name, command=self.command_line(workload, args),
                                   ready_prefix=workload.ready or "ready", ready_timeout_s=ready_timeout_s,
                                   what=f"{workload.name} on {self.display_name}")
        return self._track(inst)
