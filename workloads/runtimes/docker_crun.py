"""Docker with the crun OCI runtime instead of runc: the same engine, image and hardening,
containers created with `--runtime crun` (crun is written in C, runc in Go).

The engine must know crun: `apt-get install -y crun`, then in /etc/docker/daemon.json
`{"runtimes": {"crun": {"path": "/usr/bin/crun"}}}` and `kill -HUP $(pidof dockerd)` (dockerd
reloads `runtimes` live; no restart needed). On a cgroup v1 host whose cgroup2 hierarchy holds
a controller (this VM: hugetlb) crun 1.8 refuses to run ("cgroups in hybrid mode not
supported") until that controller is mounted as v1.
"""

from __future__ import annotations

from .base import Availability
from .docker_engine import CRUN_HINT, HYBRID_HINT, DockerVariant, engine_address, hybrid_cgroup_trap


class DockerCrunAdapter(DockerVariant):
    name = "docker-crun"
    display_name = "Docker (crun)"

    OCI_RUNTIME = "crun"
    NEEDS = ("docker-engine", "engine-runtimes", "cgroup-for-crun")

    def __init__(self, options: dict | None = None) -> None:
        opts = dict(options or {})
        opts["oci_runtime"] = opts.get("oci_runtime") or self.OCI_RUNTIME
        super().__init__(opts)

    RUNTIMES_HINT = CRUN_HINT

    def runtimes_availability(self, runtimes: dict) -> Availability:
        if self.oci_runtime not in runtimes:
            listed = ", ".join(sorted(runtimes)) or "none"
            return Availability(False, f"the Docker engine lists no {self.oci_runtime!r} runtime "
                                       f"(it has: {listed})", CRUN_HINT)
        held = hybrid_cgroup_trap() if engine_address().startswith("unix://") else None
        if held:
            return Availability(False, f"crun cannot run here: cgroup v1 host with controllers in "
                                       f"the cgroup2 hierarchy ({held})", HYBRID_HINT)
        return Availability(True)
