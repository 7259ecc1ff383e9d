"""The live view's keys on the selected panel (h b f i w g s, ←/→, H), and `o`/`O`: open a
program of the user's for them, or go back to the built-in workloads. Mixed into `LiveView`."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ..screens.workload_dialog import WorkloadDialog
from . import live_runs
from .live_target import BUILTIN, KeyTarget, measuring

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from .live import LiveView


class LiveKeys:
    def action_select(self: "LiveView", step: int) -> None:
        self.select(step)

    def acts_on(self: "LiveView", word: str) -> tuple[str, bool | None]:
        """The workload a key's word runs now (the opened program's, or the built-in)."""
        return self.target.acts_on(word) if self.target else (BUILTIN[word], None)

    def action_run(self: "LiveView", word: str) -> None:
        workload, cold = self.acts_on(word)
        self.run_on(self.selected, workload, 1, cold)

    def action_burst(self: "LiveView") -> None:
        workload, cold = self.acts_on("hello")
        self.run_on(self.selected, workload, self.wapp.BURST, cold)

    def action_start(self: "LiveView", word: str) -> None:
        self.start_on(self.selected, self.acts_on(word)[0])

    def action_stop(self: "LiveView") -> None:
        self.stop_on(self.selected)

    def action_load(self: "LiveView") -> None:
        self.load_on(self.selected)

    # -- your own program ----------------------------------------------------------------------
    def action_open_workload(self: "LiveView") -> None:
        """`o`: a .wasm file with its arguments and directories (or a workload of the profile)."""
        if self.wapp.session is None:
            self.notify("replay mode: no runtimes are driven", severity="warning")
            return
        base = self.target.before if self.target else self.wapp.profile
        self.app.push_screen(WorkloadDialog(base), self.open_target)

    def open_target(self: "LiveView", target: KeyTarget | None) -> None:
        if target is None:
            return
        self.target = target
        self.use_profile(measuring(target))
        self.wapp.log_line(f"opened {target.workload.name}: {target.line()}")
        self.notify(f"{target.keys()} now act on {target.workload.name}")

    def action_builtin_workloads(self: "LiveView") -> None:
        """`O`: the keys act on the built-in workloads again (the profile as it was)."""
        if self.target is None:
            self.notify("the live keys act on the built-in workloads already")
            return
        before, self.target = self.target.before, None
        self.use_profile(before)
        self.wapp.log_line("the live keys act on the built-in workloads again")

    def use_profile(self: "LiveView", profile: "Profile") -> None:
        """The app and every host's session measure `profile` from now on (a connected remote
        host gets it, with the user's modules, from a worker)."""
        app = self.wapp
        app.profile = profile
        app.hosts.use_profile(profile)
        for session in app.hosts.remote:
            if session.connected:
                self.run_worker(partial(live_runs.send_profile, session, self.post_message, profile), thread=True,
                                group="control", exit_on_error=False)
            else:
                session.profile = profile  # sent when it connects
        self.fit()

    def forget_target(self: "LiveView") -> None:
        """Another profile was opened (ctrl+o): the keys act on the built-ins of that one."""
        self.target = None
        self.fit()
