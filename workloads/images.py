"""Container images for the built-in workloads, built locally FROM scratch.

No registry is reachable, so nothing is pulled: the image is the static binary alone, imported
from an in-memory tar (~0.06 s), tagged `wasmscope/<workload>:<key>` and labelled `wasmscope=1`.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from .catalogue import Workload
from .errors import BuildError, WorkloadError


def image_tag(workload: Workload, key: str) -> str:
    return f"wasmscope/{workload.name}:{key}"


def _rootfs_tar(binary: Path, name: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        data = binary.read_bytes()
        info.size, info.mode, info.mtime = len(data), 0o755, 0
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def ensure_builtin_image(client, workload: Workload, binary: Path, key: str) -> str:
    """The workload's image tag, importing it from the static binary when missing."""
    import docker.errors

    tag = image_tag(workload, key)
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    repo, _, version = tag.partition(":")
    try:
        client.api.import_image_from_data(
            _rootfs_tar(binary, workload.name), repository=repo, tag=version,
            changes=[f'ENTRYPOINT ["/{workload.name}"]', "LABEL wasmscope=1",
                     f"LABEL wasmscope.workload={workload.name}"],
        )
    except docker.errors.APIError as err:
        raise BuildError(f"building image {tag} failed: {err.explanation or err}") from err
    return tag


def ensure_user_image(client, ref: str) -> str:
    """A user's own image must already be local: nothing can be pulled here."""
    import docker.errors

    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        raise WorkloadError(f"image {ref!r} is not present locally (wasmscope never pulls): "
                            "build or `docker load` it first") from None
    return ref
