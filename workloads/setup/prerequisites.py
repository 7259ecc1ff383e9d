"""What wasmscope's runtimes and measurements need besides themselves: a declarative table of
prerequisites (name, check, the fix steps the check returns). Runtime adapters name the ones
they need (`NEEDS`); the checks live in checks.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..system import tools
from . import checks
from .checks import Finding, Look


@dataclass(frozen=True)
class Prerequisite:
    name: str  # what adapters' NEEDS name
    title: str
    check: Callable[[Look], Finding]
    needs: tuple[str, ...] = ()  # prerequisites this one builds on
    measurements: tuple[str, ...] = ()  # measurements that use it (beyond the runtimes' NEEDS)
    used_for: str = ""  # what uses it when no runtime or measurement does
    optional: str = ""  # why a machine without it is fine: shown, never fails doctor


PREREQUISITES: tuple[Prerequisite, ...] = (
    Prerequisite("docker-engine", "Docker engine reachable", checks.docker_engine),
    Prerequisite("engine-runtimes", "engine runtimes runc + crun registered", checks.engine_runtimes,
                 needs=("docker-engine",)),
    Prerequisite("cgroup-for-crun", "cgroup set-up crun needs", checks.cgroup_for_crun),
    Prerequisite("c-compiler", "C compiler with static libc", checks.c_compiler),
    Prerequisite("wasi-toolchain", "wasm32-wasi C toolchain", checks.wasi_toolchain,
                 used_for="rebuilding the .wasm files (build-workloads, tests)"),
    Prerequisite("wrk", "wrk (HTTP load at full speed)", checks.command("wrk", "wrk", "-v"),
                 measurements=("io",)),
    Prerequisite("chromium", "Chromium", checks.command("chromium", "chromium"),
                 used_for="the `wasmscope serve` browser test"),
    Prerequisite("tmux", "tmux", checks.command("tmux", "tmux", "-V"), used_for="the app's real-terminal tests"),
    Prerequisite("ssh-client", "OpenSSH client (ssh)", checks.command("ssh", "openssh-client", "-V"),
                 used_for="`bench --host`: measuring remote hosts over SSH"),
    Prerequisite("sshd", "OpenSSH server (sshd)", checks.command("sshd", "openssh-server", "-V"),
                 used_for="the remote-host tests (an sshd on a loopback port)"),
    *(Prerequisite(f"tools/{spec.name}", f"{spec.title} in wasmscope's tools dir", checks.tool(spec),
                   measurements=("platforms",) if spec is tools.WASH else ())
      for spec in tools.TOOLS.values()),
    Prerequisite("podman-cli", "Podman", checks.command("podman", "podman")),
    Prerequisite("podman-ulimits", "Podman's default ulimits (containers.conf)", checks.podman_ulimits,
                 needs=("podman-cli",), optional="wasmscope passes its own ulimits to each container; "
                 "these are for `podman run` by hand"),
    Prerequisite("mmdebstrap", "mmdebstrap (the Debian base image)", checks.command("mmdebstrap", "mmdebstrap")),
    Prerequisite("nodejs", "Node.js 18+", checks.node),
    *(Prerequisite(f"extra/{extra}", f"Python extra [{extra}]", checks.extra(extra),
                   measurements=("platforms",) if extra == "http-component" else ())
      for extra in checks.EXTRAS),
)
BY_NAME = {p.name: p for p in PREREQUISITES}
