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
        for name, _, _ in CHARTS:
            yield PlotextPlot(id=f"chart-{name}")

    def show(self, results: Results | None) -> None:
        has = bool(results and results.tables)
        self.query_one(".empty", Static).display = not has
        for name, title, log in CHARTS:
            plot = self.query_one(f"#chart-{name}", PlotextPlot)
            table = results.tables.get(name) if results else None
            rows = [r for r in table.rows if r.status == OK and r.value] if table else []
            plot.display = bool(rows)
            if not rows:
                continue
            labels = [(results.runtimes[r.runtime].display if r.runtime in results.runtimes else r.runtime)
                      .split(" (")[0] for r in rows]
            values = [r.value for r in rows]
            plt = plot.plt
            plt.clear_data()
            plt.clear_figure()
            plt.title(title)
            if log:
                # plotext bars need a linear axis: plot log10 and label the ticks in ms
                shown = [math.log10(max(v, 1e-3)) for v in values]
                lo, hi = math.floor(min(shown + [0])), math.ceil(max(shown))
                ticks = list(range(lo, hi + 1))
                plt.bar(labels, [s - lo for s in shown], color=[OKABE_ITO[i % 7] for i in range(len(rows))])
                plt.yticks([t - lo for t in ticks], [f"{10 ** t:g}" for t in ticks])
            else:
                plt.bar(labels, values, color=[OKABE_ITO[i % 7] for i in range(len(rows))])
            plt.xlabel("  ".join(f"{lab}: {_fmt(v, name)}" for lab, v in zip(labels, values)))
            plot.refresh()


def _fmt(v: float, table: str) -> str:
    unit = "MiB" if table == "memory" else "ms"
    return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
