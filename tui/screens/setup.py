"""The set-up screen: `wasmscope doctor` inside the app. It shows the doctor table for the
app's profile (`a`: everything), and `f` carries out the fixes — after one `y` — in a thread
worker, with a progress bar and each command as it runs. The checks run in a worker too: the
UI thread only renders.

sudo never prompts here (`sudo -n`): a step that needs a password fails with sudo's own line,
and `wasmscope doctor --fix` in a terminal is the way. Runtimes set up here are picked up by
the next wasmscope start (the running session keeps the adapters it made).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, RichLog, Static

from wasmscope.profiles import Profile
from wasmscope.workloads.setup.doctor import FixResult, Report, carry_out, diagnose
from wasmscope.workloads.setup.host import Host

from ..render.setup import plan_renderable, report_table, steps_text


class SetupChecked(Message):
    def __init__(self, report: Report | None, error: str = "") -> None:
        super().__init__()
        self.report, self.error = report, error


class SetupProgress(Message):
    def __init__(self, text: str, done: int = 0, total: int = 0) -> None:
        super().__init__()
        self.text, self.done, self.total = text, done, total


class SetupFixed(Message):
    def __init__(self, result: FixResult, report: Report | None, error: str = "") -> None:
        super().__init__()
        self.result, self.report, self.error = result, report, error


class SetupScreen(Screen[None]):
    BINDINGS = [
        Binding("f", "fix", "Fix", id="setup.fix", tooltip="carry out the fixes (asks once)"),
        Binding("y", "confirm", "Yes", id="setup.confirm", show=False),
        Binding("n", "decline", "No", id="setup.decline", show=False),
        Binding("r", "check", "Re-check", id="setup.check"),
        Binding("a", "scope", "Profile/all", id="setup.scope", tooltip="this profile's runtimes, or everything"),
        Binding("escape", "close", "Close", id="setup.close"),
    ]
    DEFAULT_CSS = """
    SetupScreen #setup-status { height: auto; padding: 0 1; color: $text-muted; }
    SetupScreen #setup-table { height: 1fr; }
    SetupScreen #setup-progress { height: 1; margin: 0 1; display: none; }
    SetupScreen #setup-log { height: 8; display: none; border-top: solid $primary; }
    """

    def __init__(self, profile: Profile | None) -> None:
        super().__init__()
        self.profile = profile
        self.whole = profile is None  # everything wasmscope and its tests use
        self.report: Report | None = None
        self.busy = ""  # "checking" / "fixing" while a worker runs
        self.awaiting_yes = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="setup-status")
        with VerticalScroll(id="setup-table"):
            yield Static("", id="setup-report")
        yield ProgressBar(id="setup-progress", show_eta=False)
        yield RichLog(id="setup-log", wrap=True, markup=False, highlight=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "wasmscope — set-up (doctor)"
        self.action_check()

    def scope_profile(self) -> Profile | None:
        return None if self.whole else self.profile

    def status(self, text: str) -> None:
        self.query_one("#setup-status", Static).update(text)

    def log_line(self, text: str) -> None:
        log = self.query_one("#setup-log", RichLog)
        log.display = True
        log.write(text)

    # -- actions ---------------------------------------------------------------------------------
    def action_check(self) -> None:
        if self.busy:
            return
        self.busy, self.awaiting_yes = "checking", False
        self.status("checking…")
        self.check_worker(self.scope_profile())

    def action_scope(self) -> None:
        if self.profile is not None and not self.busy:
            self.whole = not self.whole
            self.action_check()

    def action_fix(self) -> None:
        if self.busy or self.report is None:
            return
        steps = self.report.plan()
        if not steps:
            self.log_line("nothing to fix: everything doctor can set up is in place")
            return
        self.log_line(plan_renderable(steps, self.report.host))  # type: ignore[arg-type]
        self.log_line(f"carry out {steps_text(len(steps))}? y: yes · n: no")
        self.awaiting_yes = True
        self.status("y: carry out the plan · n: cancel")

    def action_confirm(self) -> None:
        if not self.awaiting_yes or self.busy or self.report is None:
            return
        self.awaiting_yes, self.busy = False, "fixing"
        steps = self.report.plan()
        bar = self.query_one("#setup-progress", ProgressBar)
        bar.display = True
        bar.update(total=len(steps), progress=0)
        self.status(f"fixing: {steps_text(len(steps))}")
        self.fix_worker(steps, self.scope_profile())

    def action_decline(self) -> None:
        if self.awaiting_yes:
            self.awaiting_yes = False
            self.log_line("not carried out")
            self.show_report()

    def action_close(self) -> None:
        if self.busy == "fixing":
            self.notify("a fix is running: it finishes first", severity="warning")
            return
        self.dismiss(None)

    # -- workers (threads) -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="setup-check", exit_on_error=False)
    def check_worker(self, profile: Profile | None) -> None:
        try:
            report = diagnose(profile, progress=lambda text: self.post_message(SetupProgress(text)))
        except Exception as err:  # noqa: BLE001 - shown on the screen, never a crash
            self.post_message(SetupChecked(None, f"{type(err).__name__}: {err}"))
            return
        self.post_message(SetupChecked(report))

    @work(thread=True, exclusive=True, group="setup-fix", exit_on_error=False)
    def fix_worker(self, steps: list, profile: Profile | None) -> None:
        def on_step(i: int, n: int, step) -> None:
            self.post_message(SetupProgress(step.title, i - 1, n))

        result = FixResult()
        try:
            result = carry_out(steps, Host.current(), lambda line: self.post_message(SetupProgress(line)),
                               consent=True, interactive=False, on_step=on_step)
            report = diagnose(profile)
        except Exception as err:  # noqa: BLE001
            self.post_message(SetupFixed(result, None, f"{type(err).__name__}: {err}"))
            return
        self.post_message(SetupFixed(result, report))

    # -- messages --------------------------------------------------------------------------------
    def on_setup_progress(self, message: SetupProgress) -> None:
        if self.busy == "fixing":
            if message.total:
                self.query_one("#setup-progress", ProgressBar).update(total=message.total, progress=message.done)
            else:
                self.log_line(message.text)
        else:
            self.status(message.text)

    def on_setup_checked(self, message: SetupChecked) -> None:
        self.busy = ""
        if message.report is None:
            self.status(f"the check failed: {message.error}")
            return
        self.report = message.report
        self.show_report()

    def on_setup_fixed(self, message: SetupFixed) -> None:
        self.busy = ""
        bar = self.query_one("#setup-progress", ProgressBar)
        bar.update(progress=len(message.result.done))
        for step in message.result.blocked:
            self.log_line(f"not done — {step.title}: needs root (no sudo here)")
        if message.error or message.result.failed:
            self.log_line(f"stopped: {message.error or message.result.failed} — in a terminal: wasmscope doctor --fix")
        if message.result.done:
            self.log_line(f"{steps_text(len(message.result.done))} done; restart wasmscope to use what was set up")
        if message.report is not None:
            self.report = message.report
        self.show_report()

    def show_report(self) -> None:
        if self.report is None:
            return
        self.query_one("#setup-report", Static).update(report_table(self.report))
        fixable = len(self.report.plan())
        state = "all present" if self.report.ok else "something is missing"
        self.status(f"{self.report.scope}: {state} · " + (f"f: fix ({steps_text(fixable)}) · " if fixable else "")
                    + "r: re-check · " + ("a: profile/all · " if self.profile is not None else "") + "esc: close")
