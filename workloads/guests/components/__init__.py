"""wasmscope's HTTP workload as a Python wasi:http component, served by `wasmtime serve`.

`build_component()` builds it once with componentize-py (cached by source hash and tool
versions); `serve_component(cli, ...)` runs it and returns a `ServeInstance`. `guest/` and
`wit/` hold what runs inside the component; nothing here imports them on the host.
"""

from .builder import MODES, ServeInstance, build_component, component_key, component_path, serve_component

__all__ = ["MODES", "ServeInstance", "build_component", "component_key", "component_path", "serve_component"]
