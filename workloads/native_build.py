"""Native static binaries of the workloads, built on first use and cached by source hash.

The native baseline uses the same compiler and -O2 as the Wasm build (clang preferred), so
compute overhead measures runtimes, not compilers (gcc de-recurses fib far more).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from .catalogue import Workload
from .errors import BuildError, WorkloadError
from .paths import cache_dir

NATIVE_CFLAGS = ("-O2", "-static", "-s")
CANDIDATES = ("clang", "cc", "gcc")


def find_c_compiler() -> str | None:
    """`$WASMSCOPE_CC`, else clang, cc or gcc from PATH (None if none exists)."""
    override = os.environ.get("WASMSCOPE_CC")
    if override:
        return shutil.which(override)
    return next((found for c in CANDIDATES if (found := shutil.which(c))), None)


@lru_cache(maxsize=8)
def _version_of(compiler: str) -> str:
    out = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30)
    return next((ln.strip() for ln in out.stdout.splitlines() if ln.strip()), compiler)


def compiler_version() -> str | None:
    cc = find_c_compiler()
    return _version_of(cc) if cc else None


def _require_compiler() -> str:
    cc = find_c_compiler()
    if cc is None:
        tried = ", ".join(([f"$WASMSCOPE_CC={os.environ['WASMSCOPE_CC']}"] if os.environ.get("WASMSCOPE_CC")
                           else []) + list(CANDIDATES))
        raise BuildError(f"no C compiler found (tried {tried}): install one, e.g. apt-get install -y clang")
    return cc


def native_build_key(workload: Workload) -> str:
    """Hash of source + compiler identity + flags: the binary's cache key and image tag."""
    if workload.source is None:
        raise WorkloadError(f"workload {workload.name!r} has no C source to build natively")
    h = hashlib.sha256(workload.source.read_bytes())
    h.update(_version_of(_require_compiler()).encode())
    h.update(" ".join(NATIVE_CFLAGS).encode())
    return h.hexdigest()[:12]


def native_binary(workload: Workload) -> Path:
    """The workload's static binary, compiled into the cache on first use (atomic rename)."""
    key = native_build_key(workload)
    out_dir = cache_dir() / "native" / f"{workload.name}-{key}"
    out = out_dir / workload.name
    if out.exists():
        return out
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{workload.name}-")
    os.close(fd)
    try:
        proc = subprocess.run([_require_compiler(), *NATIVE_CFLAGS, "-o", tmp, str(workload.source)],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            first = next((ln for ln in proc.stderr.splitlines() if "error" in ln), proc.stderr.strip()[:200])
            hint = " (static linking needs libc6-dev's libc.a)" if "-lc" in proc.stderr else ""
            raise BuildError(f"building native {workload.name} failed: {first.strip()}{hint}")
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out
