"""Registry of runtime adapters.

Adding a runtime: write one module with a `RuntimeAdapter` subclass, then add one line to
`REGISTRY` below ("module:Class"; a module name with a dot is an absolute import path, so a
runtime can live outside this package). Adapters are imported lazily so that listing names
stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import resolve

if TYPE_CHECKING:
    from .base import RuntimeAdapter

REGISTRY: dict[str, str] = {
    "wasmtime": "wasmtime_embedded:WasmtimeAdapter",
    "native": "native:NativeAdapter",
    "docker": "docker_engine:DockerAdapter",
    "wasmtime-cli": "wasmtime_cli:WasmtimeCliAdapter",
    "wasmtime-cli-nocache": "wasmtime_cli_variants:WasmtimeCliNoCacheAdapter",
    "wasmtime-cli-aot": "wasmtime_cli_variants:WasmtimeCliPrecompiledAdapter",
    "wamr": "wamr:WamrAdapter",
    "wasmer": "wasmer_sdk:WasmerSdkAdapter",
    "wasm3": "wasm3:Wasm3Adapter",
    "node": "node_wasi:NodeWasiAdapter",
    "wasmedge": "wasmedge:WasmEdgeAdapter",
    "docker-crun": "docker_crun:DockerCrunAdapter",
    "docker-debian": "docker_debian:DockerDebianAdapter",
    "podman": "podman:PodmanAdapter",
    "docker-wasm": "docker_wasm:DockerWasmAdapter",
}

KNOWN_RUNTIMES: tuple[str, ...] = tuple(REGISTRY)


def adapter_class(name: str) -> type["RuntimeAdapter"]:
    """The adapter class registered under `name` (KeyError if none is)."""
    return resolve(REGISTRY[name], __name__)


def known_runtimes() -> tuple[str, ...]:
    """Every registered runtime, read now (a runtime registered after import counts)."""
    return tuple(REGISTRY)


def create_adapter(name: str, options: dict | None = None) -> "RuntimeAdapter":
    """The adapter of `name` with `options` validated against what it declares (OptionError,
    one line, otherwise)."""
    return adapter_class(name)(options)
