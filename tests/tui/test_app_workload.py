"""Your own program in the app (`o`): the C WASI program of the user-workload tests (wordstat,
built here by clang: userprog_helpers.py), opened with its arguments and directories, run by the
live keys through the benchmark's checked path (fresh directories, expectations checked)."""

from __future__ import annotations

import pytest

from userprog_helpers import profile_text, project, report  # noqa: F401 - project: a fixture
from wasmscope.profiles import load_profile
from wasmscope.tui.app import WasmscopeApp
from wasmscope.tui.screens.workload_dialog import WorkloadDialog

from .test_app import described_run, quit_and_wait, small_profile, wait_for

pytestmark = pytest.mark.timeout(600)
SIZE = (120, 36)


async def open_program(pilot, program: str, args: str = "", dirs: str = "") -> WorkloadDialog:
    """`o`, the three fields, enter; the dialog (still up when the entry was refused)."""
    await pilot.press("o")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, WorkloadDialog), 10, "the dialog")
    dialog = pilot.app.screen
    for field, value in (("#program", program), ("#args", args), ("#dirs", dirs)):
        dialog.query_one(field).value = value
    dialog.query_one("#program").focus()
    await pilot.press("enter")
    await pilot.pause(0.2)
    return dialog


def runs_logged(app: WasmscopeApp, prefix: str) -> list[str]:
    return [line for line in app.history if line.startswith(prefix)]


async def test_a_wasm_program_with_arguments_and_directories_takes_the_live_keys(project, tmp_path):
    app = WasmscopeApp(load_profile(small_profile(tmp_path)), runtimes=("wasmtime", "native"))
    out = project / "app-out"
    out.mkdir(exist_ok=True)
    async with described_run(app, SIZE) as pilot:
        panel = app.panels["wasmtime"]
        panel.focus()
        await open_program(pilot, str(project / "wordstat.wasm"), "/data/input.txt /out/result.txt app-run",
                           f"{project / 'data'}:/data {out}:/out:rw")
        live = app.live_view
        assert live.target is not None and live.target.workload.name == "wordstat"
        said = str(live.query_one("#target").text)
        assert said.startswith("h b f act on wordstat: wordstat.wasm /data/input.txt /out/result.txt app-run")
        assert live.query_one("#target").display and app.profile.startup.workload == "wordstat"
        await pilot.press("h")  # a cold start of the program, its output checked
        await wait_for(pilot, lambda: panel.last_cold_ms is not None, 60, "a cold start of wordstat")
        assert panel.track.latency_of == "wordstat"
        command = runs_logged(app, "wasmtime: wordstat: $ ")
        assert command and "/data/input.txt /out/result.txt app-run" in command[0]  # its arguments
        line = report("app-run", greeting="(none)").strip()  # it read the granted file
        assert any(s.startswith("wasmtime: wordstat ") and s.endswith(line) for s in app.history), app.history
        await pilot.press("f")  # the program timed (its wall time: it reports none): not a cold start
        await wait_for(pilot, lambda: len(panel.latency) == 2, 60, "a timed run")
        assert panel.last_cold_ms == panel.latency[0]
        assert not any(out.iterdir())  # each run wrote into a fresh copy, never the user's directory
        await pilot.press("O")  # back to the built-ins
        assert live.target is None and not live.query_one("#target").display
        assert app.profile.startup.workload == "hello"
        await pilot.press("h")
        await wait_for(pilot, lambda: panel.track.latency_of == "hello", 60, "hello again")
        await quit_and_wait(app, pilot)


async def test_a_profile_workload_is_checked_as_the_benchmark_checks_it(project):
    """wordstat with the label that makes it write nothing: its expectation fails, one line."""
    path = project / "dry.toml"
    path.write_text(profile_text(["wasmtime", "native"], label="dry-run"))
    app = WasmscopeApp(load_profile(path), runtimes=("wasmtime", "native"))
    async with described_run(app, SIZE) as pilot:
        panel = app.panels["wasmtime"]
        panel.focus()
        dialog = await open_program(pilot, "wordstat", "--verbose")  # a profile's workload keeps its own
        assert "wordstat is a workload of the profile" in str(dialog.query_one(".error").render())
        for field in ("#args", "#dirs"):
            dialog.query_one(field).value = ""
        dialog.query_one("#program").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.live_view.target is not None, 10, "the workload opened")
        await pilot.press("h")
        await wait_for(pilot, lambda: panel.track.error is not None, 60, "the failed expectation")
        assert panel.track.error.endswith("exited 0 but /out/result.txt was not written"), panel.track.error
        assert panel.last_cold_ms is None  # a run that did nothing is not a figure
        await quit_and_wait(app, pilot)


async def test_a_bad_program_is_one_line_and_the_dialog_stays(tmp_path):
    app = WasmscopeApp(load_profile(small_profile(tmp_path)), runtimes=("wasmtime", "native"))
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_program(pilot, str(tmp_path / "nope.wasm"), "a 'b")
        error = str(dialog.query_one(".error").render())
        assert error.startswith("arguments or directories: No closing quotation"), error
        dialog.query_one("#args").value = ""
        dialog.query_one("#program").focus()
        await pilot.press("enter")
        await pilot.pause(0.2)
        error = str(dialog.query_one(".error").render())
        assert error.startswith("open workload: workloads.nope.module: ") and "\n" not in error, error
        assert app.screen is dialog and app.live_view.target is None
        await pilot.press("escape")
        assert app.live_view.target is None and app.profile.startup.workload == "hello"
        await quit_and_wait(app, pilot)
