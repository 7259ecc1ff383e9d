"""Bar charts of each table (plotext through textual-plotext); startup on a log scale."""

from __future__ import annotations

import math

from textual.containers import VerticalScroll
from textual.widgets import Static
from textual_plotext import PlotextPlot

from wasmscope.workloads.measure.results import OK, Results

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178),
             (213, 94, 0), (204, 121, 167)]

CHARTS = (("startup", "Startup: median cold start (ms, log scale)", True),
          ("memory", "Memory: instance RSS (MiB)", False),
          ("compute", "Compute: guest time (ms)", False))


class ChartsView(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ChartsView PlotextPlot { height: 12; min-height: 8; }
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
            plot = PlotextPlot(classes=f"chart-{name}")  # classes: old widgets may still be leaving
            plots.append(plot)
            labels = [(results.runtimes[r.runtime].display if r.runtime in results.runtimes else r.runtime)
                      .split(" (")[0] for r in rows]
            values = [r.value for r in rows]
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(title)
            heights = values
            if log:
                # plotext bars need a linear axis: plot log10 and label the ticks in ms
                shown = [math.log10(max(v, 1e-3)) for v in values]
                lo, hi = math.floor(min(shown + [0])), math.ceil(max(shown))
                heights = [v - lo for v in shown]
                plt.yticks([t - lo for t in range(lo, hi + 1)], [f"{10 ** t:g}" for t in range(lo, hi + 1)])
            for i, height in enumerate(heights):  # one series per runtime, each its own colour
                plt.bar([i + 1], [height], color=OKABE_ITO[i % len(OKABE_ITO)], width=0.6)
            plt.xticks(list(range(1, len(labels) + 1)), labels)
            plt.xlim(0.4, len(labels) + 0.6)
            plt.xlabel("  ".join(f"{lab}: {_fmt(v, name)}" for lab, v in zip(labels, values)))
        self.mount_all(plots or [Static("No results to chart yet.", classes="empty")])


def _fmt(v: float, table: str) -> str:
    unit = "MiB" if table == "memory" else "ms"
    return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
