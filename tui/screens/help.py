"""`?`: the keys of the app, generated from its bindings so it never goes stale."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 100%; height: 90%; border: round $accent;
                                 background: $surface; padding: 0 1; }
    """

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        rows = "\n".join(f"| `{_keys(b.key)}` | {b.description} |" for b in self.bindings if b.description)
        text = (
            "# wasmscope — keys\n\n| key | action |\n|---|---|\n" + rows +
            "\n\nEvery action is also in the command palette (ctrl+p). Workloads run on the selected "
            "panel: move with ←/→ or tab. Memory shows RSS of the guest; the panel's caption says "
            "what it counts (Docker: container processes; the containerd-shim is runtime overhead).\n\n"
            "Press escape to close."
        )
        with VerticalScroll():
            yield Markdown(text)


def _keys(key: str) -> str:
    return " / ".join(k.replace("question_mark", "?").replace("escape", "esc") for k in key.split(","))
