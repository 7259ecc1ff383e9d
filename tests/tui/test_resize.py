"""A live demo must never die: every view, at the sizes a presenter uses, resized in between, with
real stored results (tables, the log-scale charts, the density chart, a race) on show and after a
real density run; in the grid and the list, in presentation mode too. And at 80×24 everything a
view holds can be reached from the keyboard."""

from __future__ import annotations

import time
from pathlib import Path

import tomlkit

from wasmscope.profiles import load_profile
from wasmscope.tui.app import WasmscopeApp

DATA = Path(__file__).parent / "data"
SIZES = ((80, 24), (100, 30), (200, 50), (160, 45), (80, 24))
VIEWS = ("1", "2", "3", "4", "5", "6", "7")


def replay_with_density(tmp_path: Path) -> Path:
    """replay.toml (stored benchmark results with an HTTP sweep) plus a stored density run and a
    stored race."""
    doc = tomlkit.parse((DATA / "replay.toml").read_text(encoding="utf-8"))
    doc["density"] = tomlkit.parse((DATA / "density.toml").read_text(encoding="utf-8"))["density"]
    doc["race"] = tomlkit.parse((DATA / "race.toml").read_text(encoding="utf-8"))["race"]
    path = tmp_path / "replay-density.toml"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


async def walk(app: WasmscopeApp, pilot, sizes=SIZES) -> None:
    """Every view, at its top and at its end, through every size."""
    for key in VIEWS:
        await pilot.press(key)
        for at_end in (False, True):  # charts below the fold render only when scrolled to
            view = app.query_one("#views").visible_content
            if at_end:
                view.scroll_end(animate=False)
            for size in sizes:
                await pilot.resize_terminal(*size)
                await pilot.pause(0.05)
                app.screen.refresh(repaint=True, layout=True)
                await pilot.pause(0.05)
        assert app.is_running, f"view {key} ended the app"


async def test_every_view_survives_resizes_with_stored_results(tmp_path):
    app = WasmscopeApp(profile_path=replay_with_density(tmp_path), live=False)
    async with app.run_test(size=SIZES[0]) as pilot:
        assert app.density is not None and app.results is not None and app.race is not None
        await walk(app, pilot)
        await pilot.press("1", "v")  # the list
        await walk(app, pilot, SIZES[:3])
        await pilot.press("1", "v", "P")  # the grid, presenting
        await walk(app, pilot, SIZES[:3])
        assert app.is_running  # no render error ended the app
        await pilot.press("q")


SMALL = """[bench]
runtimes = ["wasmtime", "native"]
measurements = ["startup"]
[startup]
runs = 2
warmup = 0
"""


async def test_every_view_survives_resizes_after_a_real_density_run(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    app = WasmscopeApp(load_profile(path), runtimes=("wasmtime", "native"))
    async with app.run_test(size=(80, 24)) as pilot:
        deadline = time.monotonic() + 120
        while not all(t.info for t in app.live_view.tracks.values()):
            assert time.monotonic() < deadline, "runtimes never described"
            await pilot.pause(0.1)
        await pilot.press("d")
        while app.density is None:
            assert time.monotonic() < deadline, "the density run did not finish"
            await pilot.pause(0.2)
        await walk(app, pilot)
        await pilot.press("q")
        while app.is_running and time.monotonic() < deadline:
            await pilot.pause(0.1)


def footer_fits(app: WasmscopeApp) -> bool:
    """The ctrl+p hint is on screen and no key is hidden under it."""
    from textual.widgets._footer import FooterKey

    keys = list(app.query(FooterKey))
    palette = [k for k in keys if k.has_class("-command-palette")]
    others = [k for k in keys if not k.has_class("-command-palette")]
    if len(palette) != 1 or not app.screen.region.contains_region(palette[0].region):
        return False
    return all(k.region.right <= palette[0].region.x for k in others)


async def test_at_80x24_every_view_is_reachable_by_keyboard(tmp_path):
    """The arrows and PageDown reach the end of every view that holds more than a screen, and
    → reaches every panel (scrolled into view)."""
    app = WasmscopeApp(profile_path=replay_with_density(tmp_path), live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("2", "3", "4", "5", "7"):
            await pilot.press(key)
            await pilot.pause(0.3)
            view = app.query_one("#views").visible_content
            assert app.focused is view, f"view {key} does not have the keys"
            assert footer_fits(app), f"view {key}: the footer's keys run under the ctrl+p hint"
            for _ in range(60):
                if view.scroll_y >= view.max_scroll_y:
                    break
                await pilot.press("pagedown")
                await pilot.pause(0.05)
            assert view.scroll_y == view.max_scroll_y, f"view {key}: the end is out of reach"
            if key == "2":
                assert view.max_scroll_y > 20  # the results are pages long at 80×24
                await pilot.press("home")
                assert view.scroll_y == 0
                await pilot.press("down")
                assert view.scroll_y == 1
        await pilot.press("1")
        assert footer_fits(app)
        for size in ((100, 30), (128, 36), (149, 40), (200, 50), (80, 24)):  # a browser at 1280 px: 128 columns
            await pilot.resize_terminal(*size)
            await pilot.pause(0.2)
            assert footer_fits(app), f"at {size} the footer's keys run under the ctrl+p hint"
        scroll = app.query_one("#live-scroll")
        for runtime in list(app.panels)[1:]:
            await pilot.press("right")
            await pilot.pause(0.05)
            panel = app.panels[runtime]
            assert app.focused is panel
            top = panel.region.y - scroll.region.y
            assert 0 <= top and top + panel.region.height <= scroll.region.height, f"{runtime} is off screen"
        await pilot.press("q")
