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
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="bench-label")
        yield ProgressBar(id="bench-progress", show_eta=False)

    def begin(self, name: str) -> None:
        self.add_class("-running")
        self.query_one("#bench-progress", ProgressBar).update(total=None, progress=0)
        self.say(f"{name}: starting")

    def say(self, text: str) -> None:
        self.query_one("#bench-label", Label).update(text)

    def progress(self, text: str, done: int, total: int) -> None:
        self.say(f"benchmark: {text}")
        self.query_one("#bench-progress", ProgressBar).update(total=total or None, progress=done)

    def end(self) -> None:
        self.remove_class("-running")
