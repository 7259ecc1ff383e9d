"""Native static binaries of the workloads, built on first use and cached.

The native baseline uses the same compiler and -O2 as the Wasm build (clang preferred), so
compute overhead measures runtimes, not compilers (gcc de-recurses fib far more). Binaries
live under `<cache>/native/<name>-<key>/<name>`, key = sha256(source + compiler version line +
flags)[:12]; a build compiles into a temp file beside the target and renames it into place,
so concurrent or interrupted builds never leave a half-written binary.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from .build import NATIVE_CFLAGS, compiler_env, first_line
from .catalogue import Workload
from ..errors import BuildError, WorkloadError
from ..system.paths import cache_dir, cache_writes, check_cache_after_failure

CANDIDATES = ("clang", "cc", "gcc")
INSTALL_HINT = "install one, e.g. apt-get install -y clang"

__all__ = ["NATIVE_CFLAGS", "NATIVE_DYNAMIC_CFLAGS", "compiler_version", "find_c_compiler",
           "native_binary", "native_build_key", "native_dynamic_binary", "native_dynamic_build_key"]

# The same build linked dynamically against the host's glibc (the Debian-base container row:
# a distro userland with its shared libraries, as most real images ship binaries).
NATIVE_DYNAMIC_CFLAGS = tuple(f for f in NATIVE_CFLAGS if f != "-static")


def find_c_compiler() -> str | None:
    """`$WASMSCOPE_CC` if set (only it), else clang, cc or gcc from PATH; None if none found."""
    override = os.environ.get("WASMSCOPE_CC")
    if override:
        return shutil.which(override)
    return next((found for c in CANDIDATES if (found := shutil.which(c))), None)


def _require_compiler() -> str:
    cc = find_c_compiler()
    if cc is None:
        override = os.environ.get("WASMSCOPE_CC")
        tried = (f"$WASMSCOPE_CC={override}; unset it to try {', '.join(CANDIDATES)}" if override
                 else ", ".join(("$WASMSCOPE_CC", *CANDIDATES)))
        raise BuildError(f"no C compiler found (tried {tried}): {INSTALL_HINT}")
    return cc


@lru_cache(maxsize=8)
def _version_of(compiler: str) -> str:
    try:
        out = subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        raise BuildError(f"cannot run the C compiler {compiler}: {err}") from None
    if out.returncode != 0:
        raise BuildError(f"cannot run the C compiler {compiler}: "
                         f"{first_line(out.stderr, f'exit code {out.returncode}')}")
    return first_line(out.stdout, compiler)


def compiler_version() -> str | None:
    """The native compiler's `--version` first line, None if there is none."""
    cc = find_c_compiler()
    if cc is None:
        return None
    try:
        return _version_of(cc)
    except BuildError:
        return None


def _source_bytes(workload: Workload) -> bytes:
    if workload.source is None:
        raise WorkloadError(f"workload {workload.name!r} has no C source to build natively")
    try:
        return workload.source.read_bytes()
    except OSError as err:
        raise WorkloadError(f"cannot read the C source of workload {workload.name!r}: "
                            f"{err.strerror or err}") from None


def _build_key(workload: Workload, cflags: Sequence[str]) -> str:
    h = hashlib.sha256(_source_bytes(workload))
    h.update(_version_of(_require_compiler()).encode())
    h.update(" ".join(cflags).encode())
    return h.hexdigest()[:12]


def native_build_key(workload: Workload) -> str:
    """sha256(source + compiler version line + flags)[:12]: the cache key and image tag."""
    return _build_key(workload, NATIVE_CFLAGS)


def _error_line(stderr: str) -> str:
    """The most telling line of a failed compile: the first error, else the first line."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    # the system's own words first: "final link failed: No space left on device" says more than
    # the driver's "linker command failed" that follows it
    for marker in ("No space left on device", "Disk quota exceeded", "Read-only file system",
                   "error:", "cannot find", "undefined reference"):
        hit = next((ln for ln in lines if marker in ln), None)
        if hit:
            return hit
    return lines[0] if lines else "no compiler output"


def native_binary(workload: Workload) -> Path:
    """The workload's static binary, compiled into the cache on first use."""
    return _build(workload, NATIVE_CFLAGS, f"{workload.name}-{native_build_key(workload)}", "native")


def native_dynamic_build_key(workload: Workload) -> str:
    """Like native_build_key, for the dynamically linked build."""
    return _build_key(workload, NATIVE_DYNAMIC_CFLAGS)


def native_dynamic_binary(workload: Workload) -> Path:
    """The workload's dynamically linked binary (host compiler and glibc), cached like the
    static one under `<cache>/native/<name>-dyn-<key>/<name>`."""
    return _build(workload, NATIVE_DYNAMIC_CFLAGS, f"{workload.name}-dyn-{native_dynamic_build_key(workload)}",
                  "dynamic native")


def _build(workload: Workload, cflags: Sequence[str], folder: str, what: str) -> Path:
    """Compile into `<cache>/native/<folder>/<name>` unless there; atomic (temp file, rename)."""
    out_dir = cache_dir() / "native" / folder
    out = out_dir / workload.name
    if out.is_file():
        return out
    compiler = _require_compiler()
    with cache_writes(f"the {what} build of {workload.name}"):
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{workload.name}-", suffix=".tmp")
        os.close(fd)
    try:
        try:
            proc = subprocess.run([compiler, *cflags, "-o", tmp, str(workload.source)],
                                  capture_output=True, text=True, timeout=300, env=compiler_env())
        except (OSError, subprocess.SubprocessError) as err:
            raise BuildError(f"building {what} {workload.name} failed: {err}") from None
        if proc.returncode != 0:
            check_cache_after_failure(f"the {what} build of {workload.name}")
            line = _error_line(proc.stderr)
            if "-static" in cflags and ("-lc" in proc.stderr or "crt1.o" in proc.stderr):
                line += " (static linking needs libc.a: apt-get install -y libc6-dev)"
            raise BuildError(f"building {what} {workload.name} failed: {line}")
        with cache_writes(f"the {what} build of {workload.name}"):
            os.chmod(tmp, 0o755)
            os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out
