"""Native: the workload's static binary as a plain process — the baseline every ratio uses."""

from __future__ import annotations

import platform
import signal
from typing import Sequence

from ..guests.catalogue import Workload
from ..errors import GuestFailed, WorkloadError
from . import processes
from .base import Availability, Instance, RunResult, RuntimeAdapter


class NativeAdapter(RuntimeAdapter):
    name = "native"
    display_name = "Native process"
    kind = "native"
    BASELINE_FOR = "native"
    CAN_LISTEN = True
    NEEDS = ("c-compiler",)

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        # a ulimit -v for every run (option `rlimit_as_mib`): malloc fails past it; off by
        # default, since setting it forces a full fork (~5 ms) into every cold start
        limit = self.options.get("rlimit_as_mib")
        self.rlimit_as_mib: int | None = int(limit) if limit not in (None, "") else None

    def availability(self) -> Availability:
        from ..guests.native_build import find_c_compiler

        if find_c_compiler() is None:
            return Availability(False, "no C compiler found to build the native baseline",
                                "run `wasmscope doctor --fix`, or: apt-get install -y clang (or set WASMSCOPE_CC)")
        return Availability(True)

    def version(self) -> str:
        from ..guests.native_build import compiler_version

        return f"{platform.machine()} static, {compiler_version() or 'no compiler'}"

    def mode(self) -> str:
        if self.rlimit_as_mib is not None:
            return f"static binary, -O2, fork/exec per run; RLIMIT_AS {self.rlimit_as_mib} MiB"
        return "static binary, -O2, a process per run (posix_spawn)"

    def supports(self, workload: Workload) -> str | None:
        if workload.source is None:
            return f"workload {workload.name!r} has no C source to build natively"
        return None

    def _binary(self, workload: Workload):
        from ..guests.native_build import native_binary

        reason = self.supports(workload)
        if reason:
            raise WorkloadError(reason)
        return native_binary(workload)

    def prepare(self, workload: Workload) -> None:
        self._binary(workload)

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        return " ".join([f"./{workload.name}", *args])

    def bare_argv(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> list[str] | None:
        return None if self.rlimit_as_mib is not None else [str(self._binary(workload)), *args]

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        binary = self._binary(workload)
        res = processes.run_to_exit([str(binary), *args], timeout_s=timeout_s,
                                    limit_as=None if self.rlimit_as_mib is None else self.rlimit_as_mib << 20,
                                    env=self.process_env(), cwd=self.workdir,
                                    timeout_message=f"{workload.name} (native) timed out after {timeout_s:g} s (killed)")
        if res.returncode != 0:
            why = (f"killed by signal {-res.returncode} ({signal.Signals(-res.returncode).name})" if res.returncode < 0
                   else f"exited with code {res.returncode}")
            last = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "no stderr"
            raise GuestFailed(f"{workload.name} (native) {why}: {last}",
                              exit_code=res.returncode, output=res.stdout + res.stderr)
        return RunResult(0, res.stdout, res.stderr, res.total_ms, {"spawn": res.spawn_ms, "exited": res.exited_ms})

    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        binary = self._binary(workload)
        inst, _ = processes.launch(
            processes.ProcessInstance, [str(binary), *args], runtime=self.name, workload=workload.name,
            command=self.command_line(workload, args), ready_prefix=workload.ready or "ready",
            ready_timeout_s=ready_timeout_s, what=f"{workload.name} (native)")
        return self._track(inst)
