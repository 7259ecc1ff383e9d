"""Container variants as their own runtime rows: Docker with crun, Podman through its
Docker-compatible API, and Docker with a Debian base userland. Against the real engines."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import time
from pathlib import Path

import pytest

from conftest import docker_required
from owner_helpers import containers_of
from wasmscope.workloads.system.sessions import session_labels

MIB = 1 << 20
FIB_25 = "fib(25) = 75025"


def _usable(adapter):
    avail = adapter.availability()
    if not avail.ok:
        adapter.close()
        msg = f"{adapter.name} unavailable: {avail.reason} ({avail.hint})"
        if docker_required():
            pytest.fail(f"WASMSCOPE_REQUIRE_DOCKER=1 but {msg}")
        pytest.skip(msg)
    return adapter


def _ours(client) -> list[str]:
    return [c["Id"][:12] for c in containers_of(client, os.getpid())]


def _closed_without_leaks(adapter, docker_client):
    """A fixture body: the adapter (or skip), then close(); no container of this process may be left."""
    yield _usable(adapter)
    adapter.close()
    assert not _ours(docker_client), "test leaked containers"


@pytest.fixture
def crun_adapter(docker_client):
    from wasmscope.workloads.runtimes.docker_crun import DockerCrunAdapter

    yield from _closed_without_leaks(DockerCrunAdapter({"memory_limit_mib": 256}), docker_client)


@pytest.fixture
def debian_adapter(docker_client):
    from wasmscope.workloads.runtimes.docker_debian import DockerDebianAdapter

    yield from _closed_without_leaks(DockerDebianAdapter({"memory_limit_mib": 256}), docker_client)


@pytest.fixture
def podman_adapter(docker_client):  # docker_client: the same skip/fail policy as Docker tests
    from wasmscope.workloads.runtimes.podman import PodmanAdapter

    adapter = _usable(PodmanAdapter({"memory_limit_mib": 256}))
    yield adapter
    left = _ours(adapter.client())
    adapter.close()
    assert not left, f"test leaked podman containers: {left}"


def _check_run_to_exit(adapter, builtin):
    res = adapter.run(builtin["hello"])
    assert res.stdout == "hello from wasmscope\n"
    assert set(res.phases) == {"create", "start", "exited"}
    assert res.total_ms == pytest.approx(sum(res.phases.values()), rel=0.01)
    assert FIB_25 in adapter.run(builtin["fib"], ["25"]).stdout


def _check_idle_memory(adapter, builtin, shim: str):
    inst = adapter.start(builtin["idle"], ["16"])
    try:
        assert inst.runtime == adapter.name
        reading = inst.memory()
        assert 16 * MIB <= reading.instance_rss < 32 * MIB
        assert reading.overhead_rss > 0, f"{shim} not found"
        assert shim in reading.counts
        assert reading.cgroup_usage is not None and reading.cgroup_usage >= 16 * MIB
        host = inst.container.attrs["HostConfig"]
        assert host["ReadonlyRootfs"] is True and host["Memory"] == 256 * MIB
        assert inst.container.labels["wasmscope"] == "1"
        runtime = host.get("Runtime")
    finally:
        inst.stop()
    assert not inst.alive()
    return runtime


# -- docker-crun -----------------------------------------------------------------------------

@pytest.mark.docker
def test_crun_runs_hello_and_fib(crun_adapter, builtin):
    _check_run_to_exit(crun_adapter, builtin)
    assert "--runtime crun" in crun_adapter.command_line(builtin["hello"])
    assert crun_adapter.mode().startswith("crun container")
    assert "crun" in crun_adapter.version()


@pytest.mark.docker
def test_crun_container_really_runs_under_crun_with_idle_memory(crun_adapter, builtin):
    assert _check_idle_memory(crun_adapter, builtin, "containerd-shim") == "crun"


@pytest.mark.docker
def test_plain_docker_still_uses_runc(docker_adapter, builtin):
    assert docker_adapter.oci_runtime is None
    assert _check_idle_memory(docker_adapter, builtin, "containerd-shim") == "runc"


@pytest.mark.docker
def test_crun_unavailable_when_the_engine_lacks_the_runtime(docker_client):
    from wasmscope.workloads.runtimes.docker_crun import DockerCrunAdapter

    adapter = DockerCrunAdapter({"oci_runtime": "wasmscope-no-such-runtime"})
    avail = adapter.availability()
    adapter.close()
    assert not avail.ok
    assert "lists no 'wasmscope-no-such-runtime' runtime" in avail.reason and "runc" in avail.reason
    assert "daemon.json" in avail.hint and "kill -HUP" in avail.hint and "apt-get install -y crun" in avail.hint


def test_docker_option_base_is_checked():
    from wasmscope.workloads.runtimes.docker_engine import DockerAdapter

    from wasmscope.workloads.runtimes.options import OptionError

    with pytest.raises(OptionError, match="^runtime 'docker' option base: expected one of scratch, debian, got 'alpine'$"):
        DockerAdapter({"base": "alpine"})


# -- podman ----------------------------------------------------------------------------------

@pytest.mark.docker
def test_podman_runs_hello_and_fib(podman_adapter, builtin):
    _check_run_to_exit(podman_adapter, builtin)
    assert podman_adapter.version().startswith("Podman ")
    assert podman_adapter.command_line(builtin["hello"]).startswith("podman run --rm --ulimit nofile=")


@pytest.mark.docker
def test_podman_idle_memory_counts_conmon(podman_adapter, builtin):
    _check_idle_memory(podman_adapter, builtin, "conmon")


@pytest.mark.docker
def test_podman_starts_its_own_service_and_stops_it_on_close(docker_client, builtin):
    from wasmscope.workloads.runtimes import podman

    if shutil.which("podman") is None:
        _usable(podman.PodmanAdapter())  # skips or fails with the reason
    sock_dir = Path(tempfile.mkdtemp(prefix="wsp-", dir="/tmp"))  # short: unix socket paths ≤ 107
    address = f"unix://{sock_dir}/api.sock"
    adapter = podman.PodmanAdapter({"socket": address})
    try:
        assert not podman._answers(address)
        assert adapter.availability().ok
        svc = adapter.service
        assert svc is not None and svc.proc.poll() is None
        assert podman._answers(address)
        assert adapter.run(builtin["hello"]).stdout == "hello from wasmscope\n"
    finally:
        adapter.close()
    assert adapter.service is None
    assert svc.proc.poll() is not None, "the service wasmscope started still runs"
    assert not podman._answers(address)
    assert not Path(f"{sock_dir}/api.sock").exists()
    sock_dir.rmdir()


@pytest.mark.docker
def test_podman_adapters_share_one_service_and_leave_anothers_alone(docker_client):
    from wasmscope.workloads.runtimes import podman

    _usable(podman.PodmanAdapter()).close()
    sock_dir = Path(tempfile.mkdtemp(prefix="wsp-", dir="/tmp"))
    address = f"unix://{sock_dir}/api.sock"
    first, second = podman.PodmanAdapter({"socket": address}), podman.PodmanAdapter({"socket": address})
    try:
        first.client()
        second.client()
        assert first.service is second.service and first.service.users == 2
        first.close()
        assert podman._answers(address), "closing one adapter stopped the other's service"
    finally:
        first.close()
        second.close()
    assert not podman._answers(address)
    sock_dir.rmdir()


def test_podman_missing_is_unavailable_with_a_hint(tmp_path):
    from wasmscope.workloads.runtimes.podman import PodmanAdapter

    adapter = PodmanAdapter({"podman": str(tmp_path / "no-podman"), "socket": f"unix://{tmp_path}/none.sock"})
    avail = adapter.availability()
    adapter.close()
    assert not avail.ok
    assert "podman not found" in avail.reason and f"{tmp_path}/none.sock" in avail.reason
    assert "apt-get install -y podman" in avail.hint


# -- docker-debian ---------------------------------------------------------------------------

def _is_dynamic_elf(path: Path) -> bool:
    """True when the ELF file asks for a program interpreter (PT_INTERP): dynamically linked."""
    data = path.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2, "expected a 64-bit ELF"
    endian = "<" if data[5] == 1 else ">"
    phoff, = struct.unpack_from(endian + "Q", data, 0x20)
    phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
    return any(struct.unpack_from(endian + "I", data, phoff + i * phentsize)[0] == 3 for i in range(phnum))


@pytest.mark.docker
def test_debian_runs_hello_and_fib(debian_adapter, builtin):
    t0 = time.monotonic()
    debian_adapter.prepare(builtin["hello"])  # builds the base once (~15 s), then cached by tag
    debian_adapter.prepare(builtin["fib"])
    assert time.monotonic() - t0 < 80
    _check_run_to_exit(debian_adapter, builtin)
    mode = debian_adapter.mode()
    assert "Debian" in mode and " MB)" in mode and "dynamically linked" in mode
    assert debian_adapter.image_for(builtin["hello"]).startswith("wasmscope/hello:debian-")


@pytest.mark.docker
def test_debian_image_is_a_distro_userland_with_a_dynamic_binary(debian_adapter, docker_client, builtin):
    from wasmscope.workloads.guests.native_build import native_binary, native_dynamic_binary

    tag = debian_adapter.image_for(builtin["hello"])
    image = docker_client.images.get(tag)
    assert image.labels.get("wasmscope") == "1" and image.labels.get("wasmscope.workload") == "hello"
    assert image.attrs["Size"] > 50 * 1_000_000
    assert _is_dynamic_elf(native_dynamic_binary(builtin["hello"]))
    assert not _is_dynamic_elf(native_binary(builtin["hello"]))
    labels = session_labels(**{"wasmscope.workload": "hello"})
    out = docker_client.containers.run(  # the image's own loader resolves the binary's libraries
        tag, entrypoint=["/bin/sh", "-c", "cat /etc/debian_version && /lib64/ld-linux-x86-64.so.2 --list /hello"],
        network_mode="none", labels=labels, remove=True).decode()
    first, _, libs = out.partition("\n")
    assert first.strip()[:2].isdigit() or "/" in first  # "12.11" (or "bookworm/sid")
    assert "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6" in libs


@pytest.mark.docker
def test_debian_idle_memory(debian_adapter, builtin):
    assert _check_idle_memory(debian_adapter, builtin, "containerd-shim") == "runc"


@pytest.mark.docker
def test_debian_without_mmdebstrap_or_base_is_unavailable(docker_client, monkeypatch, tmp_path):
    from wasmscope.workloads.runtimes import docker_debian

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(docker_debian, "debian_base_size", lambda client: None)
    adapter = docker_debian.DockerDebianAdapter()
    avail = adapter.availability()
    adapter.close()
    assert not avail.ok and "mmdebstrap is missing" in avail.reason
    assert "apt-get install -y mmdebstrap" in avail.hint


@pytest.mark.docker
def test_podman_http_server_answers_on_its_published_loopback_port(podman_adapter, builtin):
    import urllib.request

    inst = podman_adapter.start(builtin["http"], ["8080"])
    try:
        assert inst.host_port
        assert inst.port_proxy().startswith("podman port forwarding")
        with urllib.request.urlopen(f"http://127.0.0.1:{inst.host_port}/", timeout=5) as resp:
            assert resp.status == 200 and resp.read() == b"hello from wasmscope\n"
    finally:
        inst.stop()


@pytest.mark.docker
def test_podman_failure_and_timeout_are_reported_and_cleaned(podman_adapter, builtin):
    from wasmscope.workloads.errors import GuestFailed, GuestTimeout

    with pytest.raises(GuestFailed, match="fib on podman exited with code 2"):
        podman_adapter.run(builtin["fib"], ["x"])
    with pytest.raises(GuestTimeout, match="idle on podman timed out after 1 s"):
        podman_adapter.run(builtin["idle"], ["1"], timeout_s=1)


def test_podman_service_socket_is_per_process():
    """Two wasmscope runs never share a service: the first one's close() stopped it under the
    second (its podman rows failed with 'Connection aborted')."""
    import subprocess
    import sys

    from wasmscope.workloads.runtimes.podman import PodmanAdapter

    mine = PodmanAdapter().address
    theirs = subprocess.run([sys.executable, "-c", "from wasmscope.workloads.runtimes.podman import PodmanAdapter;"
                             "print(PodmanAdapter().address)"], capture_output=True, text=True, timeout=60).stdout.strip()
    assert mine == f"unix:///run/wasmscope-podman-{os.getpid()}.sock"
    assert theirs.startswith("unix:///run/wasmscope-podman-") and theirs != mine
    assert PodmanAdapter({"socket": "unix:///tmp/mine.sock"}).address == "unix:///tmp/mine.sock"
