"""Docker's Wasm shims: detected from the engine's runtimes; absent here, the row says why."""

from __future__ import annotations

import pytest

from wasmscope.workloads.runtimes.docker_wasm import SHIM_HINT, DockerWasmAdapter, shim_command, shim_in

# `docker info --format '{{json .Runtimes}}'` as recorded from engines with and without shims
PLAIN = {"io.containerd.runc.v2": {"path": "runc"}, "runc": {"path": "runc"}, "crun": {"path": "/usr/bin/crun"}}
WITH_SHIMS = {**PLAIN, "io.containerd.spin.v2": {"runtimeType": "io.containerd.spin.v2"},
              "io.containerd.wasmtime.v1": {"runtimeType": "io.containerd.wasmtime.v1"}}


def test_shim_detection_and_command():
    assert shim_in(PLAIN) is None
    assert shim_in(WITH_SHIMS) == "io.containerd.wasmtime.v1"  # wasmtime preferred over spin
    assert shim_command("io.containerd.wasmtime.v1", "wasmscope/hello:wasm-ab", ["x"]) == (
        "docker run --rm --runtime=io.containerd.wasmtime.v1 --platform=wasi/wasm --network none "
        "--label wasmscope=1 wasmscope/hello:wasm-ab x")


@pytest.mark.docker
def test_absent_shim_is_a_row_with_the_reason(docker_client, builtin):
    adapter = DockerWasmAdapter()
    try:
        runtimes = docker_client.info().get("Runtimes") or {}
        avail = adapter.availability()
        if shim_in(runtimes) is None:
            assert not avail.ok and avail.reason.startswith("the Docker engine lists no Wasm shim (it has: ")
            assert "runc" in avail.reason and avail.hint == SHIM_HINT
        else:
            assert avail.ok
        assert "no pre-opened listening socket" in adapter.supports(builtin["http"]) and adapter.supports(builtin["hello"]) is None
    finally:
        adapter.close()
