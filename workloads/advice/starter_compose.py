"""Compose files: compose.yaml for the container services, compose.wasm.yaml for the Spin app
on Docker's Spin shim. Together (`docker compose -f compose.yaml -f compose.wasm.yaml up`) they
are one project on one network: distinct service names, distinct host ports, and the Spin app
reaches each container service at http://SERVICE:8080 (its URL in a Spin variable)."""

from __future__ import annotations

from dataclasses import dataclass

from .starter_spin import NOT_RUN, SPIN_PORT, upper_first, var_name

CONTAINER_PORT = 8080
FIRST_HOST_PORT = 8080
WASM_HOST_PORT = 3000
VALIDATED = "validated against the compose-spec JSON schema by wasmscope's tests"


@dataclass(frozen=True)
class Service:
    name: str
    context: str  # build context ("." or the service's directory)
    state: str
    temp_files: bool


def _writable(s: Service) -> list[str]:
    """A read-only root filesystem, plus what the answers say the service writes."""
    lines = ["    read_only: true"]
    if s.temp_files or s.state == "heavy-file-io":
        lines += ["    tmpfs:", "      - /tmp  # temporary files (answered: it writes some)"]
    if s.state == "heavy-file-io":
        lines += ["    volumes:", f"      - {s.name}-data:/data  # heavy file I/O: a named volume, not the image"]
    return lines


def compose_yaml(app: str, services: list[Service]) -> str:
    lines = [f"# Docker Compose for the container services of {app} (written by `wasmscope advise`):",
             "# docker compose up --build  (with the Wasm part: -f compose.yaml -f compose.wasm.yaml)",
             f"# {upper_first(VALIDATED)}.",
             f"name: {app}", "services:"]
    volumes = []
    for i, s in enumerate(services):
        image = f"{s.name}:0.1.0" if s.name == app or s.name.startswith(f"{app}-") else f"{app}-{s.name}:0.1.0"
        lines += [f"  {s.name}:", f"    build: {s.context}", f"    image: {image}",
                  "    ports:", f'      - "{FIRST_HOST_PORT + i}:{CONTAINER_PORT}"',
                  "    environment:", f'      PORT: "{CONTAINER_PORT}"', "    restart: unless-stopped",
                  *_writable(s), "    cap_drop:", "      - ALL", "    security_opt:", '      - "no-new-privileges:true"']
        if s.state == "heavy-file-io":
            volumes.append(f"  {s.name}-data: {{}}")
    if volumes:
        lines += ["volumes:", *volumes]
    return "\n".join(lines) + "\n"


def wasm_service_name(app: str, taken: set[str]) -> str:
    name = f"{app}-wasm"
    while name in taken:
        name += "-spin"
    return name


def compose_wasm_yaml(app: str, service: str, calls: list[str]) -> str:
    env = "".join(f'      SPIN_VARIABLE_{var_name(s).upper()}: "http://{s}:{CONTAINER_PORT}"\n' for s in calls)
    return (f"# The Spin application {app} on Docker's Spin shim (containerd-shim-spin; needs an engine with the\n"
            "# containerd image store and the shim installed, e.g. Docker Desktop's Wasm workloads).\n"
            + ("# Run it with the containers: docker compose -f compose.yaml -f compose.wasm.yaml up --build\n"
               if calls else "# docker compose -f compose.wasm.yaml up --build\n")
            + f"# {upper_first(VALIDATED)}; {NOT_RUN}.\n"
            f"name: {app}\nservices:\n  {service}:\n    build:\n      context: .\n      dockerfile: Dockerfile.wasm\n"
            f"    image: {app}-wasm:0.1.0\n    platform: wasi/wasm\n    runtime: io.containerd.spin.v2\n"
            f'    command: ["/"]\n    ports:\n      - "{WASM_HOST_PORT}:{SPIN_PORT}"\n'
            + (f"    environment:\n{env}" if calls else ""))
