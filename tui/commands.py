"""Command palette (ctrl+p): every action as 'category: action', shown only when it applies."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Callable, Iterator

from textual.command import DiscoveryHit, Hit, Hits, Provider

from wasmscope.workloads.remote.address import LOCAL

if TYPE_CHECKING:
    from .app import WasmscopeApp


class WasmscopeCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        app: "WasmscopeApp" = self.app  # type: ignore[assignment]
        live = app.live_view
        for slot, panel in live.panels.items():
            if not panel.available or panel.track.down:
                continue
            name = panel.display_name + ("" if slot[0] == LOCAL else f" on {slot[0]}")
            (hello, cold), (fib, as_cold) = live.acts_on("hello"), live.acts_on("fib")
            yield f"run: cold start ({hello}) on {name}", partial(live.run_on, slot, hello, 1, cold), "one run to exit"
            yield (f"run: cold-start burst ({hello}) on {name}", partial(live.run_on, slot, hello, app.BURST, cold),
                   f"{app.BURST} runs")
            yield f"run: {fib} on {name}", partial(live.run_on, slot, fib, 1, as_cold), "compute"
            yield (f"http: load the server on {name}", partial(live.load_on, slot),
                   "starts http if needed; streams req/s and p99")
            if panel.running:
                yield f"workload: stop {panel.running} on {name}", partial(live.stop_on, slot), ""
            else:
                for wl in dict.fromkeys((live.acts_on("idle")[0], live.acts_on("http")[0])):
                    yield f"workload: start {wl} on {name}", partial(live.start_on, slot, wl), "long-running"
        yield "workload: open your own program (.wasm, arguments, directories)…", live.action_open_workload, "o"
        if live.target is not None:
            yield "workload: the live keys act on the built-ins again", live.action_builtin_workloads, "O"
        if len(live.hosts) > 1:
            yield "hosts: every host side by side, or the next one alone", live.action_next_host, "H"
        if app.bench_running:
            yield "benchmark: cancel", app.action_cancel, "stop the running benchmark (or race, density run, probe)"
        else:
            yield "benchmark: run the profile", app.action_bench, app.profile_label()
            yield "race: hello on the selected runtime and the baselines at once", app.action_race, "R"
        for number, view in enumerate(("live", "results", "charts", "log", "density", "sandbox", "race"), 1):
            yield f"view: {view}", partial(app.action_view, view), str(number)
        list_mode = live.layout_name == "list"
        yield f"live: {'grid of panels' if list_mode else 'one line per runtime'}", live.action_layout, "v"
        yield (f"live: {'show' if live.hide_unavailable else 'hide'} unavailable runtimes",
               live.action_hide_unavailable, "u")
        yield f"app: presentation mode {'off' if app.presenting else 'on'}", app.action_presentation, "P"
        yield "advice: decision wizard (Wasm or containers?)", app.action_advise, "a"
        yield "setup: doctor — what this machine lacks, and the fixes", app.action_setup, "D"
        yield "profile: open…", app.action_open_profile, "ctrl+o"
        yield "profile: save (with this session's results)…", app.action_save_profile, "ctrl+s"
        yield "app: help (keys)", app.action_help, "?"
        yield "app: quit (stops workloads, removes containers)", app.action_quit_app, "q"

    async def discover(self) -> Hits:
        for text, callback, help_text in self._commands():
            yield DiscoveryHit(text, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=help_text)
