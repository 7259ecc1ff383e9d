"""Latency against throughput from an I/O sweep, drawn with plotext.

One function for both front ends: the CLI prints the figure it builds, the charts view draws
it inside a textual-plotext widget (whose `plt` is the same plotext API).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from wasmscope.workloads.measure.results import OK, Results

from .report import row_label

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


def sweep_rows(results: Results | None) -> list:
    table = results.tables.get("io") if results else None
    return [r for r in table.rows if r.status == OK and len(r.sweep) >= 1] if table else []


def draw_sweep(plt: Any, results: Results) -> bool:
    """p99 latency (ms, log scale) against req/s, one line per server; False if no sweep."""
    rows = sweep_rows(results)
    if not rows:
        return False
    plt.clear_data()
    plt.clear_figure()
    private_axes(plt._core._figure if isinstance(plt, ModuleType) else plt)  # the plotext module or a widget's figure
    mode = results.settings.get("io", {}).get("mode", "closed")
    level = "offered rate" if mode == "fixed-rate" else "connections"
    plt.title(f"HTTP: p99 latency against throughput (sweep over {level})")
    plt.xlabel("requests/s (log)")
    plt.ylabel("p99 ms (log)")
    plt.xscale("log")  # 600 and 130,000 req/s both readable
    plt.yscale("log")
    for i, row in enumerate(rows):
        points = sorted(row.sweep, key=lambda p: p["x"])
        xs = [p["rps"] for p in points]
        ys = [max(p["p99_ms"], 1e-3) for p in points]
        color = OKABE_ITO[i % len(OKABE_ITO)]
        plt.plot(xs, ys, marker="dot", color=color)
        # name each line at its highest load (a legend box would hide the slow, top-left lines)
        plt.text(f"{row_label(results, row)} ({points[-1]['x']:g})", x=xs[-1], y=ys[-1], color=color,
                 alignment="right" if xs[-1] > max(x for r in rows for x in [p["rps"] for p in r.sweep]) / 10
                 else "left")
    return True


def sweep_text(results: Results, width: int = 100, height: int = 24) -> str:
    """The sweep chart as terminal text (plotext's own figure), or "" without a sweep."""
    import plotext as plt

    if not draw_sweep(plt, results):
        return ""
    plt.plotsize(width, height)
    plt.theme("clear")
    text = plt.build()
    plt.clear_figure()
    return text


def draw_density(plt: Any, results: Results) -> bool:
    """Memory (PSS, MiB) against live instances, one line per runtime and model, log-log."""
    table = results.tables.get("density")
    rows = [r for r in table.rows if r.status == OK and len(r.sweep) > 1] if table else []
    if not rows:
        return False
    plt.clear_data()
    plt.clear_figure()
    private_axes(plt._core._figure if isinstance(plt, ModuleType) else plt)
    plt.title("Density: memory (PSS of every process involved) against live instances")
    plt.xlabel("instances (log)")
    plt.ylabel("MiB (log)")
    plt.xscale("log")
    plt.yscale("log")
    for i, row in enumerate(rows):
        pts = [p for p in row.sweep if p["x"] >= 1]
        xs, ys = [p["x"] for p in pts], [max(p["pss_mib"], 0.01) for p in pts]
        color = OKABE_ITO[i % len(OKABE_ITO)]
        plt.plot(xs, ys, marker="dot", color=color)
        plt.text(f"{row_label(results, row)}", x=xs[-1], y=ys[-1], color=color, alignment="right")
    return True


def density_text(results: Results, width: int = 100, height: int = 22) -> str:
    import plotext as plt

    if not draw_density(plt, results):
        return ""
    plt.plotsize(width, height)
    plt.theme("clear")
    text = plt.build()
    plt.clear_figure()
    return text
