"""The app as a presenter uses it (issue 14): the race, presentation mode, the list that fits every
runtime on one screen, hiding what this machine cannot run, the selection kept across views and
runs, and profile files that never point into the installed package. Real runtimes throughout."""

from __future__ import annotations

import threading
from pathlib import Path


from wasmscope.profiles import load_profile, resolve_profile_path
from wasmscope.profiles.store import SHIPPED_DIR
from wasmscope.tui.app import WasmscopeApp
from wasmscope.workloads.race import CANCELLED, DONE, RACING
from wasmscope.workloads.remote.address import LOCAL

from .test_app import quit_and_wait, wait_for

DATA = Path(__file__).parent / "data"

PROFILE = """# presenter test profile
[bench]
runtimes = {runtimes}
measurements = ["startup"]
sample_hz = 10.0

[startup]
runs = 2
warmup = 0

[app]
race_seconds = {seconds}
{app}
"""


def profile(tmp_path: Path, runtimes=("wasmtime", "native"), seconds: float = 1.5, app: str = "") -> Path:
    path = tmp_path / "presenter.toml"
    path.write_text(PROFILE.format(runtimes=str(list(runtimes)).replace("'", '"'), seconds=seconds, app=app))
    return path


def described(app: WasmscopeApp) -> bool:
    return all(t.info is not None for t in app.live_view.tracks.values())


async def test_race_counts_runs_in_worker_threads_and_saves_as_a_race(tmp_path):
    path = profile(tmp_path)
    app = WasmscopeApp(load_profile(path), runtimes=("wasmtime", "native"))
    threads: set[str] = set()
    async with app.run_test(size=(80, 24)) as pilot:
        real_run = app.session.run_once

        def recording_run(*args, **kwargs):
            threads.add(threading.current_thread().name)
            return real_run(*args, **kwargs)

        app.session.run_once = recording_run
        await wait_for(pilot, lambda: described(app), what="runtimes described")
        await pilot.press("R")
        assert app.query_one("#views").current == "race"
        await wait_for(pilot, lambda: app.race is not None, 60, "the race")
        assert app.race.phase == DONE and app.race.duration_s == 1.5
        lanes = {lane.runtime: lane for lane in app.race.lanes}
        assert set(lanes) == {"wasmtime", "native"} and all(lane.runs > 0 for lane in lanes.values())
        assert threading.main_thread().name not in threads and threads  # never on the UI thread
        view = app.query_one("RaceView")
        assert str(view.query_one("#race-counts").render()) == app.race.counts_line()
        assert "share this machine's" in str(view.query_one("#race-note").render())  # labelled a race
        lead = app.race.leader()
        words = str(view.query_one("#race-ratio-words").render())
        assert words.startswith(f"{lead.name} completed ") and "× as many runs as " in words
        await pilot.press("ctrl+s")
        app.screen.query_one("#path").value = str(tmp_path / "saved.toml")
        await pilot.press("enter")
        await wait_for(pilot, lambda: (tmp_path / "saved.toml").exists(), 10, "saved")
        saved = load_profile(tmp_path / "saved.toml")
        assert saved.race == app.race  # [race], read back as it was
        assert (tmp_path / "saved.toml").read_text().startswith("# presenter test profile")
        await quit_and_wait(app, pilot)


async def test_a_race_is_cancelled_with_c(tmp_path):
    app = WasmscopeApp(load_profile(profile(tmp_path, seconds=120)), runtimes=("wasmtime", "native"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: described(app), what="runtimes described")
        await pilot.press("R")
        view = app.query_one("RaceView")
        await wait_for(pilot, lambda: view.state is not None and view.state.phase == RACING
                       and any(lane.runs for lane in view.state.lanes), 60, "racing")
        await pilot.press("c")
        await wait_for(pilot, lambda: app.race is not None, 30, "the cancelled race")
        assert app.race.phase == CANCELLED and app.race.elapsed_s < 60
        assert not app.bench_running
        await quit_and_wait(app, pilot)


async def test_presentation_mode_by_key_and_by_demo(tmp_path):
    app = WasmscopeApp(profile_path=DATA / "replay.toml", live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1")
        panel = app.panels["wasmtime"]
        assert not app.presenting and app.title == "wasmscope"
        assert panel.query_one("Digits").display and not panel.query_one("BigFigure").display
        await pilot.press("P")
        assert app.presenting and "PRESENTATION" in app.title
        await pilot.pause(0.1)
        assert panel.query_one("BigFigure").display and not panel.query_one("Digits").display
        assert panel.query_one("BigFigure").value == panel.query_one("Digits").value  # the same figure, larger
        assert not app.query_one("#recent").display  # fewer words
        await pilot.press("P")
        assert not app.presenting
        await pilot.press("q")
    demo = WasmscopeApp(profile_path=DATA / "replay.toml", live=False, demo=True)
    async with demo.run_test(size=(100, 30)) as pilot:
        assert demo.presenting and "DEMO" in demo.title  # --demo: presenting, and says it loops
        await pilot.press("q")


async def test_unavailable_runtimes_hide_by_key_and_by_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    runtimes = ("wasmtime", "docker", "native")
    app = WasmscopeApp(load_profile(profile(tmp_path, runtimes)), runtimes=runtimes)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: described(app), what="runtimes described")
        assert app.panels["docker"].display
        await pilot.press("u")
        assert not app.panels["docker"].display and not app.live_view.rows[(LOCAL, "docker")].display
        await pilot.press("right")  # the selection skips what is hidden
        assert app.live_view.selected == (LOCAL, "native")
        await pilot.press("u")
        assert app.panels["docker"].display
        await quit_and_wait(app, pilot)
    hidden = WasmscopeApp(load_profile(profile(tmp_path, runtimes, app="hide_unavailable = true")), runtimes=runtimes)
    async with hidden.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: described(hidden), what="runtimes described")
        await pilot.pause(0.1)
        assert not hidden.panels["docker"].display and hidden.panels["native"].display
        await quit_and_wait(hidden, pilot)


async def test_list_mode_shows_every_available_runtime_of_the_article_profile_at_80x24():
    article = load_profile(resolve_profile_path("article"))
    app = WasmscopeApp(article)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: described(app), 120, "runtimes described")
        await pilot.press("v")
        await pilot.pause(0.2)
        screen = app.screen.region
        available = [rt for rt in article.bench.runtimes if app.live_view.tracks[(LOCAL, rt)].available]
        assert len(available) >= 8  # wasmtime, native, docker, the wasmtime CLI, WAMR, wasm3, node, …
        for rt in available:
            row = app.live_view.rows[(LOCAL, rt)]
            assert row.display and screen.contains_region(row.region), f"{rt} is not on screen"
            assert row.region.height == 1
        assert app.live_view.query_one("#live-scroll").max_scroll_y == 0  # nothing below the fold
        await quit_and_wait(app, pilot)


async def test_selection_is_kept_across_a_sandbox_probe_and_the_matrix_fits_80_columns(tmp_path):
    runtimes = ("wasmtime", "native", "wasmtime-cli")
    app = WasmscopeApp(load_profile(profile(tmp_path, runtimes)), runtimes=runtimes)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: described(app), what="runtimes described")
        await pilot.press("right")
        assert app.live_view.selected == (LOCAL, "native")
        await pilot.press("x")
        await wait_for(pilot, lambda: app.sandbox_rows is not None, 120, "the sandbox probe")
        await pilot.pause(0.2)
        text = app.export_screenshot().replace("&#160;", " ")
        for header in ("Runtime", "Set", "file", "ls /", "env", "write", "tcp", "dns", "spawn", "clock", "rand"):
            assert f">{header}" in text or f"{header}<" in text, header  # every column, in full
        await pilot.press("1")
        assert app.focused is app.panels["native"] and app.live_view.selected == (LOCAL, "native")
        await pilot.press("right")
        assert app.live_view.selected == (LOCAL, "wasmtime-cli")  # → moves on from the selected panel
        await quit_and_wait(app, pilot)


async def test_profile_files_default_to_a_user_file_never_the_shipped_profile(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = WasmscopeApp(profile_path="quick", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("ctrl+s", "ctrl+o"):
            await pilot.press(key)
            default = Path(app.screen.query_one("#path").value)
            assert default == tmp_path / "wasmscope-quick.toml"
            assert SHIPPED_DIR.resolve() not in default.resolve().parents
            await pilot.press("escape")
        await pilot.press("q")


async def test_stored_results_open_the_same_way_at_start_and_with_ctrl_o(tmp_path):
    """On the Results view, at its top — whether the profile was given at start or opened."""
    app = WasmscopeApp(load_profile(DATA / "replay.toml"), runtimes=("wasmtime", "native"))
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.results_view
        assert app.query_one("#views").current == "results" and view.scroll_y == 0
        await pilot.press("end")
        await pilot.pause(0.1)
        assert view.scroll_y > 0
        await pilot.press("1", "ctrl+o")
        app.screen.query_one("#path").value = str(DATA / "replay.toml")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.query_one("#views").current == "results" and view.scroll_y == 0
        assert "[density]" in str(app.query_one("DensityView .empty").render())  # not eaten as markup
        await quit_and_wait(app, pilot)


async def test_demo_loops_benchmark_results_charts_and_a_race(tmp_path, monkeypatch):
    from wasmscope.tui import demo

    for name in ("RESULTS_S", "CHARTS_S", "RACE_S"):  # the loop's pauses, short for the test
        monkeypatch.setattr(demo, name, 0.3)
    app = WasmscopeApp(load_profile(profile(tmp_path, seconds=1.0)), runtimes=("wasmtime", "native"), demo=True)
    seen: list[str] = []
    async with app.run_test(size=(100, 30)) as pilot:
        def view_now() -> str:
            current = app.query_one("#views").current
            if not seen or seen[-1] != current:
                seen.append(current)
            return current

        await wait_for(pilot, lambda: app.results is not None, 120, "the demo's benchmark")
        await wait_for(pilot, lambda: view_now() == "race" and app.race is not None, 120, "the demo's race")
        await wait_for(pilot, lambda: view_now() == "live" and app.bench_running, 60, "the next round")
        assert seen[-4:] == ["results", "charts", "race", "live"]
        assert app.race.phase == DONE
        await quit_and_wait(app, pilot)
