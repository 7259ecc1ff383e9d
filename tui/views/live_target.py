"""What the live keys act on: the built-in workloads (h and b hello, f fib, i idle, w http), or a
program the user opened (`o`): a .wasm file with its arguments and directories, or a workload
of the profile by name.

Opening one makes the profile measure it, as `wasmscope bench --module` does (`with_workload`):
the live keys then run it through the session's checked path, the benchmark's own (fresh
directories for what it writes, its expectations checked, one line when a run fails them), and
`r` benchmarks it. A program that runs to exit takes h, b (cold starts) and f (its wall time,
or the time it reports); one that keeps running takes i (and w and g when it serves HTTP).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wasmscope.profiles.workloads import command_line_workload, with_workload
from wasmscope.workloads.bench import UsageError
from wasmscope.workloads.guests.catalogue import Workload

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

BUILTIN = {"hello": "hello", "fib": "fib", "idle": "idle", "http": "http"}  # key's word → workload


@dataclass(frozen=True)
class KeyTarget:
    """The workload the live keys act on, and the profile as it was before (`O` goes back)."""

    workload: Workload
    before: "Profile"

    def acts_on(self, word: str) -> tuple[str, bool | None]:
        """The workload a key's word ('hello', 'fib', 'idle', 'http') runs now, and for a run
        whether it is a cold start (True), the guest's own time (False) or as it was (None)."""
        w = self.workload
        if w.kind == "run" and word in ("hello", "fib"):
            return w.name, word == "hello"
        if w.kind == "serve" and (word == "idle" or (word == "http" and w.network)):
            return w.name, None
        return BUILTIN[word], None

    def keys(self) -> str:
        w = self.workload
        return "h b f" if w.kind == "run" else ("i w g" if w.network else "i")

    def line(self) -> str:
        """What the view says over the panels: which keys run what, and how to go back."""
        w = self.workload
        program = w.module.name if w.module else (w.image or " ".join(w.native) or w.name)
        grants = " ".join(f"{g.host or '(fresh)'}:{g.guest}{':rw' if g.writable else ''}" for g in w.dirs)
        said = " ".join([program, *(shlex.quote(a) for a in w.args)]) + (f"  [dirs {grants}]" if grants else "")
        return f"{self.keys()} act on {w.name}: {said}  (o: another program · O: the built-ins)"


def open_program(profile: "Profile", program: str, args: str, dirs: str, base_dir: Path) -> KeyTarget:
    """The profile measuring `program` (a workload of the profile by name, or a .wasm path with
    `args` and `dirs` as a shell would split them, `HOST:GUEST[:rw]` each). One-line errors
    (ProfileError, UsageError) name the field and the value."""
    program = program.strip()
    if not program:
        raise UsageError("program: a .wasm file, or the name of one of the profile's workloads, is needed")
    try:
        argv, grants = shlex.split(args), shlex.split(dirs)
    except ValueError as err:
        raise UsageError(f"arguments or directories: {err} (they are split as a shell would)") from None
    if program in profile.workloads and not program.endswith(".wasm"):
        if argv or grants:
            raise UsageError(f"{program} is a workload of the profile: it runs with its own arguments and "
                             "directories (leave those fields empty, or give a .wasm file)")
        workload = profile.workload(program)
    else:
        entry = {"module": program, "args": argv, "dirs": grants}
        workload = command_line_workload(entry, Path(program).stem, base_dir, source="open workload")
    return KeyTarget(workload, profile)


def measuring(target: KeyTarget) -> "Profile":
    """The profile that measures the opened program (its startup, compute, memory or I/O workload)."""
    return with_workload(target.before, target.workload)
