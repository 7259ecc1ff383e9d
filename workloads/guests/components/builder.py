"""Build wasmscope's Python wasi:http component (served by `runtimes/wasmtime_serve.py`).

The component (`guest/app.py`, world `wit/world.wit`) is built offline by componentize-py,
with the wasi:* WIT packages the spin-sdk wheel ships, into
`cache_dir()/components/<key>/hello.wasm`; the key hashes the sources and the
componentize-py/spin-sdk versions, so a build (~6 s, 18 MB) happens once.

`wasmtime serve` (CLI 36 and 49 both serve it; `-S cli=y` lets the component keep the
wasi:cli imports componentize-py adds) creates a fresh instance per request by default.
Modes: "default" (on-demand allocator), "pooling" (`-O pooling-allocator=y,
pooling-memory-keep-resident=64 MiB`), and, with a CLI that has `--max-instance-reuse-count`
(49), "reuse" and "pooling+reuse" — instances then serve up to 1000 requests each, so a
guest's globals survive between requests: the mode is named in every description.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import resources
from pathlib import Path

from ...errors import BuildError
from ..build import build_command
from ...system.paths import cache_dir, cache_writes, check_cache_after_failure

PACKAGE_DIR = Path(str(resources.files(__package__)))
GUEST_DIR = PACKAGE_DIR / "guest"
WIT_DIR = PACKAGE_DIR / "wit"
WORLD = "hello"
APP_MODULE = "app"
WIT_DEPS = ("cli", "clocks", "filesystem", "http", "io", "random", "sockets")
WASI_VERSION = "0.2.0"
COMPONENT_NAME = "hello.wasm"
BODY = b"hello from wasmscope\n"
PIP_HINT = "pip install 'wasmscope[http-component]' (componentize-py 0.25 and spin-sdk 5)"
BUILD_TIMEOUT_S = 300.0

# -- building ------------------------------------------------------------------------------------

def _dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def componentize_py_version() -> str | None:
    return _dist_version("componentize-py")


def _spin_wit_deps() -> Path:
    spec = importlib.util.find_spec("spin_sdk")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"spin-sdk is not installed (its WIT files describe wasi:http): {PIP_HINT}")
    deps = Path(list(spec.submodule_search_locations)[0]) / "wit" / "deps"
    missing = [d for d in WIT_DEPS if not (deps / f"{d}@{WASI_VERSION}").is_dir()]
    if missing:
        raise BuildError(f"spin-sdk {_dist_version('spin-sdk')} lacks the WIT packages "
                         f"{', '.join(f'wasi:{m}@{WASI_VERSION}' for m in missing)} in {deps}: {PIP_HINT}")
    return deps


def _sources() -> list[Path]:
    return sorted([*GUEST_DIR.glob("*.py"), *WIT_DIR.glob("*.wit")])


def component_key() -> str:
    """Hash of the component's sources and the tool versions that turn them into Wasm."""
    h = hashlib.sha256()
    for path in _sources():
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    h.update(f"componentize-py {componentize_py_version()}\0spin-sdk {_dist_version('spin-sdk')}".encode())
    return h.hexdigest()[:16]


def _componentize(wit: Path, app_dir: Path, out: Path, workdir: Path) -> None:
    empty_env = workdir / "no-site-packages"  # componentize-py would otherwise read every
    (empty_env / "site-packages").mkdir(parents=True)  # site-package's WIT (spin-sdk's clash)
    code = ("import sys; from componentize_py import script; "
            "sys.argv[0] = 'componentize-py'; sys.exit(script())")
    argv = [sys.executable, "-c", code, "-d", str(wit), "-w", WORLD, "componentize",
            "-p", str(app_dir), "-o", str(out), APP_MODULE]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RUST_BACKTRACE": "0",
           "VIRTUAL_ENV": str(empty_env), "HOME": str(workdir)}
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                              cwd=workdir, env=env, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BuildError(f"componentize-py took more than {BUILD_TIMEOUT_S:g} s") from None
    if proc.returncode != 0 or not out.is_file():
        check_cache_after_failure("the wasi:http component build")
        lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
        why = next((ln for ln in lines if "Error" in ln or "error" in ln), lines[-1] if lines else "no output")
        raise BuildError(f"componentize-py failed (exit {proc.returncode}): {why}")


def build_component(*, force: bool = False) -> Path:
    """The built component, `cache_dir()/components/<key>/hello.wasm` (built if missing).

    Raises BuildError (one line, with the pip hint) when componentize-py or spin-sdk is
    missing or the build fails.
    """
    version = componentize_py_version()
    if version is None or importlib.util.find_spec("componentize_py") is None:
        raise BuildError(f"componentize-py is not installed: {PIP_HINT}")
    deps = _spin_wit_deps()
    target_dir = cache_dir() / "components" / component_key()
    target = target_dir / COMPONENT_NAME
    if target.is_file() and not force:
        return target
    with cache_writes("the wasi:http component build"):
        target_dir.mkdir(parents=True, exist_ok=True)
        build_dir = tempfile.TemporaryDirectory(prefix="build.", dir=target_dir)
    with build_dir as tmp, cache_writes("the wasi:http component build"):
        work = Path(tmp)
        wit = work / "wit"
        (wit / "deps").mkdir(parents=True)
        for src in WIT_DIR.glob("*.wit"):
            shutil.copy2(src, wit / src.name)
        for dep in WIT_DEPS:
            shutil.copytree(deps / f"{dep}@{WASI_VERSION}", wit / "deps" / f"{dep}@{WASI_VERSION}")
        app_dir = work / "app"
        app_dir.mkdir()
        for src in GUEST_DIR.glob("*.py"):
            shutil.copy2(src, app_dir / src.name)
        out = work / COMPONENT_NAME
        _componentize(wit, app_dir, out, work)
        os.replace(out, target)  # atomic: a reader sees the whole component or none
    return target


# -- the committed build ------------------------------------------------------------------------

COMMITTED = PACKAGE_DIR.parent / "wasm" / "http-component.wasm"
COMMITTED_INFO = PACKAGE_DIR.parent / "wasm" / "http-component.toml"
BUILD_COMMAND = "python -m wasmscope.workloads.guests.components"


def sources_sha256() -> str:
    """Hash of what the component is built from (guest code and WIT world), tools excluded."""
    h = hashlib.sha256()
    for path in _sources():
        h.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def component_path() -> Path:
    """The component to serve: the committed build when it was built from these sources (no
    toolchain needed), else one built now into the cache."""
    try:
        info = tomllib.loads(COMMITTED_INFO.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        info = {}
    if COMMITTED.is_file() and info.get("source_sha256") == sources_sha256():
        return COMMITTED
    return build_component()


def write_committed(out: Path = COMMITTED) -> Path:
    """Build the component and store it (and its record) where the package ships it. The
    build is not byte-for-byte reproducible (componentize-py embeds a snapshot of its Python
    runtime), so the record says which tools built it and the sha256 of this build."""
    built = build_component(force=True)
    tmp = out.with_suffix(".wasm.tmp")
    shutil.copyfile(built, tmp)
    os.replace(tmp, out)
    data = out.read_bytes()
    record = (f"# Written by `{BUILD_COMMAND}`: the Python wasi:http component in http-component.wasm.\n"
              f"# Not byte-for-byte reproducible; rebuilding gives an equivalent component.\n"
              f"command = \"{BUILD_COMMAND}\"\n"
              f"source_sha256 = \"{sources_sha256()}\"\n"
              f"componentize_py = \"{componentize_py_version()}\"\n"
              f"spin_sdk = \"{_dist_version('spin-sdk')}\"\n"
              f"size = {len(data)}\n"
              f"sha256 = \"{hashlib.sha256(data).hexdigest()}\"\n"
              f"reproducible = false\n")
    info = out.with_suffix(".toml")  # beside it: http-component.toml for the package's copy
    info_tmp = info.with_suffix(".toml.tmp")
    info_tmp.write_text(record)
    os.replace(info_tmp, info)
    return out


def main(argv: list[str] | None = None) -> int:
    return build_command(argv, BUILD_COMMAND, "rebuild the committed wasi:http component",
                         "where to write it (default: the package's wasm/)", write_committed,
                         lambda out: print(f"built {out} ({out.stat().st_size / 1e6:.1f} MB)"),
                         default=COMMITTED)
