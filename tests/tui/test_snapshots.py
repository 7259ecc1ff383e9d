"""Snapshots of the app's views, fed by a profile with stored results (replay: no engine)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmscope.tui.app import WasmscopeApp

DATA = Path(__file__).parent / "data"
REPLAY = DATA / "replay.toml"
TWO_HOSTS = DATA / "two_hosts.toml"  # a real run of this machine and a remote host (the loopback sshd)


def replay_app(path: Path = REPLAY) -> WasmscopeApp:
    app = WasmscopeApp(profile_path=path, live=False)
    app.clock = lambda: "12:00:00"  # frozen log stamps
    return app


SIZES = pytest.mark.parametrize("size", [(100, 30), (80, 24)], ids=["100x30", "80x24"])


@pytest.mark.parametrize("size", [(100, 30), (80, 24), (200, 50)], ids=["100x30", "80x24", "200x50"])
def test_live_view(snap_compare, size):
    """The grid: six compact panels at 80×24, all fifteen with taller graphs at 200×50."""
    assert snap_compare(replay_app(), press=["1"], terminal_size=size)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)], ids=["120x36", "80x24"])
def test_live_view_two_hosts(snap_compare, size):
    """Each runtime's panels on this machine and the remote host side by side, one column per
    host, named in the host bar."""
    assert snap_compare(replay_app(TWO_HOSTS), press=["1"], terminal_size=size)


def test_live_view_two_hosts_one_at_a_time(snap_compare):
    """H, H: the remote host's panels alone (the bar says which of the two)."""
    assert snap_compare(replay_app(TWO_HOSTS), press=["1", "H", "H"], terminal_size=(120, 36))


def test_results_view_two_hosts(snap_compare):
    """One table per measurement with a Host column; each host's captions merged."""
    assert snap_compare(replay_app(TWO_HOSTS), press=["2"], terminal_size=(120, 50))


def test_live_view_list_mode(snap_compare):
    """One line per runtime: all fifteen on one 80×24 screen."""
    assert snap_compare(replay_app(), press=["1", "v"], terminal_size=(80, 24))


def test_live_view_presentation_mode(snap_compare):
    """Larger digits, fewer words, and the header says so."""
    assert snap_compare(replay_app(), press=["1", "P"], terminal_size=(100, 30))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_race_view(snap_compare, size, tmp_path):
    """A stored race (real, tests/tui/data/race.toml): lanes, counts, the ratio."""
    from .test_resize import replay_with_density

    assert snap_compare(replay_app(replay_with_density(tmp_path)), press=["7"], terminal_size=size)


@SIZES
def test_results_view(snap_compare, size):
    assert snap_compare(replay_app(), press=["2"], terminal_size=size)


def test_results_view_wide_with_headline_figures(snap_compare):
    """Every column at 140 columns; the large cold-start figures of meetup mode."""
    app = replay_app()
    app.demo = True
    assert snap_compare(app, press=["2"], terminal_size=(140, 60))


def test_charts_view(snap_compare):
    async def settle(pilot):
        await pilot.press("3")
        await pilot.pause(0.5)  # plotext draws on the next refresh after the view is shown
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(replay_app(), run_before=settle, terminal_size=(100, 30))


def test_help_view(snap_compare):
    assert snap_compare(replay_app(), press=["question_mark"], terminal_size=(100, 30))


def test_help_view_80x24(snap_compare):
    assert snap_compare(replay_app(), press=["question_mark"], terminal_size=(80, 24))


def test_wizard_result_view(snap_compare):
    from wasmscope.tui.screens.wizard import WizardScreen

    answers = {"language": "javascript", "state": "persistent-connections", "traffic": "spiky",
               "kind": "serverless", "name": "shop-api"}

    async def open_result(pilot):
        await pilot.app.push_screen(WizardScreen(answers, show_result=True))
        await pilot.pause(0.2)

    assert snap_compare(replay_app(), run_before=open_result, terminal_size=(110, 44))


def test_charts_view_http_and_sweep(snap_compare):
    """The bottom of the charts view: req/s per I/O row (log scale) and latency against
    throughput from the connection sweep."""
    from wasmscope.tui.views.charts import ChartsView

    async def settle(pilot):
        await pilot.press("3")
        view = pilot.app.query_one(ChartsView)
        for _ in range(100):  # until the charts are mounted and laid out
            await pilot.pause(0.05)
            if view.query(".chart-sweep") and view.max_scroll_y > 0:
                break
        await pilot.pause(0.3)
        view.scroll_end(animate=False, immediate=True)
        await pilot.pause(0.5)
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(replay_app(), run_before=settle, terminal_size=(120, 40))
