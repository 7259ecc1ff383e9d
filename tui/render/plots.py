"""Charts drawn with plotext: a measurement's bar chart and its line figures.

One set of functions for both front ends: the CLI prints the figure text they build, the app
draws them inside a textual-plotext widget (whose `plt` is the same plotext API).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from wasmscope.workloads import measurements
from wasmscope.workloads.measurements.base import LineFigure, View
from wasmscope.workloads.measurements.base import MEASURING
from wasmscope.workloads.model.results import OK, Results

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178),
             (213, 94, 0), (204, 121, 167)]

_SHARED_AXES = ("xaxes", "yaxes", "xfrequency", "yfrequency", "xdirection", "ydirection", "xticks", "yticks", "grid")


def private_axes(figure: Any) -> None:
    """Give a plotext figure its own axis settings. plotext (5.3) initialises every figure's
    tick lists with the *same* list objects as its module-wide defaults, so setting ticks on
    one chart changes every chart drawn after it (found as charts that depended on which chart
    was drawn first). Call after `clear_figure()`, which re-shares them."""
    from plotext._default import default_monitor_class

    pristine = default_monitor_class()
    for name in _SHARED_AXES:
        setattr(figure.monitor, name, [*getattr(pristine, name)])


def _fresh(plt: Any) -> None:
    plt.clear_data()
    plt.clear_figure()
    private_axes(plt._core._figure if isinstance(plt, ModuleType) else plt)


def draw_lines(plt: Any, fig: LineFigure) -> None:
    """Lines on log-log axes, each named at its last point (a legend box would hide the lines
    in its corner); `plt` is the plotext module or a widget's figure."""
    _fresh(plt)
    plt.title(fig.title)
    plt.xlabel(f"{fig.xlabel} (log)")
    plt.ylabel(f"{fig.ylabel} (log)")
    plt.xscale("log")
    plt.yscale("log")
    right_edge = max((x for _, xs, _ in fig.series for x in xs), default=1.0)
    for i, (label, xs, ys) in enumerate(fig.series):
        color = OKABE_ITO[i % len(OKABE_ITO)]
        plt.plot(xs, ys, marker="dot", color=color)
        plt.text(label, x=xs[-1], y=ys[-1], color=color,
                 alignment="right" if xs[-1] > right_edge / 10 else "left")


def chart_rows(results: Results | None, name: str) -> list:
    """The rows a bar chart shows: measured (or, while measuring, provisional) with a figure."""
    table = results.tables.get(name) if results else None
    return [r for r in table.rows if r.status in (OK, MEASURING) and r.value] if table else []


def draw_bars(plt: Any, results: Results, name: str) -> bool:
    """One bar per row of a measurement's headline value, each its own colour; False when the
    measurement has no chart or nothing to draw."""
    m = measurements.get(name)
    rows = chart_rows(results, name)
    if m.chart is None or not rows:
        return False
    view = View(results, results.tables[name])
    labels = [m.chart_label(view, r) for r in rows]
    values = [r.value for r in rows]
    _fresh(plt)
    plt.title(m.chart.title)
    heights = values
    if m.chart.log:
        # plotext bars need a linear axis: plot log10 and label the ticks in the unit
        shown = [math.log10(max(v, 1e-3)) for v in values]
        lo, hi = math.floor(min(shown + [0])), math.ceil(max(shown))
        heights = [v - lo for v in shown]
        plt.yticks([t - lo for t in range(lo, hi + 1)], [f"{10 ** t:g}" for t in range(lo, hi + 1)])
    for i, height in enumerate(heights):
        plt.bar([i + 1], [height], color=OKABE_ITO[i % len(OKABE_ITO)], width=0.6)
    plt.xlim(0.4, len(labels) + 0.6)
    ticks = list(range(1, len(labels) + 1))
    if m.chart.numbered:
        # many bars: numbers under them (names would collide, and plotext then places them by
        # set order, which changes from run to run), names in the legend
        plt.xticks(ticks, [str(i) for i in ticks])
        plt.xlabel("  ".join(f"{i} {lab}" for i, lab in enumerate(labels, 1)))
    else:
        plt.xticks(ticks, labels)
        plt.xlabel("  ".join(f"{lab}: {m.fmt(v)}" for lab, v in zip(labels, values)))
    return True


def figure_text(fig: LineFigure, width: int = 100, height: int = 24) -> str:
    """A line figure as terminal text (plotext's own figure)."""
    import plotext as plt

    draw_lines(plt, fig)
    plt.plotsize(width, height)
    plt.theme("clear")
    text = plt.build()
    plt.clear_figure()
    return text
