"""One place that builds the wasmtime Engine config and the on-disk AOT cache.

The adapter and its worker process must build identical configs: a serialized module only
deserializes into an engine configured the same way.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from importlib.metadata import version as _dist_version
from pathlib import Path

import wasmtime

from ..system.paths import cache_dir, cache_writes

WASMTIME_VERSION = _dist_version("wasmtime")
EPOCH_TICK_S = 0.05  # deadline resolution: the ticker thread bumps the epoch this often


def first_error_line(err: Exception) -> str:
    """The telling line of a wasmtime error (its chain starts with "error while executing")."""
    text = str(err).strip()
    if "\nCaused by:" in text:  # a trap: backtrace frames first, the reason last ("wasm trap: ...")
        causes = [re.sub(r"^\d+:\s+", "", ln.strip()) for ln in text.split("\nCaused by:", 1)[1].splitlines()]
        causes = [c for c in causes if c]
        if causes:
            return causes[-1]
    for line in text.splitlines():
        if line.strip() and not line.startswith("error while executing"):
            return line.strip()
    return text.splitlines()[0] if text else type(err).__name__


def make_engine() -> wasmtime.Engine:
    """Cranelift, epoch interruption on (the deadline mechanism), everything else default."""
    cfg = wasmtime.Config()
    cfg.epoch_interruption = True
    return wasmtime.Engine(cfg)


def config_key() -> str:
    return f"wasmtime-{WASMTIME_VERSION}-epoch"


def compiled_module_path(engine: wasmtime.Engine, module_path: Path, *, create: bool = True) -> Path:
    """Path of the serialized (AOT-compiled) module, compiling and caching it on first use
    (`create=False`: only where it would be)."""
    data = module_path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    out_dir = cache_dir() / "wasmtime" / config_key()
    out = out_dir / f"{module_path.stem}-{digest}.cwasm"
    if out.exists() or not create:
        return out
    compiled = wasmtime.Module(engine, data).serialize()
    with cache_writes(f"the compiled module of {module_path.name}"):
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(compiled)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return out
