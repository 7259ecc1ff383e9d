"""The wasmtime CLI's other modes as rows of their own (the default row keeps its compile cache
on): compile cache off (`-C cache=n`: Cranelift on every run) and precompiled (`wasmtime
compile` once, untimed; runs load the .cwasm with `--allow-precompiled`). A profile asks for
them by name in `[bench] runtimes`."""

from __future__ import annotations

from .wasmtime_cli import WasmtimeCliAdapter


class WasmtimeCliNoCacheAdapter(WasmtimeCliAdapter):
    name = "wasmtime-cli-nocache"
    display_name = "Wasmtime CLI (no cache)"
    COMPONENT_HOST = False  # a run mode of its own: `wasmtime serve` is the default row's
    CHART_NAME = "wt-nocache"

    def __init__(self, options: dict | None = None) -> None:
        super().__init__({**(options or {}), "cache": False})


class WasmtimeCliPrecompiledAdapter(WasmtimeCliAdapter):
    name = "wasmtime-cli-aot"
    display_name = "Wasmtime CLI (precompiled)"
    COMPONENT_HOST = False
    CHART_NAME = "wt-aot"

    def __init__(self, options: dict | None = None) -> None:
        super().__init__({**(options or {}), "precompiled": True})
