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
    directory), read-only unless `writable`. A writable grant without `host` is a fresh,
    empty directory for every run (an output directory)."""

    host: Path | None
    guest: str
    writable: bool = False

    def words(self) -> str:
        where = self.host if self.host is not None else "a fresh directory"
        return f"{where} as {self.guest} ({'read-write' if self.writable else 'read-only'})"


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


def relative_to(grant: Grant, guest_path: str) -> PurePosixPath | None:
    """`guest_path` relative to the grant's guest directory, or None when it is not under it."""
    target = PurePosixPath(guest_path)
    if grant.guest == ".":
        return None if target.is_absolute() else target
    try:
        return target.relative_to(PurePosixPath(grant.guest))
    except ValueError:
        return None


def host_path(grants: Sequence[Grant], guest_path: str) -> Path | None:
    """Where a guest path lands on the host under these grants (the deepest match), or None."""
    under = [(len(PurePosixPath(g.guest).parts), g, rel) for g in grants
             if g.host is not None and (rel := relative_to(g, guest_path)) is not None]
    if not under:
        return None
    _, grant, rel = max(under, key=lambda t: t[0])
    assert grant.host is not None
    return grant.host / rel


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
