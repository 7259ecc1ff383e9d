"""Pilot tests of the app against the real engine (wasmtime, native; Docker where it runs)."""

from __future__ import annotations

import re

import io
import os
import tomllib
import time
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from wasmscope.profiles import load_profile
from wasmscope.tui import keys, profile_files
from wasmscope.tui.app import WasmscopeApp
from wasmscope.tui.views.results import ResultsView
from wasmscope.workloads.model.format import fmt_ms
from wasmscope.workloads.system.sessions import OWNER_PID

DATA = Path(__file__).parent / "data"
SIZE = (100, 30)

SMALL = """# small profile for the app tests
[profile]
name = "small"

[bench]
runtimes = {runtimes}
measurements = ["startup"]
sample_hz = 10.0   # fast sampling so tests see data quickly

[startup]
runs = {runs}
warmup = 0

[memory]
mib = 8
"""


def small_profile(tmp_path: Path, runtimes=("wasmtime", "native"), runs: int = 2) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL.format(runtimes=list(runtimes).__repr__().replace("'", '"'), runs=runs))
    return path


async def wait_for(pilot, condition, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await pilot.pause(0.05)


def described(app: WasmscopeApp) -> bool:
    return all("probing" not in str(p.query_one(".status").render()) for p in app.panels.values())


@asynccontextmanager
async def described_run(app: WasmscopeApp, size: tuple[int, int] = SIZE, timeout: float = 30.0):
    """The app under Pilot once every runtime is described (probing done): its pilot."""
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: described(app), timeout, "runtimes described")
        yield pilot


async def press_on(pilot, panel, key: str) -> None:
    """Select a runtime's panel and press a key there, as the user does."""
    panel.focus()
    await pilot.press(key)


async def quit_and_wait(app: WasmscopeApp, pilot) -> None:
    await pilot.press("q")
    await wait_for(pilot, lambda: app.return_code is not None or not app.is_running, 60, "app exit")


def make_app(path: Path, runtimes=("wasmtime", "native"), **kw) -> WasmscopeApp:
    return WasmscopeApp(load_profile(path), runtimes=runtimes, **kw)


async def test_start_sample_and_stop_idle_on_wasmtime(tmp_path):
    app = make_app(small_profile(tmp_path))
    async with described_run(app) as pilot:
        panel = app.panels["wasmtime"]
        await press_on(pilot, panel, "i")
        await wait_for(pilot, lambda: panel.running == "idle" and len(panel.rss) >= 3, what="idle sampled")
        assert "running idle" in str(panel.query_one(".status").render())
        rss = panel.query_one(".rss-trend")
        assert rss.headline.startswith("RSS ") and rss.headline.endswith(" MiB")
        assert list(rss.values) == list(panel.rss)
        from wasmscope.tui.widgets.track import span

        # the range the graph is scaled to, written beside it (a flat series: its headline says it)
        assert rss.span == (span(panel.rss, "MiB") if min(panel.rss) != max(panel.rss) else "")
        assert min(panel.rss) >= 8  # the 8 MiB the instance touched
        inst = app.session.instance("wasmtime")
        await pilot.press("s")
        await wait_for(pilot, lambda: panel.running is None, what="stopped")
        assert str(panel.query_one(".status").render()) == "ready"
        assert not panel.rss and rss.headline == "RSS —" and panel.border_subtitle == ""  # no RSS of nothing
        assert inst.proc.poll() is not None  # the worker process is gone
        await quit_and_wait(app, pilot)


async def test_cold_start_and_burst_stream_latency(tmp_path):
    app = make_app(small_profile(tmp_path))
    async with described_run(app) as pilot:
        panel = app.panels["native"]
        await press_on(pilot, panel, "h")
        await wait_for(pilot, lambda: panel.last_cold_ms is not None, what="cold start")
        assert panel.last_cold_ms > 0
        digits = str(panel.query_one("Digits").value)
        assert float(digits) == pytest.approx(panel.last_cold_ms, rel=1e-2, abs=1e-3)
        assert any(line.startswith("native: hello: $ ") for line in app.history)  # the shell equivalent
        await pilot.press("b")
        await wait_for(pilot, lambda: len(panel.latency) >= 1 + app.BURST, what="burst points")
        assert len(panel.query_one(".latency-trend").values) == len(panel.latency)
        from textual.widgets._footer import FooterKey

        def cancel_shown() -> bool:
            return any(key.action == "cancel" and not key.has_class("-disabled") for key in app.query(FooterKey))

        await wait_for(pilot, lambda: not cancel_shown(), 10, "Cancel gone from the footer once the burst ended")
        await quit_and_wait(app, pilot)


async def test_benchmark_fills_results_and_save_keeps_comments(tmp_path):
    path = small_profile(tmp_path)
    app = make_app(path)
    async with described_run(app) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: app.results is not None, 60, "benchmark results")
        rows = {r.runtime: r for r in app.results.tables["startup"].rows}
        assert rows["wasmtime"].status == rows["native"].status == "ok"
        await pilot.press("2")
        assert app.query_one("#views").current == "results"
        tables = app.query_one(ResultsView)
        assert app.query_one("#table-startup").row_count == 2
        assert tables.cell("startup", "wasmtime", "median") == fmt_ms(rows["wasmtime"].value)
        assert tables.cell("startup", "native", "vs_native") == "baseline"
        # the ratio with its interval (one round here: a bootstrap over the run's samples, and it says so)
        assert re.fullmatch(r"[+-][\d.]+ % \([+-][\d.]+ … [+-][\d.]+, 1 round\)",
                            tables.cell("startup", "wasmtime", "vs_native"))
        # a row with samples taken on a busy machine is marked, on a narrow screen too
        name = tables.cell("startup", "wasmtime", "runtime")
        assert name.endswith(" ⚠") == (rows["wasmtime"].busy_samples > 0)
        assert "vs_docker" not in app.query_one("#table-startup").columns  # no Docker in this run: no column
        assert not app.query_one("#measurement-memory").display  # not measured: not shown
        await pilot.press("ctrl+s")
        await pilot.press("enter")  # default path: the opened profile
        await wait_for(pilot, lambda: "[results]" in path.read_text(), 10, "saved results")
        text = path.read_text()
        assert text.startswith("# small profile for the app tests")
        assert "# fast sampling so tests see data quickly" in text
        assert load_profile(path).results.tables["startup"].rows[0].status == "ok"
        await quit_and_wait(app, pilot)


async def test_cancel_a_running_benchmark(tmp_path):
    app = make_app(small_profile(tmp_path, runs=5000))
    async with described_run(app) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: app.bench_running and app.query_one("#bench-progress").progress > 2,
                       30, "benchmark progress")
        tables = app.query_one(ResultsView)
        # the results table fills with provisional medians as samples stream in
        def provisional() -> bool:
            shown = app.query_one("#table-startup")
            return app.query_one("#measurement-startup").display and shown.row_count > 0 and "measuring" in tables.cell(
                "startup", shown.coordinate_to_cell_key((0, 0)).row_key.value, "vs_native")

        await wait_for(pilot, provisional, 10, "provisional rows")
        await pilot.press("c")
        await wait_for(pilot, lambda: not app.bench_running, 30, "benchmark cancelled")
        assert app.results is None
        assert not app.query_one("#measurement-startup").display  # provisional figures are gone
        assert not any(w.group == "bench" and w.is_running for w in app.workers)
        await quit_and_wait(app, pilot)


async def test_views_switch(tmp_path):
    app = WasmscopeApp(profile_path=small_profile(tmp_path), runtimes=("wasmtime", "native"))
    async with app.run_test(size=(80, 24)) as pilot:
        switcher = app.query_one("#views")
        for key, view in (("2", "results"), ("3", "charts"), ("4", "log"), ("1", "live"), ("l", "log")):
            await pilot.press(key)
            assert switcher.current == view
        await quit_and_wait(app, pilot)


async def test_open_profile_with_stored_results_shows_them_without_running(tmp_path):
    app = make_app(small_profile(tmp_path))
    async with described_run(app) as pilot:
        await pilot.press("ctrl+o")
        dialog_input = app.screen.query_one("#path")
        dialog_input.value = str(DATA / "replay.toml")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.results is not None, 10, "stored results")
        stored = tomllib.loads((DATA / "replay.toml").read_text())["results"]  # the file, read independently
        assert app.results.started_at == stored["started_at"]
        assert app.query_one("#views").current == "results"
        tables = app.query_one(ResultsView)
        wasmtime = next(r for r in stored["tables"]["startup"]["rows"] if r["runtime"] == "wasmtime")
        assert tables.cell("startup", "wasmtime", "median") == fmt_ms(wasmtime["value"])
        assert tables.cell("startup", "wasmtime", "article") == "0.8 ms"  # the article's, labelled so
        assert app.query_one("#table-compute").row_count == len(stored["tables"]["compute"]["rows"]) == 4
        io_rows = {"/".join(x for x in (r["runtime"], r.get("model", ""), r.get("variant", "")) if x): r
                   for r in stored["tables"]["io"]["rows"]}
        native = io_rows["native/server"]
        assert tables.cell("io", "native/server", "rps") == f"{native['value']:,.0f}"
        assert tables.cell("io", "docker/per-request", "vs_docker") == "baseline"
        assert tables.cell("io", "docker/server", "article").startswith("49,500")
        assert "not re-run" in app.results_note
        assert not app.bench_running
        await quit_and_wait(app, pilot)


async def test_open_bad_profile_reports_one_line_and_keeps_the_current(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[bench]\nruntimes = ['nope']\n")
    app = make_app(small_profile(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        app.screen.query_one("#path").value = str(bad)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.profile.name == "small"
        errors = [line for line in app.history if "unknown runtime 'nope'" in line]
        assert len(errors) == 1 and "bad.toml: bench.runtimes:" in errors[0]
        await quit_and_wait(app, pilot)


async def test_unavailable_runtime_is_shown_with_reason_and_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    app = make_app(small_profile(tmp_path), runtimes=("wasmtime", "docker"))
    async with described_run(app) as pilot:
        panel = app.panels["docker"]
        reason = f"unavailable: Docker engine not reachable at unix://{tmp_path}/none.sock"
        status = panel.query_one(".status")
        assert status.text.startswith(reason)
        assert str(status.render()).endswith("…")  # cut to the panel's width, never wrapped
        assert "dockerd" in panel.query_one(".detail").text  # the fix, on the panel's detail line
        await pilot.press("right")
        detail = app.query_one("#detail").text  # the selected runtime's whole story, one line
        assert reason in detail and "fix: " in detail and "dockerd" in detail
        await pilot.press("h")  # refused with a notice, nothing runs
        await pilot.pause(0.1)
        assert panel.last_cold_ms is None
        await quit_and_wait(app, pilot)


@pytest.mark.docker
async def test_idle_on_docker_then_quit_removes_the_container(tmp_path, docker_client):
    app = make_app(small_profile(tmp_path, runtimes=("wasmtime", "docker")), runtimes=("wasmtime", "docker"))
    mine = {"label": f"{OWNER_PID}={os.getpid()}"}
    async with described_run(app, timeout=60) as pilot:
        panel = app.panels["docker"]
        await press_on(pilot, panel, "i")
        await wait_for(pilot, lambda: panel.running == "idle" and len(panel.rss) >= 2, 60, "docker idle sampled")
        assert docker_client.containers.list(filters=mine)
        await quit_and_wait(app, pilot)
    assert not docker_client.containers.list(all=True, filters=mine)


@pytest.mark.docker
async def test_a_container_killed_behind_the_apps_back_shows_as_exited(tmp_path, docker_client):
    app = make_app(small_profile(tmp_path, runtimes=("docker",)), runtimes=("docker",))
    async with described_run(app, timeout=60) as pilot:
        panel = app.panels["docker"]
        await pilot.press("i")
        await wait_for(pilot, lambda: panel.running == "idle" and len(panel.rss) >= 1, 60, "docker idle sampled")
        container = app.session.instance("docker").container
        docker_client.api.kill(container.id)  # as `docker kill` from another terminal would
        await wait_for(pilot, lambda: any("docker: stopped" in line for line in app.history), 10, "the exit noticed")
        assert panel.running is None
        assert "idle exited" in str(panel.query_one(".status").render())  # still on show after the cleanup
        assert any("docker: idle exited on its own" in line for line in app.history)
        await quit_and_wait(app, pilot)


async def test_demo_mode_runs_the_benchmark_on_its_own(tmp_path):
    app = make_app(small_profile(tmp_path), demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.results is not None, 60, "the demo's benchmark")
        # the view switches as the finished benchmark reaches the app (after the results view took it)
        await wait_for(pilot, lambda: app.query_one("#views").current == "results", 5, "the results view")
        await quit_and_wait(app, pilot)


@pytest.mark.docker
async def test_quit_during_a_docker_benchmark_cancels_it_and_removes_containers(tmp_path, docker_client):
    path = tmp_path / "long.toml"
    path.write_text('[bench]\nruntimes = ["docker"]\nmeasurements = ["memory"]\n'
                    '[memory]\nmib = 1\nsamples = 400\ninterval_s = 0.25\n')
    app = make_app(path, runtimes=("docker",))
    mine = {"label": f"{OWNER_PID}={os.getpid()}"}
    async with described_run(app, timeout=60) as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: bool(docker_client.containers.list(filters=mine)), 60, "bench container")
        await quit_and_wait(app, pilot)
    assert app.results is None
    assert not docker_client.containers.list(all=True, filters=mine)


async def test_wizard_walk_by_keys_back_keeps_answers_and_save(tmp_path):
    path = small_profile(tmp_path)
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        wizard = app.screen
        assert type(wizard).__name__ == "WizardScreen"
        await pilot.press("enter")  # language: Rust (first)
        await pilot.press("enter")  # state: stateless (first)
        await pilot.press("ctrl+b")  # back to state: the answer is kept
        assert wizard.step == 1 and wizard.components[0]["state"] == "stateless"
        await pilot.press("enter")  # state again
        await pilot.press("enter")  # traffic: spiky (first)
        await pilot.press("enter")  # kind: edge function (first)
        await pilot.press("enter")  # tenants: default 0
        wizard.query_one("#value").value = ""
        await pilot.press("5", "enter")  # cold-start budget 5 ms
        await pilot.press("enter")  # memory budget: default 0 (none)
        await pilot.press("enter")  # temporary files: no (default)
        await pilot.press("enter")  # component name: empty, named after the application
        assert wizard.stage == "list"
        await pilot.press("enter")  # continue to the system's questions (highlighted)
        await pilot.press("enter")  # container tooling: no (default)
        name = wizard.query_one("#value")
        name.value = ""
        await pilot.press(*"quick-edge", "enter")  # typing 'q' must not quit the app
        assert wizard.stage == "result" and wizard.recommendation is not None
        assert wizard.recommendation.verdict == "wasm"
        assert wizard.answers() == {"name": "quick-edge", "needs_container_tooling": False, "components": [
            {"language": "rust", "state": "stateless", "traffic": "spiky", "kind": "edge-function", "tenants": 0,
             "cold_start_budget_ms": 5.0, "memory_budget_mib": 0.0, "temp_files": False}]}
        assert "Recommendation: Wasm" in str(wizard.query_one("#result").render())
        await pilot.press("s")
        await pilot.press("enter")  # default: the opened profile
        await wait_for(pilot, lambda: "[advice" in path.read_text(), 10, "advice saved")
        saved = load_profile(path)
        assert saved.advice["answers"]["name"] == "quick-edge"
        assert saved.advice["answers"]["components"][0]["name"] == "quick-edge"
        assert saved.advice["recommendation"]["verdict"] == "wasm"
        assert path.read_text().startswith("# small profile for the app tests")
        await pilot.press("w")
        app.screen.query_one("#path").value = str(tmp_path / "deploy")
        await pilot.press("enter")
        await wait_for(pilot, lambda: (tmp_path / "deploy" / "spin.toml").exists(), 10, "starter files")
        await pilot.press("escape")
        await quit_and_wait(app, pilot)


async def test_wizard_adds_components_and_recommends_each(tmp_path):
    """A list the user adds to: a Python API in a container beside a Rust edge function."""
    from wasmscope.tui.screens.wizard import WizardScreen

    app = make_app(small_profile(tmp_path))
    api = {"name": "api", "language": "python", "state": "persistent-connections", "traffic": "steady",
           "kind": "service"}
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(WizardScreen({"name": "shop", "components": [api]}))
        wizard = app.screen
        await pilot.pause(0.1)
        from wasmscope.workloads.advice.questions import COMPONENT_QUESTIONS

        for _ in COMPONENT_QUESTIONS:  # through the first component's questions, answers kept
            await pilot.press("enter")
        assert wizard.stage == "list" and wizard.components[0]["language"] == "python"
        wizard.query_one("#choices").highlighted = 1  # + add a component
        await pilot.press("enter")
        assert wizard.stage == "component" and wizard.current == 1
        await pilot.press("enter", "enter", "enter", "enter")  # Rust, stateless, spiky, edge function
        for _ in range(4):  # tenants, budget, memory budget, temp files: defaults
            await pilot.press("enter")
        await pilot.press(*"edge", "enter")
        assert wizard.stage == "list" and len(wizard.components) == 2
        wizard.query_one("#choices").highlighted = 3  # continue
        await pilot.press("enter", "enter", "enter")  # tooling no, name shop (kept)
        assert wizard.stage == "result"
        rec = wizard.recommendation
        assert [(c.name, c.verdict) for c in rec.components] == [("api", "containers"), ("edge", "wasm")]
        text = str(wizard.query_one("#result").render())
        assert "== api: containers" in text and "== edge: Wasm" in text and "Both for shop" in text
        await pilot.press("escape")
        await quit_and_wait(app, pilot)


@pytest.mark.docker
async def test_wizard_measures_on_demand_and_folds_the_evidence_in(tmp_path, docker_client):
    from wasmscope.tui.screens.wizard import WizardScreen

    app = make_app(small_profile(tmp_path, runtimes=("wasmtime", "docker")), runtimes=("wasmtime", "docker"))
    answers = {"language": "rust", "state": "stateless", "traffic": "spiky", "kind": "edge-function"}
    async with described_run(app, timeout=60) as pilot:
        await app.push_screen(WizardScreen(answers, show_result=True))
        wizard = app.screen
        await pilot.pause(0.1)
        assert [m["table"] for m in wizard.recommendation.missing] == ["startup table"]
        await pilot.press("m")
        await wait_for(pilot, lambda: bool(wizard.recommendation.evidence), 90, "evidence folded in")
        edge = next(r for r in wizard.recommendation.components[0].reasons if r.rule == "edge-cold-start")
        assert edge.evidence.startswith("cold start here: wasmtime ") and edge.status != "unmeasured"
        await pilot.press("escape")
        await quit_and_wait(app, pilot)


async def test_help_lists_every_key_and_palette_names_actions(tmp_path):
    from textual.command import CommandPalette

    from wasmscope.tui.commands import WasmscopeCommands

    app = make_app(small_profile(tmp_path))
    async with described_run(app, (80, 24)) as pilot:
        await pilot.press("question_mark")
        from rich.console import Console

        console = Console(width=84, record=True, file=io.StringIO())
        console.print(app.screen.query("Static")[1].content)
        text = console.export_text()
        for binding in keys.BINDINGS:
            assert binding.id and binding.id in text
        await pilot.press("escape")
        names = [name for name, _, _ in WasmscopeCommands(app.screen)._commands()]
        assert "workload: start idle on Wasmtime (embedded)" in names
        assert "benchmark: run the profile" in names
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"start idle on wasm")
        await pilot.pause(0.5)
        await pilot.press("enter")
        panel = app.panels["wasmtime"]
        await wait_for(pilot, lambda: panel.running == "idle", what="idle started from the palette")
        await wait_for(pilot, lambda: len(panel.rss) >= 2, what="idle sampled")
        assert panel.border_subtitle.endswith(" MiB")
        await quit_and_wait(app, pilot)


async def test_http_load_streams_rps_and_p99_into_the_panel(tmp_path):
    """g on the native panel starts the http server, loads it from the built-in generator and
    streams req/s and p99 per 0.5 s; the log gets the run's summary; q stops the server."""
    path = small_profile(tmp_path, runtimes=("native",))
    path.write_text(path.read_text() + "\n[io]\nconnections = 4\nduration_s = 2.0\nwarmup_s = 0.2\n")
    app = make_app(path, runtimes=("native",))
    async with described_run(app) as pilot:
        panel = app.panels["native"]
        assert not panel.has_class("-io")  # the I/O sparklines only show once a load runs
        await pilot.press("g")
        await wait_for(pilot, lambda: len(panel.rps) >= 2 and len(panel.p99) >= 2, what="load ticks")
        assert panel.has_class("-io") and panel.running == "http"
        assert min(panel.rps) > 0
        assert panel.query_one(".rps-trend").headline.startswith("req/s ")
        await wait_for(pilot, lambda: any(" req/s, p99 " in line for line in app.history), what="summary")
        server = app.session.instance("native")
        assert server is not None and server.alive()
        await quit_and_wait(app, pilot)
        assert not server.alive()


async def test_density_run_fills_the_density_view_and_saves(tmp_path):
    """At 80×24 (where the finished run's log-scale chart once ended the app), then resized."""
    app = make_app(small_profile(tmp_path))
    async with described_run(app, (80, 24)) as pilot:
        await pilot.press("d")
        assert app.query_one("#views").current == "density"
        await wait_for(pilot, lambda: app.density is not None, 120, "density run")
        view = app.query_one("DensityView")
        rows = {r.runtime: r for r in app.density.tables["density"].rows}
        assert rows["wasmtime"].model == "one host, many instances" and rows["native"].model == "process per instance"
        assert view.cell(rows["wasmtime"].key, "per_gib") == f"{rows['wasmtime'].value:,.0f}"
        assert view.cell(rows["native"].key, "reached") == f"{int(rows['native'].stats['instances']):,}"
        assert rows["native"].stats["instances"] >= 50
        view.scroll_end(animate=False)
        for size in ((100, 30), (200, 50), (80, 24)):
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
        assert app.is_running
        profile_files.save_chosen(app, tmp_path / "saved.toml")
        saved = load_profile(tmp_path / "saved.toml")
        assert saved.density.tables["density"].rows[0].runtime == "wasmtime"
        await quit_and_wait(app, pilot)


async def test_stored_platforms_table_shows_in_the_results_view():
    """A stored Platforms run (real figures) replays: each host's first 200 and req/s."""
    path = DATA / "platforms.toml"
    stored = tomllib.loads(path.read_text())["results"]  # the file, read independently
    rows = {r["runtime"]: r for r in stored["tables"]["platforms"]["rows"]}
    app = WasmscopeApp(profile_path=path, live=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("2")
        await pilot.pause(0.3)
        tables = app.query_one(ResultsView)
        serve = rows["wasmtime-serve"]
        assert tables.cell("platforms", "wasmtime-serve", "first_200") == fmt_ms(serve["stats"]["first_200_ms"])
        assert tables.cell("platforms", "wasmtime-serve", "rps") == f"{serve['value']:,.0f}"
        assert tables.cell("platforms", "spin", "first_200").startswith("unavailable: spin is not on PATH")
        title = str(app.query_one("#title-platforms").render())
        assert title.startswith("Platforms — component-http: the same 200 from each host")
        await quit_and_wait(app, pilot)


async def test_sandbox_probe_fills_the_sandbox_view(tmp_path):
    """x runs the probe guest on the profile's runtimes; view 6 shows the matrix: the native
    process reaches the host's file and listener, wasmtime does not even have the calls."""
    app = make_app(small_profile(tmp_path))
    async with described_run(app, (160, 50)) as pilot:
        await pilot.press("x")
        assert app.query_one("#views").current == "sandbox"
        await wait_for(pilot, lambda: app.sandbox_rows is not None, 120, "sandbox probe")
        rows = {(r.runtime, r.settings): r for r in app.sandbox_rows}
        assert set(rows) == {(rt, s) for rt in ("wasmtime", "native") for s in ("runtime-defaults", "wasmscope")}
        assert rows["native", "runtime-defaults"].cells["read-file"].verdict == "host"
        assert rows["native", "runtime-defaults"].cells["tcp-connect"].verdict == "host"
        assert rows["wasmtime", "runtime-defaults"].cells["tcp-connect"].verdict == "absent"
        assert rows["wasmtime", "wasmscope"].cells["write-cwd"].verdict == "granted"
        await pilot.pause(0.2)
        assert not app.query_one("#sandbox-empty").display
        screen = app.export_screenshot().replace("&#160;", " ")
        assert "HOST" in screen and "no call" in screen and "granted" in screen
        await quit_and_wait(app, pilot)


async def test_live_keys_work_again_after_another_view(tmp_path):
    """Back on view 1 the selected panel has the keys: h runs on it, not on nothing."""
    app = make_app(small_profile(tmp_path))
    async with described_run(app) as pilot:
        await pilot.press("right")  # native
        for key in ("2", "3", "4", "5", "6", "1"):
            await pilot.press(key)
        assert app.focused is app.panels["native"]
        await pilot.press("h")
        await wait_for(pilot, lambda: app.panels["native"].last_cold_ms is not None, what="cold start on native")
        assert app.panels["wasmtime"].last_cold_ms is None


async def test_stored_rounds_show_intervals_and_busy_flags_in_the_results_view():
    """A stored run of 3 rounds (tests/data/compare/a.toml, real figures) replays with each ratio's
    interval across the rounds and each row's busy samples, as the CLI prints them."""
    path = Path(__file__).parent.parent / "data" / "compare" / "a.toml"
    stored = load_profile(path).results
    app = WasmscopeApp(profile_path=path, live=False)
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.press("2")
        await pilot.pause(0.3)
        tables = app.query_one(ResultsView)
        assert tables.cell("compute", "wasmtime", "vs_native").endswith(", 3 rounds)")
        assert tables.cell("memory", "wasmtime", "vs_native").endswith(", 3 rounds)")
        for table in ("compute", "memory"):
            for row in stored.tables[table].rows:
                shown = tables.cell(table, row.runtime, "busy")
                assert shown.startswith(f"{row.busy_samples}/{len(row.samples)}")
                assert shown.endswith("⚠") == (row.busy_samples > 0)
                assert tables.cell(table, row.runtime, "runtime").endswith(" ⚠") == (row.busy_samples > 0)
        await quit_and_wait(app, pilot)
