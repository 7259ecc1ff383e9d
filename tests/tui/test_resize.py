"""A live demo must never die: every view, at the sizes a presenter uses, resized in between,
with real stored results (tables, the log-scale charts, the density chart) on show."""

from __future__ import annotations

from pathlib import Path

import tomlkit

from wasmscope.tui.app import WasmscopeApp

DATA = Path(__file__).parent / "data"
SIZES = ((80, 24), (100, 30), (200, 50), (160, 45), (80, 24))
VIEWS = ("1", "2", "3", "4", "5", "6")


def replay_with_density(tmp_path: Path) -> Path:
    """replay.toml (stored benchmark results with an HTTP sweep) plus a stored density run."""
    doc = tomlkit.parse((DATA / "replay.toml").read_text(encoding="utf-8"))
    doc["density"] = tomlkit.parse((DATA / "density.toml").read_text(encoding="utf-8"))["density"]
    path = tmp_path / "replay-density.toml"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


async def test_every_view_survives_resizes_with_stored_results(tmp_path):
    app = WasmscopeApp(profile_path=replay_with_density(tmp_path), live=False)
    async with app.run_test(size=SIZES[0]) as pilot:
        assert app.density is not None and app.results is not None
        for key in VIEWS:
            await pilot.press(key)
            for at_end in (False, True):  # charts below the fold render only when scrolled to
                view = app.query_one("#views").visible_content
                if at_end:
                    view.scroll_end(animate=False)
                for size in SIZES:
                    await pilot.resize_terminal(*size)
                    await pilot.pause(0.05)
                    app.screen.refresh(repaint=True, layout=True)
                    await pilot.pause(0.05)
        assert app.is_running  # no render error ended the app
        await pilot.press("q")
