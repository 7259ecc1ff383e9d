"""A local run whose DOCKER_HOST is another machine: the Docker rows run there, the Wasm and
native rows here; the output says so and never shows a ratio between the two.

"Another machine" for real: the bench runs in a network namespace of its own (a veth pair, the
test's addresses), and reaches this machine's Docker engine through a TCP proxy on the other
end of the pair — an address that is none of its own. Needs root and iproute2.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading

import pytest

from wasmscope.workloads.system.sessions import OWNER_ENV

WASMSCOPE = [sys.executable, "-m", "wasmscope.tui.cli"]
ENGINE_SOCKET = "/var/run/docker.sock"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


class EngineProxy:
    """Bytes between a TCP listener and the engine's unix socket, both ways (attach streams too)."""

    def __init__(self, address: str) -> None:
        self.server = socket.create_server((address, 0))
        self.port = self.server.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX)
            engine.connect(ENGINE_SOCKET)
            for a, b in ((client, engine), (engine, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self.server.close()


@pytest.fixture
def other_network():
    """A network namespace joined to this one by a veth pair: (namespace path, this side's address)."""
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("nsenter") is None:
        pytest.skip("needs root, iproute2 and nsenter to make a network namespace")
    tag = f"{os.getpid() % 100000}"
    ns, here, there = f"wsdh{tag}", f"wsdh{tag}a", f"wsdh{tag}b"
    octet = os.getpid() % 250 + 1
    _ip("netns", "add", ns)
    try:
        _ip("link", "add", here, "type", "veth", "peer", "name", there)
        _ip("link", "set", there, "netns", ns)
        _ip("addr", "add", f"10.213.{octet}.1/30", "dev", here)
        _ip("link", "set", here, "up")
        for cmd in (["addr", "add", f"10.213.{octet}.2/30", "dev", there], ["link", "set", there, "up"],
                    ["link", "set", "lo", "up"]):
            _ip("-n", ns, *cmd)
        yield f"/var/run/netns/{ns}", f"10.213.{octet}.1"
    finally:
        subprocess.run(["ip", "link", "del", here], capture_output=True, timeout=20)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


@pytest.mark.docker
def test_a_docker_host_elsewhere_is_said_and_never_put_in_a_ratio(docker_client, other_network, tmp_path):
    netns, address = other_network
    proxy = EngineProxy(address)
    try:
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", OWNER_ENV)}
        env["DOCKER_HOST"] = f"tcp://{address}:{proxy.port}"
        base = ["nsenter", f"--net={netns}", *WASMSCOPE, "bench", "--runtimes", "wasmtime,native,docker",
                "--workloads", "startup", "--runs", "2"]
        text = subprocess.run(base, capture_output=True, text=True, timeout=240, env=env)
        data = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=240, env=env)
    finally:
        proxy.close()
    assert text.returncode == 0, text.stderr[-2000:]
    where = f"tcp://{address}:{proxy.port} (DOCKER_HOST)"
    assert (f"Docker (runc) ran on another machine ({where}) than the Wasm and native rows, which ran here: "
            "no ratio between them is shown.") in " ".join(text.stdout.split())
    table = text.stdout.split("Startup — ", 1)[1]
    startup = next(line for line in table.splitlines() if line.startswith("│ Wasmtime"))
    assert "other machine" in startup and "faster" not in startup  # no × vs Docker across machines
    assert data.returncode == 0, data.stderr[-2000:]
    results = json.loads(data.stdout)
    assert results["runtimes"]["docker"]["runs_on"] == where and results["machine"]["docker_host"] == where
    assert results["tables"]["startup"]["elsewhere"] == ["docker"]
    ratios = results["comparisons"]["startup"]
    assert "docker_over_this" not in ratios["wasmtime"] and "docker_over_this" not in ratios["native"]
    assert "pct_over_native" not in ratios["docker"]
    assert "pct_over_native" in ratios["wasmtime"]  # the Wasm and native rows ran side by side here
    assert all(r["status"] == "ok" for r in results["tables"]["startup"]["rows"])


def test_which_engine_addresses_are_this_machine():
    from wasmscope.workloads.runtimes.docker_engine import engine_elsewhere

    for here in ("unix:///var/run/docker.sock", "tcp://127.0.0.1:2375", "tcp://localhost:2375", "tcp://[::1]:2375",
                 f"tcp://{socket.gethostname()}:2375"):
        assert engine_elsewhere(here) == "", here
    for there in ("tcp://192.0.2.10:2376", "ssh://me@box.invalid"):  # TEST-NET-1; a name that resolves nowhere
        assert engine_elsewhere(there) == there
