"""ctrl+s and ctrl+o in the app with a path that is not a regular file: the dialog says what it
is and stays open; a FIFO is never opened (it would block the save), issue 19."""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import Input, Label

from wasmscope.profiles import load_profile
from wasmscope.tui.app import WasmscopeApp
from wasmscope.tui.screens.path_dialog import PathDialog


def small_profile(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text('[bench]\nruntimes = ["wasmtime"]\nmeasurements = ["startup"]\n')
    return path


async def submit(pilot, app: WasmscopeApp, key: str, text: str) -> str:
    """Open the dialog with `key`, submit `text`; the dialog's error line."""
    await pilot.press(key)
    await pilot.pause(0.1)
    assert isinstance(app.screen, PathDialog)
    app.screen.query_one("#path", Input).value = text
    await pilot.press("enter")
    await pilot.pause(0.1)
    assert isinstance(app.screen, PathDialog), "the dialog closed on a bad path"
    return str(app.screen.query_one(".error", Label).render())


async def test_saving_to_a_fifo_or_a_directory_is_refused_in_the_dialog(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    app = WasmscopeApp(load_profile(small_profile(tmp_path)), runtimes=("wasmtime",))
    async with app.run_test(size=(100, 30)) as pilot:
        line = await submit(pilot, app, "ctrl+s", str(fifo))
        assert line == f"{fifo}: is a FIFO (named pipe); results are saved only into a regular file (or a new one)"
        app.screen.query_one("#path", Input).value = str(tmp_path)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert "is a directory" in str(app.screen.query_one(".error", Label).render())
        await pilot.press("escape")
        line = await submit(pilot, app, "ctrl+o", "/dev/zero")
        assert line == "/dev/zero: is a character device"
        await pilot.press("escape")
        await pilot.press("q")
    assert fifo.is_fifo()
