"""Dockerfiles for a container service, one template per language, with what each expects of
the project and whether wasmscope's tests build it.

Each image runs its service on port 8080 (`PORT=8080` in its environment). A template whose
language has Debian packages is built by the test suite from a generated hello-HTTP project
(on locally built stand-ins for its base images: no registry is reachable there) and the
container answers a request; the others are marked untested, in the file and in the output.
"""

from __future__ import annotations

from dataclasses import dataclass

from .starter_spin import upper_first

PORT = 8080
TESTED = ("tested: built and run by wasmscope's tests: a hello-HTTP {lang} project, `docker build` on locally built "
          "stand-ins for {bases} (Debian 12 packages), and the container answered on port {port}")


@dataclass(frozen=True)
class Template:
    lang: str  # how the header names the language
    expects: str  # what the project must look like
    build: str  # the build stage ("" when the image only packages a prebuilt binary)
    run: str  # the runtime stage (EXPOSE/ENV/CMD are added)
    cmd: str
    bases: tuple[str, ...]  # every FROM, for the test's stand-ins
    untested: str = ""  # why the tests cannot build it ("" = they do)


TEMPLATES: dict[str, Template] = {
    "rust": Template(
        "Rust", "a Cargo package whose binary is named {name} (cargo keeps the hyphens: target/release/{name})",
        "FROM rust:1-slim-bookworm AS build\nWORKDIR /src\nCOPY . .\n"
        "RUN cargo build --release && install -D target/release/{name} /out/{name}\n",
        "FROM debian:bookworm-slim\nCOPY --from=build /out/{name} /usr/local/bin/{name}\n",
        '["/usr/local/bin/{name}"]', ("rust:1-slim-bookworm", "debian:bookworm-slim")),
    "c": Template(
        "C", "C sources in src/*.c (linked statically into {name})",
        "FROM gcc:13-bookworm AS build\nWORKDIR /src\nCOPY . .\n"
        "RUN mkdir -p /out && gcc -O2 -static -o /out/{name} src/*.c\n",
        "FROM scratch\nCOPY --from=build /out/{name} /{name}\n", '["/{name}"]', ("gcc:13-bookworm",)),
    "cpp": Template(
        "C++", "C++ sources in src/*.cpp (linked statically into {name})",
        "FROM gcc:13-bookworm AS build\nWORKDIR /src\nCOPY . .\n"
        "RUN mkdir -p /out && g++ -O2 -static -o /out/{name} src/*.cpp\n",
        "FROM scratch\nCOPY --from=build /out/{name} /{name}\n", '["/{name}"]', ("gcc:13-bookworm",)),
    "go": Template(
        "Go", "a Go module (go.mod) whose main package is at the root",
        "FROM golang:1.22-bookworm AS build\nWORKDIR /src\nCOPY . .\n"
        "RUN CGO_ENABLED=0 go build -trimpath -o /out/{name} .\n",
        "FROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/{name} /{name}\n", '["/{name}"]',
        ("golang:1.22-bookworm", "gcr.io/distroless/static-debian12")),
    "javascript": Template(
        "JavaScript", "package.json with its package-lock.json, and index.js as the entry point",
        "FROM node:20-bookworm-slim AS build\nWORKDIR /app\nCOPY package.json package-lock.json ./\n"
        "RUN npm ci --omit=dev\nCOPY . .\n",
        "FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY --from=build /app /app\nENV NODE_ENV=production\n",
        '["node", "index.js"]', ("node:20-bookworm-slim",)),
    "python": Template(
        "Python", "requirements.txt and a module {snake} (python -m {snake} serves on $PORT)",
        "FROM python:3.12-slim-bookworm AS build\nWORKDIR /app\nCOPY requirements.txt .\n"
        "RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir --disable-pip-version-check "
        "-r requirements.txt\n",
        "FROM python:3.12-slim-bookworm\nWORKDIR /app\nCOPY --from=build /venv /venv\nCOPY . .\n"
        "ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1\n",
        '["python", "-m", "{snake}"]', ("python:3.12-slim-bookworm",)),
    "java": Template(
        "Java", "a Maven project (pom.xml, src/) that packages one runnable jar (Main-Class in its manifest); "
                "Maven names it artifactId-version.jar, so the build copies whichever jar it made",
        "FROM maven:3-eclipse-temurin-21 AS build\nWORKDIR /src\nCOPY pom.xml .\nCOPY src ./src\n"
        "RUN mvn -B -q package -DskipTests && mkdir -p /out \\\n"
        "    && jar=$(ls target/*.jar | grep -v -e '-sources\\.jar$' -e '-javadoc\\.jar$' -e '/original-') \\\n"
        "    && [ \"$(echo \"$jar\" | wc -l)\" = 1 ] && cp \"$jar\" /out/app.jar\n",
        "FROM eclipse-temurin:21-jre\nCOPY --from=build /out/app.jar /app/app.jar\n",
        '["java", "-jar", "/app/app.jar"]', ("maven:3-eclipse-temurin-21", "eclipse-temurin:21-jre")),
    "dotnet": Template(
        "C#/.NET", "{name}.csproj at the root (the published dll is named after the project)",
        "FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build\nWORKDIR /src\nCOPY . .\n"
        "RUN dotnet publish -c Release -o /out\n",
        "FROM mcr.microsoft.com/dotnet/aspnet:8.0\nWORKDIR /app\nCOPY --from=build /out .\n"
        "ENV ASPNETCORE_HTTP_PORTS=8080\n",
        '["dotnet", "{name}.dll"]', ("mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/aspnet:8.0"),
        untested="Debian packages no .NET SDK, so wasmscope's tests cannot build it"),
    "other": Template(
        "your language", "a Linux x86-64 executable you build yourself into build/{name} (it must listen on $PORT); "
                         "this image only packages it",
        "", "FROM debian:bookworm-slim\nCOPY build/{name} /usr/local/bin/{name}\n",
        '["/usr/local/bin/{name}"]', ("debian:bookworm-slim",)),
}
TEMPLATES["tinygo"] = TEMPLATES["go"]  # in a container, TinyGo code builds with the standard toolchain

DOCKERIGNORE = ".git\ntarget/\nnode_modules/\n__pycache__/\n*.wasm\n.venv/\nbin/\nobj/\n"


def status(language: str) -> str:
    t = TEMPLATES[language]
    if t.untested:
        return f"UNTESTED: {t.untested}"
    return TESTED.format(lang=t.lang, bases=", ".join(t.bases), port=PORT)


def dockerfile(language: str, name: str) -> str:
    """The Dockerfile of one container service named `name`."""
    t = TEMPLATES[language]
    fmt = {"name": name, "snake": name.replace("-", "_")}
    head = (f"# Container image for {name} (written by `wasmscope advise`): serves HTTP on port {PORT}.\n"
            f"# Expects {t.expects.format(**fmt)}.\n# {upper_first(status(language))}.\n")
    body = (t.build.format(**fmt) + "\n" if t.build else "") + t.run.format(**fmt)
    return head + "\n" + body + f"ENV PORT={PORT}\nEXPOSE {PORT}\nCMD {t.cmd.format(**fmt)}\n"
