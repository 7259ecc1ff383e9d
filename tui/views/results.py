"""View 2, results: every measured table, as the CLI prints it, beside the article's figures.

Each table is a `MeasurementTable` drawn from its measurement's description. `r` runs the
profile's benchmark here, in a worker — on this machine, then on each connected remote host, one
after another, as `wasmscope bench --host` does: while it runs, the streamed typed samples fill
the tables with provisional medians ("measuring"), redrawn at most 4 times a second; the final
`Results` replace them. With remote hosts the tables have a Host column (ratios within a host).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Digits, Label, Static

from wasmscope.workloads import measurements
from wasmscope.workloads.bench import Plan, make_plan
from wasmscope.workloads.errors import WasmscopeError
from wasmscope.workloads.measurements.control import RunControl
from wasmscope.workloads.model.results import OK, Results, Table
from wasmscope.workloads.model.samples import Sample
from wasmscope.workloads.remote.address import LOCAL

from ..engine_runs import benchmark_hosts, finish_with
from ..messages import BenchFinished, Streamed
from ..render.tables import host_name, machine_line
from ..widgets.measurement_table import MeasurementTable
from .charts import ChartsView

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

    from ..app import WasmscopeApp

EMPTY = ("No results yet: press r to run the profile's benchmark, or ctrl+o to open a profile "
         "with stored results.")
COMPACT_BELOW = 140  # columns: under this only the essential columns show


def stored_note(profile: "Profile", what: str = "results") -> str:
    """What stored figures are, said over them: from which file, taken when, not re-run."""
    source = profile.path.name if profile.path else profile.name
    stored = profile.race if what == "race" else profile.results
    when = getattr(stored, "started_at", "") if stored else ""
    verb = "raced" if what == "race" else "measured"
    return f"stored {what} from {source} ({verb} {when or 'at an unknown time'}), not re-run"


class ResultsView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ResultsView { padding: 0 1; }
    ResultsView .empty { color: $text-muted; padding: 1 2; }
    ResultsView .machine { color: $text-muted; height: auto; }
    ResultsView #headline { height: auto; display: none; }
    ResultsView.-headline #headline { display: block; }
    ResultsView .figure { width: auto; padding: 0 2 0 0; height: auto; }
    ResultsView .figure Digits { color: $accent; width: auto; }
    ResultsView .figure Label { color: $text-muted; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.results: Results | None = None  # this machine's
        self.remote: dict[str, Results] = {}  # each remote host's, of the same benchmark
        self.reference: dict | None = None
        self.note = ""
        self.samples: dict[str, dict[str, dict[str, list[float]]]] = {}  # host -> measurement -> row key -> values
        self.runtimes: dict = {}  # this session's runtimes (their baseline roles name the comparisons)
        self._dirty = False
        self._timer = None
        self.compact = False

    def compose(self) -> ComposeResult:
        yield Static(EMPTY, classes="empty")
        yield Static("", classes="machine", markup=False)
        yield Horizontal(id="headline")
        for name in measurements.names():
            yield MeasurementTable(name)

    def on_mount(self) -> None:
        self._set_visible(set())

    def on_resize(self, event) -> None:
        compact = event.size.width < COMPACT_BELOW
        if compact != self.compact:
            self.compact = compact
            if self.samples:
                self._render_results(self.provisional_runs(), provisional=True)
            else:
                self._render_results(self.runs())

    # -- public --------------------------------------------------------------------------------
    def show(self, results: Results | None, reference: dict | None, note: str = "",
             remote: dict[str, Results] | None = None) -> None:
        """Show final (or stored) results, this machine's and remote hosts'; clears provisional samples."""
        self.results, self.reference, self.note, self.remote = results, reference, note, dict(remote or {})
        self.samples.clear()
        self._render_results(self.runs())

    def runs(self) -> list[Results]:
        """The runs shown: this machine's first, then each remote host's."""
        return [r for r in (self.results, *self.remote.values()) if r is not None]

    def start_measuring(self, note: str = "benchmark running: provisional medians") -> None:
        self.samples.clear()
        self.note = note

    def add_sample(self, sample: Sample, host: str = LOCAL) -> None:
        """A streamed sample of a running benchmark on `host`; redraws at most 4 times a second."""
        if not sample.measurement or sample.value is None or sample.measurement not in measurements.REGISTRY:
            return
        per = self.samples.setdefault(host, {}).setdefault(sample.measurement, {})
        per.setdefault(sample.row_key, []).append(sample.value)
        self._dirty = True
        if self._timer is None:
            self._timer = self.set_timer(0.25, self._flush)

    def provisional(self, host: str = LOCAL) -> Results | None:
        """A `Results` of provisional rows (status 'measuring') from the samples `host` streamed so far."""
        if not self.samples.get(host):
            return None
        res = Results(profile=self.results.profile if self.results else "", started_at="",
                      runtimes=dict(self.runtimes or (self.results.runtimes if self.results else {})),
                      host="" if host == LOCAL else host)
        for name, per in self.samples[host].items():
            m = measurements.get(name)
            res.tables[name] = Table(name=name, unit=m.unit, workload="", what="measuring…",
                                     higher_is_better=m.higher_is_better,
                                     rows=[m.provisional(key, vals) for key, vals in per.items()])
        return res

    def cell(self, table: str, row_key: str, column: str) -> str:
        return self.query_one(f"#measurement-{table}", MeasurementTable).cell(row_key, column)

    # -- rendering -----------------------------------------------------------------------------
    def provisional_runs(self) -> list[Results]:
        return [r for r in (self.provisional(h) for h in self.samples) if r is not None]

    def _flush(self) -> None:
        self._timer = None
        if self._dirty and self.samples:
            self._dirty = False
            self._render_results(self.provisional_runs(), provisional=True)

    def _set_visible(self, names: set[str]) -> None:
        self.query_one(".empty").display = not names
        self.query_one(".machine").display = bool(names)
        for table in self.query(MeasurementTable):
            table.display = table.measurement.name in names

    def _render_results(self, runs: list[Results], provisional: bool = False) -> None:
        names = set().union(*(r.tables for r in runs)) & set(measurements.names())
        with self.app.batch_update():
            self._set_visible(names)
            if not names:
                return
            machines = "\n".join(f"{host_name(r)}: " * (len(runs) > 1) + machine_line(r) for r in runs)
            head = self.note if provisional else machines + (f"\n{self.note}" if self.note else "")
            self.query_one(".machine", Static).update(head)
            self._render_headline(runs[0], provisional)
            for table in self.query(MeasurementTable):
                if table.measurement.name in names:
                    table.show(runs, self.reference, compact=self.compact, provisional=provisional)

    def _render_headline(self, results: Results, provisional: bool) -> None:
        """Large cold-start figures (meetup mode): one Digits per runtime."""
        box = self.query_one("#headline", Horizontal)
        box.remove_children()
        table = results.tables.get("startup")
        if table is None or provisional:
            return
        figures = []
        for row in table.rows:
            if row.status != OK or row.value is None:
                continue
            info = results.runtimes.get(row.runtime)
            figures.append(Vertical(Label(f"{info.display if info else row.runtime} cold start (ms)"),
                                    Digits(f"{row.value:.3f}" if row.value < 10 else f"{row.value:.1f}"),
                                    classes="figure"))
        box.mount_all(figures)

    # -- a benchmark run -------------------------------------------------------------------------
    def run_benchmark(self) -> None:
        """The profile's benchmark (`r`) on the runtimes shown; its samples come to this view."""
        app: "WasmscopeApp" = self.app  # type: ignore[assignment]
        if not app.can_measure():
            return
        try:
            plan = make_plan(app.profile, runtimes=[r for r in app.profile.bench.runtimes if r in app.panels])
        except WasmscopeError as err:
            self.notify(str(err), severity="error", timeout=8)
            app.log_line(f"error: {err}")
            return
        if (control := app.begin_engine_run("benchmark", self)) is None:
            return
        self.start_measuring()
        remotes = app.hosts.connected()
        app.log_line(f"benchmark: {', '.join(plan.measurements)} on {', '.join(plan.runtimes)}"
                     + "".join(f"; then on {s.host}" for s in remotes))
        self.bench_worker(app.profile, plan, control, remotes)

    @work(thread=True, group="bench", exit_on_error=False)
    def bench_worker(self, profile, plan: Plan, control: RunControl, remotes: list) -> None:
        finish_with(self.post_message, BenchFinished,
                    lambda: benchmark_hosts(profile, plan, control, remotes, self.post_message))

    def on_streamed(self, message: Streamed) -> None:
        """A benchmark's sample: its table fills, the runtime's panel on its host shows it too."""
        message.stop()
        app: "WasmscopeApp" = self.app  # type: ignore[assignment]
        self.add_sample(message.sample, message.host)
        app.query_one(ChartsView).show_soon(self.provisional)
        app.live_view.show_sample(message.sample, message.host)

    def on_bench_finished(self, message: BenchFinished) -> None:
        app: "WasmscopeApp" = self.app  # type: ignore[assignment]
        if message.results is None:
            app.refresh_results()  # provisional figures go; what was shown before comes back
            return
        app.results, app.results_note = message.results, "measured in this session"
        app.remote_results = {r.host: r for r in message.runs[1:]}  # a run replaces every host's
        app.refresh_results()
        for results in message.runs:
            for table, runtime, reason in results.failures():
                where = "" if results is message.results else f" on {results.host}"
                app.log_line(f"benchmark{where}: {table} on {runtime} failed: {reason}")
        app.log_line("benchmark: done (ctrl+s saves the results into the profile)")
        if app.demo_loop is not None:
            app.demo_loop.bench_done()
        else:
            self.notify("benchmark done: 2 shows the results")
