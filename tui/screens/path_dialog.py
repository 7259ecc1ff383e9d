"""Ask for a profile path (ctrl+o / ctrl+s); returns the path or None when cancelled."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from wasmscope.profiles import save_target_problem
from wasmscope.workloads.system.paths import not_a_file

from .form_dialog import FormDialog


class PathDialog(FormDialog[Path]):
    def __init__(self, title: str, default: str = "", must_exist: bool = False) -> None:
        super().__init__()
        self.title_text, self.default, self.must_exist = title, default, must_exist

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(value=self.default, placeholder="path/to/profile.toml", id="path")
            yield Label("enter to confirm, escape to cancel", classes="hint")
            yield Label("", classes="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.show_error("a path is needed")
            return
        path = Path(text).expanduser()
        if self.must_exist and not path.is_file():
            self.show_error(f"{path}: {not_a_file(path) or 'no such file'}")
            return
        problem = None if self.must_exist else save_target_problem(path)  # a FIFO would block the save
        if problem:
            self.show_error(problem)
            return
        self.dismiss(path)
