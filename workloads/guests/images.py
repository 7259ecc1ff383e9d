"""Container images for the built-in workloads, built locally FROM scratch.

No registry is reachable, so nothing is pulled: the image is the static binary alone, imported
from an in-memory tar (~0.06 s), tagged `wasmscope/<workload>:<key>` and labelled `wasmscope=1`.

The Debian variant (the reference article's distro-userland row) is a Debian minbase image
built locally once with mmdebstrap from the machine's Debian sources (~15 s, ~80 MB tar),
imported as `wasmscope/debian-base:<suite>-minbase`, plus a derived image per workload that
adds its dynamically linked binary (`wasmscope/<workload>:debian-<key>`). Everything carries
the `wasmscope=1` label, so `wasmscope clean --images` removes it.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
import threading
from pathlib import Path

from .catalogue import Workload
from ..errors import BuildError, WorkloadError


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


def _present(client, tag: str) -> bool:
    """Whether the engine holds `tag` already (images are built here, never pulled)."""
    import docker.errors

    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def ensure_builtin_image(client, workload: Workload, binary: Path, key: str) -> str:
    """The workload's image tag, importing it from the static binary when missing."""
    import docker.errors

    tag = image_tag(workload, key)
    if _present(client, tag):
        return tag
    repo, _, version = tag.partition(":")
    try:
        out = client.api.import_image_from_data(
            _rootfs_tar(binary, workload.name), repository=repo, tag=version,
            changes=[f'ENTRYPOINT ["/{workload.name}"]', "LABEL wasmscope=1",
                     f"LABEL wasmscope.workload={workload.name}"],
        )
        _ensure_tagged(client, out, tag)
    except docker.errors.APIError as err:
        raise BuildError(f"building image {tag} failed: {err.explanation or err}") from err
    return tag


def _ensure_tagged(client, import_output, tag: str) -> None:
    """Podman's Docker-compatible import ignores the `tag` parameter (it tags `:latest`):
    tag the imported id as asked and drop that stray `:latest`."""
    import json

    import docker.errors

    if _present(client, tag):
        return
    image_id = None
    for line in str(import_output).splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            image_id = doc.get("id") or doc.get("status") or image_id
    if not image_id or not str(image_id).startswith("sha256:"):
        raise BuildError(f"importing image {tag}: the engine returned no image id ({str(import_output)[:120]})")
    repo, _, version = tag.partition(":")
    client.api.tag(image_id, repo, version)
    try:
        if client.images.get(f"{repo}:latest").id == client.images.get(tag).id:
            client.api.remove_image(f"{repo}:latest")  # only untags: `tag` still holds the image
    except docker.errors.ImageNotFound:
        pass


def ensure_user_image(client, ref: str) -> str:
    """A user's own image must already be local: nothing can be pulled here."""
    import docker.errors

    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        raise WorkloadError(f"image {ref!r} is not present locally (wasmscope never pulls): "
                            "build or `docker load` it first") from None
    except docker.errors.NullResource:
        raise WorkloadError("image '': empty image name") from None
    except docker.errors.APIError as err:  # 400: the engine cannot parse the name at all
        if err.status_code != 400:
            raise
        why = str(err.explanation or err).rsplit(": ", 1)[-1]
        raise WorkloadError(f"image {ref!r} is not a valid image name: {why}") from None
    return ref


# -- Debian base userland (mmdebstrap) -------------------------------------------------------

DEBIAN_BASE_REPO = "wasmscope/debian-base"
MMDEBSTRAP_HINT = "run `wasmscope doctor --fix`, or install it with `sudo apt-get install -y mmdebstrap`"
_debian_lock = threading.Lock()


def host_suite() -> str:
    """The host's Debian codename (the Debian base image matches it so that the host-built
    dynamic binary finds a glibc at least as new as the one it was linked against)."""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_CODENAME=") and line.split("=", 1)[1].strip('"'):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return "bookworm"


def debian_base_tag(suite: str | None = None, include: tuple[str, ...] = ()) -> str:
    """`wasmscope/debian-base:<suite>-minbase[-pkg…]`; past Docker's 128-character tag limit the
    package list is a hash of it (the packages are in the image's label)."""
    tag = f"{suite or host_suite()}-minbase" + "".join(f"-{pkg}" for pkg in include)
    if len(tag) > 128:
        tag = f"{suite or host_suite()}-minbase-{len(include)}pkgs-" + hashlib.sha256(",".join(include).encode()).hexdigest()[:12]
    return f"{DEBIAN_BASE_REPO}:{tag}"


def debian_base_size(client, suite: str | None = None) -> int | None:
    """Bytes of the Debian base image when it is built, else None."""
    import docker.errors

    try:
        return int(client.images.get(debian_base_tag(suite)).attrs.get("Size") or 0)
    except docker.errors.ImageNotFound:
        return None


def ensure_debian_base(client, suite: str | None = None, include: tuple[str, ...] = ()) -> str:
    """The Debian minbase image (plus `include`d packages, e.g. python3-minimal), built once
    with mmdebstrap (untimed: prepare) and reused by tag."""
    import docker.errors

    tag = debian_base_tag(suite, include)
    with _debian_lock:
        if _present(client, tag):
            return tag
        exe = shutil.which("mmdebstrap")
        if exe is None:
            raise BuildError(f"building the Debian base image {tag} needs mmdebstrap: {MMDEBSTRAP_HINT}")
        from ..system.paths import cache_dir, cache_writes, check_cache_after_failure

        what = f"the root file system of the Debian base image {tag}"
        work = cache_dir() / "debian-base"
        with cache_writes(what):
            work.mkdir(parents=True, exist_ok=True)
            build_dir = tempfile.TemporaryDirectory(dir=work, prefix="build-")
        codename = suite or host_suite()
        with build_dir as tmp:
            rootfs = Path(tmp) / "rootfs.tar"
            try:
                extra = [f"--include={','.join(include)}"] if include else []
                proc = subprocess.run([exe, "--variant=minbase", "--quiet", *extra, codename, str(rootfs)],
                                      capture_output=True, text=True, timeout=900)
            except (OSError, subprocess.SubprocessError) as err:
                raise BuildError(f"mmdebstrap {codename} failed: {err}") from None
            if proc.returncode != 0 or not rootfs.is_file():
                check_cache_after_failure(what)
                lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
                why = next((ln for ln in lines if "E:" in ln or "error" in ln.lower()),
                           lines[-1] if lines else f"exit code {proc.returncode}")
                raise BuildError(f"mmdebstrap {codename} failed: {why.strip()[:200]}")
            repo, _, version = tag.partition(":")
            try:
                out = client.api.import_image_from_file(
                    str(rootfs), repository=repo, tag=version,
                    changes=['CMD ["/bin/sh"]', "LABEL wasmscope=1",
                             f"LABEL wasmscope.base={tag.split(':', 1)[1]}",
                             f"LABEL wasmscope.packages={','.join(include) or '-'}"])
                _ensure_tagged(client, out, tag)
            except docker.errors.APIError as err:
                raise BuildError(f"importing the Debian base image {tag} failed: "
                                 f"{err.explanation or err}") from err
    return tag


def ensure_debian_workload_image(client, workload: Workload, binary: Path, key: str) -> str:
    """`wasmscope/<workload>:<key>`: the Debian base plus the workload's dynamic binary."""
    import docker.errors

    tag = image_tag(workload, key)
    if _present(client, tag):
        return tag
    base = ensure_debian_base(client)
    dockerfile = (f"FROM {base}\n"
                  f"COPY {workload.name} /{workload.name}\n"
                  f'ENTRYPOINT ["/{workload.name}"]\n').encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, mode in (("Dockerfile", dockerfile, 0o644),
                                 (workload.name, binary.read_bytes(), 0o755)):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    try:
        client.images.build(fileobj=buf, custom_context=True, tag=tag, rm=True, forcerm=True,
                            pull=False, labels={"wasmscope": "1", "wasmscope.workload": workload.name,
                                                "wasmscope.base": base})
    except (docker.errors.BuildError, docker.errors.APIError) as err:
        raise BuildError(f"building image {tag} on {base} failed: {getattr(err, 'msg', None) or err}") from err
    return tag


PYTHON_HTTP_TAG = "wasmscope/python-http"


def ensure_python_http_image(client, source: Path) -> str:
    """CPython on a Debian base (Debian's python3 from mmdebstrap) serving `source`: the same
    handler as the Python wasi:http component, in a container. Tagged by the source's hash."""
    import hashlib

    import docker.errors

    data = source.read_bytes()
    include = ("python3",)  # python3-minimal lacks http.server
    key = hashlib.sha256(data + debian_base_tag(None, include).encode()).hexdigest()[:12]
    tag = f"{PYTHON_HTTP_TAG}:{key}"
    if _present(client, tag):
        return tag
    base = ensure_debian_base(client, include=include)
    dockerfile = (f"FROM {base}\nCOPY http_server.py /srv/http_server.py\n"
                  'ENTRYPOINT ["python3", "/srv/http_server.py"]\n').encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in (("Dockerfile", dockerfile), ("http_server.py", data)):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), 0o644, 0
            tar.addfile(info, io.BytesIO(content))
    buf.seek(0)
    try:
        client.images.build(fileobj=buf, custom_context=True, tag=tag, rm=True, forcerm=True, pull=False,
                            labels={"wasmscope": "1", "wasmscope.workload": "python-http", "wasmscope.base": base})
    except (docker.errors.BuildError, docker.errors.APIError) as err:
        raise BuildError(f"building image {tag} on {base} failed: {getattr(err, 'msg', None) or err}") from err
    return tag
