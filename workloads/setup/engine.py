"""What the Docker engine answers: its version and registered runtimes, or why it does not."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..runtimes.docker_engine import PROBE_TIMEOUT_S, _short, engine_address


@dataclass(frozen=True)
class EngineAnswer:
    address: str
    version: str = ""  # "" when it did not answer
    runtimes: dict = field(default_factory=dict)
    error: str = ""

    @property
    def up(self) -> bool:
        return bool(self.version)


def ask_engine(address: str | None = None) -> EngineAnswer:
    """Ask the engine at `address` (default: the one wasmscope uses) for its version and runtimes."""
    import docker

    address = address or engine_address()
    try:
        client = docker.DockerClient(base_url=address, timeout=PROBE_TIMEOUT_S)
        try:
            version = client.version().get("Version") or "?"
            runtimes = client.info().get("Runtimes") or {}
        finally:
            client.close()
    except Exception as err:  # noqa: BLE001 - every failure is a reason to show
        return EngineAnswer(address, error=_short(err))
    return EngineAnswer(address, version, dict(runtimes))


def wait_for_engine(until, timeout_s: float, address: str | None = None,
                    interval_s: float = 0.25) -> EngineAnswer:
    """Ask the engine until `until(answer)` holds or `timeout_s` passes; the last answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = ask_engine(address)
        if until(answer) or time.monotonic() >= deadline:
            return answer
        time.sleep(interval_s)
