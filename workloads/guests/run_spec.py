"""How a workload is run and what it must produce: granted directories and output checks.

A user's program gets its arguments, environment, stdin and directories the same way on every
runtime, each mapped to the runtime's own mechanism (preopens for Wasm runtimes, bind mounts
for containers, the real path natively); `Expect` says what a run must leave behind for it to
count as a figure at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Sequence


@dataclass(frozen=True)
class Grant:
    """A host directory the guest sees at `guest` (an absolute path, or "." for its working
    directory), read-only unless `writable`."""

    host: Path
    guest: str
    writable: bool = False

    def words(self) -> str:
        return f"{self.host} as {self.guest} ({'read-write' if self.writable else 'read-only'})"


@dataclass(frozen=True)
class ExpectFile:
    """A file a run must leave in a granted directory, named by its guest path."""

    path: str
    min_size: int | None = None
    size: int | None = None
    sha256: str | None = None


COMPARABLE = ("stdout", "files")


@dataclass(frozen=True)
class Expect:
    """What a run must produce: its exit code, a stdout pattern (a regular expression searched
    for), files; and whether all runtimes must produce the same output (`compare`: what is
    hashed and compared; `accept_different`: runtimes whose different output still counts)."""

    exit_code: int = 0
    stdout: str | None = None
    files: tuple[ExpectFile, ...] = ()
    compare: tuple[str, ...] = COMPARABLE
    accept_different: tuple[str, ...] = ()


def host_path(grants: Sequence[Grant], guest_path: str) -> Path | None:
    """Where a guest path lands on the host under these grants (the longest match), or None."""
    best: tuple[int, Path] | None = None
    target = PurePosixPath(guest_path)
    for g in grants:
        root = PurePosixPath(g.guest)
        if g.guest == ".":
            if not target.is_absolute():
                rel = target
            else:
                continue
        else:
            try:
                rel = target.relative_to(root)
            except ValueError:
                continue
        depth = len(root.parts)
        if best is None or depth > best[0]:
            best = (depth, g.host / rel)
    return best[1] if best else None


def native_args(grants: Sequence[Grant], args: Sequence[str]) -> list[str]:
    """The arguments for the program run natively: a guest path (or `--flag=PATH`) under an
    absolute grant becomes the real host path, since the host has no such mount."""
    out = []
    for arg in args:
        head, sep, value = arg.partition("=") if arg.startswith("-") and "=" in arg else ("", "", arg)
        mapped = host_path([g for g in grants if g.guest != "."], value) if value.startswith("/") else None
        out.append(f"{head}{sep}{mapped}" if mapped is not None else arg)
    return out


def working_dir(grants: Sequence[Grant]) -> Path | None:
    """The host directory granted as the guest's ".", if any: a native process runs there."""
    return next((g.host for g in grants if g.guest == "."), None)
