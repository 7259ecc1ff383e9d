"""The arithmetic of the live view's grid, its graphs and the race's lanes."""

from __future__ import annotations

import pytest

from wasmscope.tui.views.live_layout import grid_shape
from wasmscope.tui.views.race import lane_bar
from wasmscope.tui.widgets.big_figure import big_rows
from wasmscope.tui.widgets.trend import bar_rows


@pytest.mark.parametrize("n, width, height, columns, panel_height", [
    (15, 80, 18, 3, 9),    # 80×24: two whole rows of three on screen, the rest scroll
    (15, 200, 42, 5, 14),  # 200×50: 5 × 3, every panel on screen, taller graphs
    (15, 100, 22, 3, 11),  # 100×30
    (4, 160, 40, 4, 40),   # four fit across and take the whole height
    (3, 60, 20, 2, 10),    # narrower than three panels: two across, two rows
    (1, 80, 18, 1, 18),
])
def test_grid_shape(n, width, height, columns, panel_height):
    shape = grid_shape(n, width, height, min_height=9)
    assert (shape.columns, shape.panel_height) == (columns, panel_height)


def test_graphs_scale_to_their_series_and_keep_the_newest_on_the_right():
    # 10 → 11 MiB fills the two rows: the lowest sample is the floor, the highest the ceiling
    assert bar_rows([10.0, 10.5, 11.0], width=5, height=2) == ["   ▁█", "  ▁██"]
    flat = bar_rows([12.0] * 4, width=4, height=2)
    assert flat == ["    ", "████"]  # steady, at half height: not "nothing happens"
    assert bar_rows([1.0, 2.0], width=1, height=1) == ["█"]  # only the newest fits


def test_lane_bars_are_drawn_against_the_leader():
    assert lane_bar(100, 100, 10) == "█" * 10
    assert lane_bar(50, 100, 10) == "█" * 5
    assert lane_bar(1, 10_000, 10) == "▏"  # a lane that ran shows a sliver
    assert lane_bar(0, 100, 10) == ""


def test_big_figures_are_five_rows_and_keep_their_digits_apart():
    rows = big_rows("0.31")
    assert len(rows) == 5 and len({len(r) for r in rows}) == 1
    assert rows[0].startswith("██████") and len(rows[0]) == 6 + 1 + 2 + 1 + 6 + 1 + 6
