"""Starter deployment files for a recommendation, using the user's application name.

Wasm: spin.toml (Spin), a SpinApp manifest (SpinKube) and a Compose file on Docker's Wasm
runtime; containers: a Dockerfile and a Compose file; both: all of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from .questions import Answers

# (wasm build command, wasm artifact) per language, for spin.toml
WASM_BUILD = {
    "rust": ("cargo build --target wasm32-wasip1 --release", "target/wasm32-wasip1/release/{snake}.wasm"),
    "c-cpp": ("clang --target=wasm32-wasi -O2 -o {name}.wasm src/main.c", "{name}.wasm"),
    "tinygo": ("tinygo build -target=wasip1 -o {name}.wasm .", "{name}.wasm"),
    "go": ("GOOS=wasip1 GOARCH=wasm go build -o {name}.wasm .", "{name}.wasm"),
    "javascript": ("npm run build", "dist/{name}.wasm"),
    "python": ("componentize-py -w spin-http componentize app -o {name}.wasm", "{name}.wasm"),
    "java": ("mvn -P wasm package", "target/{name}.wasm"),
    "dotnet": ("dotnet build -c Release", "bin/Release/{name}.wasm"),
    "other": ("make wasm", "{name}.wasm"),
}

# (build stage, runtime stage) per language for the Dockerfile
DOCKER_STAGES = {
    "rust": ("FROM rust:1-slim AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\n",
             "FROM debian:bookworm-slim\nCOPY --from=build /src/target/release/{snake} /usr/local/bin/{name}\n"
             'CMD ["/usr/local/bin/{name}"]\n'),
    "c-cpp": ("FROM gcc:13 AS build\nWORKDIR /src\nCOPY . .\nRUN gcc -O2 -static -o /src/{name} src/main.c\n",
              "FROM scratch\nCOPY --from=build /src/{name} /{name}\n" 'CMD ["/{name}"]\n'),
    "tinygo": ("FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /src/{name} .\n",
               "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /src/{name} /{name}\n" 'CMD ["/{name}"]\n'),
    "javascript": ("FROM node:20-slim AS build\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\nCOPY . .\n",
                   "FROM node:20-slim\nWORKDIR /app\nCOPY --from=build /app /app\n" 'CMD ["node", "index.js"]\n'),
    "python": ("FROM python:3.12-slim AS build\nWORKDIR /app\nCOPY requirements.txt .\n"
               "RUN pip install --no-cache-dir --prefix=/install -r requirements.txt\n",
               "FROM python:3.12-slim\nWORKDIR /app\nCOPY --from=build /install /usr/local\nCOPY . .\n"
               'CMD ["python", "-m", "{snake}"]\n'),
    "java": ("FROM maven:3-eclipse-temurin-21 AS build\nWORKDIR /src\nCOPY . .\nRUN mvn -q package -DskipTests\n",
             "FROM eclipse-temurin:21-jre\nCOPY --from=build /src/target/{name}.jar /app/{name}.jar\n"
             'CMD ["java", "-jar", "/app/{name}.jar"]\n'),
    "dotnet": ("FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build\nWORKDIR /src\nCOPY . .\n"
               "RUN dotnet publish -c Release -o /out\n",
               "FROM mcr.microsoft.com/dotnet/aspnet:8.0\nWORKDIR /app\nCOPY --from=build /out .\n"
               'ENTRYPOINT ["dotnet", "{name}.dll"]\n'),
}
DOCKER_STAGES["go"] = DOCKER_STAGES["tinygo"]
DOCKER_STAGES["other"] = ("FROM debian:bookworm-slim AS build\nWORKDIR /src\nCOPY . .\nRUN make\n",
                          "FROM debian:bookworm-slim\nCOPY --from=build /src/{name} /usr/local/bin/{name}\n"
                          'CMD ["/usr/local/bin/{name}"]\n')

PORT = 8080


def _fmt(text: str, a: Answers) -> str:
    return text.format(name=a.name, snake=a.name.replace("-", "_"))


def spin_toml(a: Answers) -> str:
    build, source = (_fmt(x, a) for x in WASM_BUILD[a.language])
    return f'''# Spin application manifest for {a.name} (written by wasmscope advise)
spin_manifest_version = 2

[application]
name = "{a.name}"
version = "0.1.0"
description = "{a.name}: HTTP component on Spin"

[[trigger.http]]
route = "/..."
component = "{a.name}"

[component.{a.name}]
source = "{source}"
allowed_outbound_hosts = []

[component.{a.name}.build]
command = "{build}"
'''


def spinapp_yaml(a: Answers) -> str:
    return f'''# SpinKube: run {a.name} on Kubernetes (kubectl apply -f spinapp.yaml); push the app
# first with `spin registry push <registry>/{a.name}:0.1.0` and set spec.image to it.
apiVersion: core.spinkube.dev/v1alpha1
kind: SpinApp
metadata:
  name: {a.name}
spec:
  image: "registry.local/{a.name}:0.1.0"
  executor: containerd-shim-spin
  replicas: 2
'''


def compose_wasm_yaml(a: Answers) -> str:
    return f'''# Docker Compose on Docker's Wasm runtime (runwasi containerd shim; needs Docker Desktop
# or an engine with the containerd image store and the wasmtime shim installed).
services:
  {a.name}:
    image: {a.name}-wasm:0.1.0
    platform: wasi/wasm
    runtime: io.containerd.wasmtime.v1
    ports:
      - "{PORT}:{PORT}"
'''


def dockerfile(a: Answers) -> str:
    build, run = DOCKER_STAGES[a.language]
    return f"# Container image for {a.name} (written by wasmscope advise)\n" + _fmt(build, a) + "\n" + _fmt(run, a).replace(
        "CMD", f"EXPOSE {PORT}\nCMD", 1).replace("ENTRYPOINT", f"EXPOSE {PORT}\nENTRYPOINT", 1)


def compose_yaml(a: Answers) -> str:
    return f'''# Docker Compose for {a.name} as a container (docker compose up --build)
services:
  {a.name}:
    build: .
    image: {a.name}:0.1.0
    ports:
      - "{PORT}:{PORT}"
    restart: unless-stopped
    read_only: true
    cap_drop:
      - ALL
'''


def starter_files(a: Answers, verdict: str) -> dict[str, str]:
    """File name → contents for the verdict (wasm, containers or both)."""
    files: dict[str, str] = {}
    if verdict in ("wasm", "both"):
        files.update({"spin.toml": spin_toml(a), "spinapp.yaml": spinapp_yaml(a),
                      "compose.wasm.yaml": compose_wasm_yaml(a)})
    if verdict in ("containers", "both"):
        files.update({"Dockerfile": dockerfile(a), "compose.yaml": compose_yaml(a)})
    return files


def write_files(directory: Path, files: dict[str, str], *, overwrite: bool = False) -> list[Path]:
    """Write the files; refuses to replace existing ones unless asked (no silent data loss)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    existing = [directory / n for n in files if (directory / n).exists()]
    if existing and not overwrite:
        from ..errors import WasmscopeError

        raise WasmscopeError(f"{existing[0]}: already exists (pass --force to replace it)")
    written = []
    for name, text in files.items():
        path = directory / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(path)
    return written
