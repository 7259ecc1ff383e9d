"""The exact, reproducible build of the committed `.wasm` workloads.

`python -m wasmscope.workloads.build` (or `wasmscope build-workloads`) rebuilds them with
Debian's clang + wasi-libc and records the command, compiler and sha256 in BUILD-INFO.toml.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from .catalogue import WASM_DIR, builtin_workloads
from .errors import BuildError

WASM_CC = "clang"
WASM_CFLAGS = ("--target=wasm32-wasi", "-O2", "-s", "-Wall")
TOOLCHAIN_HINT = "apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32"


def _first_line(text: str) -> str:
    return next((ln for ln in text.splitlines() if ln.strip()), "no output").strip()


def clang_version() -> str | None:
    if shutil.which(WASM_CC) is None:
        return None
    out = subprocess.run([WASM_CC, "--version"], capture_output=True, text=True, timeout=30)
    return _first_line(out.stdout)


def wasm_toolchain_available() -> str | None:
    """None when clang can build wasm32-wasi here, else why not (with the install hint)."""
    if clang_version() is None:
        return f"clang not found: {TOOLCHAIN_HINT}"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text("#include <stdio.h>\nint main(void){puts(\"x\");return 0;}\n")
        proc = subprocess.run([WASM_CC, *WASM_CFLAGS, "-o", str(Path(tmp) / "p.wasm"), str(src)],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            return f"clang cannot build wasm32-wasi ({_first_line(proc.stderr)}): {TOOLCHAIN_HINT}"
    return None


def wasm_command(source: Path, out: Path) -> list[str]:
    return [WASM_CC, *WASM_CFLAGS, "-o", str(out), str(source)]


def build_wasm(out_dir: Path | None = None) -> dict[str, Path]:
    """Build every built-in workload to wasm32-wasi into out_dir and write BUILD-INFO.toml."""
    reason = wasm_toolchain_available()
    if reason:
        raise BuildError(reason)
    out_dir = Path(out_dir) if out_dir else WASM_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    built: dict[str, Path] = {}
    info = ["# Written by `python -m wasmscope.workloads.build`: how each module was built.",
            f'compiler = "{clang_version()}"', ""]
    for name, workload in sorted(builtin_workloads().items()):
        assert workload.source is not None
        out = out_dir / f"{name}.wasm"
        # relative paths in the recorded command so it reads the same on every machine
        shown = [WASM_CC, *WASM_CFLAGS, "-o", f"wasm/{name}.wasm", f"src/{workload.source.name}"]
        proc = subprocess.run(wasm_command(workload.source, out), capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise BuildError(f"building {name}.wasm failed: {_first_line(proc.stderr)}")
        data = out.read_bytes()
        info += [f"[{name}]", f'command = "{" ".join(shown)}"',
                 f'sha256 = "{hashlib.sha256(data).hexdigest()}"', f"size = {len(data)}", ""]
        built[name] = out
    (out_dir / "BUILD-INFO.toml").write_text("\n".join(info))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wasmscope.workloads.build",
                                     description="Rebuild the wasm32-wasi workloads from C.")
    parser.add_argument("--out", type=Path, help="output directory (default: the package's wasm/)")
    ns = parser.parse_args(argv)
    try:
        built = build_wasm(ns.out)
    except BuildError as err:
        print(f"wasmscope: {err}")
        return 1
    for name, path in built.items():
        print(f"built {name}: {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
