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
from typing import Literal, Sequence

from ..errors import WorkloadError
from .fetch import NpmFile
from .run_spec import Expect, Grant

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
    # A listening workload's arguments where the guest binds its own socket: {port} and {host}
    # filled in by the runtime's adapter (a pre-opened socket needs none of them).
    listen_args: tuple[str, ...] = ()
    builtin: bool = False
    # -- how a user's program runs (the same on every runtime) ---------------------------------
    env: tuple[tuple[str, str], ...] = ()  # the guest's environment (nothing else of ours)
    stdin: bytes | None = None  # the guest's stdin (from a file or given as text)
    dirs: tuple[Grant, ...] = ()  # host directories granted to the guest
    native: tuple[str, ...] = ()  # the same program as a host command (the native baseline)
    command: tuple[str, ...] = ()  # the container's command in `image` (its entrypoint kept)
    measure: tuple[str, ...] = ()  # the measurements that apply (empty: those of its kind)
    expect: Expect | None = None  # what a run must produce to count (None: exit code 0)
    fetch: NpmFile | None = None  # where `module` comes from when wasmscope fetches it

    def argv(self, builtin_args: Sequence[str]) -> list[str]:
        """A run's arguments: a built-in workload takes the measurement's own (fib's N, idle's
        MiB); a user's program always gets exactly its own `args`, never hidden ones."""
        return list(builtin_args) if self.builtin else list(self.args)

    @property
    def is_users(self) -> bool:
        return not self.builtin

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
            listen_args=tuple(entry.get("listen_args", ())),
            builtin=True,
        )
    return out




def user_workload(name: str, *, base: Workload | None, **fields) -> Workload:
    """A profile's own workload (`fields`: any of Workload's, as the profile gave them).

    Its artifacts (module, image, source, native command) replace the built-in's entirely, so a
    row never mixes the user's code with ours; description, kind, args, ready marker, network
    and listen arguments are inherited where the profile does not set them.
    """
    given = {k: v for k, v in fields.items() if v not in (None, "", ())}
    if base is not None:
        inherited = {k: getattr(base, k) for k in ("description", "kind", "args", "ready", "network", "listen_args")}
        return Workload(name=name, **{**inherited, **given})
    given.setdefault("description", f"user workload {name}")
    return Workload(name=name, **given)
