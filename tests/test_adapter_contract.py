"""The contract every registered runtime adapter keeps, run against each one that is available
here (the others skip with the adapter's own reason): facts and options, run to exit (output,
the guest's exit code, a trap, a deadline), a long-running instance, the listening ability its
flags claim, and close() leaving nothing behind. A toy runtime registered the way a
contributor would (one file in tests/plugins, one registry line) keeps the same contract and
shows up in `wasmscope runtimes`, `bench`, `sandbox` and the app's live view."""

from __future__ import annotations

import json
import os
import time

import pytest

from adapter_helpers import descendants, skip_unless_available
from wasmscope.workloads import runtimes
from wasmscope.workloads.errors import GuestFailed, GuestTimeout
from wasmscope.workloads.measurements.io import served_port
from wasmscope.workloads.runtimes import KNOWN_RUNTIMES, create_adapter
from wasmscope.workloads.runtimes.base import RuntimeAdapter
from wasmscope.workloads.runtimes.options import OptionError
from wasmscope.workloads.system.loopback import get
from wasmscope.workloads.system.sessions import OWNER_PID

pytestmark = pytest.mark.timeout(300)
TOY = "plugins.toy_runtime:ToyAdapter"


def check_facts(adapter: RuntimeAdapter) -> None:
    """Names, kind, version and mode as one line each; options declared once; flags that name a
    method have it."""
    from wasmscope.workloads.serving.spawners import NAMES

    assert adapter.name and adapter.display_name and adapter.kind in ("wasm", "native", "container")
    for text in (adapter.version(), adapter.mode()):
        assert isinstance(text, str) and text and "\n" not in text
    names = [o.name for o in adapter.all_options()]
    assert len(names) == len(set(names)) and adapter.MEMORY_LIMIT_OPTION in names
    with pytest.raises(OptionError) as info:
        type(adapter)({"no_such_option": 1})
    assert str(info.value).startswith(f"runtime {adapter.name!r} has no option 'no_such_option'")
    assert "\n" not in str(info.value)
    assert adapter.BASELINE_FOR in ("", "native", "container")
    assert adapter.SPAWNER == "" or adapter.SPAWNER in NAMES
    overrides = type(adapter).serve_component is not RuntimeAdapter.serve_component
    assert not adapter.COMPONENT_HOST or overrides, "COMPONENT_HOST without serve_component()"


def check_run_to_exit(adapter: RuntimeAdapter, builtin) -> None:
    """hello's output, fib's argument, the guest's own exit code, a trap, a deadline."""
    hello = builtin["hello"]
    assert adapter.supports(hello) is None, adapter.supports(hello)
    adapter.prepare(hello)
    res = adapter.run(hello)
    assert (res.exit_code, res.stdout) == (0, "hello from wasmscope\n") and res.total_ms > 0
    assert adapter.command_line(hello)
    fib = builtin["fib"]
    adapter.prepare(fib)
    assert adapter.run(fib, ["20"]).stdout.startswith("fib(20) = 6765")
    with pytest.raises(GuestFailed) as failed:
        adapter.run(fib, ["not-a-number"])
    assert failed.value.exit_code == 2 and "\n" not in str(failed.value)
    assert "exited with code 2: fib: expected N" in str(failed.value)  # the guest's own words
    crash = builtin["crash"]
    adapter.prepare(crash)
    with pytest.raises(GuestFailed) as trapped:
        adapter.run(crash, ["trap"])
    assert trapped.value.ended in ("trap", "signal") and "\n" not in str(trapped.value)
    spin = builtin["spin"]
    adapter.prepare(spin)
    with pytest.raises(GuestTimeout):
        adapter.run(spin, timeout_s=1.0)


def check_long_running(adapter: RuntimeAdapter, builtin) -> None:
    """idle starts, reports its memory with what it counts, and stops."""
    idle = builtin["idle"]
    assert adapter.supports(idle) is None
    adapter.prepare(idle)
    inst = adapter.start(idle, ["1"])
    try:
        assert inst.alive() and inst.alive_cheap()
        reading = inst.memory()
        assert reading.instance_rss > 0 and reading.counts
        assert inst.memory(detailed=False).instance_rss >= 0
    finally:
        inst.stop()
    assert not inst.alive()


def check_listening(adapter: RuntimeAdapter, builtin) -> None:
    """supports(http) is what listen_reason() says; a runtime that listens answers a GET."""
    http = builtin["http"]
    assert adapter.cannot_run(http) is None
    reason = adapter.supports(http)
    assert reason == (adapter.listen_reason() or None)
    if reason is not None:
        return
    for server in filter(None, (adapter, adapter.host_network_variant())):
        try:
            server.prepare(http)
            inst = server.start(http, server.server_args(http))
            port = served_port(inst)
            assert port and get(port, timeout=10)[0] == 200
        finally:
            if server is not adapter:
                server.close()


def check_closed(adapter: RuntimeAdapter, before: set[int]) -> None:
    """close() ends every process and removes every container the adapter started."""
    adapter.close()
    left = descendants() - before
    assert not left, f"{adapter.name} left processes behind: {sorted(left)}"
    if adapter.kind == "container" or adapter.INSTANCE_WORD == "container":
        client = adapter.client()  # type: ignore[attr-defined]
        mine = client.containers.list(all=True, filters={"label": f"{OWNER_PID}={os.getpid()}"})
        assert not mine, f"{adapter.name} left containers behind: {[c.name for c in mine]}"


def keeps_the_contract(name: str, builtin) -> None:
    before = descendants()
    adapter = create_adapter(name, {"memory_limit_mib": 256})
    try:
        skip_unless_available(adapter)
        check_facts(adapter)
        check_run_to_exit(adapter, builtin)
        check_long_running(adapter, builtin)
        check_listening(adapter, builtin)
    finally:
        check_closed(adapter, before)


@pytest.mark.parametrize("name", KNOWN_RUNTIMES)
def test_every_registered_adapter_keeps_the_contract(name, builtin):
    keeps_the_contract(name, builtin)


# -- a runtime added as one file plus one registry line ------------------------------------------

@pytest.fixture
def toy(monkeypatch):
    """The toy's one registry line (what a contributor adds to runtimes/__init__.py)."""
    monkeypatch.setitem(runtimes.REGISTRY, "toy", TOY)


def test_the_toy_runtime_keeps_the_contract(toy, builtin):
    keeps_the_contract("toy", builtin)


def test_the_toy_runtime_shows_in_runtimes_bench_and_sandbox(toy, capsys, monkeypatch):
    from wasmscope.tui.cli import main

    monkeypatch.setenv("COLUMNS", "250")  # one table row per line
    assert main(["runtimes"]) == 0
    assert "Toy (wasmtime-py per process)" in capsys.readouterr().out
    assert main(["bench", "--profile", "quick", "--runtimes", "toy,native", "--workloads", "hello",
                 "--runs", "2", "--repeat", "1", "--json"]) == 0
    rows = {r["runtime"]: r for r in json.loads(capsys.readouterr().out)["tables"]["startup"]["rows"]}
    assert rows["toy"]["status"] == "ok" and len(rows["toy"]["samples"]) == 2
    assert main(["sandbox", "--runtimes", "toy", "--settings", "wasmscope", "--json"]) == 0
    probe = json.loads(capsys.readouterr().out)
    toy_rows = [r for r in probe["rows"] if r["runtime"] == "toy"]
    assert toy_rows and toy_rows[0]["cells"]["read-file"]["verdict"] in ("denied", "own")


async def test_the_toy_runtime_runs_in_the_live_view(toy):
    from wasmscope.profiles import load_profile, resolve_profile_path
    from wasmscope.tui.app import WasmscopeApp

    async def until(condition, what: str) -> None:
        deadline = time.monotonic() + 60
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            await pilot.pause(0.05)

    app = WasmscopeApp(load_profile(resolve_profile_path("quick")), runtimes=("toy", "native"))
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.panels["toy"]
        await until(lambda: "probing" not in str(panel.query_one(".status").render()), "the toy described")
        assert "Toy (wasmtime-py per process)" in str(panel.border_title or panel.render())
        panel.focus()
        await pilot.press("h")
        await until(lambda: panel.last_cold_ms is not None, "a cold start on the toy")
        assert panel.last_cold_ms > 0
        assert any(line.startswith("toy: hello: $ python -c '<runner>' hello.wasm") for line in app.history)
        await pilot.press("q")
