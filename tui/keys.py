"""The app's keys: one `Binding` per action, each with an `id` (the name to remap it by) and a
tooltip (what `?` and the footer say). Footer order = importance: at 80 columns the first ones
must fit (every key is also in `?` and the command palette).

LIVE keys act on the selected runtime panel and belong to the live view (they work, and show in
the footer, while it is on screen); APP keys work everywhere."""

from __future__ import annotations

from textual.binding import Binding

VIEWS_GROUP = Binding.Group("Views", compact=True)


def _view(keys: str, name: str, label: str, what: str) -> Binding:
    """The key that shows view `name` (grouped in the footer; its id is view.NAME)."""
    return Binding(keys, f"view('{name}')", label, id=f"view.{name}", group=VIEWS_GROUP, tooltip=f"view: {what}")

LIVE = [
    Binding("left,shift+tab", "select(-1)", "Prev panel", show=False, id="panel.prev",
            tooltip="select the previous runtime panel"),
    Binding("right,tab", "select(1)", "Next panel", show=False, id="panel.next",
            tooltip="select the next runtime panel"),
    Binding("h", "run('hello')", "Hello", id="run.hello", tooltip="run hello once on the selected panel (a cold start), or the program opened with o"),
    Binding("b", "burst", "Burst", id="run.burst", tooltip="cold-start burst: 20 runs of hello (or the opened program), each a latency point"),
    Binding("f", "run('fib')", "Fib", id="run.fib", tooltip="run fib on the selected panel, or time the opened program"),
    Binding("i", "start('idle')", "Idle", id="start.idle", tooltip="start the idle workload, or an opened program that keeps running (memory sampled live)"),
    Binding("w", "start('http')", "HTTP", id="start.http", show=False,
            tooltip="start the http server workload (g also loads it)"),
    Binding("g", "load", "Load", id="http.load",
            tooltip="HTTP load on the selected runtime's server (starts http first): req/s and p99 stream"),
    Binding("s", "stop", "Stop", id="workload.stop", tooltip="stop the selected runtime's workload"),
    Binding("v", "layout", "Grid/list", id="live.layout",
            tooltip="live view: a grid of panels, or one line per runtime (all fit one screen)"),
    Binding("u", "hide_unavailable", "Hide n/a", id="live.hide-unavailable", show=False,
            tooltip="live view: hide the runtimes this machine cannot run (or show them again)"),
    Binding("o", "open_workload", "Open program", id="workload.open",
            tooltip="open your own program (.wasm, its arguments and directories, or a profile workload): "
                    "h b f (or i) then act on it"),
    Binding("O", "builtin_workloads", "Built-ins", id="workload.builtin", show=False,
            tooltip="the live keys act on the built-in workloads again"),
    Binding("H", "next_host", "Hosts", id="live.host", show=False,
            tooltip="remote hosts: every host side by side, or one at a time"),
]

APP = [
    Binding("r", "bench", "Bench", id="bench.run", tooltip="run the profile's whole benchmark"),
    Binding("c,escape", "cancel", "Cancel", id="bench.cancel", tooltip="cancel the running benchmark (or burst)"),
    _view("1", "live", "Live", "live panels"),
    _view("2", "results", "Results", "results tables"),
    _view("3", "charts", "Charts", "charts"),
    _view("4,l", "log", "Log", "log of commands and events"),
    _view("5", "density", "Density", "density (instances per GiB)"),
    Binding("d", "density", "Density run", id="density.run", show=False,
            tooltip="measure density: how many idle instances of each runtime fit in 1 GiB"),
    _view("6", "sandbox", "Sandbox", "sandbox (what a guest can reach on each runtime)"),
    Binding("x", "sandbox", "Sandbox probe", id="sandbox.run", show=False,
            tooltip="run the probe guest on every runtime: host files, env, network, processes"),
    _view("7", "race", "Race", "race (hello on several runtimes at once, runs counted)"),
    Binding("R", "race", "Race", id="race.run",
            tooltip="race: hello on the selected runtime and the baselines at once, for a few seconds"),
    Binding("P", "presentation", "Present", id="app.presentation", show=False,
            tooltip="presentation mode: larger figures, fewer words (also --demo)"),
    Binding("question_mark", "help", "Help", id="app.help", tooltip="this help"),
    Binding("q", "quit_app", "Quit", id="app.quit", tooltip="quit: stops every workload, removes every container"),
    Binding("ctrl+o", "open_profile", "Open", id="profile.open",
            tooltip="open a profile (stored results show without re-running)"),
    Binding("ctrl+s", "save_profile", "Save", id="profile.save",
            tooltip="save the profile with this session's results"),
    Binding("p", "pause", "Pause", id="sampling.pause", tooltip="pause/resume live sampling"),
    Binding("a", "advise", "Advise", id="app.advise", tooltip="decision wizard: Wasm, containers or both?"),
    Binding("D", "setup", "Set-up", id="app.setup", show=False,
            tooltip="set-up (doctor): what this machine lacks for the profile, and the fixes"),
    Binding("ctrl+c", "quit_app", "Quit", id="app.quit-now", priority=True, show=False,
            tooltip="quit now (cancels a running benchmark)"),
]

BINDINGS = LIVE + APP  # every key, in footer order (the help screen lists them all)
