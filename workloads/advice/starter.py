"""Starter deployment files for a recommendation: which component goes where, and the files.

Wasm components become HTTP components of one Spin application (spin.toml, a SpinApp for
SpinKube, an image for Docker's Spin shim and compose.wasm.yaml); container services get a
Dockerfile each and compose.yaml. A component split in two ("both") is a Spin component in
front of a container service named `<name>-backend`. Every file says in its header whether
wasmscope's tests build or run it, and so does `starter_files()`'s status of each file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import WasmscopeError
from . import starter_compose as C
from . import starter_docker as D
from . import starter_spin as S
from .questions import Answers, Component
from .spin_manifest import check_spin_manifest
from .system import Advice

SCALE_TO_ZERO_KINDS = ("serverless", "edge-function")
SCALE_TO_ZERO_TRAFFIC = ("spiky", "idle")


class StarterFilesError(WasmscopeError):
    """Starter files cannot be written where asked (one line for the user)."""


@dataclass(frozen=True)
class StarterFile:
    path: str  # relative to the directory they are written into
    text: str
    status: str  # whether wasmscope's tests build/run/validate it, in words


def _placement(answers: Answers, advice: Advice) -> tuple[list[Component], list[tuple[str, Component]]]:
    """(the Wasm components, the container services as (service name, component))."""
    by_name = {c.name: c for c in answers.components}
    wasm = [by_name[a.name] for a in advice.components if a.verdict in ("wasm", "both")]
    boxes = [(a.backend or a.name, by_name[a.name]) for a in advice.components if a.verdict in ("containers", "both")]
    return wasm, boxes


def _container_files(app: str, boxes: list[tuple[str, Component]]) -> list[StarterFile]:
    files, services = [], []
    for service, comp in boxes:
        where = "" if len(boxes) == 1 else f"{service}/"
        files.append(StarterFile(f"{where}Dockerfile", D.dockerfile(comp.language, service), D.status(comp.language)))
        files.append(StarterFile(f"{where}.dockerignore", D.DOCKERIGNORE, "keeps build output out of the image"))
        services.append(C.Service(service, "." if not where else f"./{service}", comp.state, comp.temp_files))
    files.append(StarterFile("compose.yaml", C.compose_yaml(app, services), C.VALIDATED))
    return files


def _wasm_files(app: str, wasm: list[Component], services: list[str]) -> list[StarterFile]:
    parts = [(c.name, c.language) for c in wasm]
    manifest = S.spin_toml(app, parts, services)
    problems = check_spin_manifest(manifest)
    if problems:  # a template bug, never the user's answers
        raise WasmscopeError(f"internal: the generated spin.toml breaks Spin's manifest rules: {problems[0]}")
    statuses = "; ".join(f"{c.name}: {S.status(c.language)}" for c in wasm)
    files = [StarterFile("spin.toml", manifest, f"checked against Spin's manifest rules; {statuses}")]
    many = len(wasm) > 1
    for c in wasm:
        if c.language == "python":
            files.append(StarterFile(f"{c.name + '/' if many else ''}wit/world.wit", S.python_world(),
                                     S.status("python")))
    scale = any(c.kind in SCALE_TO_ZERO_KINDS or c.traffic in SCALE_TO_ZERO_TRAFFIC for c in wasm)
    files.append(StarterFile("spinapp.yaml", S.spinapp_yaml(app, scale, services),
                             f"fields follow the SpinApp CRD; {S.NOT_RUN}"))
    artifacts = [S.artifact(c.language, c.name, c.name if many else "") for c in wasm]
    files.append(StarterFile("Dockerfile.wasm", S.dockerfile_wasm(app, artifacts), S.NOT_RUN))
    service = C.wasm_service_name(app, set(services))
    files.append(StarterFile("compose.wasm.yaml", C.compose_wasm_yaml(app, service, services),
                             f"{C.VALIDATED}; {S.NOT_RUN}"))
    return files


def starter_files(answers: Answers, advice: Advice) -> list[StarterFile]:
    """The files for where the recommendation puts each component."""
    wasm, boxes = _placement(answers, advice)
    files = _wasm_files(answers.name, wasm, [s for s, _ in boxes]) if wasm else []
    return files + (_container_files(answers.name, boxes) if boxes else [])


def write_files(directory: Path | str, files: list[StarterFile], *, overwrite: bool = False) -> list[Path]:
    """Write the files (each atomically); refuses to replace existing ones unless asked."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise StarterFilesError(f"{directory}: exists and is not a directory (give a directory for the files)")
    targets = [directory / f.path for f in files]
    existing = [t for t in targets if t.exists()]
    if existing and not overwrite:
        raise StarterFilesError(f"{existing[0]}: already exists (pass --force to replace it)")
    written = []
    try:
        for f, path in zip(files, targets):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(f.text, encoding="utf-8")
            os.replace(tmp, path)
            written.append(path)
    except OSError as err:
        where = err.filename or directory
        raise StarterFilesError(f"{where}: cannot write: {err.strerror or err}") from None
    return written
