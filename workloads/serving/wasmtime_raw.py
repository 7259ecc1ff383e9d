"""The only place that touches the `wasmtime` package's private raw bindings (`_bindings`).

Two things wasmtime-py 50 does not wrap: the pooling instance allocator and WASI stdin from
bytes in memory. Both exist in the C API the package binds; if a future package drops or
renames them, each function here raises RawBindingsUnavailable with the reason and the caller
falls back (on-demand allocator, stdin from a file).
"""

from __future__ import annotations

import ctypes

import wasmtime


class RawBindingsUnavailable(Exception):
    """The raw binding is missing or refused the call; the message says which."""


def _binding(name: str):
    try:
        from wasmtime import _bindings as B
    except ImportError as err:  # pragma: no cover - depends on the installed package
        raise RawBindingsUnavailable(f"wasmtime._bindings not importable: {err}") from None
    fn = getattr(B, name, None)
    if fn is None:
        raise RawBindingsUnavailable(f"wasmtime._bindings has no {name}")
    return fn


# Default slot size: the handler needs 2 pages of linear memory; 64 MiB leaves room for any
# module of this kind while keeping slots x size far from what aborts Engine() (see notes).
POOL_MAX_MEMORY_BYTES = 64 << 20
POOL_MAX_RESERVATION_BYTES = 256 << 30  # refuse configs that reserve more address space


def enable_pooling(cfg: wasmtime.Config, *, instances: int, max_memory_bytes: int = POOL_MAX_MEMORY_BYTES) -> None:
    """Switch `cfg` to the pooling allocator with `instances` slots (1 memory, 1 table each).

    Stacks are not pooled (`total_stacks = 0`): the default adds two memory maps per slot and
    runs into vm.max_map_count. Raises RawBindingsUnavailable (nothing changed) when a binding
    is missing, ValueError when slots x memory would reserve too much address space (an
    oversized pool aborts the whole process inside Engine(), so it is checked here first).
    """
    if instances < 1:
        raise ValueError("the pool needs at least one slot")
    if instances * max_memory_bytes > POOL_MAX_RESERVATION_BYTES:
        raise ValueError(f"pool of {instances} slots x {max_memory_bytes >> 20} MiB would reserve "
                         f"more than {POOL_MAX_RESERVATION_BYTES >> 30} GiB of address space")
    names = ("wasmtime_pooling_allocation_config_new", "wasmtime_pooling_allocation_config_total_core_instances_set",
             "wasmtime_pooling_allocation_config_total_memories_set",
             "wasmtime_pooling_allocation_config_total_tables_set",
             "wasmtime_pooling_allocation_config_total_stacks_set",
             "wasmtime_pooling_allocation_config_max_memory_size_set",
             "wasmtime_pooling_allocation_strategy_set", "wasmtime_pooling_allocation_config_delete")
    new, inst_set, mem_set, tab_set, stack_set, size_set, strategy_set, delete = (_binding(n) for n in names)
    pc = new()
    try:
        inst_set(pc, instances)
        mem_set(pc, instances)
        tab_set(pc, instances)
        stack_set(pc, 0)
        size_set(pc, max_memory_bytes)
        strategy_set(cfg.ptr(), pc)  # copies the pool config into cfg
    finally:
        delete(pc)


def set_stdin_bytes(wasi: wasmtime.WasiConfig, data: bytes) -> None:
    """Give the guest `data` as its whole stdin, from memory (no file, no pipe).

    `wasi_config_set_stdin_bytes` takes ownership of the byte vector it is given, so the vector
    is not deleted here.
    """
    vec_new = _binding("wasm_byte_vec_new")
    set_bytes = _binding("wasi_config_set_stdin_bytes")
    from wasmtime import _bindings as B

    vec = B.wasm_byte_vec_t()
    buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if data else (ctypes.c_uint8 * 1)()
    vec_new(ctypes.byref(vec), len(data), ctypes.cast(buf, ctypes.POINTER(ctypes.c_uint8)))
    set_bytes(wasi.ptr(), ctypes.byref(vec))
