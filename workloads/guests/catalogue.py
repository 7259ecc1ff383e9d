"""The workload catalogue: built-in workloads from `catalogue.toml` plus a profile's own.

The catalogue is data, not code: a workload names its C source (built-ins) or a user's
`.wasm` module and/or container image.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from ..errors import WorkloadError

PACKAGE_DIR = Path(str(resources.files(__package__)))
WASM_DIR = PACKAGE_DIR / "wasm"
SOURCE_DIR = PACKAGE_DIR / "src"

Kind = Literal["run", "serve"]


@dataclass(frozen=True)
class Workload:
    """One workload and the artifacts each kind of runtime can run it from."""

    name: str
    description: str
    kind: Kind = "run"
    source: Path | None = None  # C source: native binary and container image are built from it
    module: Path | None = None  # wasm32-wasi module
    image: str | None = None  # a user's own container image (built-ins are built locally)
    args: tuple[str, ...] = ()  # default argv after the program name
    ready: str | None = None  # stdout line prefix a `serve` workload prints once ready
    network: bool = False
    builtin: bool = False

    def source_hash(self) -> str:
        """Short content hash of the C source; keys native binaries and image tags."""
        if self.source is None:
            raise WorkloadError(f"workload {self.name!r} has no C source")
        return hashlib.sha256(self.source.read_bytes()).hexdigest()[:12]

    def module_hash(self) -> str:
        if self.module is None:
            raise WorkloadError(f"workload {self.name!r} has no .wasm module")
        return hashlib.sha256(self.module.read_bytes()).hexdigest()


def builtin_workloads() -> dict[str, Workload]:
    """The shipped workloads, keyed by name, with their committed `.wasm` modules."""
    data = tomllib.loads((PACKAGE_DIR / "catalogue.toml").read_text())
    out: dict[str, Workload] = {}
    for name, entry in data.items():
        out[name] = Workload(
            name=name,
            description=entry["description"],
            kind=entry.get("kind", "run"),
            source=PACKAGE_DIR / entry["source"],
            module=WASM_DIR / f"{name}.wasm",
            ready=entry.get("ready"),
            network=bool(entry.get("network", False)),
            builtin=True,
        )
    return out




def user_workload(name: str, *, base: Workload | None, module: Path | None, image: str | None,
                  args: tuple[str, ...] = (), kind: Kind | None = None,
                  ready: str | None = None, description: str = "") -> Workload:
    """A profile's own workload.

    Its artifacts (module, image) replace the built-in's entirely, so a row never mixes the
    user's code with ours; description, kind, args and ready marker are inherited.
    """
    if base is not None:
        return Workload(
            name=name,
            description=description or base.description,
            kind=kind or base.kind,
            module=module,
            image=image,
            args=args or base.args,
            ready=ready if ready is not None else base.ready,
            network=base.network,
        )
    return Workload(name=name, description=description or f"user workload {name}",
                    kind=kind or "run", module=module, image=image, args=args, ready=ready)
