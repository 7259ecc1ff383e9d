"""Runtime adapters against the real runtimes: embedded wasmtime, native processes, Docker."""

from __future__ import annotations

import dataclasses

import psutil
import pytest

from wasmscope.workloads.guests.catalogue import Workload
from wasmscope.workloads.errors import GuestFailed, GuestTimeout, WorkloadError
from wasmscope.workloads.runtimes import KNOWN_RUNTIMES, adapter_class, create_adapter
from wasmscope.workloads.runtimes.base import RuntimeAdapter
from adapter_helpers import assert_stops_runaway, started, wat_workload

MIB = 1 << 20


@pytest.fixture
def wasmtime_adapter():
    adapter = create_adapter("wasmtime", {"memory_limit_mib": 64})
    yield adapter
    adapter.close()


@pytest.fixture
def native_adapter():
    adapter = create_adapter("native")
    yield adapter
    adapter.close()


def test_registry_names_resolve_to_adapters():
    for name in KNOWN_RUNTIMES:
        cls = adapter_class(name)
        assert issubclass(cls, RuntimeAdapter) and cls.name == name


# -- wasmtime (embedded) ---------------------------------------------------------------------

def test_wasmtime_runs_hello_with_phases(wasmtime_adapter, builtin):
    res = wasmtime_adapter.run(builtin["hello"])
    assert res.stdout == "hello from wasmscope\n"
    assert set(res.phases) == {"load", "instantiate", "run"}
    assert res.total_ms >= sum(res.phases.values()) * 0.99 > 0
    assert "wasmtime-py" in wasmtime_adapter.version()


def test_wasmtime_fib_passes_argv(wasmtime_adapter, builtin):
    res = wasmtime_adapter.run(builtin["fib"], ["20"])
    assert res.stdout.startswith("fib(20) = 6765 elapsed_ns=")


def test_wasmtime_stops_a_runaway_module_at_its_deadline(wasmtime_adapter, tmp_path):
    assert_stops_runaway(wasmtime_adapter, tmp_path, r"spin on wasmtime timed out after 0.5 s", 3.0)


def test_wasmtime_trap_is_the_guests_fault(wasmtime_adapter, tmp_path):
    crash = wat_workload(tmp_path, "crash", '(module (func (export "_start") unreachable))')
    with pytest.raises(GuestFailed, match="crash on wasmtime trapped"):
        wasmtime_adapter.run(crash)


def test_wasmtime_memory_cap_applies(wasmtime_adapter, tmp_path):
    # grows by 128 MiB (2048 pages) against a 64 MiB cap: memory.grow returns -1, guest traps
    hog = wat_workload(tmp_path, "hog", """(module (memory 1)
      (func (export "_start") (if (i32.eq (memory.grow (i32.const 2048)) (i32.const -1)) (then unreachable))))""")
    with pytest.raises(GuestFailed):
        wasmtime_adapter.run(hog)


def test_wasmtime_rejects_a_file_that_is_not_wasm(wasmtime_adapter, tmp_path):
    bad = tmp_path / "bad.wasm"
    bad.write_text("not wasm at all")
    with pytest.raises(WorkloadError, match="not a valid Wasm module"):
        wasmtime_adapter.run(Workload("bad", "", module=bad))


def test_wasmtime_long_running_idle_is_sampled_and_stopped(wasmtime_adapter, builtin):
    with started(wasmtime_adapter, builtin["idle"], ["32"]) as inst:
        assert inst.ready_line.startswith("ready mib=32")
        assert inst.alive() and inst.host_rss > 0
        reading = inst.memory()
        assert reading.instance_rss >= 30 * MIB  # the 32 MiB it touched live in the instance's share
        assert reading.overhead_rss == inst.host_rss
    assert not inst.alive()


def test_wasmtime_cannot_listen(wasmtime_adapter, builtin):
    assert "cannot pre-open a listening socket" in wasmtime_adapter.supports(builtin["http"])


# -- native ----------------------------------------------------------------------------------

def test_native_runs_hello_and_fib(native_adapter, builtin):
    assert native_adapter.run(builtin["hello"]).stdout == "hello from wasmscope\n"
    assert native_adapter.run(builtin["fib"], ["20"]).stdout.startswith("fib(20) = 6765")


def test_native_nonzero_exit_is_reported(native_adapter, builtin):
    with pytest.raises(GuestFailed, match="fib \\(native\\) exited with code 2"):
        native_adapter.run(builtin["fib"], ["not-a-number"])


def test_native_idle_memory(native_adapter, builtin):
    with started(native_adapter, builtin["idle"], ["24"]) as inst:
        rss = inst.memory().instance_rss
        assert 24 * MIB <= rss < 40 * MIB
    assert not inst.alive()


def test_native_timeout_kills_the_process(native_adapter, builtin):
    with pytest.raises(GuestTimeout, match="timed out after 0.3 s"):
        native_adapter.run(builtin["idle"], ["1"], timeout_s=0.3)


# -- docker ----------------------------------------------------------------------------------

@pytest.mark.docker
def test_docker_runs_hello_with_split_cold_start(docker_adapter, builtin):
    res = docker_adapter.run(builtin["hello"])
    assert res.stdout == "hello from wasmscope\n"
    assert set(res.phases) == {"create", "start", "exited"}
    assert res.total_ms == pytest.approx(sum(res.phases.values()), rel=0.01)


@pytest.mark.docker
def test_docker_image_is_local_labelled_and_from_scratch(docker_adapter, docker_client, builtin):
    tag = docker_adapter.image_for(builtin["hello"])
    assert tag.startswith("wasmscope/hello:")
    image = docker_client.images.get(tag)
    assert image.labels.get("wasmscope") == "1"
    assert len(image.history()) == 1  # FROM scratch: a single layer holding the binary


@pytest.mark.docker
def test_docker_containers_are_hardened(docker_adapter, docker_client, builtin):
    with started(docker_adapter, builtin["idle"], ["8"]) as inst:
        host = inst.container.attrs["HostConfig"]
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"]
        assert "no-new-privileges" in host["SecurityOpt"]
        assert host["NetworkMode"] == "none"
        assert host["Memory"] == 256 * MIB
        assert inst.container.labels["wasmscope"] == "1"
        assert inst.container.attrs["Config"]["User"] == "65534:65534"
        assert psutil.Process(inst.init_pid).uids().real == 65534  # really not root on the host
        # nothing is mounted into it: above all never the Docker socket
        assert not host.get("Binds") and inst.container.attrs["Mounts"] == []


@pytest.mark.docker
def test_docker_idle_memory_split(docker_adapter, builtin):
    with started(docker_adapter, builtin["idle"], ["16"]) as inst:
        reading = inst.memory()
        assert 16 * MIB <= reading.instance_rss < 32 * MIB
        assert reading.overhead_rss > 0, "containerd-shim not found"
        assert reading.cgroup_usage is not None and reading.cgroup_usage >= 16 * MIB
    assert not inst.alive()


@pytest.mark.docker
def test_docker_timeout_removes_the_container(docker_adapter, builtin):
    with pytest.raises(GuestTimeout, match="timed out after 1 s"):
        docker_adapter.run(builtin["idle"], ["1"], timeout_s=1)


@pytest.mark.docker
def test_docker_failure_reports_exit_code(docker_adapter, builtin):
    with pytest.raises(GuestFailed, match="fib on docker exited with code 2"):
        docker_adapter.run(builtin["fib"], ["x"])


def test_docker_unreachable_engine_says_where(monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    adapter = create_adapter("docker")
    avail = adapter.availability()
    assert not avail.ok
    assert avail.reason.startswith(f"Docker engine not reachable at unix://{tmp_path}/nothing.sock")
    assert "dockerd" in avail.hint


def test_user_workload_without_source_is_unsupported_natively(native_adapter, tmp_path):
    w = Workload("mine", "", module=tmp_path / "m.wasm")
    assert "no C source" in native_adapter.supports(w)
    with pytest.raises(WorkloadError):
        native_adapter.run(w)


def test_dataclass_replace_keeps_workload_usable(wasmtime_adapter, builtin):
    w = dataclasses.replace(builtin["hello"], name="hello2")
    assert wasmtime_adapter.run(w).stdout == "hello from wasmscope\n"


@pytest.mark.docker
def test_docker_runs_a_users_own_local_image_and_never_pulls(docker_adapter, builtin):
    tag = docker_adapter.image_for(builtin["hello"])  # any local image will do: use ours
    mine = Workload("mine", "a user's image", image=tag)
    assert docker_adapter.run(mine).stdout == "hello from wasmscope\n"
    missing = Workload("gone", "", image="wasmscope-test/not-here:1")
    with pytest.raises(WorkloadError, match=r"image 'wasmscope-test/not-here:1' is not present locally \(wasmscope never pulls\)"):
        docker_adapter.run(missing)


@pytest.mark.docker
def test_a_second_adapter_in_the_same_process_keeps_our_live_containers(docker_adapter, builtin):
    from wasmscope.workloads.runtimes.docker_engine import DockerAdapter

    with started(docker_adapter, builtin["idle"], ["1"]) as inst:
        other = DockerAdapter()
        other.client()  # first contact reaps only dead sessions' containers
        assert other.reaped.containers == []
        assert inst.alive()


@pytest.mark.docker
def test_docker_http_server_answers_on_its_published_loopback_port(docker_adapter, builtin):
    import urllib.request

    with started(docker_adapter, builtin["http"], ["8080"]) as inst:
        assert inst.container.attrs["HostConfig"]["NetworkMode"] != "none"
        assert inst.host_port
        with urllib.request.urlopen(f"http://127.0.0.1:{inst.host_port}/", timeout=5) as resp:
            assert resp.status == 200 and resp.read() == b"hello from wasmscope\n"


def test_instance_started_from_a_worker_thread_outlives_the_thread(builtin):
    """PR_SET_PDEATHSIG follows the forking *thread*: the app starts instances from worker
    threads that end at once, and the instance must live on (it died within 0.5 s before)."""
    import threading
    import time

    from wasmscope.workloads.runtimes import create_adapter

    adapter = create_adapter("native")
    box: dict = {}
    worker = threading.Thread(target=lambda: box.setdefault("inst", adapter.start(builtin["idle"], ["8"])))
    worker.start()
    worker.join(timeout=30)
    try:
        time.sleep(1.0)
        assert box["inst"].alive()
    finally:
        adapter.close()
