"""Docker running the Wasm module itself through a runwasi containerd shim
(`docker run --runtime=io.containerd.wasmtime.v1 --platform=wasi/wasm`), as the article's
"Docker's Wasm runtimes" do: the container is the .wasm file alone, run by the shim's wasmtime.

Detected from the engine's runtime list; Debian's docker.io 20.10 lists none and the shims are
not packaged in the registries reachable here, so on this machine the row says what is missing.
The image (FROM scratch with the module as its entrypoint) and the command are built the same
way as for the other Docker rows; that path is only exercised where a shim is installed.
"""

from __future__ import annotations

from pathlib import Path

from ..guests.catalogue import Workload
from ..errors import WorkloadError
from .base import Availability
from .docker_engine import DockerVariant

SHIMS = ("io.containerd.wasmtime.v1", "io.containerd.spin.v2", "io.containerd.wasmedge.v1",
         "io.containerd.wasmer.v1")
SHIM_HINT = ("install runwasi's containerd-shim-wasmtime-v1 on PATH and register it in "
             "/etc/docker/daemon.json (\"runtimes\": {\"io.containerd.wasmtime.v1\": {\"runtimeType\": "
             "\"io.containerd.wasmtime.v1\"}}), with the containerd image store (Docker 24+)")


def shim_in(runtimes: dict) -> str | None:
    """The first Wasm shim an engine's `docker info` Runtimes lists, or None."""
    return next((s for s in SHIMS if s in runtimes), None)


def shim_command(shim: str, image: str, args: list[str]) -> str:
    """The equivalent `docker run` of one run under a Wasm shim."""
    return " ".join(["docker run --rm", f"--runtime={shim}", "--platform=wasi/wasm", "--network none",
                     "--label wasmscope=1", image, *args])


class DockerWasmAdapter(DockerVariant):
    name = "docker-wasm"
    display_name = "Docker (Wasm shim)"
    kind = "wasm"
    SPAWNER = ""
    GRANTS_DIR = False  # unverified here: no shim on this machine to check how mounts reach the guest
    READ_ONLY_DIRS = False
    INSTANCE_WORD = "container"
    NO_LISTEN = "a Wasm shim container gets no pre-opened listening socket for a WASI preview 1 module"
    MEMORY_LIMIT = "cgroup memory limit of the shim's container"
    WHERE_INSTALLED = True  # a runwasi shim: no Debian package, doctor does not set it up

    RUNTIMES_HINT = SHIM_HINT

    def runtimes_availability(self, runtimes: dict) -> Availability:
        shim = shim_in(runtimes)
        if shim is None:
            return Availability(False, f"the Docker engine lists no Wasm shim (it has: "
                                       f"{', '.join(sorted(runtimes)) or 'none'})", SHIM_HINT)
        self.oci_runtime = shim
        return Availability(True)

    def mode(self) -> str:
        return (f"{self.oci_runtime or 'a runwasi shim'}: the module alone as a wasi/wasm image, "
                f"run by the shim's own runtime, a container per run")

    def cannot_run(self, workload: Workload) -> str | None:
        if workload.module is None:
            return f"workload {workload.name!r} has no .wasm module"
        return None

    def host_network_variant(self) -> None:
        return None

    def image_for(self, workload: Workload) -> str:
        from ..guests.images import ensure_builtin_image

        reason = self.supports(workload)
        if reason:
            raise WorkloadError(f"Docker (Wasm shim) cannot run {workload.name}: {reason}")
        assert workload.module is not None
        key = "wasm-" + workload.module_hash()[:16]
        cached = self._images.get(key)
        if cached:
            return cached
        tag = ensure_builtin_image(self.client(), workload, Path(workload.module), key)
        self._images[key] = tag
        return tag

    def command_line(self, workload: Workload, args=()) -> str:
        return shim_command(self.oci_runtime or SHIMS[0], f"wasmscope/{workload.name}:wasm-<hash>", list(args))
