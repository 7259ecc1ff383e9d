"""The footer, fitted to the width: under 110 columns only the keys a presenter needs show
(`?` lists every key, and the ctrl+p hint always stays, docked right)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel

NARROW_BELOW = 110  # columns
NARROW_KEYS = {"run('hello')", "burst", "start('idle')", "load", "stop", "bench", "cancel", "race", "help", "quit_app"}


class KeyFooter(Footer):
    def __init__(self, **kwargs) -> None:
        super().__init__(compact=True, **kwargs)
        self._narrow: bool | None = None

    def compose(self) -> ComposeResult:
        narrow = self.app.size.width < NARROW_BELOW
        on_live = self.app.query_one("#views").current == "live"  # its own keys take the room there
        for widget in super().compose():
            if narrow and isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                grouped = widget.has_class("-grouped")  # the view digits
                if (grouped and on_live) or (not grouped and widget.action not in NARROW_KEYS):
                    continue
            if narrow and on_live and isinstance(widget, FooterLabel):
                continue
            yield widget

    def on_resize(self, event) -> None:
        narrow = event.size.width < NARROW_BELOW
        if narrow != self._narrow:
            self._narrow = narrow
            self.refresh(recompose=True)
