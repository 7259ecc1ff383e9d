"""The wasmscope engine: workload catalogue, builds, runtime adapters and measurements.

Nothing in this package imports Textual: the TUI and the headless CLI are front ends over it.
"""
