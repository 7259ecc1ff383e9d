"""The set-up screen (doctor in the app): opened from the app by key and palette, it shows the
doctor table; `f` then `y` carries out the fixes in a thread worker with progress — on the
stand-in machine of tests/standin_machine.py, so nothing of this machine changes."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.widgets import ProgressBar, RichLog, Static

from standin_machine import CRUN_PATH, make_machine
from wasmscope.tui.app import WasmscopeApp
from wasmscope.tui.commands import WasmscopeCommands
from wasmscope.tui.screens import setup as setup_screen
from wasmscope.tui.screens.setup import SetupScreen

from .test_app import wait_for

pytestmark = pytest.mark.timeout(120)
DOCTOR_S = 60.0  # how long a doctor check or fix may take on screen
DATA = Path(__file__).parent / "data"


@pytest.fixture
def machine(monkeypatch):
    yield from make_machine(monkeypatch)


@pytest.fixture
def threads(monkeypatch):
    """The threads doctor's engine calls ran in (the real calls, recorded on the way)."""
    seen: list[str] = []
    for name in ("diagnose", "carry_out"):
        real = getattr(setup_screen, name)

        def recorded(*args, _real=real, _name=name, **kwargs):
            seen.append(f"{_name}:{threading.current_thread() is threading.main_thread()}")
            return _real(*args, **kwargs)
        monkeypatch.setattr(setup_screen, name, recorded)
    return seen


def text_of(screen: SetupScreen, selector: str) -> str:
    """What a Static holds (a string, or the rich table it shows), as plain text at its width."""
    widget = screen.query_one(selector, Static)
    console = Console(width=max(widget.size.width, 40), file=io.StringIO(), record=True)
    console.print(widget.content)
    return console.export_text()


async def test_the_app_opens_the_set_up_screen_with_the_doctor_table(threads):
    app = WasmscopeApp(profile_path=DATA / "replay.toml", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("D")
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        await wait_for(pilot, lambda: screen.report is not None, DOCTOR_S, what="the doctor table")
        assert [r.name for r in screen.report.rows][:4] == ["wasmtime", "native", "docker", "wasmtime-cli"]
        report = text_of(screen, "#setup-report")
        assert "wasmscope doctor — profile" in report and "Wasmtime (embedded)" in report
        assert text_of(screen, "#setup-status").startswith("profile ")
        await pilot.press("escape")
        assert not isinstance(app.screen, SetupScreen)
        entries = {text: callback for text, callback, _ in WasmscopeCommands(app.screen)._commands()}
        entries["setup: doctor — what this machine lacks, and the fixes"]()  # the palette entry opens it too
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        await wait_for(pilot, lambda: app.screen.report is not None, DOCTOR_S, what="the second check")
    assert threads == ["diagnose:False", "diagnose:False"]  # never on the UI thread


class ScreenHost(App):
    def __init__(self, screen: SetupScreen) -> None:
        super().__init__()
        self.setup = screen

    def on_mount(self) -> None:
        self.push_screen(self.setup)


async def test_fix_runs_in_a_worker_with_progress_and_the_table_turns_present(machine, threads):
    screen = SetupScreen(machine.profile())
    app = ScreenHost(screen)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for(pilot, lambda: screen.report is not None, DOCTOR_S, what="the doctor table")
        assert not screen.report.ok and len(screen.report.plan()) == 4
        assert "✗ missing" in text_of(screen, "#setup-report") and "f: fix (4 steps)" in text_of(screen, "#setup-status")
        await pilot.press("f")
        assert screen.awaiting_yes and machine.recorded() == []  # nothing before the one `y`
        log = screen.query_one("#setup-log", RichLog)
        assert any("apt-get install" in line.text for line in log.lines)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.busy == "" and screen.report.ok, DOCTOR_S,
                       what="the fixes and the re-check")
        bar = screen.query_one("#setup-progress", ProgressBar)
        assert bar.total == 4 and bar.progress == 4
        lines = [line.text for line in log.lines]
        assert any(line.startswith("$ env DEBIAN_FRONTEND=noninteractive apt-get install") for line in lines)
        assert any(line.startswith("$ mount -t cgroup -o hugetlb") for line in lines)
        assert any("restart wasmscope to use what was set up" in line for line in lines)
        assert "✗ missing" not in text_of(screen, "#setup-report")
        assert json.loads(machine.daemon_json.read_text()) == {"runtimes": {"crun": {"path": CRUN_PATH}}}
        assert [line.split()[0] for line in machine.recorded()] == ["apt-get", "apt-get", "mount", "dockerd"]
        await pilot.press("f")  # a second fix: nothing to do
        assert "nothing to fix" in log.lines[-1].text and not screen.awaiting_yes
    assert threads == ["diagnose:False", "carry_out:False", "diagnose:False"]
