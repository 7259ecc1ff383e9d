"""The comparison tables, rendered by the same code as `wasmscope bench` (tui/report.py)."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from wasmscope.workloads.measure.results import Results

from ..report import RENDERERS, machine_line


class ResultsView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ResultsView { padding: 0 1; }
    ResultsView .empty { color: $text-muted; padding: 1 2; }
    ResultsView .machine { color: $text-muted; }
    ResultsView Static { margin-bottom: 1; }
    """

    def compose(self):
        yield Static("No results yet: press r to run the profile's benchmark, or ctrl+o to open a "
                     "profile with stored results.", classes="empty")

    def show(self, results: Results | None, reference: dict | None, note: str = "") -> None:
        self.remove_children()
        if results is None or not results.tables:
            self.mount(Static("No results yet: press r to run the profile's benchmark, or ctrl+o to "
                              "open a profile with stored results.", classes="empty"))
            return
        head = machine_line(results) + (f"\n{note}" if note else "")
        widgets = [Static(head, classes="machine")]
        for name in ("startup", "memory", "compute"):
            if name in results.tables:
                widgets.append(Static(RENDERERS[name](results, reference), id=f"table-{name}"))
        self.mount_all(widgets)
