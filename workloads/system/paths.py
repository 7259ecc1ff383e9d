"""Where wasmscope keeps caches (native binaries, compiled modules): XDG, overridable by env."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """`$WASMSCOPE_CACHE_DIR`, else the user's cache directory for wasmscope."""
    override = os.environ.get("WASMSCOPE_CACHE_DIR")
    path = Path(override) if override else Path(platformdirs.user_cache_dir("wasmscope"))
    path.mkdir(parents=True, exist_ok=True)
    return path
