"""Worker process that runs one long-running module under the embedded wasmtime.

Prints `wasmscope-host {"rss": N}` just before instantiating (so the host's own memory can be
told apart from the instance's), then runs `_start` with the guest's stdout inherited.
"""

from __future__ import annotations

import argparse
import json
import sys

import psutil
import wasmtime

from .wasmtime_engine import make_engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wasmscope-wasmtime-worker")
    parser.add_argument("--cwasm", required=True)
    parser.add_argument("--memory-limit-mib", type=int, default=512)
    parser.add_argument("--name", default="guest")
    parser.add_argument("--dir", action="append", default=[], help="HOST::GUEST[::ro] granted to the guest")
    parser.add_argument("--env", action="append", default=[], help="K=V in the guest's environment")
    parser.add_argument("args", nargs="*")
    ns = parser.parse_args(argv)
    engine = make_engine()
    module = wasmtime.Module.deserialize_file(engine, ns.cwasm)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = [ns.name, *ns.args]
    wasi.env = [tuple(e.split("=", 1)) for e in ns.env]
    for grant in ns.dir:
        host, guest, *mode = grant.split("::")
        wasi.preopen_dir(host, guest, mode != ["ro"])
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    store.set_wasi(wasi)
    store.set_limits(memory_size=ns.memory_limit_mib << 20)
    store.set_epoch_deadline(2**62)  # no deadline: the host stops this worker by signal
    print("wasmscope-host " + json.dumps({"rss": psutil.Process().memory_info().rss}), flush=True)
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as exc:
        return exc.code
    except wasmtime.Trap as exc:
        print(f"trap: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 134
    return 0


if __name__ == "__main__":
    sys.exit(main())
