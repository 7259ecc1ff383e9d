"""Snapshots of the app's views, fed by a profile with stored results (replay: no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmscope.profiles import load_profile
from wasmscope.tui.app import WasmscopeApp

REPLAY = Path(__file__).parent / "data" / "replay.toml"


def replay_app() -> WasmscopeApp:
    app = WasmscopeApp(load_profile(REPLAY), live=False)
    app.clock = lambda: "12:00:00"  # frozen log stamps
    return app


@pytest.mark.parametrize("size", [(110, 34), (80, 24)], ids=["110x34", "80x24"])
def test_live_view(snap_compare, size):
    assert snap_compare(replay_app(), terminal_size=size)


def test_results_view(snap_compare):
    assert snap_compare(replay_app(), press=["2"], terminal_size=(140, 60))


def test_charts_view(snap_compare):
    async def settle(pilot):
        await pilot.press("3")
        await pilot.pause(0.5)  # plotext draws on the next refresh after the view is shown
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(replay_app(), run_before=settle, terminal_size=(110, 44))


def test_help_view(snap_compare):
    assert snap_compare(replay_app(), press=["question_mark"], terminal_size=(100, 40))


def test_wizard_result_view(snap_compare):
    from wasmscope.tui.screens.wizard import WizardScreen

    answers = {"language": "javascript", "state": "persistent-connections", "traffic": "spiky",
               "kind": "serverless", "name": "shop-api"}

    async def open_result(pilot):
        await pilot.app.push_screen(WizardScreen(answers, show_result=True))
        await pilot.pause(0.2)

    assert snap_compare(replay_app(), run_before=open_result, terminal_size=(110, 44))
