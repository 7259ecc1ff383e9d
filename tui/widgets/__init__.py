"""Reusable widgets of the wasmscope app."""
