"""A one-line text readout that repaints without a layout pass (Label.update relayouts the
whole screen, which at 4 Hz × several panels costs more than everything else)."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widget import Widget


class Readout(Widget):
    DEFAULT_CSS = """
    Readout { height: 1; width: 1fr; }
    """

    text: reactive[str] = reactive("", layout=False)

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.set_reactive(Readout.text, text)

    def render(self) -> str:
        """The text, cut with an ellipsis when it is wider than the widget."""
        width = self.size.width
        return self.text if width <= 0 or len(self.text) <= width else self.text[:width - 1] + "…"

    def update(self, text: str) -> None:
        self.text = text
