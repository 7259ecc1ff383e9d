"""Modal screens of the wasmscope app."""
