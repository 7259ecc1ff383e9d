"""Native: the workload's static binary as a plain process — the baseline every ratio uses."""

from __future__ import annotations

import platform
from dataclasses import replace
import shlex
import shutil
import signal
from typing import Sequence

from ..guests.catalogue import Workload
from ..errors import GuestFailed, WorkloadError
from ..guests.run_spec import native_args, working_dir
from . import processes
from .base import Availability, Instance, RunResult, RuntimeAdapter
from .options import Option


class NativeAdapter(RuntimeAdapter):
    name = "native"
    display_name = "Native process"
    kind = "native"
    BASELINE_FOR = "native"
    SPAWNER = "native"
    GRANTS_DIR = True  # the real directories: read-only ones are given as scratch copies
    PEAK_COUNTS = "peak RSS of the process (wait4's ru_maxrss)"
    NEEDS = ("c-compiler",)
    MEMORY_LIMIT = "RLIMIT_AS (ulimit -v), set between fork and exec: mmap/brk fail past it"
    # not memory_limit_mib, which every benchmark sets: a limit forces a full fork (~5 ms) into
    # every cold start, so the native baseline takes one only when asked
    MEMORY_LIMIT_OPTION = "rlimit_as_mib"
    OPTIONS = (Option("rlimit_as_mib", "int", "a ulimit -v (MiB) for every run: malloc fails past it; "
                      "unset by default (it forces a full fork, ~5 ms, into every cold start)", minimum=1),)

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self.rlimit_as_mib: int | None = self.options["rlimit_as_mib"]

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

    def cannot_run(self, workload: Workload) -> str | None:
        if workload.native:
            if shutil.which(workload.native[0]) is None:
                return f"native command {workload.native[0]!r} not found (install the program, or give its path)"
            return None
        if workload.source is None or workload.source.suffix != ".c":
            return f"workload {workload.name!r} has no C source to build natively (nor a native command)"
        return None

    def _program(self, workload: Workload) -> list[str]:
        """The program's argv head: the workload's own host command, else its C source built."""
        from ..guests.native_build import native_binary

        reason = self.supports(workload)
        if reason:
            raise WorkloadError(reason)
        if workload.native:
            return [str(shutil.which(workload.native[0])), *workload.native[1:]]
        return [str(native_binary(workload))]

    def prepare(self, workload: Workload) -> None:
        self._program(workload)

    def _argv(self, head: Sequence[str], workload: Workload, args: Sequence[str]) -> list[str]:
        """The guest paths of granted directories in `args` become the real host paths."""
        return [*head, *native_args(self.grants(workload), args)]

    def _cwd(self, workload: Workload) -> str | None:
        here = working_dir(self.grants(workload))
        return str(here) if here else self.workdir

    def command_line(self, workload: Workload, args: Sequence[str] = ()) -> str:
        head = list(workload.native) or [f"./{workload.name}"]
        return shlex.join(self._argv(head, workload, args))

    def bare_argv(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> list[str] | None:
        return None if self.rlimit_as_mib is not None else self._argv(self._program(workload), workload, args)

    def run(self, workload: Workload, args: Sequence[str] = (), *, timeout_s: float = 60.0) -> RunResult:
        argv = self._argv(self._program(workload), workload, args)
        res = processes.run_to_exit(argv, timeout_s=timeout_s,
                                    limit_as=None if self.rlimit_as_mib is None else self.rlimit_as_mib << 20,
                                    env={**self.process_env(), **self.guest_env(workload)}, cwd=self._cwd(workload),
                                    stdin=workload.stdin, peak=self.measuring_peak,
                                    timeout_message=f"{workload.name} (native) timed out after {timeout_s:g} s (killed)")
        if res.returncode != 0:
            why = (f"killed by signal {-res.returncode} ({signal.Signals(-res.returncode).name})" if res.returncode < 0
                   else f"exited with code {res.returncode}")
            last = res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "no stderr"
            raise GuestFailed(f"{workload.name} (native) {why}: {last}",
                              exit_code=res.returncode, output=res.stdout + res.stderr)
        result = res.result()
        return replace(result, notes={"program": argv[0]}) if workload.native else result

    def start(self, workload: Workload, args: Sequence[str] = (), *, ready_timeout_s: float = 30.0) -> Instance:
        argv = self._argv(self._program(workload), workload, args)
        inst, _ = self._launch(processes.ProcessInstance, argv, workload, args, ready_timeout_s,
                               f"{workload.name} (native)",
                               env={**processes.child_env(), **self.guest_env(workload)}, cwd=self._cwd(workload))
        return inst
