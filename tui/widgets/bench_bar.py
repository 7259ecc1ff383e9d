"""The one-line bar of a long engine run (benchmark, density, sandbox probe): what it is doing
now, and how far it is. Hidden when nothing runs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar


class BenchBar(Horizontal):
    DEFAULT_CSS = """
    BenchBar { height: 1; display: none; padding: 0 1; }
    BenchBar.-running { display: block; }
    BenchBar Label { width: 1fr; }
    BenchBar ProgressBar { width: 40; }
    BenchBar.-narrow ProgressBar { width: 18; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.run_name = ""

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < 120, "-narrow")  # the label needs the room at 80 columns

    def compose(self) -> ComposeResult:
        yield Label("", id="bench-label")
        yield ProgressBar(id="bench-progress", show_eta=False)

    def begin(self, name: str) -> None:
        self.run_name = name
        self.add_class("-running")
        self.query_one("#bench-progress", ProgressBar).update(total=None, progress=0)
        self.say(f"{name}: starting")

    def say(self, text: str) -> None:
        self.query_one("#bench-label", Label).update(text)

    def progress(self, text: str, done: int, total: int) -> None:
        """A step's own words ('startup: native run 3/10', 'sandbox: probing docker…'), under the
        run's name when they do not start with it."""
        self.say(text if text.startswith(self.run_name) else f"{self.run_name} · {text}")
        self.query_one("#bench-progress", ProgressBar).update(total=total or None, progress=done)

    def end(self) -> None:
        self.remove_class("-running")
