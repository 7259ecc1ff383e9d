"""Spin starter files for the Wasm components: spin.toml, a SpinApp for SpinKube, the OCI image
of the app for Docker's Spin shim (Dockerfile.wasm) and, for Python, the WIT world.

Every component is an HTTP component of one Spin application. Languages whose toolchain builds
a wasi:http component (Rust, TinyGo, JavaScript, Python, .NET) use Spin's default executor;
C, C++, standard Go and the rest build a plain WASI command module, which Spin runs through
its WAGI executor (CGI: the request in environment variables and stdin, the response on
stdout). Spin and SpinKube are not available where wasmscope is tested: the files say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .questions import label

SPIN_PORT = 80  # Spin in the containerd shim and in SpinKube listens here
NOT_RUN = "not run here: Spin and SpinKube cannot run on the machine that tests wasmscope"
PY_WORLD = "http-app"


@dataclass(frozen=True)
class WasmBuild:
    source: str  # the artifact spin.toml loads
    command: str  # the build command ("" for a module you build yourself)
    wagi: bool  # a plain WASI command module run by Spin's WAGI executor
    expects: str
    tested: str = ""  # what wasmscope's tests do with it ("" = nothing)


BUILDS: dict[str, WasmBuild] = {
    "rust": WasmBuild("target/wasm32-wasip1/release/{snake}.wasm", "cargo build --target wasm32-wasip1 --release",
                      False, "a Spin Rust SDK crate (crate-type = [\"cdylib\"]; cargo names the artifact {snake}.wasm)"),
    "c": WasmBuild("{name}.wasm", "clang --target=wasm32-wasi -O2 -o {name}.wasm src/*.c", True,
                   "C sources in src/*.c whose main() writes a CGI response (headers, blank line, body) to stdout",
                   "its build command is run by wasmscope's tests (Debian's clang and wasi-libc) and the module "
                   "answers a CGI request under `wasmtime run`"),
    "cpp": WasmBuild("{name}.wasm", "clang++ --target=wasm32-wasi -O2 -fno-exceptions -o {name}.wasm src/*.cpp", True,
                     "C++ sources in src/*.cpp whose main() writes a CGI response to stdout (needs libc++ for WASI)"),
    "tinygo": WasmBuild("main.wasm", "tinygo build -target=wasip1 -buildmode=c-shared -no-debug -o main.wasm .", False,
                        "a TinyGo module using the Spin Go SDK (github.com/spinframework/spin-go-sdk)"),
    "go": WasmBuild("{name}.wasm", "GOOS=wasip1 GOARCH=wasm go build -o {name}.wasm .", True,
                    "a standard Go (1.21+) main package that writes a CGI response to stdout: wasip1 has no "
                    "sockets and no HTTP export, so it runs as a WAGI module"),
    "javascript": WasmBuild("dist/{name}.wasm", "npm install && npm run build", False,
                            "a Spin JS SDK project whose `npm run build` writes dist/{name}.wasm"),
    "python": WasmBuild("{name}.wasm", f"componentize-py -d wit -w {PY_WORLD} componentize app -o {{name}}.wasm", False,
                        "app.py exporting wasi:http's IncomingHandler (componentize-py bindings), and in wit/deps the "
                        "wasi:* 0.2.0 WIT packages (the spin-sdk wheel ships them in spin_sdk/wit/deps)",
                        "its build command is run by wasmscope's tests (componentize-py) and `wasmtime serve` "
                        "answers a request from the component"),
    "dotnet": WasmBuild("bin/Release/net8.0/wasi-wasm/publish/{name}.wasm", "dotnet publish -c Release", False,
                        "a componentize-dotnet project (preview) exporting wasi:http"),
}
for _lang in ("java", "other"):
    BUILDS[_lang] = WasmBuild("{name}.wasm", "", True, "a wasm32-wasi command module your toolchain builds into "
                              "./{name}.wasm, writing a CGI response to stdout")


def upper_first(text: str) -> str:
    """A clause as the start of a sentence (capitalize() would lower-case Spin and SpinKube)."""
    return text[:1].upper() + text[1:]


def _fmt(text: str, name: str) -> str:
    return text.format(name=name, snake=name.replace("-", "_"))


def var_name(service: str) -> str:
    """A Spin variable (lower snake case) holding a container service's URL."""
    return service.replace("-", "_") + "_url"


def artifact(language: str, name: str, workdir: str) -> str:
    src = _fmt(BUILDS[language].source, name)
    return f"{workdir}/{src}" if workdir else src


def status(language: str) -> str:
    tested = BUILDS[language].tested
    return (f"{tested}; the app itself is {NOT_RUN}" if tested
            else f"UNTESTED: the {label('language', language)} build is not run by wasmscope's tests, "
                 f"and the app is {NOT_RUN}")


def spin_toml(app: str, parts: list[tuple[str, str]], services: list[str]) -> str:
    """One Spin application serving every Wasm component (name, language) over HTTP; each may
    call the container services (by their URLs in Spin variables)."""
    many = len(parts) > 1
    lines = [f"# Spin application {app} (written by `wasmscope advise`). Build: `spin build`; run: `spin up`.",
             "# Checked against Spin's manifest rules (ids, versions, trigger/component links) by wasmscope;",
             f"# {upper_first(NOT_RUN)}."]
    for name, lang in parts:
        lines.append(f"# {name}: expects {_fmt(BUILDS[lang].expects, name)}; {status(lang)}.")
    lines += ["", "spin_manifest_version = 2", "", "[application]", f'name = "{app}"', 'version = "0.1.0"',
              f'description = "{app}: HTTP components on Spin"']
    if services:
        lines += ["", "[variables]"] + [f'{var_name(s)} = {{ default = "http://{s}:8080" }}' for s in services]
    for name, lang in parts:
        b = BUILDS[lang]
        route = f"/{name}/..." if many else "/..."
        lines += ["", "[[trigger.http]]", f'route = "{route}"', f'component = "{name}"']
        if b.wagi:
            lines.append('executor = { type = "wagi" }')
        workdir = name if many else ""
        lines += ["", f"[component.{name}]", f'source = "{artifact(lang, name, workdir)}"']
        hosts = ", ".join(f'"http://{s}:8080"' for s in services)
        lines.append(f"allowed_outbound_hosts = [{hosts}]")
        if services:
            lines.append("variables = { " + ", ".join(f'{var_name(s)} = "{{{{ {var_name(s)} }}}}"' for s in services)
                         + " }")
        if b.command:
            lines += ["", f"[component.{name}.build]", f'command = "{_fmt(b.command, name)}"']
            if workdir:
                lines.append(f'workdir = "{workdir}"')
    return "\n".join(lines) + "\n"


def python_world() -> str:
    return (f"// The world of a Python HTTP component (written by `wasmscope advise`): what `wasmtime serve`\n"
            f"// and Spin offer a wasi:http handler. Put the wasi:* 0.2.0 packages it includes in wit/deps.\n"
            f"package local:app;\n\nworld {PY_WORLD} {{\n  include wasi:http/proxy@0.2.0;\n}}\n")


def dockerfile_wasm(app: str, artifacts: list[str]) -> str:
    """The Spin app as an OCI image for containerd-shim-spin (Docker's Spin shim, SpinKube)."""
    copies = "".join(f"COPY {a} /{a}\n" for a in artifacts)
    return (f"# The Spin application {app} as an image for the containerd Spin shim (written by `wasmscope advise`).\n"
            "# Build after `spin build`: docker buildx build --platform wasi/wasm -f Dockerfile.wasm .\n"
            f"# {upper_first(NOT_RUN)}.\nFROM scratch\nCOPY spin.toml /spin.toml\n{copies}")


def spinapp_yaml(app: str, scale_to_zero: bool, services: list[str]) -> str:
    """A SpinApp; with scale to zero, autoscaling handed to KEDA's HTTP add-on (min 0 replicas)."""
    variables = "".join(f"    - name: {var_name(s)}\n      value: \"http://{s}:8080\"\n" for s in services)
    scaling = "  enableAutoscaling: true  # replicas come from the HTTPScaledObject below\n" if scale_to_zero \
        else "  replicas: 2\n"
    doc = (f"# SpinKube: run {app} on Kubernetes (written by `wasmscope advise`). Push the app first\n"
           f"# (`spin registry push <registry>/{app}:0.1.0`) and set spec.image to it.\n"
           + ("# The container services it calls need Kubernetes Services of the same names on port 8080.\n"
              if services else "")
           + f"# {upper_first(NOT_RUN)}; the fields follow the SpinApp CRD (core.spinkube.dev/v1alpha1).\n"
           f"apiVersion: core.spinkube.dev/v1alpha1\nkind: SpinApp\nmetadata:\n  name: {app}\nspec:\n"
           f"  image: \"registry.example/{app}:0.1.0\"\n  executor: containerd-shim-spin\n{scaling}"
           + (f"  variables:\n{variables}" if services else ""))
    if not scale_to_zero:
        return doc
    return doc + (f"---\n# Scale to zero: the KEDA HTTP add-on holds requests while the app starts from 0 replicas.\n"
                  f"apiVersion: http.keda.sh/v1alpha1\nkind: HTTPScaledObject\nmetadata:\n  name: {app}\nspec:\n"
                  f"  hosts:\n    - {app}.example\n  scaleTargetRef:\n    name: {app}\n    kind: Deployment\n"
                  f"    apiVersion: apps/v1\n    service: {app}\n    port: {SPIN_PORT}\n"
                  "  replicas:\n    min: 0\n    max: 10\n  scaledownPeriod: 300\n"
                  "  scalingMetric:\n    requestRate:\n      targetValue: 100\n      granularity: 1s\n      window: 1m\n")
