"""A plotext chart that is drawn afresh from its data every time it renders.

plotext's `build()` rewrites the figure's data in place (a log scale takes log10 of the data
and of the ticks), and textual-plotext builds the same figure again on every render. So the
second render of a log-scale chart — any resize, any scroll into view — took the log of a log
and ended the app with `ValueError: math domain error`. Here the figure is cleared and redrawn
from the draw function before each build, which makes a render repeatable.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.app import RenderResult
from textual_plotext import PlotextPlot

Draw = Callable[[Any], object]  # draws into a plotext figure (the widget's `plt`)


class Chart(PlotextPlot):
    """`draw(plt)` is called with a cleared figure before every build."""

    def __init__(self, draw: Draw | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._draw = draw

    def set_draw(self, draw: Draw | None) -> None:
        self._draw = draw
        self.refresh()

    def render(self) -> RenderResult:
        self.plt.clear_data()
        self.plt.clear_figure()
        if self._draw is not None:
            self._draw(self.plt)
        return super().render()
