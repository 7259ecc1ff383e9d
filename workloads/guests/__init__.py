"""The workloads themselves: the catalogue, C sources (src/), committed .wasm builds (wasm/),
native and container builds, the module check, and the Python wasi:http component."""
