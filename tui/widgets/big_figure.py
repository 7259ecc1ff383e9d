"""A figure in digits five rows tall (presentation mode: readable from the back of a room);
Textual's `Digits` is three rows. Digits, '.', ',', '-', '×' and spaces; anything else is
left out."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

# 3×5 pixel glyphs; each pixel is drawn two cells wide so the digits keep their proportions
FONT: dict[str, tuple[str, ...]] = {
    "0": ("###", "# #", "# #", "# #", "###"),
    "1": (" # ", "## ", " # ", " # ", "###"),
    "2": ("###", "  #", "###", "#  ", "###"),
    "3": ("###", "  #", " ##", "  #", "###"),
    "4": ("# #", "# #", "###", "  #", "  #"),
    "5": ("###", "#  ", "###", "  #", "###"),
    "6": ("###", "#  ", "###", "# #", "###"),
    "7": ("###", "  #", "  #", " # ", " # "),
    "8": ("###", "# #", "###", "# #", "###"),
    "9": ("###", "# #", "###", "  #", "###"),
    ".": (" ", " ", " ", " ", "#"),
    ",": (" ", " ", " ", "#", "#"),
    "-": ("   ", "   ", "###", "   ", "   "),
    "×": ("   ", "# #", " # ", "# #", "   "),
    " ": (" ", " ", " ", " ", " "),
}
ROWS = 5


def big_rows(text: str) -> list[str]:
    glyphs = [FONT[ch] for ch in text if ch in FONT]
    return [" ".join(g[r].replace("#", "██").replace(" ", "  ") for g in glyphs) for r in range(ROWS)]


class BigFigure(Widget):
    DEFAULT_CSS = """
    BigFigure { height: 5; width: auto; }
    """

    value: reactive[str] = reactive("", layout=True)

    def __init__(self, value: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.set_reactive(BigFigure.value, value)

    def update(self, value: str) -> None:
        self.value = value

    def render(self) -> Text:
        return Text("\n".join(big_rows(self.value)), no_wrap=True)

    def get_content_width(self, container, viewport) -> int:
        return max((len(row) for row in big_rows(self.value)), default=0)

    def get_content_height(self, container, viewport, width: int) -> int:
        return ROWS
