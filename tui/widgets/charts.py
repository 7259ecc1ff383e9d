"""Bar charts of each table (plotext through textual-plotext); startup on a log scale."""

from __future__ import annotations

import math

from textual.containers import VerticalScroll
from textual.widgets import Static

from wasmscope.workloads.model.results import OK, Results

from ..render.tables import row_label
from ..render.plots import OKABE_ITO, draw_sweep, private_axes, sweep_rows
from .chart import Chart

CHARTS = (("startup", "Startup: median cold start (ms, log scale)", True),
          ("memory", "Memory: instance RSS (MiB)", False),
          ("compute", "Compute: guest time (ms)", False),
          ("io", "HTTP I/O: requests/s (log scale, higher is better)", True))


class ChartsView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ChartsView Chart { height: 12; min-height: 8; }
    ChartsView Chart.chart-sweep { height: 22; }
    ChartsView .empty { color: $text-muted; padding: 1 2; }
    """

    def compose(self):
        yield Static("No results to chart yet.", classes="empty")

    def show(self, results: Results | None) -> None:
        """Rebuild the charts (fresh widgets: no stale sizes or plot state between results)."""
        self.remove_children()
        plots = []
        for name, title, log in CHARTS:
            table = results.tables.get(name) if results else None
            rows = [r for r in table.rows if r.status in (OK, "measuring") and r.value] if table else []
            if not rows:
                continue
            labels = [_io_short(r) if name == "io" else _short(row_label(results, r)) for r in rows]
            values = [r.value for r in rows]
            # classes: old widgets may still be leaving
            plots.append(Chart(_bars(name, title, log, labels, values), classes=f"chart-{name}"))
        if sweep_rows(results):
            plots.append(Chart(lambda plt: draw_sweep(plt, results), classes="chart-sweep"))
        self.mount_all(plots or [Static("No results to chart yet.", classes="empty")])


def _bars(name: str, title: str, log: bool, labels: list[str], values: list[float]):
    """The draw function of one table's bar chart (one bar per row, each its own colour)."""

    def draw(plt) -> None:
        private_axes(plt)
        plt.title(title)
        heights = values
        if log:
            # plotext bars need a linear axis: plot log10 and label the ticks in ms
            shown = [math.log10(max(v, 1e-3)) for v in values]
            lo, hi = math.floor(min(shown + [0])), math.ceil(max(shown))
            heights = [v - lo for v in shown]
            plt.yticks([t - lo for t in range(lo, hi + 1)], [f"{10 ** t:g}" for t in range(lo, hi + 1)])
        for i, height in enumerate(heights):
            plt.bar([i + 1], [height], color=OKABE_ITO[i % len(OKABE_ITO)], width=0.6)
        plt.xlim(0.4, len(labels) + 0.6)
        if name == "io":
            # up to a dozen bars: numbers under them (names would collide, and plotext then
            # places them by set order, which changes from run to run), names in the legend
            plt.xticks(list(range(1, len(labels) + 1)), [str(i) for i in range(1, len(labels) + 1)])
            plt.xlabel("  ".join(f"{i} {lab}" for i, lab in enumerate(labels, 1)))
        else:
            plt.xticks(list(range(1, len(labels) + 1)), labels)
            plt.xlabel("  ".join(f"{lab}: {_fmt(v, name)}" for lab, v in zip(labels, values)))

    return draw


IO_SHORT = {"wasmtime": "wt", "wasmtime-cli": "wt-cli", "host network": "host", "wasmtime serve": "serve"}


def _io_short(row) -> str:
    """A label under an I/O bar (≤ 12 characters): runtime, variant, ·req for per-request."""
    words = [IO_SHORT.get(row.runtime, row.runtime)]
    if row.variant and row.runtime != "front":
        words.append(IO_SHORT.get(row.variant, row.variant))
    return " ".join(words) + ("·req" if row.model == "per-request" and row.runtime != "front" else "")


def _short(label: str) -> str:
    """'Docker (runc) — host network' → 'Docker host network': fits under a bar."""
    name, _, variant = label.partition(" — ")
    return (name.split(" (")[0] + (f" {variant}" if variant else "")).replace("wasmscope front alone", "front")


def _fmt(v: float, table: str) -> str:
    if table == "io":
        return f"{v:,.0f} req/s"
    unit = "MiB" if table == "memory" else "ms"
    return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
