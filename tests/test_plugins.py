"""Plug-ins made true: a measurement registered as one module plus one registry line runs in
`bench` (tables and --json), lands in `report` and shows in the app's results view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wasmscope.profiles import load_profile
from wasmscope.tui.cli import main
from wasmscope.workloads import measurements
from wasmscope.workloads.model.format import fmt_ms

PROFILE = """[profile]
name = "plugin"

[bench]
runtimes = ["wasmtime", "native"]
measurements = ["startup", "first-run"]

[startup]
runs = 2
warmup = 0
"""


@pytest.fixture
def first_run(monkeypatch):
    """The toy measurement's one registry line (what a contributor adds to measurements/__init__.py)."""
    monkeypatch.setitem(measurements.REGISTRY, "first-run", "plugins.first_run:FirstRun")


def test_a_registered_measurement_runs_in_bench_json_report_and_the_app(first_run, tmp_path, capsys):
    profile = tmp_path / "plugin.toml"
    profile.write_text(PROFILE)
    assert main(["bench", "--profile", str(profile), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["runtime"]: r for r in data["tables"]["first-run"]["rows"]}
    assert rows["wasmtime"]["status"] == rows["native"]["status"] == "ok"
    assert rows["native"]["value"] > 0 and "hello" in rows["native"]["counts"].lower()

    saved = tmp_path / "saved.toml"
    assert main(["bench", "--profile", str(profile), "--workloads", "first-hello", "--save", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "First run — hello: one run, nothing prepared" in out
    assert set(load_profile(saved).results.tables) == {"first-run"}  # --workloads picked it alone

    assert main(["report", "--profile", str(saved)]) == 0
    report = capsys.readouterr().out
    assert "### First run — hello: one run, nothing prepared" in report
    assert "| Runtime | First run | Output |" in report

    import asyncio

    asyncio.run(_app_shows(saved))


async def _app_shows(saved: Path) -> None:
    from wasmscope.tui.app import WasmscopeApp
    from wasmscope.tui.views.results import ResultsView

    app = WasmscopeApp(profile_path=saved, live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await pilot.pause(0.2)
        stored = {r.runtime: r for r in app.results.tables["first-run"].rows}
        tables = app.query_one(ResultsView)
        assert app.query_one("#table-first-run").row_count == 2
        assert tables.cell("first-run", "native", "ms") == fmt_ms(stored["native"].value)
        await pilot.press("q")
