"""The small modal forms (a profile path, a program to open): escape cancels, a bad entry is
one line under the fields, and they look alike."""

from __future__ import annotations

from typing import TypeVar

from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Label

Result = TypeVar("Result")


class FormDialog(ModalScreen[Result | None]):
    """A form in a bordered box; dismissed with its result, or None when cancelled. Its
    compose yields a Label with class "error" for show_error."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog > Vertical { width: 76; max-width: 100%; height: auto; border: round $accent;
                            background: $surface; padding: 0 1; }
    FormDialog .error { color: $error; height: auto; width: 100%; }
    """

    def show_error(self, text: str) -> None:
        self.query_one(".error", Label).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
