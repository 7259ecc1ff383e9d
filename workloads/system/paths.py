"""Where wasmscope keeps caches (native binaries, compiled modules, tools) and state (the dockerd
it started, its log): XDG, overridable by env; where the system's own files are (`/`, unless
$WASMSCOPE_SYSTEM_ROOT points doctor's tests at a temporary tree); and what a path that is no
regular file is (profiles, answers and rules files are never opened when they are FIFOs or devices).

The cache dir may be full or read-only (a small tmpfs, a shared read-only mount). Reading a
populated cache then still works; a write that cannot happen becomes one CacheUnusable line
naming the directory and the reason (`cache_writes`, `check_cache_after_failure`), so only the
rows that need a new file fail, and they say why.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import platformdirs

from ..errors import CacheUnusable

ENV_VAR = "WASMSCOPE_CACHE_DIR"
SYSTEM_ROOT_ENV = "WASMSCOPE_SYSTEM_ROOT"
LOW_SPACE_BYTES = 1 << 20  # under this much free space a build or compile is bound to fail
_REASONS = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted"}


def not_a_file(path: str | Path) -> str | None:
    """What a path that exists but is no regular file is, in words ("is a FIFO (named pipe)");
    None for a regular file (symlinks followed) or a path that does not exist. Reading a FIFO
    or a device blocks or never ends, so neither is ever opened as a profile, answers or rules."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "is a symlink loop"
        return f"cannot be examined: {err.strerror or err}"
    if stat.S_ISREG(mode):
        return None
    for test, words in ((stat.S_ISDIR, "is a directory"), (stat.S_ISFIFO, "is a FIFO (named pipe)"),
                        (stat.S_ISCHR, "is a character device"), (stat.S_ISBLK, "is a block device"),
                        (stat.S_ISSOCK, "is a socket")):
        if test(mode):
            return words
    return "is not a regular file"


def cache_dir(create: bool = True) -> Path:
    """`$WASMSCOPE_CACHE_DIR`, else the user's cache directory for wasmscope: created if it can
    be, unless the caller only looks (`wasmscope doctor` creates nothing); a read-only one is
    still returned, for reading."""
    override = os.environ.get(ENV_VAR)
    path = Path(override) if override else Path(platformdirs.user_cache_dir("wasmscope"))
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # writers say why (cache_writes); readers may still find what is there
    return path


def state_dir() -> Path:
    """`$WASMSCOPE_STATE_DIR`, else the user's state directory for wasmscope (not created here:
    only a change, e.g. starting dockerd, writes into it)."""
    override = os.environ.get("WASMSCOPE_STATE_DIR")
    return Path(override) if override else Path(platformdirs.user_state_dir("wasmscope"))


def system_root() -> Path:
    """`/`, or `$WASMSCOPE_SYSTEM_ROOT` (a stand-in tree for tests)."""
    return Path(os.environ.get(SYSTEM_ROOT_ENV) or "/")


def _existing(path: Path) -> Path:
    """`path` or its nearest existing ancestor (what statvfs and access can look at)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def cache_unwritable() -> str | None:
    """Why the cache dir cannot take new files now ("read-only file system", "no space left on
    the device (12 KiB free)", "permission denied"), or None when it can."""
    where = _existing(cache_dir(create=False))
    try:
        st = os.statvfs(where)
    except OSError as err:
        return err.strerror or str(err)
    if st.f_flag & os.ST_RDONLY:
        return _REASONS[errno.EROFS]
    free = st.f_bavail * st.f_frsize
    if free < LOW_SPACE_BYTES:
        return f"{_REASONS[errno.ENOSPC]} ({free // 1024} KiB free)"
    if not os.access(where, os.W_OK):
        return _REASONS[errno.EACCES]
    return None


def remedy(reason: str) -> str:
    """What to do about a cache dir that cannot take a file, for that reason."""
    first = ("free some space there" if reason.startswith((_REASONS[errno.ENOSPC], _REASONS[errno.EDQUOT]))
             else "make it writable")
    return f"{first}, or set {ENV_VAR} to another directory"


def unusable(what: str, reason: str) -> CacheUnusable:
    """The one line a row shows when `what` cannot be written into the cache dir."""
    return CacheUnusable(f"{what}: the cache dir {cache_dir()} cannot take it: {reason} ({remedy(reason)})")


@contextmanager
def cache_writes(what: str) -> Iterator[None]:
    """Around writes into the cache dir: a full, read-only or forbidden disk becomes one
    CacheUnusable line naming the directory and the reason, never a traceback."""
    try:
        yield
    except OSError as err:
        reason = _REASONS.get(err.errno or 0)
        if reason is None:
            raise
        raise unusable(what, reason) from None


def check_cache_after_failure(what: str) -> None:
    """After a tool (compiler, linker, pip) failed writing into the cache dir: when the cache
    dir is full or read-only, that is the cause, and its words ("linker command failed") are
    not; raise it."""
    reason = cache_unwritable()
    if reason is not None:
        raise unusable(what, reason)
