"""`--demo` (meetup mode): the profile's benchmark on its own as soon as the runtimes are known,
then its results for a while, its charts for a while, a race, and round again."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import WasmscopeApp

RESULTS_S = 10.0  # how long the results stay on screen
CHARTS_S = 10.0  # then the charts
RACE_S = 10.0  # then a race, left on screen this long once it is over; then the live view and again


class DemoLoop:
    def __init__(self, app: "WasmscopeApp") -> None:
        self.app = app

    def runtimes_known(self) -> None:
        if not self.app.bench_running:
            self.app.action_bench()

    def bench_done(self) -> None:
        app = self.app
        if app.closing:
            return
        app.action_view("results")
        app.set_timer(RESULTS_S, lambda: app.action_view("charts"))
        app.set_timer(RESULTS_S + CHARTS_S, self._race)

    def _race(self) -> None:
        if self.app.closing:
            return
        self.app.action_race()
        if not self.app.bench_running:  # no race here (fewer than two runtimes): on with the loop
            self._again()

    def race_done(self) -> None:
        if not self.app.closing:
            self.app.set_timer(RACE_S, self._again)

    def _again(self) -> None:
        if not self.app.closing:
            self.app.action_view("live")
            self.app.action_bench()
