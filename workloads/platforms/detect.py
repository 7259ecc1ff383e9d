"""Detecting the Wasm platforms wasmscope cannot install here: Spin, SpinKube, Docker with
runwasi shims, KWasm.

None of them is in the package registries reachable from this machine, so wasmscope only
looks: each `detect_*` returns a PlatformStatus that, when unavailable, says what is missing
and the one line that gets it. The commands are built and their outputs read by pure
functions (`*_command`, `parse_*`, `read_*`), tested against recorded outputs; `run` is the
only part that starts a process, and every detector takes a replacement for it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Callable, Sequence

from ..runtimes.docker_wasm import SHIM_HINT, SHIMS, shim_in
from ..runtimes.processes import child_env

TIMEOUT_S = 15.0
KUBECTL_TIMEOUT = "5s"
SPINAPP_CRD = "spinapps.core.spinkube.dev"
KWASM_ANNOTATION = "kwasm.sh/kwasm-node"
WANTED_SHIMS = ("io.containerd.wasmtime.v1", "io.containerd.spin.v2")

SPIN_HINT = ("install Spin: curl -fsSL https://spinframework.dev/downloads/install.sh | bash "
             "&& sudo mv spin /usr/local/bin/")
KUBECTL_HINT = ("install kubectl (https://kubernetes.io/docs/tasks/tools/) and point it at a "
                "cluster, e.g. `k3d cluster create wasm`")
CLUSTER_HINT = ("point kubectl at a Kubernetes cluster (KUBECONFIG), or create a local one: "
                "k3d cluster create wasm")
SPINKUBE_HINT = ("install the Spin Operator into the cluster: kubectl apply -f https://github.com/"
                 "spinframework/spin-operator/releases/latest/download/spin-operator.crds.yaml "
                 "(then its runtime class, shim executor and Helm chart: https://www.spinkube.dev/docs/install/)")
KWASM_HINT = ("install KWasm and mark the nodes: helm install -n kwasm --create-namespace kwasm-operator "
              "kwasm/kwasm-operator && kubectl annotate node --all kwasm.sh/kwasm-node=true")
DOCKER_HINT = "install Docker Engine (https://docs.docker.com/engine/install/) and start dockerd"


@dataclass(frozen=True)
class PlatformStatus:
    """Whether a platform is usable here; if not, why (`reason`) and how to get it (`hint`)."""

    name: str
    available: bool
    version: str = ""
    reason: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Ran:
    """A finished command: its exit code and output (returncode 127: not on PATH)."""

    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str]], Ran]


def run(argv: Sequence[str]) -> Ran:
    """Run a detection command with a deadline; a missing binary is exit 127, not an exception."""
    if shutil.which(argv[0]) is None:
        return Ran(127, "", f"{argv[0]}: not found on PATH")
    try:
        proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=TIMEOUT_S,
                              stdin=subprocess.DEVNULL, env=_env())
    except subprocess.TimeoutExpired:
        return Ran(124, "", f"{' '.join(argv)} took more than {TIMEOUT_S:g} s")
    except OSError as err:
        return Ran(126, "", f"{argv[0]}: {err}")
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def _env() -> dict[str, str]:
    env = child_env()
    for key in ("HOME", "KUBECONFIG", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT"):
        if key in os.environ:  # kubectl and docker find their cluster / engine through these
            env[key] = os.environ[key]
    return env


def last_line(text: str) -> str:
    """The most telling line of an error output: kubectl's final summary, else the last line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no output"


# -- Spin ------------------------------------------------------------------------------------

def spin_version_command() -> list[str]:
    return ["spin", "--version"]


def parse_spin_version(stdout: str) -> str | None:
    """`spin 3.1.2 (c8e3b5b 2025-01-27)` → "3.1.2"; None if it is not Spin's answer."""
    words = stdout.split()
    return words[1] if len(words) >= 2 and words[0] == "spin" else None


def detect_spin(runner: Runner = run) -> PlatformStatus:
    ran = runner(spin_version_command())
    if ran.returncode == 127:
        return PlatformStatus("spin", False, reason="spin is not on PATH", hint=SPIN_HINT)
    version = parse_spin_version(ran.stdout) if ran.returncode == 0 else None
    if version is None:
        return PlatformStatus("spin", False, reason=f"spin --version failed (exit {ran.returncode}): "
                              f"{last_line(ran.stderr or ran.stdout)}", hint=SPIN_HINT)
    return PlatformStatus("spin", True, version=version)


# -- Kubernetes: SpinKube and KWasm ----------------------------------------------------------

def spinkube_crd_command() -> list[str]:
    return ["kubectl", "get", "crd", SPINAPP_CRD, "-o", "name", f"--request-timeout={KUBECTL_TIMEOUT}"]


def kubectl_nodes_command() -> list[str]:
    return ["kubectl", "get", "nodes", "-o", "json", f"--request-timeout={KUBECTL_TIMEOUT}"]


def kubectl_failure(stderr: str) -> tuple[str, str]:
    """(reason, hint) for a failed kubectl call: no cluster reachable, or a missing resource."""
    line = last_line(stderr)
    if "NotFound" in stderr or "not found" in line:
        return "", ""  # the cluster answered: the caller says what was not found
    if ("refused" in stderr or "no configuration has been provided" in stderr
            or "current-context" in stderr or "Unable to connect" in stderr
            or "i/o timeout" in stderr or "no such host" in stderr):
        return f"kubectl reaches no cluster: {line}", CLUSTER_HINT
    return f"kubectl failed: {line}", KUBECTL_HINT


def read_crd(ran: Ran) -> tuple[bool, str, str]:
    """(found, reason, hint) from `kubectl get crd spinapps.core.spinkube.dev -o name`."""
    if ran.returncode == 127:
        return False, "kubectl is not on PATH", KUBECTL_HINT
    if ran.returncode == 0 and SPINAPP_CRD in ran.stdout:
        return True, "", ""
    reason, hint = kubectl_failure(ran.stderr)
    if not reason:
        return False, f"the cluster has no {SPINAPP_CRD} CRD (the Spin Operator is not installed)", SPINKUBE_HINT
    return False, reason, hint


def parse_kwasm_nodes(stdout: str) -> list[str]:
    """Names of the nodes annotated kwasm.sh/kwasm-node=true in `kubectl get nodes -o json`.

    Raises ValueError when the text is not a node list."""
    data = json.loads(stdout)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValueError("not a kubectl list: no items")
    out = []
    for node in data["items"]:
        meta = node.get("metadata") or {}
        if (meta.get("annotations") or {}).get(KWASM_ANNOTATION) == "true":
            out.append(meta.get("name", "?"))
    return out


def detect_spinkube(runner: Runner = run) -> PlatformStatus:
    found, reason, hint = read_crd(runner(spinkube_crd_command()))
    if found:
        return PlatformStatus("spinkube", True, version=f"CRD {SPINAPP_CRD}")
    return PlatformStatus("spinkube", False, reason=reason, hint=hint)


def detect_kwasm(runner: Runner = run) -> PlatformStatus:
    ran = runner(kubectl_nodes_command())
    if ran.returncode == 127:
        return PlatformStatus("kwasm", False, reason="kubectl is not on PATH", hint=KUBECTL_HINT)
    if ran.returncode != 0:
        reason, hint = kubectl_failure(ran.stderr)
        return PlatformStatus("kwasm", False, reason=reason or f"kubectl get nodes failed: "
                              f"{last_line(ran.stderr)}", hint=hint or KUBECTL_HINT)
    try:
        nodes = parse_kwasm_nodes(ran.stdout)
    except ValueError as err:
        return PlatformStatus("kwasm", False, reason=f"kubectl get nodes -o json gave no node list: {err}",
                              hint=KUBECTL_HINT)
    if not nodes:
        return PlatformStatus("kwasm", False, reason=f"no node is annotated {KWASM_ANNOTATION}=true",
                              hint=KWASM_HINT)
    return PlatformStatus("kwasm", True, version=f"{len(nodes)} node(s): {', '.join(nodes)}")


# -- Docker + runwasi shims --------------------------------------------------------------------

def docker_runtimes_command() -> list[str]:
    return ["docker", "info", "--format", "{{json .Runtimes}}"]


def parse_docker_runtimes(stdout: str) -> dict:
    """The Runtimes map of `docker info --format '{{json .Runtimes}}'` (or of the whole
    `docker info --format '{{json .}}'`). Raises ValueError on anything else."""
    data = json.loads(stdout)
    if isinstance(data, dict) and isinstance(data.get("Runtimes"), dict):
        data = data["Runtimes"]
    if not isinstance(data, dict):
        raise ValueError("not a runtimes map")
    return data


def read_shims(runtimes: dict) -> tuple[str | None, list[str]]:
    """(the shim wasmscope would use, every Wasm shim listed)."""
    return shim_in(runtimes), [s for s in SHIMS if s in runtimes]


def detect_docker_shims(runner: Runner = run) -> PlatformStatus:
    ran = runner(docker_runtimes_command())
    if ran.returncode == 127:
        return PlatformStatus("docker-wasm-shims", False, reason="docker is not on PATH", hint=DOCKER_HINT)
    if ran.returncode != 0:
        return PlatformStatus("docker-wasm-shims", False, reason=f"docker info failed: "
                              f"{last_line(ran.stderr or ran.stdout)}", hint=DOCKER_HINT)
    try:
        runtimes = parse_docker_runtimes(ran.stdout)
    except ValueError as err:
        return PlatformStatus("docker-wasm-shims", False,
                              reason=f"docker info gave no runtimes map: {err}", hint=DOCKER_HINT)
    shim, listed = read_shims(runtimes)
    if shim is None:
        return PlatformStatus("docker-wasm-shims", False,
                              reason=f"the Docker engine lists no Wasm shim ({' or '.join(WANTED_SHIMS)}); "
                                     f"it has: {', '.join(sorted(runtimes)) or 'none'}", hint=SHIM_HINT)
    return PlatformStatus("docker-wasm-shims", True, version=", ".join(listed))


DETECTORS: dict[str, Callable[[Runner], PlatformStatus]] = {
    "spin": detect_spin,
    "spinkube": detect_spinkube,
    "docker-wasm-shims": detect_docker_shims,
    "kwasm": detect_kwasm,
}


def detect_all(runner: Runner = run) -> list[PlatformStatus]:
    """Every platform's status, in a fixed order."""
    return [detect(runner) for detect in DETECTORS.values()]
