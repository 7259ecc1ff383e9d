"""View 6, sandbox: the isolation matrix of `wasmscope sandbox` — what the probe guest reached on
each runtime, with the runtime's defaults and with wasmscope's settings. `x` probes here, in a
worker (c cancels between probes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.containers import VerticalScroll
from textual.widgets import Static

from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.measurements.sandbox import ProbeRow

from ..engine_runs import finish_with
from ..messages import SandboxFinished
from ..render.sandbox import sandbox_report

if TYPE_CHECKING:
    from ..app import WasmscopeApp

EMPTY = ("No sandbox probe yet: press x to run the probe guest on every runtime of this profile. "
         "It tries to read a host file and the host's environment, write a file, connect to a "
         "listener on 127.0.0.1, resolve a name and spawn a process, under each runtime's "
         "defaults and under wasmscope's settings (about 10 s).")


COMPACT_BELOW = 120  # columns: the matrix in short words, so it fits 80


class SandboxView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    SandboxView { padding: 0 1; }
    SandboxView #sandbox-empty { color: $text-muted; padding: 1 2; }
    SandboxView #sandbox-report { height: auto; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[ProbeRow] | None = None
        self._compact = False

    def compose(self):
        yield Static(EMPTY, id="sandbox-empty")
        yield Static("", id="sandbox-report")

    def on_mount(self) -> None:
        self.show(None)

    def on_resize(self, event) -> None:
        if self.rows is not None and (event.size.width < COMPACT_BELOW) != self._compact:
            self.show(self.rows)

    def show(self, rows: list[ProbeRow] | None) -> None:
        """Show a finished matrix (None: the hint of how to run one); short words under 120 columns."""
        self.rows, self._compact = rows, self.size.width < COMPACT_BELOW
        self.query_one("#sandbox-empty").display = rows is None
        report = self.query_one("#sandbox-report", Static)
        report.display = rows is not None
        if rows is not None:
            report.update(sandbox_report(rows, compact=self._compact))

    # -- a probe run -----------------------------------------------------------------------------
    def run_probe(self) -> None:
        """`x`: the probe matrix of `wasmscope sandbox` on every runtime shown."""
        app: "WasmscopeApp" = self.app  # type: ignore[assignment]
        if (control := app.begin_engine_run("sandbox", self)) is None:
            return
        app.action_view("sandbox")
        runtimes = list(app.panels)
        app.log_line(f"sandbox: probe guest on {', '.join(runtimes)}, runtime defaults and wasmscope settings")
        self.sandbox_worker(runtimes, control)

    @work(thread=True, group="bench", exit_on_error=False)
    def sandbox_worker(self, runtimes: list[str], control: RunControl) -> None:
        from wasmscope.workloads.measurements.sandbox import run_sandbox

        finish_with(self.post_message, SandboxFinished, lambda: run_sandbox(runtimes, control=control))

    def on_sandbox_finished(self, message: SandboxFinished) -> None:
        if message.rows is None:
            return  # the app says why (cancelled, failed)
        app: "WasmscopeApp" = self.app  # type: ignore[assignment]
        app.sandbox_rows = message.rows
        self.show(message.rows)
        for row in message.rows:
            app.log_line(f"sandbox: {row.command or row.runtime} ({row.settings})"
                         + (f": {row.error}" if row.error else ""))
        app.log_line("sandbox: done")
