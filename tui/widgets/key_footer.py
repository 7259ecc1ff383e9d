"""The footer, fitted to the width: under 110 columns only the keys a presenter needs, under 150
all but the profile and wizard keys (`?` lists every key, and the ctrl+p hint always stays,
docked right, with no key hidden under it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel

NARROW_BELOW, MEDIUM_BELOW = 110, 150  # columns
NARROW_KEYS = {"run('hello')", "burst", "start('idle')", "load", "stop", "bench", "cancel", "race", "help", "quit_app"}
WIDE_KEYS = {"open_profile", "save_profile", "pause", "advise", "open_workload"}  # shown from 150 columns


class KeyFooter(Footer):
    def __init__(self, **kwargs) -> None:
        super().__init__(compact=True, **kwargs)
        self._tier: str | None = None

    @staticmethod
    def tier(width: int) -> str:
        return "narrow" if width < NARROW_BELOW else ("medium" if width < MEDIUM_BELOW else "wide")

    def compose(self) -> ComposeResult:
        tier = self.tier(self.app.size.width)
        on_live = self.app.query_one("#views").current == "live"  # its own keys take the room there
        for widget in super().compose():
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                grouped = widget.has_class("-grouped")  # the view digits
                if tier == "narrow" and ((grouped and on_live) or (not grouped and widget.action not in NARROW_KEYS)):
                    continue
                if tier == "medium" and widget.action in WIDE_KEYS:
                    continue
            if tier == "narrow" and on_live and isinstance(widget, FooterLabel):
                continue
            yield widget

    def on_resize(self, event) -> None:
        tier = self.tier(event.size.width)
        if tier != self._tier:
            self._tier = tier
            self.refresh(recompose=True)
