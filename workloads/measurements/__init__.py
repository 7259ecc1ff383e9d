"""Registry of measurements: each one module with a `Measurement` subclass (see `base.py`).

Adding a measurement: write one module, then add one line to `REGISTRY` below. The order here
is the order of tables in every front end. Modules load lazily, so that listing names (the
profile schema does) stays cheap.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from ..registry import resolve

if TYPE_CHECKING:
    from .base import Measurement

REGISTRY: dict[str, str] = {
    "startup": "startup:Startup",
    "memory": "memory:Memory",
    "compute": "compute:Compute",
    "io": "io:HttpIo",
    "platforms": "platforms:Platforms",
    "misbehave": "misbehave:Misbehave",
    "density": "density:Density",
    "check": "selfcheck:HarnessCheck",
}


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


@lru_cache(maxsize=None)
def _load(spec: str) -> "Measurement":
    return resolve(spec, __name__)()


def get(name: str) -> "Measurement":
    """The measurement registered under `name` (KeyError if none is)."""
    return _load(REGISTRY[name])


def registered() -> list["Measurement"]:
    """Every measurement, in table order."""
    return [get(n) for n in REGISTRY]


def bench_names() -> tuple[str, ...]:
    """What `wasmscope bench` (and a profile's `measurements`) can run."""
    return tuple(m.name for m in registered() if m.in_bench)
