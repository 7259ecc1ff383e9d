"""`o`: open a program of your own for the live keys — a .wasm file, its arguments and the
directories it is granted (or a workload of the profile by name). Dismissed with the opened
`KeyTarget`, or None when cancelled; a bad entry is one line under the fields."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label

from wasmscope.workloads.errors import WasmscopeError

from ..views.live_target import KeyTarget, open_program
from .form_dialog import FormDialog

if TYPE_CHECKING:
    from wasmscope.profiles import Profile


class WorkloadDialog(FormDialog[KeyTarget]):
    DEFAULT_CSS = """
    WorkloadDialog > Vertical { width: 90; }
    WorkloadDialog .hint { color: $text-muted; }
    """

    def __init__(self, profile: "Profile", base_dir: Path | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.base_dir = base_dir or Path.cwd()

    def compose(self) -> ComposeResult:
        own = [n for n, w in self.profile.workloads.items() if not w.builtin]
        with Vertical():
            yield Label("Open a program for the live keys (h b f, or i for one that keeps running)")
            yield Input(placeholder="program.wasm, or a workload of the profile"
                        + (f" ({', '.join(own)})" if own else ""), id="program")
            yield Input(placeholder="its arguments, as a shell would split them", id="args")
            yield Input(placeholder="directories it is granted: HOST:GUEST[:rw] …", id="dirs")
            yield Label(f"relative paths from {self.base_dir} · enter opens · escape cancels", classes="hint")
            yield Label("", classes="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = {i.id: i.value for i in self.query(Input)}
        try:
            target = open_program(self.profile, value["program"], value["args"], value["dirs"], self.base_dir)
        except WasmscopeError as err:  # ProfileError, UsageError: one line naming the field
            self.show_error(str(err))
            return
        self.dismiss(target)
