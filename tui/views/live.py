"""View 1, live: every runtime on every host as a panel (grid) or a line (list), the selected
panel's detail line, and the recent log.

A panel is a runtime on a host, keyed `(host, runtime)`: this machine (LOCAL) and each remote
host over SSH. With several hosts, a runtime's panels on every host stand side by side in one
grid row (one column per host, named in the host bar); `H` shows one host at a time (and so
does a screen too narrow for a column per host). The live actions (h, b, f, i, w, g, s) run as
thread workers (live_actions.py, live_runs.py) on the selected panel's host and their messages
come back here. What runs where is each host's session's (`snapshot()`): its sampler and every
start/stop post a snapshot, and the panels render it; each panel's figures are kept once, in its
`Track`, which both its panel and its row render. The selection is a panel, kept across views,
layouts and runs. `o` opens a program of the user's for the keys (live_target.py).
"""

from __future__ import annotations

import threading
from typing import Iterable, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll

from wasmscope.workloads.live import LiveState
from wasmscope.workloads.model.results import Results, RuntimeInfo
from wasmscope.workloads.model.samples import MemorySample, Sample
from wasmscope.workloads.remote.address import LOCAL
from wasmscope.workloads.runtimes import adapter_class

from .. import keys
from ..widgets.log_view import LogView
from ..widgets.readout import Readout
from ..widgets.runtime_panel import RuntimePanel
from ..widgets.runtime_row import RuntimeRow
from ..widgets.track import Track
from .live_actions import LiveActions, Slot
from .live_events import LiveEvents
from .live_hosts import HostBar, HostHeading, initial_states
from .live_keys import LiveKeys
from .live_layout import fits_side_by_side, grid_shape
from .live_target import KeyTarget

MIB = 1 << 20


def counts_word(runtime: str) -> str:
    """What a panel's RSS figure is the RSS of, in one word: the adapter says (INSTANCE_WORD)."""
    return adapter_class(runtime).INSTANCE_WORD


def make_track(runtime: str, host: str, index: int, window: int, live: bool) -> Track:
    uid = runtime if host == LOCAL else f"h{index}-{runtime}"  # widget ids: unique over hosts
    return Track(runtime, adapter_class(runtime).display_name, counts_word(runtime), window, host=host, uid=uid,
                 pending="probing…" if host == LOCAL or not live else "connecting…")


class LiveView(LiveKeys, LiveEvents, LiveActions, Vertical):
    BINDINGS = keys.LIVE
    DEFAULT_CSS = """
    LiveView #live-scroll { height: 1fr; scrollbar-size-vertical: 1; }
    LiveView #panels { layout: grid; grid-size: 3; grid-gutter: 0 1; grid-rows: 9; height: auto; }
    LiveView #rows { height: auto; display: none; }
    LiveView.-list #panels { display: none; }
    LiveView.-list #rows { display: block; }
    LiveView #target { color: $accent; background: $boost; padding: 0 1; display: none; }
    LiveView #detail { color: $text-muted; background: $boost; padding: 0 1; }
    LiveView #recent { height: 5; border-top: solid $panel-lighten-2; color: $text-muted; }
    """

    def __init__(self, runtimes: Iterable[str], window: int, *, hosts: Sequence[str] = (LOCAL,), live: bool = True,
                 layout: str = "grid", hide_unavailable: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runtimes, self.hosts = list(runtimes), list(hosts)
        # runtime-major: a runtime's panels on every host are neighbours (one grid row, side by side)
        self.tracks = {(h, rt): make_track(rt, h, i, window, live) for rt in self.runtimes
                       for i, h in enumerate(self.hosts)}
        self.panels = {slot: RuntimePanel(t) for slot, t in self.tracks.items()}
        self.rows = {slot: RuntimeRow(t) for slot, t in self.tracks.items()}
        self.host_states = initial_states(self.hosts, live)
        self.shown_host: str | None = None  # None: every host side by side; else that one (H)
        self.selected: Slot = next(iter(self.tracks), (LOCAL, ""))
        self.hide_unavailable = hide_unavailable
        self.set_class(layout == "list", "-list")
        self.burst_cancel = threading.Event()
        self.load_cancel = threading.Event()
        self.states = {h: LiveState(-1) for h in self.hosts}
        self.target: KeyTarget | None = None  # a program of the user's the keys act on (o)

    @property
    def layout_name(self) -> str:
        return "list" if self.has_class("-list") else "grid"

    @property
    def selected_runtime(self) -> str:
        return self.selected[1]

    def state_of(self, host: str) -> LiveState:
        return self.states[host]

    def local_tracks(self) -> dict[str, Track]:
        """This machine's tracks by runtime (what the race, density and sandbox runs use)."""
        return {rt: t for (h, rt), t in self.tracks.items() if h == LOCAL}

    def compose(self) -> ComposeResult:
        yield HostBar(self.hosts, id="hosts")
        with VerticalScroll(id="live-scroll"):
            with Vertical(id="panels"):
                yield from self.panels.values()
            with Vertical(id="rows"):
                yield RuntimeRow(None)
                for host in self.hosts:  # host by host in the list, each under its heading
                    if len(self.hosts) > 1:
                        yield HostHeading(host)
                    yield from (self.rows[(host, rt)] for rt in self.runtimes)
        yield Readout("", id="target")
        yield Readout("", id="detail")
        yield LogView(id="recent", max_lines=200)

    def on_mount(self) -> None:
        self.wapp.hosts.post = self.post_message  # a remote host's drop, from its link's reader thread

    # -- layout, selection, toggles ----------------------------------------------------------------
    def hosts_on_screen(self) -> list[str]:
        """Every host side by side (the list: one under another), or the one `H` picked, or,
        when a column per host does not fit, the selected panel's host."""
        if self.shown_host in self.hosts:
            return [self.shown_host]  # type: ignore[list-item]
        if len(self.hosts) == 1 or self.layout_name == "list" or fits_side_by_side(len(self.hosts), self.size.width,
                                                                                   self.min_width()):
            return list(self.hosts)
        return [self.selected[0]]

    def min_width(self) -> int:
        return 38 if self.app.presenting else 26  # type: ignore[attr-defined]

    def shown(self) -> list[Slot]:
        """The panels on screen, in screen order: side by side, a runtime's row stays whole
        while any host there can run it; else host by host."""
        on = self.hosts_on_screen()
        keep = lambda slot: not (self.hide_unavailable and not self.tracks[slot].available)  # noqa: E731
        if len(on) > 1 and self.layout_name == "grid":
            rows = [rt for rt in self.runtimes if any(keep((h, rt)) for h in on)]
            slots = [(h, rt) for rt in rows for h in on]
        else:
            slots = [(h, rt) for h in on for rt in self.runtimes if keep((h, rt))]
        return slots or [(on[0], self.runtimes[0])]

    def on_resize(self, event) -> None:
        self.fit()

    def fit(self) -> None:
        """Columns and panel height for this size (whole rows; graphs take the spare height)."""
        shown, on = self.shown(), self.hosts_on_screen()
        visible = set(shown)
        for slot in self.tracks:
            self.panels[slot].display = self.rows[slot].display = slot in visible
        for heading in self.query(HostHeading):
            heading.display = heading.host in on
        lines = (len(self.hosts) > 1) + (self.target is not None)  # the host bar, the opened program
        recent = 3 if self.app.size.height < 30 else 5
        recent -= min(lines, 1) if recent == 3 else 0  # on a small screen the log gives the line
        self.query_one("#recent").styles.height = recent
        self.query_one("#target").display = self.target is not None
        presentation = self.app.presenting  # type: ignore[attr-defined]
        extra = (0 if presentation else recent) + lines
        min_h = 12 if presentation else (11 if any(t.io for t in self.tracks.values()) else 9)
        side_by_side = len(on) if len(on) > 1 else None
        shape = grid_shape(len(shown), self.size.width, self.size.height - 1 - extra, min_h, self.min_width(),
                           columns=side_by_side)
        grid = self.query_one("#panels")
        grid.styles.grid_size_columns = shape.columns
        grid.set_styles(f"grid-rows: {shape.panel_height};")
        if self.selected not in visible:
            self.selected = next((s for s in shown if s[1] == self.selected[1]), shown[0])
        self.show_hosts()
        self.show_selection()

    def show_hosts(self) -> None:
        """The host bar and the list's headings, from each host's state."""
        on = self.hosts_on_screen()
        several = len(self.hosts) > 1
        hint = "" if not several else ("H: one host at a time" if len(on) > 1 else
                                       f"{self.hosts.index(on[0]) + 1} of {len(self.hosts)} · H: next host")
        self.query_one(HostBar).show(self.host_states, on, hint)
        for heading in self.query(HostHeading):
            heading.show(self.host_states[heading.host])

    def select(self, step: int) -> None:
        names = self.shown()
        at = names.index(self.selected) if self.selected in names else -1
        self.selected = names[(at + step) % len(names)]
        self.focus_selected()

    def focus_selected(self) -> None:
        widget = (self.rows if self.layout_name == "list" else self.panels).get(self.selected)
        if widget is not None:
            widget.focus()
            widget.scroll_visible(animate=False)
        self.show_selection()

    def show_selection(self) -> None:
        for slot in self.tracks:
            self.panels[slot].set_class(slot == self.selected, "-selected")
            self.rows[slot].set_class(slot == self.selected, "-selected")
        self.show_detail()

    def show_detail(self) -> None:
        track = self.tracks.get(self.selected)
        self.query_one("#detail", Readout).update(f"▸ {track.summary()}" if track else "")
        self.query_one("#target", Readout).update(self.target.line() if self.target else "")

    def on_descendant_focus(self, event) -> None:
        """A click (or tab) on a panel or a row selects it."""
        node = event.widget
        while node is not None and not isinstance(node, (RuntimePanel, RuntimeRow)):
            node = node.parent
        if node is not None and node.track is not None:
            self.selected = (node.track.host, node.track.runtime)
            self.show_selection()

    def action_layout(self) -> None:
        """`v`: the grid of panels, or one line per runtime."""
        self.set_class(self.layout_name == "grid", "-list")
        for slot in self.tracks:  # the other representation was not kept up to date
            self.render_track(slot)
        self.fit()
        self.focus_selected()

    def action_hide_unavailable(self) -> None:
        """`u`: hide the runtimes this machine cannot run (or show them again)."""
        self.hide_unavailable = not self.hide_unavailable
        self.fit()
        self.focus_selected()

    def action_next_host(self) -> None:
        """`H`: every host side by side → the selected panel's host alone → the next hosts alone →
        side by side again (side by side only where a column per host fits)."""
        if len(self.hosts) == 1:
            self.notify("one host: name remote ones with wasmscope --host ssh://… or the profile's bench.hosts")
            return
        fits = self.layout_name == "list" or fits_side_by_side(len(self.hosts), self.size.width, self.min_width())
        options: list[str | None] = ([None] if fits else []) + list(self.hosts)
        if self.shown_host is None and fits:
            self.shown_host = self.selected[0]  # from side by side: the selected panel's host first
        else:
            now = self.shown_host or self.selected[0]
            self.shown_host = options[(options.index(now) + 1) % len(options)]
        on = self.hosts_on_screen()
        if self.selected[0] not in on:
            self.selected = (on[0], self.selected[1])
        self.fit()
        self.focus_selected()

    # -- rendering the tracks ----------------------------------------------------------------------
    def render_track(self, slot: Slot) -> None:
        """Repaint a panel where it shows (its panel, or its row in the list), and the detail
        line when it is the selected one (4 times a second for each running runtime)."""
        (self.rows if self.layout_name == "list" else self.panels)[slot].refresh_track()
        if slot == self.selected:
            self.show_detail()

    def describe(self, infos: dict[str, RuntimeInfo], host: str = LOCAL) -> None:
        """A host's runtimes as probed: each track, and a line each in the log."""
        for rt, info in infos.items():
            if (host, rt) in self.tracks:
                self.tracks[(host, rt)].info = info
                self.render_track((host, rt))
                state = f"{info.version}; {info.mode}" if info.available else f"unavailable: {info.reason} — {info.hint}"
                self._said((host, rt), state)
        self.fit()

    def replay(self, runs: dict[str, Results | None]) -> None:
        """No engine: each runtime on each host as its stored run knew it, with its stored cold start."""
        for host in self.hosts:
            results = runs.get(host)
            infos = results.runtimes if results else {}
            table = results.tables.get("startup") if results else None
            cold = {row.runtime: row.value for row in (table.rows if table else []) if row.value is not None}
            for rt in self.runtimes:
                track = self.tracks[(host, rt)]
                track.info = infos.get(rt)
                track.note = "" if rt in infos else "replay: not part of the stored run"
                track.cold_ms = cold.get(rt)
                self.render_track((host, rt))
        self.fit()

    def recent(self, stamp: str, text: str) -> None:
        self.query_one("#recent", LogView).add(stamp, text)

    def show_sample(self, sample: Sample, host: str = LOCAL) -> None:
        """A streamed sample in its panel's track (a benchmark's too)."""
        slot = (host, sample.runtime)
        if slot in self.tracks:
            track = self.tracks[slot]
            io_before = track.io
            track.add(sample)
            self.render_track(slot)
            if track.io != io_before:
                self.fit()  # req/s and p99 graphs need taller panels

    def apply(self, state: LiveState, host: str = LOCAL) -> None:
        """Render a host's snapshot: exits are reported (once); an older snapshot than the one
        shown does not undo a start or stop already shown."""
        for gone in state.exited:
            if (host, gone.runtime) in self.tracks:
                self.tracks[(host, gone.runtime)].error = f"{gone.workload} exited"
            self._said((host, gone.runtime), f"{gone.workload} exited on its own")
            self._said((host, gone.runtime), "stopped")
        if state.version < self.states[host].version or self.host_states[host].status == "disconnected":
            return
        self.states[host] = state
        exited = {g.runtime for g in state.exited}
        with self.app.batch_update():
            for rt in self.runtimes:
                track = self.tracks[(host, rt)]
                changed = track.show_running(state.workload(rt))
                reading = state.reading(rt)
                if reading is not None and reading.reading is not None:
                    track.add(MemorySample("", rt, mib=reading.reading.instance_rss / MIB))
                if changed or reading is not None or rt in exited:
                    self.render_track((host, rt))
