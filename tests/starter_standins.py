"""Stand-in base images for the starter Dockerfiles' FROM lines (no registry is reachable here).

Each stand-in is a Debian minbase root filesystem built by mmdebstrap with the languages'
Debian packages (rustc+cargo for `rust:…`, golang-go for `golang:…`, …), tagged under the very
name the generated Dockerfile's FROM uses, so `docker build` runs the Dockerfile's own steps,
paths and command unchanged. A stand-in is labelled `wasmscope.standin=<fingerprint>` and kept
across test runs: it is rebuilt only when its package list changes. An image of that name
without the label is a real one (pulled by someone): it is used as it is, never replaced.

The versions differ from the real images (Debian 12 has Rust 1.63, Go 1.19, Node 18, Python
3.11, OpenJDK 17): the test projects are written for those, and the report says so.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading

STANDIN_LABEL = "wasmscope.standin"
# The Debian bases carry wasmscope=1 (what `wasmscope clean` and the start-of-run sweeps remove);
# a stand-in overrides it, or every build step's container would look like a dead run's leftover
# and be removed by a concurrent sweep in the middle of a `docker build`.
OWN_LABEL = 'LABEL wasmscope="test-standin"\n'

# FROM name -> (Debian packages, extra Dockerfile lines that make Debian's layout behave like the image)
STANDINS: dict[str, tuple[tuple[str, ...], str]] = {
    "debian:bookworm-slim": ((), ""),
    "gcr.io/distroless/static-debian12": ((), ""),
    "rust:1-slim-bookworm": (("rustc", "cargo"), ""),
    "gcc:13-bookworm": (("build-essential",), ""),
    "golang:1.22-bookworm": (("golang-go",), ""),
    "node:20-bookworm-slim": (("nodejs", "npm"), ""),
    "python:3.12-slim-bookworm": (("python3", "python3-venv", "python-is-python3"), ""),
    # Maven Central is out of reach: the stand-in's Maven reads Debian's packaged plugins offline
    "maven:3-eclipse-temurin-21": (("maven", "maven-debian-helper", "openjdk-17-jdk-headless"),
                                   "RUN mkdir -p /root/.m2 && printf '%s' '<settings><localRepository>"
                                   "/usr/share/maven-repo</localRepository><offline>true</offline></settings>'"
                                   " > /root/.m2/settings.xml\n"),
    "eclipse-temurin:21-jre": (("openjdk-17-jre-headless",), ""),
}
_lock = threading.Lock()
# Every toolchain stand-in is built FROM one Debian base holding all their packages: one
# mmdebstrap (a few minutes on a fresh machine) instead of one per image. A stand-in may hold
# more tools than the image it stands for; the Dockerfiles' own steps, paths and commands are
# what the tests prove.
TOOLCHAINS = tuple(sorted({p for packages, _ in STANDINS.values() for p in packages}))


def _base_packages(name: str) -> tuple[str, ...]:
    """What the stand-in's Debian base holds: every toolchain, or nothing (a runtime-only image)."""
    return TOOLCHAINS if STANDINS[name][0] else ()


def fingerprint(name: str) -> str:
    _, extra = STANDINS[name]
    packages = _base_packages(name)
    return hashlib.sha256(f"{name}\0{','.join(packages)}\0{OWN_LABEL}{extra}".encode()).hexdigest()[:12]


def _existing(client, name: str):
    import docker.errors

    try:
        return client.images.get(name)
    except docker.errors.ImageNotFound:
        return None


def ensure_standin(client, name: str) -> str:
    """`name` present in the engine: a real image as it is, or our stand-in (built when missing
    or stale). Returns what the test uses: "real image" or "stand-in <fingerprint>"."""
    from wasmscope.workloads.guests.images import ensure_debian_base

    with _lock:
        image = _existing(client, name)
        want = fingerprint(name)
        if image is not None:
            label = (image.labels or {}).get(STANDIN_LABEL)
            if label is None:
                return "real image"
            if label == want:
                return f"stand-in {want}"
        _, extra = STANDINS[name]
        base = ensure_debian_base(client, include=_base_packages(name))
        dockerfile = f"FROM {base}\n{OWN_LABEL}{extra}".encode()
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo("Dockerfile")
            info.size, info.mode = len(dockerfile), 0o644
            tar.addfile(info, io.BytesIO(dockerfile))
        buf.seek(0)
        repo, _, tag = name.rpartition(":") if ":" in name.split("/")[-1] else (name, "", "latest")
        client.images.build(fileobj=buf, custom_context=True, tag=f"{repo}:{tag}", rm=True, forcerm=True,
                            pull=False, network_mode="none", labels={STANDIN_LABEL: want})
        if image is not None:  # the stale stand-in it replaces, untagged now
            _remove_quietly(client, image.id)
        return f"stand-in {want}"


def _remove_quietly(client, image_id: str) -> None:
    import docker.errors

    try:
        client.images.remove(image_id)
    except docker.errors.APIError:
        pass  # still used by another image or container: it goes with them


def main() -> None:
    """Build every stand-in now (a warm-up for the tests): `python tests/starter_standins.py`."""
    import sys
    import time

    import docker

    client = docker.from_env(timeout=900)
    for name in sys.argv[1:] or STANDINS:
        t0 = time.monotonic()
        print(f"{name}: {ensure_standin(client, name)} ({time.monotonic() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
