"""The exact, reproducible build of the committed `.wasm` workloads.

`python -m wasmscope.workloads.guests.build [--out DIR]` (or `wasmscope build-workloads`) rebuilds
them from `src/*.c` with Debian's clang + wasi-libc and records, in `BUILD-INFO.toml` beside
them, the compiler's version line, the exact command per module (run from the package
directory, so the paths in it are the ones used) and each module's sha256 and size. The
same clang gives the same bytes: nothing time- or path-dependent ends up in a stripped module.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from .catalogue import PACKAGE_DIR, WASM_DIR, builtin_workloads
from ..errors import BuildError, WasmscopeError

T = TypeVar("T")

WASM_CC = "clang"
# -s: no DWARF/name section (hello is 4 KB instead of 42 KB); -Wall changes no output byte.
WASM_CFLAGS = ("--target=wasm32-wasi", "-O2", "-s", "-Wall")
# The native baseline: same compiler family and optimisation level, linked statically.
NATIVE_CFLAGS = ("-O2", "-static", "-s")
# Debian 12's wasm32-wasi C toolchain (the compiler runtime is tied to its clang 14).
TOOLCHAIN_PACKAGES = ("clang", "lld", "wasi-libc", "libclang-rt-14-dev-wasm32")
TOOLCHAIN_HINT = f"apt-get install -y {' '.join(TOOLCHAIN_PACKAGES)}"

# Environment variables that would silently change what clang compiles or links.
_COMPILER_ENV = ("CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "LIBRARY_PATH",
                 "CCC_OVERRIDE_OPTIONS", "COMPILER_PATH", "GCC_EXEC_PREFIX")


def compiler_env() -> dict[str, str]:
    """The environment for a reproducible compile: without the variables clang reads."""
    return {k: v for k, v in os.environ.items() if k not in _COMPILER_ENV}


def first_line(text: str, default: str = "no output") -> str:
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), default)


def clang_version() -> str | None:
    """clang's `--version` first line (e.g. `Debian clang version 14.0.6`), None if absent."""
    if shutil.which(WASM_CC) is None:
        return None
    try:
        out = subprocess.run([WASM_CC, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return first_line(out.stdout) if out.returncode == 0 else None


def _diagnose(stderr: str) -> str:
    """Which piece of the wasm32-wasi toolchain a failed probe compile is missing."""
    if "wasm-ld" in stderr:
        return "the wasm linker (lld) is missing"
    if "libclang_rt" in stderr:
        return "the wasm32 compiler runtime (libclang-rt-14-dev-wasm32) is missing"
    if ".h' file not found" in stderr or "crt1" in stderr or "-lc" in stderr:
        return "wasi-libc is missing"
    return f"clang cannot build wasm32-wasi ({first_line(stderr)})"


def wasm_toolchain_available() -> str | None:
    """None when clang can build wasm32-wasi modules here, else why not (with the fix)."""
    if clang_version() is None:
        return f"clang not found: {TOOLCHAIN_HINT}"
    from ..system.sessions import session_temp_dir

    try:
        proc = probe_compile(WASM_CC, WASM_CFLAGS, "probe.wasm", "probe-", session_temp_dir())
    except (OSError, subprocess.SubprocessError) as err:
        return f"clang cannot build wasm32-wasi ({err}): {TOOLCHAIN_HINT}"
    if proc.returncode != 0:
        return f"{_diagnose(proc.stderr)}: {TOOLCHAIN_HINT}"
    return None


def probe_compile(cc: str, cflags: Sequence[str], output: str, prefix: str,
                  parent: Path | None = None) -> subprocess.CompletedProcess:
    """Compile and link a C hello with `cc cflags` in a scratch folder (in parent, else the
    system's): whether a toolchain works is best learnt by using it. OSError or
    SubprocessError when cc cannot be run at all."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir=parent) as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text('#include <stdio.h>\nint main(void) { puts("x"); return 0; }\n')
        return subprocess.run([cc, *cflags, "-o", str(Path(tmp) / output), str(src)],
                              capture_output=True, text=True, timeout=120, env=compiler_env())


def wasm_command(source: Path, out: Path) -> list[str]:
    """The compile command for one module (paths as given: relative ones are from PACKAGE_DIR)."""
    return [WASM_CC, *WASM_CFLAGS, "-o", str(out), str(source)]


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(PACKAGE_DIR.resolve())
    except ValueError:
        return path.resolve()


def _toml_str(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string for these values


def build_wasm(out_dir: Path | None = None) -> dict[str, Path]:
    """Build every built-in workload to wasm32-wasi into out_dir and write BUILD-INFO.toml.

    out_dir defaults to the package's `wasm/` folder (the committed modules). Modules are built
    into a scratch folder first and moved in only when all of them compiled, so a failed build
    never leaves a mix of old and new modules.
    """
    reason = wasm_toolchain_available()
    if reason:
        raise BuildError(reason)
    version = clang_version()
    out_dir = Path(out_dir) if out_dir is not None else WASM_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    info = ["# Written by `python -m wasmscope.workloads.guests.build`: how each module was built.",
            "# Each command runs from the wasmscope.workloads.guests package folder.",
            f"compiler = {_toml_str(version or '')}", ""]
    staged: dict[str, tuple[Path, Path]] = {}
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".build-") as scratch:
        for name, workload in sorted(builtin_workloads().items()):
            if workload.source is None:
                continue
            final = out_dir / f"{name}.wasm"
            tmp = Path(scratch) / f"{name}.wasm"
            # what BUILD-INFO records is exactly what runs (cwd = package folder)
            shown = wasm_command(_relative(workload.source), _relative(final))
            run = wasm_command(_relative(workload.source), tmp)
            try:
                proc = subprocess.run(run, cwd=PACKAGE_DIR, capture_output=True, text=True,
                                      timeout=300, env=compiler_env())
            except (OSError, subprocess.SubprocessError) as err:
                raise BuildError(f"building {name}.wasm failed: {err}") from None
            if proc.returncode != 0:
                raise BuildError(f"building {name}.wasm failed: {first_line(proc.stderr)}")
            data = tmp.read_bytes()
            info += [f"[{name}]",
                     f"command = {_toml_str(' '.join(shown))}",
                     f'source_sha256 = "{hashlib.sha256(workload.source.read_bytes()).hexdigest()}"',
                     f'sha256 = "{hashlib.sha256(data).hexdigest()}"',
                     f"size = {len(data)}", ""]
            staged[name] = (tmp, final)
        for tmp, final in staged.values():
            os.chmod(tmp, 0o644)  # a module is data for a runtime, not an executable
            os.replace(tmp, final)
    info_tmp = out_dir / ".BUILD-INFO.toml.tmp"
    info_tmp.write_text("\n".join(info))
    os.replace(info_tmp, out_dir / "BUILD-INFO.toml")
    return {name: final for name, (_, final) in staged.items()}


def build_command(argv: list[str] | None, prog: str, description: str, out_help: str,
                  build: Callable[[Path | None], T], report: Callable[[T], None],
                  default: Path | None = None) -> int:
    """A build's `python -m` command: one --out option; a failed build is one line and exit 1."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--out", type=Path, default=default, help=out_help)
    ns = parser.parse_args(argv)
    try:
        built = build(ns.out)
    except WasmscopeError as err:
        print(f"wasmscope: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # an output folder that cannot be made or written
        print(f"wasmscope: --out {ns.out}: {err.strerror or err}", file=sys.stderr)
        return 1
    report(built)
    return 0


def _report(built: dict[str, Path]) -> None:
    print(f"compiler: {clang_version()}")
    for name, path in built.items():
        data = path.read_bytes()
        print(f"built {name}: {path} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]})")


def main(argv: list[str] | None = None) -> int:
    return build_command(argv, "python -m wasmscope.workloads.guests.build",
                         "Rebuild the wasm32-wasi workloads from their C sources.",
                         "output folder (default: the package's wasm/)", build_wasm, _report)

if __name__ == "__main__":
    raise SystemExit(main())
