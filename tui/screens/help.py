"""`?`: the keys of the app, generated from its bindings so it never goes stale.

One line per key (fits 80×24 with a scroll): the key, what it does (the binding's tooltip, or
its footer label) and its id (the name to remap it by).
"""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

NOTES = (
    "Every action is also in the command palette (ctrl+p), named 'category: action'. Workloads run "
    "on the selected runtime: move with ←/→ or tab, or click; the line under the panels tells its "
    "whole story, including what its RSS counts (Docker: the container's processes; the "
    "containerd-shim is runtime overhead). A race (R) counts runs of lanes sharing this machine; "
    "cold starts are measured alone, in the startup table. The Article column holds the reference "
    "article's published figures, on its hardware — never measured here."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 100%; height: auto; max-height: 100%;
                                 border: round $accent; background: $surface; padding: 0 1; }
    HelpScreen .title { text-style: bold; color: $accent; }
    HelpScreen .notes { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        table = Table(box=box.SIMPLE_HEAD, expand=True, padding=(0, 1), show_edge=False)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("action", ratio=1)
        table.add_column("id", style="dim", no_wrap=True)
        for b in self.bindings:
            if b.description:
                table.add_row(_keys(b.key), b.tooltip or b.description, Text(b.id or ""))
        table.add_row("ctrl+p", "command palette: every action by name", "")
        with VerticalScroll():
            yield Static("wasmscope — keys (escape closes)", classes="title")
            yield Static(table)
            yield Static(NOTES, classes="notes")


def _keys(key: str) -> str:
    names = {"question_mark": "?", "escape": "esc", "left": "←", "right": "→"}
    return " / ".join(names.get(k, k) for k in key.split(","))
