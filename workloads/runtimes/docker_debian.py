"""Docker with a Debian userland: the reference article's "Docker (Ubuntu)" row.

The image is a Debian minbase root filesystem (the host's suite, built once with mmdebstrap
from the machine's Debian sources and cached by tag; build time is untimed, in prepare) plus
the workload's dynamically linked binary, so the container loads ld.so and glibc from the
image, as most real images do. Beside it, the `docker` row is FROM scratch with a static
binary (the article's Alpine-like minimal row).
"""

from __future__ import annotations

import shutil

from ..guests.images import MMDEBSTRAP_HINT, debian_base_size
from .base import Availability
from .docker_engine import DockerVariant


class DockerDebianAdapter(DockerVariant):
    name = "docker-debian"
    display_name = "Docker (Debian base)"
    NEEDS = ("docker-engine", "mmdebstrap")

    def __init__(self, options: dict | None = None) -> None:
        opts = dict(options or {})
        opts.setdefault("base", "debian")
        super().__init__(opts)

    def availability(self) -> Availability:
        base = super().availability()
        if not base.ok:
            return base
        if shutil.which("mmdebstrap") is None and debian_base_size(self.client()) is None:
            return Availability(False, "the Debian base image is not built and mmdebstrap is missing",
                                MMDEBSTRAP_HINT)
        return Availability(True)
