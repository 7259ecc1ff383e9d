"""View 4, log: every line of what the engine did — runtimes described, the shell equivalent of
each command run (`docker run …`, `wasmtime run …`), workloads started and stopped, benchmark
steps and errors. The live view shows the last few of the same lines."""

from __future__ import annotations

from ..messages import LogLine
from ..widgets.log_view import LogView


class LogPage(LogView):
    """The whole log (5,000 lines kept), focusable so PageUp/PageDown scroll it."""

    DEFAULT_CSS = """
    LogPage { height: 1fr; }
    """

    def on_mount(self) -> None:
        if self.app.session is not None:  # type: ignore[attr-defined]
            from wasmscope.workloads.system import sessions

            # leftovers of a dead run removed on a first Docker contact are said here
            post = self.app.post_message
            sessions.set_reporter(lambda line: post(LogLine(line)))

    def on_unmount(self) -> None:
        if self.app.session is not None:  # type: ignore[attr-defined]
            from wasmscope.workloads.system import sessions

            sessions.set_reporter(None)
