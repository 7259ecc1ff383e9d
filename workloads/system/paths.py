"""Where wasmscope keeps caches (native binaries, compiled modules) and state (the dockerd it
started, its log): XDG, overridable by env. And where the system's own files are: `/`, unless
$WASMSCOPE_SYSTEM_ROOT points doctor's tests at a temporary tree (etc/docker, var/run, sys/fs/cgroup)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

SYSTEM_ROOT_ENV = "WASMSCOPE_SYSTEM_ROOT"


def cache_dir(create: bool = True) -> Path:
    """`$WASMSCOPE_CACHE_DIR`, else the user's cache directory for wasmscope (created unless
    the caller only looks: `wasmscope doctor` creates nothing)."""
    override = os.environ.get("WASMSCOPE_CACHE_DIR")
    path = Path(override) if override else Path(platformdirs.user_cache_dir("wasmscope"))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def state_dir() -> Path:
    """`$WASMSCOPE_STATE_DIR`, else the user's state directory for wasmscope (not created here:
    only a change, e.g. starting dockerd, writes into it)."""
    override = os.environ.get("WASMSCOPE_STATE_DIR")
    return Path(override) if override else Path(platformdirs.user_state_dir("wasmscope"))


def system_root() -> Path:
    """`/`, or `$WASMSCOPE_SYSTEM_ROOT` (a stand-in tree for tests)."""
    return Path(os.environ.get(SYSTEM_ROOT_ENV) or "/")
