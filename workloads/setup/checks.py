"""The checks of doctor's prerequisites: each looks (never changes anything) and returns a
Finding — present with its version, or missing with why and the steps that fix it."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

from packaging.requirements import Requirement

from ..guests.build import NATIVE_CFLAGS, TOOLCHAIN_HINT, TOOLCHAIN_PACKAGES, clang_version
from ..guests.build import probe_compile, wasm_toolchain_available
from ..guests.native_build import _error_line, compiler_version, find_c_compiler
from ..runtimes.docker_engine import hybrid_cgroup_trap
from ..system import tools
from .configs import daemon_json_runtimes, missing_ulimits
from .engine import EngineAnswer, ask_engine
from .host import Host
from .steps import AptInstall, MountCgroups, PipExtra, PipTool, PodmanUlimits, RegisterRuntime, StartDockerd, Step

EXTRAS = ("wasmer", "wasm3", "http-component")
NODE_MIN_MAJOR = 18
OTHER_ENGINE = ("start that engine, or unset DOCKER_HOST to use this machine's own (doctor never "
                "starts or reconfigures an engine other than the local default one)")


@dataclass(frozen=True)
class Finding:
    ok: bool
    detail: str  # the version when present, why when missing
    steps: tuple[Step, ...] = ()  # what `doctor --fix` does about it
    manual: str = ""  # missing and nothing doctor can do: what to do by hand
    waits_for: str = ""  # missing, and set up by another prerequisite's fix (its name)


class Look:
    """One diagnosis: the machine, and answers asked once and shared by several checks."""

    def __init__(self, host: Host) -> None:
        self.host = host

    @cached_property
    def engine(self) -> EngineAnswer:
        return ask_engine()


def docker_engine(look: Look) -> Finding:
    engine = look.engine
    if engine.up:
        return Finding(True, f"Docker Engine {engine.version} at {engine.address}")
    if not look.host.engine_is_local_default():
        return Finding(False, f"nothing answers at {engine.address}: {engine.error}", manual=OTHER_ENGINE)
    if shutil.which("dockerd") is None:
        return Finding(False, "Docker is not installed (no dockerd)", (AptInstall(("docker.io",)), StartDockerd()))
    return Finding(False, f"dockerd is installed, but nothing answers at {engine.address}: {engine.error}",
                   (StartDockerd(),))


def engine_runtimes(look: Look) -> Finding:
    engine, host = look.engine, look.host
    crun = shutil.which("crun")
    steps: tuple[Step, ...] = (() if crun else (AptInstall(("crun",)),)) + (RegisterRuntime("crun", crun or "/usr/bin/crun"),)
    if engine.up:
        missing = [r for r in ("runc", "crun") if r not in engine.runtimes]
        if not missing:
            return Finding(True, f"runc and crun registered (with {len(engine.runtimes) - 2} more)")
        have = f"it has: {', '.join(sorted(engine.runtimes)) or 'none'}"
        if "runc" in missing:
            return Finding(False, f"the engine lists no runc ({have})",
                           manual="reinstall the engine: apt-get install --reinstall docker.io runc")
        if not host.engine_is_local_default():
            return Finding(False, f"the engine lists no crun ({have})", manual=OTHER_ENGINE)
        return Finding(False, f"the engine lists no crun ({have})", steps)
    if not host.engine_is_local_default():
        return Finding(False, "unknown: the engine does not answer", manual=OTHER_ENGINE)
    try:
        registered = "crun" in daemon_json_runtimes(host.engine_config_file().read_text())
    except OSError:
        registered = False
    if registered and crun:
        return Finding(False, f"unknown until the engine answers (crun is in {host.engine_config_file()})",
                       waits_for="docker-engine")
    return Finding(False, f"the engine does not answer, and {host.engine_config_file()} registers no crun", steps)


def cgroup_for_crun(look: Look) -> Finding:
    cgroup = look.host.cgroup
    held = hybrid_cgroup_trap(cgroup)
    if held:
        return Finding(False, f"cgroup v1 whose cgroup2 hierarchy holds {held}: crun refuses it "
                              "(\"cgroups in hybrid mode not supported\")", (MountCgroups(tuple(held.split())),))
    if (cgroup / "cgroup.controllers").exists():
        return Finding(True, "cgroup v2")
    moved = [c.name for c in (cgroup / "hugetlb",) if c.is_dir()]
    return Finding(True, "cgroup v1, nothing in the cgroup2 hierarchy" + (" (hugetlb mounted as v1)" if moved else ""))


def _static_link_error(cc: str) -> str | None:
    """None when `cc` links a static hello here, else its error line."""
    try:
        proc = probe_compile(cc, NATIVE_CFLAGS, "hello", "wasmscope-doctor-")
    except (OSError, subprocess.SubprocessError) as err:
        return str(err)
    return None if proc.returncode == 0 else _error_line(proc.stderr)


def c_compiler(look: Look) -> Finding:
    cc = find_c_compiler()
    if cc is None:
        return Finding(False, "no C compiler ($WASMSCOPE_CC, clang, cc, gcc)", (AptInstall(("clang", "libc6-dev")),))
    error = _static_link_error(cc)
    if error:
        return Finding(False, f"{cc} cannot link statically: {error}", (AptInstall(("libc6-dev",)),))
    return Finding(True, f"{compiler_version()} ({cc}), static libc")


def wasi_toolchain(look: Look) -> Finding:
    why = wasm_toolchain_available()
    if why is None:
        return Finding(True, clang_version() or "clang")
    return Finding(False, why.removesuffix(f": {TOOLCHAIN_HINT}"), (AptInstall(TOOLCHAIN_PACKAGES),))


def version_line(path: str, flag: str) -> str:
    """The line of `path flag`'s output that names the program (wrk prints it on stderr,
    Debian's chromium wrapper prints a shell warning first); "" when it does not run."""
    try:
        out = subprocess.run([path, flag], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = [ln.strip() for ln in (out.stdout + "\n" + out.stderr).splitlines() if ln.strip()]
    name = Path(path).name.lower()
    line = next((ln for ln in lines if ln.lower().startswith(name)), lines[0] if lines else "")
    words = line.split()
    upto = next((i for i, w in enumerate(words) if any(c.isdigit() for c in w)), len(words) - 1)
    return " ".join(words[:upto + 1])[:60].rstrip(",;:")


def command(name: str, package: str, flag: str = "--version") -> Callable[[Look], Finding]:
    """A check: `name` on PATH (its version line), else `apt-get install package`."""
    def check(look: Look) -> Finding:
        path = shutil.which(name)
        if path is None:
            return Finding(False, f"{name} not found on PATH", (AptInstall((package,)),))
        return Finding(True, f"{version_line(path, flag) or name} ({path})")
    return check


def node(look: Look) -> Finding:
    path = shutil.which("node") or shutil.which("nodejs")
    if path is None:
        return Finding(False, "node not found on PATH (node, nodejs)", (AptInstall(("nodejs",)),))
    line = version_line(path, "--version")
    major = line.lstrip("v").split(".")[0]
    if major.isdigit() and int(major) < NODE_MIN_MAJOR:
        return Finding(False, f"node {line} is too old ({NODE_MIN_MAJOR}+: node:wasi preview1)",
                       manual=f"install Node.js {NODE_MIN_MAJOR} or newer (nodejs.org, nvm)")
    return Finding(True, f"node {line} ({path})")


def tool(spec: tools.ToolSpec) -> Callable[[Look], Finding]:
    """A check: the tool found where wasmscope looks (the pinned major), else its pip install."""
    major = spec.major if spec.exact else None

    def check(look: Look) -> Finding:
        found = tools.locate(spec, major)
        if found is not None:
            return Finding(True, found.describe())
        version = f" {major}.x" if major is not None else ""
        return Finding(False, f"no {spec.title}{version} found (${spec.env_var}, PATH, wasmscope's tools dir, "
                              f"the {spec.packages[0]} package)", (PipTool(spec.name),))
    return check


def podman_ulimits(look: Look) -> Finding:
    conf = look.host.containers_conf
    try:
        text = conf.read_text()
    except OSError:
        text = None
    try:
        missing = missing_ulimits(text, PodmanUlimits.wanted(), str(conf))
    except Exception as err:  # noqa: BLE001 - a broken file is a finding, not a crash
        return Finding(False, str(err), manual=f"fix {conf} by hand")
    if missing:
        return Finding(False, f"{conf} sets no default_ulimits for {', '.join(u.split('=')[0] for u in missing)}",
                       (PodmanUlimits(),))
    return Finding(True, f"{conf} sets nofile and nproc")


def extra_requirements(extra: str) -> tuple[str, ...]:
    """The requirements wasmscope's metadata lists for an extra, e.g. ("wasmer-sdk<0.6,>=0.5",)."""
    try:
        listed = importlib.metadata.requires("wasmscope") or []
    except importlib.metadata.PackageNotFoundError:
        return ()
    out = []
    for text in listed:
        req = Requirement(text)
        if req.marker is not None and req.name != "wasmscope" and req.marker.evaluate({"extra": extra}):
            out.append(f"{req.name}{req.specifier}")
    return tuple(out)


def _unmet(requirement: str) -> str | None:
    """None when the installed distribution satisfies it, else what is wrong."""
    req = Requirement(requirement)
    try:
        have = importlib.metadata.version(req.name)
    except importlib.metadata.PackageNotFoundError:
        return f"{req.name} not installed"
    return None if req.specifier.contains(have, prereleases=True) else f"{req.name} {have} (wants {req.specifier})"


def _build_steps(extra: str) -> tuple[Step, ...]:
    """What building pywasm3 from source needs first: the C compiler pip will call (Debian's
    Python names x86_64-linux-gnu-gcc: package gcc) and Python's headers."""
    if extra != "wasm3":
        return ()
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    packages = [] if shutil.which(cc) else ["clang" if "clang" in cc else "gcc"]
    include = Path(sysconfig.get_paths()["include"])
    if not (include / "Python.h").exists() and str(include).startswith("/usr/include/"):
        packages.append(f"python{sys.version_info.major}.{sys.version_info.minor}-dev")
    return (AptInstall(tuple(packages)),) if packages else ()


def extra(name: str) -> Callable[[Look], Finding]:
    def check(look: Look) -> Finding:
        requirements = extra_requirements(name)
        if not requirements:
            return Finding(False, "wasmscope's package metadata lists no requirements for it",
                           manual=f"reinstall wasmscope: pip install '.[{name}]'")
        unmet = [why for r in requirements if (why := _unmet(r))]
        if unmet:
            return Finding(False, "; ".join(unmet), (*_build_steps(name), PipExtra(name, requirements)))
        return Finding(True, ", ".join(f"{Requirement(r).name} {importlib.metadata.version(Requirement(r).name)}"
                                       for r in requirements))
    return check
