"""Labels that tie every container to the wasmscope process that made it, and the cleanup.

A container whose owner process is gone (crash, kill -9) is stale: the next wasmscope that
talks to Docker removes it, and `wasmscope clean` removes it on demand.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

import psutil

LABEL = "wasmscope"
OWNER_PID = "wasmscope.owner-pid"
OWNER_START = "wasmscope.owner-start"
OWNER_HOST = "wasmscope.owner-host"


def session_labels(**extra: str) -> dict[str, str]:
    """Labels for a container made by this process."""
    me = psutil.Process()
    labels = {LABEL: "1", OWNER_PID: str(me.pid), OWNER_START: f"{me.create_time():.2f}",
              OWNER_HOST: socket.gethostname()}
    labels.update(extra)
    return labels


def owner_alive(labels: dict[str, str]) -> bool:
    """True when the process that made the container still runs (pid reuse ruled out)."""
    if labels.get(OWNER_HOST) not in (None, socket.gethostname()):
        return True  # another machine's session: not ours to judge
    try:
        pid = int(labels.get(OWNER_PID, "0"))
        start = float(labels.get(OWNER_START, "0"))
    except ValueError:
        return False
    if pid <= 0:
        return False
    try:
        return abs(psutil.Process(pid).create_time() - start) < 1.0
    except psutil.Error:
        return False


@dataclass
class CleanReport:
    containers: list[str] = field(default_factory=list)  # "name (id12, image)"
    images: list[str] = field(default_factory=list)
    kept_live: int = 0

    def lines(self) -> list[str]:
        out = [f"removed container {c}" for c in self.containers]
        out += [f"removed image {i}" for i in self.images]
        if self.kept_live:
            out.append(f"kept {self.kept_live} container(s) of running wasmscope sessions (use --all)")
        if not self.containers and not self.images:
            out.insert(0, "nothing to clean")
        return out


def remove_containers(client, *, include_live: bool = False) -> CleanReport:
    """Remove labelled containers of dead sessions (or all of them with include_live)."""
    report = CleanReport()
    # The low-level list: the high-level one inspects each container and fails on any that
    # its owner removes meanwhile (a per-request front removes one every few hundred ms).
    for c in client.api.containers(all=True, filters={"label": f"{LABEL}=1"}):
        labels = c.get("Labels") or {}
        if not include_live and owner_alive(labels):  # ours included: another adapter may own it
            report.kept_live += 1
            continue
        try:
            client.api.remove_container(c["Id"], force=True)
        except Exception as err:  # already gone (raced with its owner): nothing left to do
            if "No such container" not in str(err) and "404" not in str(err):
                raise
            continue
        name = (c.get("Names") or ["?"])[0].lstrip("/")
        report.containers.append(f"{name} ({c['Id'][:12]}, {c.get('Image', '?')})")
    return report


def clean(client, *, include_live: bool = False, images: bool = False,
          already: CleanReport | None = None) -> CleanReport:
    """Containers of dead sessions, dangling labelled images, and with `images` every image.

    `already` is what an earlier pass (a client's first contact) removed, reported too.
    """
    report = remove_containers(client, include_live=include_live)
    if already is not None:
        report.containers[:0] = already.containers
    for img in client.images.list(filters={"label": f"{LABEL}=1", "dangling": True}):
        client.images.remove(img.id, force=True)
        report.images.append(f"{img.short_id} (dangling)")
    if images:
        for img in client.images.list(filters={"label": f"{LABEL}=1"}):
            tags = ", ".join(img.tags) or img.short_id
            try:
                client.images.remove(img.id, force=True)
            except Exception as err:
                if "No such image" not in str(err):
                    raise
                continue
            report.images.append(tags)
    return report
