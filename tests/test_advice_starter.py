"""The wizard's starter files, exercised by what can run here: each Dockerfile built by the real
Docker engine from a hello-HTTP project and answering from its container, the Python component
built by componentize-py and served by `wasmtime serve`, the C WAGI module built by clang and run
as a CGI program, the Compose files against the compose-spec schema, and spin.toml against
Spin's manifest rules.

No registry is reachable: the Dockerfiles' base images are stand-ins built locally with
mmdebstrap (tests/starter_standins.py), kept across runs. The first run builds them (a minute
or so each); the `starter_build` marker selects or skips those tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from importlib import resources
from pathlib import Path

import pytest
import yaml

from starter_projects import write_project
from starter_standins import ensure_standin
from wasmscope.workloads.advice.questions import parse_answers
from wasmscope.workloads.advice.rules import load_rules
from wasmscope.workloads.advice.spin_manifest import check_spin_manifest
from wasmscope.workloads.advice.starter import StarterFilesError, starter_files, write_files
from wasmscope.workloads.advice.starter_docker import TEMPLATES
from wasmscope.workloads.advice.system import evaluate
from wasmscope.workloads.guests.components.builder import GUEST_DIR

LANGUAGES = ["rust", "c", "cpp", "tinygo", "go", "javascript", "python", "java", "dotnet", "other"]
BUILT_HERE = [lang for lang in LANGUAGES if not TEMPLATES[lang].untested and lang != "tinygo"]  # tinygo = go's file
CONTAINERS = dict(state="persistent-connections", traffic="steady", kind="service")  # containers for every language
WASM = dict(state="stateless", traffic="spiky", kind="plugin")  # Wasm for every language (a plugin)


def files_for(answers: dict) -> dict[str, str]:
    a = parse_answers(answers)
    return {f.path: f.text for f in starter_files(a, evaluate(a, load_rules()))}


def statuses_for(answers: dict) -> dict[str, str]:
    a = parse_answers(answers)
    return {f.path: f.status for f in starter_files(a, evaluate(a, load_rules()))}


@pytest.fixture(scope="module")
def compose_schema():
    import check_jsonschema
    import jsonschema

    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(path.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def schema_errors(validator, text: str) -> list[str]:
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(yaml.safe_load(text))]


# -- every language, every placement: the files parse and follow their rules --------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_files_follow_spin_and_compose_rules(language, compose_schema):
    for extra in (WASM, CONTAINERS, dict(state="persistent-connections", traffic="spiky", kind="serverless")):
        files = files_for(dict(extra, language=language, name="shop-api"))
        if "spin.toml" in files:
            assert check_spin_manifest(files["spin.toml"]) == []
            docs = list(yaml.safe_load_all(files["spinapp.yaml"]))
            assert docs[0]["kind"] == "SpinApp" and docs[0]["metadata"]["name"] == "shop-api"
        for name in ("compose.yaml", "compose.wasm.yaml"):
            if name in files:
                assert schema_errors(compose_schema, files[name]) == [], files[name]
        if "Dockerfile" in files:
            lines = [ln for ln in files["Dockerfile"].splitlines() if ln.strip() and not ln.startswith("#")]
            assert lines[0].startswith("FROM ") and lines[-1].startswith("CMD [")


def test_nothing_untested_passes_for_tested():
    """Files not built here say so in their header and in what the CLI prints."""
    statuses = statuses_for(dict(CONTAINERS, language="dotnet", name="shop-api"))
    text = files_for(dict(CONTAINERS, language="dotnet", name="shop-api"))["Dockerfile"]
    assert statuses["Dockerfile"].startswith("UNTESTED") and "# UNTESTED: Debian packages no .NET SDK" in text
    wasm = statuses_for(dict(WASM, language="rust", name="shop-api"))
    assert "UNTESTED" in wasm["spin.toml"] and "not run here: Spin and SpinKube cannot run" in wasm["spin.toml"]
    assert "not run here" in wasm["spinapp.yaml"] and "not run here" in wasm["compose.wasm.yaml"]
    assert "# Not run here: Spin and SpinKube cannot run" in files_for(dict(WASM, language="rust"))["spin.toml"]
    tested = statuses_for(dict(CONTAINERS, language="rust", name="shop-api"))["Dockerfile"]
    assert tested.startswith("tested: built and run by wasmscope's tests")


def test_spin_ids_and_artifacts():
    files = files_for(dict(WASM, language="rust", name="rust-svc"))
    spin = tomllib.loads(files["spin.toml"])
    assert spin["component"]["rust-svc"]["source"] == "target/wasm32-wasip1/release/rust_svc.wasm"  # a cdylib
    docker = files_for(dict(CONTAINERS, language="rust", name="rust-svc"))["Dockerfile"]
    assert "install -D target/release/rust-svc /out/rust-svc" in docker  # a binary keeps the hyphen
    c = tomllib.loads(files_for(dict(WASM, language="c", name="hello"))["spin.toml"])
    assert c["trigger"]["http"][0]["executor"] == {"type": "wagi"}  # a plain main() module is served as CGI
    cpp = files_for(dict(CONTAINERS, language="cpp", name="hello"))["Dockerfile"]
    assert "g++ -O2 -static -o /out/hello src/*.cpp" in cpp and "src/main.c" not in cpp
    java = files_for(dict(CONTAINERS, language="java", name="hello"))["Dockerfile"]
    assert "target/hello.jar" not in java and "cp \"$jar\" /out/app.jar" in java


@pytest.mark.parametrize("manifest, problem", [
    ('spin_manifest_version = 2\n[application]\nname = "a"\n[[trigger.http]]\nroute = "/..."\ncomponent = "9lives"\n'
     '[component.9lives]\nsource = "a.wasm"\n', "component.9lives: '9lives' is not a Spin component id"),
    ('spin_manifest_version = 2\n[application]\nname = "a"\nversion = "1.0"\n[[trigger.http]]\nroute = "/..."\n'
     'component = "a"\n[component.a]\nsource = "a.wasm"\n', "application.version: '1.0' is not a semantic version"),
    ('spin_manifest_version = 2\n[application]\nname = "a"\n[[trigger.http]]\nroute = "/..."\ncomponent = "b"\n'
     '[component.a]\nsource = "a.wasm"\n', "trigger.http[0].component: 'b' names no [component.b]"),
    ('spin_manifest_version = 2\n[application]\nname = "a"\n[[trigger.http]]\nroute = "..."\ncomponent = "a"\n'
     '[component.a]\nsource = "a.wasm"\nsauce = 1\n', "component.a.sauce: unknown field"),
    ('spin_manifest_version = 2\n[application]\nname = "a"\n[[trigger.http]]\nroute = "/..."\ncomponent = "a"\n'
     '[component.a]\nsource = "a.wasm"\nvariables = { x = "{{ y }}" }\n', "uses {{ y }}, not declared in [variables]"),
    ('spin_manifest_version = 2\n[application]\nname = "a"\n[[trigger.http]]\nroute = "/"\ncomponent = "a"\n'
     '[[trigger.http]]\nroute = "/"\ncomponent = "a"\n[component.a]\nsource = "a.wasm"\n', "'/' is routed twice"),
    ('spin_manifest_version = 1\n[application]\nname = "a"\n', "spin_manifest_version: expected 2, got 1"),
])
def test_spin_checker_rejects_what_spin_rejects(manifest, problem):
    assert any(problem in p for p in check_spin_manifest(manifest)), check_spin_manifest(manifest)


def test_spinapp_autoscales_to_zero_when_that_is_the_reason():
    spiky = list(yaml.safe_load_all(files_for(dict(WASM, language="rust", kind="serverless"))["spinapp.yaml"]))
    assert spiky[0]["spec"]["enableAutoscaling"] is True and "replicas" not in spiky[0]["spec"]
    scaler = spiky[1]
    assert scaler["kind"] == "HTTPScaledObject" and scaler["spec"]["replicas"]["min"] == 0
    assert scaler["spec"]["scaleTargetRef"]["name"] == spiky[0]["metadata"]["name"]
    steady = list(yaml.safe_load_all(files_for(dict(WASM, language="rust", traffic="steady"))["spinapp.yaml"]))
    assert len(steady) == 1 and steady[0]["spec"]["replicas"] == 2


def test_read_only_root_gets_what_the_answers_write():
    def service(**answers):
        text = files_for(dict(CONTAINERS, language="go", name="svc", **answers))["compose.yaml"]
        return yaml.safe_load(text)
    plain = service()["services"]["svc"]
    assert plain["read_only"] is True and "tmpfs" not in plain and "volumes" not in plain
    assert service(temp_files=True)["services"]["svc"]["tmpfs"] == ["/tmp"]
    heavy = service(state="heavy-file-io")
    assert heavy["services"]["svc"]["volumes"] == ["svc-data:/data"] and "svc-data" in heavy["volumes"]
    assert heavy["services"]["svc"]["tmpfs"] == ["/tmp"]


def test_both_parts_are_distinct_and_connected(compose_schema):
    files = files_for(dict(language="javascript", state="persistent-connections", traffic="spiky",
                           kind="serverless", name="shop-api"))
    boxes = yaml.safe_load(files["compose.yaml"])["services"]
    wasm = yaml.safe_load(files["compose.wasm.yaml"])["services"]
    assert set(boxes) == {"shop-api-backend"} and set(wasm) == {"shop-api-wasm"}
    ports = [p.split(":")[0] for s in (*boxes.values(), *wasm.values()) for p in s["ports"]]
    assert len(ports) == len(set(ports))
    assert wasm["shop-api-wasm"]["environment"] == {"SPIN_VARIABLE_SHOP_API_BACKEND_URL": "http://shop-api-backend:8080"}
    spin = tomllib.loads(files["spin.toml"])
    assert spin["component"]["shop-api"]["allowed_outbound_hosts"] == ["http://shop-api-backend:8080"]
    assert spin["variables"]["shop_api_backend_url"]["default"] == "http://shop-api-backend:8080"


def test_a_system_gets_one_spin_app_and_one_service_per_container_component():
    system = {"name": "shop", "components": [
        dict(name="api", language="python", **CONTAINERS), dict(name="edge", language="rust", **WASM),
        dict(name="thumbs", language="c", state="in-memory", traffic="steady", kind="cpu-bound"),
        dict(name="hooks", language="c", **WASM)]}
    files = files_for(system)
    assert {"api/Dockerfile", "thumbs/Dockerfile", "compose.yaml", "spin.toml"} <= set(files)
    spin = tomllib.loads(files["spin.toml"])
    assert [t["route"] for t in spin["trigger"]["http"]] == ["/edge/...", "/hooks/..."]
    assert spin["component"]["hooks"]["build"]["workdir"] == "hooks"
    assert set(yaml.safe_load(files["compose.yaml"])["services"]) == {"api", "thumbs"}
    assert "COPY hooks/hooks.wasm /hooks/hooks.wasm" in files["Dockerfile.wasm"]


def test_write_files_refuses_to_lose_data(tmp_path):
    a = parse_answers(dict(WASM, language="rust"))
    files = starter_files(a, evaluate(a, load_rules()))
    written = write_files(tmp_path, files)
    assert sorted(p.name for p in written) == sorted(Path(f.path).name for f in files)
    with pytest.raises(StarterFilesError, match="already exists"):
        write_files(tmp_path, files)
    (tmp_path / "plain").write_text("x")
    with pytest.raises(StarterFilesError, match="exists and is not a directory"):
        write_files(tmp_path / "plain", files)


# -- built and run here ----------------------------------------------------------------------------

def _get(port: int, timeout_s: float) -> tuple[int, bytes]:
    from wasmscope.workloads.system.loopback import get

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            status, body = get(port, timeout=2.0)
            if status:
                return status, body
        except OSError:
            pass
        if time.monotonic() > deadline:
            return 0, b""
        time.sleep(0.2)


@pytest.mark.docker
@pytest.mark.starter_build
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("language", BUILT_HERE)
def test_dockerfile_builds_and_its_container_answers(language, tmp_path, docker_client):
    """The generated Dockerfile and compose settings, as written, around a hello-HTTP project."""
    import docker

    from wasmscope.workloads.system.sessions import session_labels

    name = "shop-api"
    answers = dict(CONTAINERS, language=language, name=name, temp_files=True)
    a = parse_answers(answers)
    write_files(tmp_path, starter_files(a, evaluate(a, load_rules())))
    write_project(language, name, tmp_path)
    client = docker.from_env(timeout=900)
    for base in TEMPLATES[language].bases:
        ensure_standin(client, base)
    tag = f"wasmscope-test/starter-{language}:{os.getpid()}"
    try:
        client.images.build(path=str(tmp_path), tag=tag, pull=False, network_mode="none", rm=True,
                            forcerm=True, labels={"wasmscope.test": "starter"})
    except docker.errors.BuildError as err:
        log = "".join(str(x.get("stream", x.get("error", ""))) for x in err.build_log)
        pytest.fail(f"docker build of the {language} starter Dockerfile failed: {err.msg}\n{log[-3000:]}")
    svc = yaml.safe_load((tmp_path / "compose.yaml").read_text())["services"][name]
    container = client.containers.run(
        tag, detach=True, ports={"8080/tcp": ("127.0.0.1", None)}, read_only=svc["read_only"],
        tmpfs={p: "" for p in svc.get("tmpfs", [])}, cap_drop=svc["cap_drop"], security_opt=svc["security_opt"],
        environment=svc["environment"], labels=session_labels(**{"wasmscope.test": "starter"}))
    try:
        container.reload()
        port = int(container.ports["8080/tcp"][0]["HostPort"])
        status, body = _get(port, 60)
        logs = container.logs(tail=20).decode(errors="replace")
        assert (status, body) == (200, f"hello from {language}\n".encode()), logs
    finally:
        container.remove(force=True)
        client.images.remove(tag, force=True)


def _wit_deps(target: Path) -> None:
    import importlib.util

    spec = importlib.util.find_spec("spin_sdk")
    assert spec is not None, "spin-sdk (test dependency) ships the wasi:* WIT packages"
    deps = Path(list(spec.submodule_search_locations)[0]) / "wit" / "deps"
    for pkg in ("cli", "clocks", "filesystem", "http", "io", "random", "sockets"):
        shutil.copytree(deps / f"{pkg}@0.2.0", target / f"{pkg}@0.2.0")


# the engine's own wasi:http guest (same bindings, same body): the starter's build must build it
PY_COMPONENT = GUEST_DIR / "app.py"


def _run_build_command(project: Path, component: str) -> None:
    """The `[component.X.build] command` of the generated spin.toml, as `spin build` runs it."""
    spin = tomllib.loads((project / "spin.toml").read_text())
    command = spin["component"][component]["build"]["command"]
    empty = project.parent / "no-site-packages"  # componentize-py reads a venv's WIT: none here
    (empty / "site-packages").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
           "VIRTUAL_ENV": str(empty), "RUST_BACKTRACE": "0"}
    proc = subprocess.run(["sh", "-c", command], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{command}: {proc.stderr[-2000:]}"


@pytest.mark.toolchain
@pytest.mark.timeout(600)
def test_python_component_builds_and_wasmtime_serve_answers(tmp_path, cli36):
    from wasmscope.workloads.runtimes.wasmtime_serve import serve_component

    project = tmp_path / "project"
    a = parse_answers(dict(WASM, language="python", name="py-hello"))
    write_files(project, starter_files(a, evaluate(a, load_rules())))
    _wit_deps(project / "wit" / "deps")
    shutil.copyfile(PY_COMPONENT, project / "app.py")
    _run_build_command(project, "py-hello")
    wasm = project / tomllib.loads((project / "spin.toml").read_text())["component"]["py-hello"]["source"]
    inst = serve_component(cli36, component=wasm, ready_timeout_s=120)  # waits for 200 and the body
    try:
        assert inst.host_port and inst.proc.poll() is None
    finally:
        inst.stop()


WAGI_MAIN = r"""#include <stdio.h>
#include <stdlib.h>
int main(void) {
    const char *method = getenv("REQUEST_METHOD");
    printf("Content-Type: text/plain\n\nhello from c via %s\n", method ? method : "?");
    return 0;
}
"""


@pytest.mark.toolchain
@pytest.mark.timeout(300)
def test_c_wagi_module_builds_and_answers_a_cgi_request(tmp_path, cli36):
    """The C spin.toml builds a WASI command module that Spin's WAGI executor serves as CGI:
    built with its own build command, then run the way WAGI runs it (request in the environment)."""
    if shutil.which("clang") is None:
        pytest.skip("clang is not installed")
    a = parse_answers(dict(WASM, language="c", name="c-hello"))
    write_files(tmp_path, starter_files(a, evaluate(a, load_rules())))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.c").write_text(WAGI_MAIN)
    _run_build_command(tmp_path, "c-hello")
    proc = subprocess.run([str(cli36), "run", "--env", "REQUEST_METHOD=GET", "--env", "PATH_INFO=/",
                           str(tmp_path / "c-hello.wasm")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "RUST_BACKTRACE": "0"})
    head, _, body = proc.stdout.partition("\n\n")
    assert proc.returncode == 0 and head == "Content-Type: text/plain" and body == "hello from c via GET\n"


def test_templates_cover_every_language():
    from wasmscope.workloads.advice.questions import BY_KEY
    from wasmscope.workloads.advice.starter_spin import BUILDS

    languages = {v for v, _ in BY_KEY["language"].choices}
    assert set(TEMPLATES) == languages == set(BUILDS) == set(LANGUAGES)
    assert (resources.files("wasmscope.workloads.advice") / "rules.toml").is_file()
