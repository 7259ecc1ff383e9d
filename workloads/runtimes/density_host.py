"""A host process that keeps many embedded-wasmtime instances alive: one Engine, many Stores,
as Spin and wasmCloud host many components in one process.

Protocol on stdin/stdout, one line each: `add N` → instantiate N more instances of the module,
each running `_start` with the given argv (idle with `return`: touch memory, then return, the
instance staying alive), answered `added {"total": T, "last_ms": x, "batch_ms": y}`; `quit` →
exit. Errors answer `error <one line>`. The garbage collector is off: past ~10k live
instances it slows creation about fourfold (machine notes).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time

import wasmtime

from .wasmtime_engine import make_engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wasmscope-density-host")
    parser.add_argument("--cwasm", required=True)
    parser.add_argument("--memory-limit-mib", type=int, default=64)
    parser.add_argument("args", nargs="*")
    ns = parser.parse_args(argv)
    gc.disable()
    engine = make_engine()
    module = wasmtime.Module.deserialize_file(engine, ns.cwasm)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    pre = linker.instantiate_pre(module) if hasattr(linker, "instantiate_pre") else None
    live: list[tuple[wasmtime.Store, wasmtime.Instance]] = []
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "quit":
            break
        if cmd != "add":
            print(f"error unknown command {cmd!r} (expected add N or quit)", flush=True)
            continue
        try:
            n = int(arg)
            t0 = time.perf_counter()
            last = 0.0
            for _ in range(n):
                t1 = time.perf_counter()
                store = wasmtime.Store(engine)
                wasi = wasmtime.WasiConfig()
                wasi.argv = ["idle", *ns.args]
                store.set_wasi(wasi)  # no stdout: the guest's ready line goes nowhere
                store.set_limits(memory_size=ns.memory_limit_mib << 20)
                store.set_epoch_deadline(2**62)
                instance = pre.instantiate(store) if pre is not None else linker.instantiate(store, module)
                try:
                    instance.exports(store)["_start"](store)
                except wasmtime.ExitTrap as exc:
                    if exc.code != 0:
                        raise RuntimeError(f"instance exited with code {exc.code}") from None
                live.append((store, instance))
                last = (time.perf_counter() - t1) * 1e3
            batch = (time.perf_counter() - t0) * 1e3
            print("added " + json.dumps({"total": len(live), "last_ms": round(last, 4),
                                         "batch_ms": round(batch, 3)}), flush=True)
        except (ValueError, RuntimeError, wasmtime.WasmtimeError) as err:
            print(f"error {str(err).splitlines()[0] if str(err) else type(err).__name__}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
