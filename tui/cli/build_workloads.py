"""`wasmscope build-workloads`: rebuild the committed .wasm workloads from C."""

from __future__ import annotations

import argparse
from pathlib import Path

from .exit_codes import ExitCode

NAME = "build-workloads"
SWEEPS_AT_START = True  # the next run of any kind removes what dead runs left


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="rebuild the committed .wasm workloads from C (needs clang)")
    p.add_argument("--out", help="output directory (default: the package's wasm/ folder)")
    p.add_argument("--component", action="store_true",
                   help="also rebuild the Python wasi:http component (needs componentize-py, spin-sdk)")
    return p


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.workloads.guests.build import build_wasm

    built = build_wasm(Path(ns.out) if ns.out else None)
    for name, path in built.items():
        print(f"built {name}: {path} ({path.stat().st_size} bytes)")
    if ns.component:
        from wasmscope.workloads.guests.components.builder import COMMITTED, write_committed

        out = write_committed(Path(ns.out) / COMMITTED.name if ns.out else COMMITTED)
        print(f"built http-component: {out} ({out.stat().st_size} bytes; not byte-for-byte reproducible)")
    return ExitCode.OK
