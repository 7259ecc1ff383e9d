"""A rolling series drawn to the height it is given (btop's and memray's graphs): one column per
sample with the newest on the right, scaled to the series' own range and with that range
written beside it, so a steady 12 MiB reads as steady rather than as "nothing happens"
(a flat series is drawn at half height). Repaints without a layout pass."""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

BARS = "▁▂▃▄▅▆▇█"


def bar_rows(values: Sequence[float], width: int, height: int) -> list[str]:
    """The last `width` values as `height` rows of block characters, top row first, scaled to
    the whole series (the range written beside the graph)."""
    shown = list(values)[-width:] if width > 0 else []
    if not shown or height <= 0:
        return [" " * max(0, width)] * max(0, height)
    lo, hi = min(values), max(values)
    steps = height * len(BARS)
    levels = [steps // 2 if hi == lo else 1 + round((v - lo) / (hi - lo) * (steps - 1)) for v in shown]
    rows = []
    for r in reversed(range(height)):
        base = r * len(BARS)
        cells = ["█" if lv >= base + len(BARS) else (BARS[lv - base - 1] if lv > base else " ") for lv in levels]
        rows.append(" " * (width - len(shown)) + "".join(cells))
    return rows


class Trend(Widget):
    """`headline` (e.g. "RSS 12.3 MiB") and the series' range sit left of the graph; with no
    label width (list rows) the graph fills the widget."""

    DEFAULT_CSS = """
    Trend { height: 1fr; min-height: 1; width: 1fr; }
    """

    headline: reactive[str] = reactive("", layout=False)
    span: reactive[str] = reactive("", layout=False)  # the range drawn, e.g. "11.9–12.4 MiB"
    values: reactive[tuple[float, ...]] = reactive((), layout=False)

    def __init__(self, headline: str = "", *, label_width: int = 18, key: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.label_width = label_width
        self.classes_key = key  # which series this is, for the widget that owns it
        self.set_reactive(Trend.headline, headline)

    def show(self, values: Sequence[float], headline: str, span: str = "") -> None:
        values = tuple(values)
        if (values, headline, span) != (self.values, self.headline, self.span):  # repaint on change only
            self.values, self.headline, self.span = values, headline, span

    def render(self) -> Text:
        width, height = self.size.width, max(1, self.size.height)
        shown = [self.headline] + ([self.span] if height > 1 else [])
        label = min(self.label_width, max(8, *map(len, shown)), width // 2 + 2) if self.label_width else 0
        graph = max(0, width - label - (1 if label else 0))
        left = [self.headline, self.span] + [""] * height
        out = Text(no_wrap=True, overflow="crop")
        for i, row in enumerate(bar_rows(self.values, graph, height)):
            if label:
                out.append(left[i][:label].ljust(label) + " ", style="bold" if i == 0 else "dim")
            out.append(row)
            if i < height - 1:
                out.append("\n")
        return out
