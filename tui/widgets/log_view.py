"""The log of what the engine did: runtimes described, commands run (their shell equivalent),
workloads started and stopped, benchmark steps and errors. Errors stand out in $error."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog


class LogView(RichLog):
    """A RichLog of time-stamped engine lines; `$ ` lines are the equivalent shell commands."""

    DEFAULT_CSS = """
    LogView { background: $surface; }
    """

    def __init__(self, *, max_lines: int = 5000, **kwargs) -> None:
        super().__init__(max_lines=max_lines, wrap=True, markup=False, highlight=False, **kwargs)

    def add(self, stamp: str, text: str) -> None:
        line = Text(f"{stamp} ", style="dim")
        if text.startswith("error") or " failed" in text:
            line.append(text, style=self._colour("error"))
        elif "$ " in text:
            head, _, cmd = text.partition("$ ")
            line.append(head)
            line.append("$ " + cmd, style=self._colour("accent"))
        else:
            line.append(text)
        self.write(line)

    def _colour(self, name: str) -> str:
        """A theme colour (themes and NO_COLOR apply), bold when the theme lacks it."""
        return self.app.theme_variables.get(name) or "bold"
