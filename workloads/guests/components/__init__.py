"""wasmscope's HTTP workload as a Python wasi:http component.

`build_component()` builds it once with componentize-py (cached by source hash and tool
versions); `runtimes/wasmtime_serve.py` serves it with `wasmtime serve`. `guest/` and `wit/` hold
what runs inside the component; nothing here imports them on the host.
"""

from .builder import build_component, component_key, component_path

__all__ = ["build_component", "component_key", "component_path"]
