"""The Sandbox view: the isolation matrix of `wasmscope sandbox` — what the probe guest reached
on each runtime, with the runtime's defaults and with wasmscope's settings — in one screen."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from wasmscope.workloads.measurements.sandbox import ProbeRow

from ..render.sandbox import sandbox_report

EMPTY = ("No sandbox probe yet: press x to run the probe guest on every runtime of this profile. "
         "It tries to read a host file and the host's environment, write a file, connect to a "
         "listener on 127.0.0.1, resolve a name and spawn a process, under each runtime's "
         "defaults and under wasmscope's settings (about 10 s).")


class SandboxView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    SandboxView { padding: 0 1; }
    SandboxView #sandbox-empty { color: $text-muted; padding: 1 2; }
    SandboxView #sandbox-report { height: auto; }
    """

    def compose(self):
        yield Static(EMPTY, id="sandbox-empty")
        yield Static("", id="sandbox-report")

    def on_mount(self) -> None:
        self.show(None)

    def show(self, rows: list[ProbeRow] | None) -> None:
        """Show a finished matrix (None: the hint of how to run one)."""
        self.query_one("#sandbox-empty").display = rows is None
        report = self.query_one("#sandbox-report", Static)
        report.display = rows is not None
        if rows is not None:
            report.update(sandbox_report(rows))
