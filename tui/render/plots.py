"""Latency against throughput from an I/O sweep, drawn with plotext.

One function for both front ends: the CLI prints the figure it builds, the charts view draws
it inside a textual-plotext widget (whose `plt` is the same plotext API).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

from wasmscope.workloads.model.results import OK, Results

from .tables import row_label

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


Series = tuple[str, list[float], list[float]]  # label, xs, ys


def draw_loglog(plt: Any, title: str, xlabel: str, ylabel: str, series: list[Series]) -> None:
    """Lines on log-log axes, each named at its last point (a legend box would hide the lines
    in its corner); `plt` is the plotext module or a widget's figure."""
    plt.clear_data()
    plt.clear_figure()
    private_axes(plt._core._figure if isinstance(plt, ModuleType) else plt)
    plt.title(title)
    plt.xlabel(f"{xlabel} (log)")
    plt.ylabel(f"{ylabel} (log)")
    plt.xscale("log")
    plt.yscale("log")
    right_edge = max((x for _, xs, _ in series for x in xs), default=1.0)
    for i, (label, xs, ys) in enumerate(series):
        color = OKABE_ITO[i % len(OKABE_ITO)]
        plt.plot(xs, ys, marker="dot", color=color)
        plt.text(label, x=xs[-1], y=ys[-1], color=color,
                 alignment="right" if xs[-1] > right_edge / 10 else "left")


def figure_text(draw: Callable[[Any, Results], bool], results: Results, width: int, height: int) -> str:
    """A chart as terminal text (plotext's own figure), or "" when there is nothing to draw."""
    import plotext as plt

    if not draw(plt, results):
        return ""
    plt.plotsize(width, height)
    plt.theme("clear")
    text = plt.build()
    plt.clear_figure()
    return text


def draw_sweep(plt: Any, results: Results) -> bool:
    """p99 latency against req/s, one line per server (600 and 130,000 req/s both readable)."""
    rows = sweep_rows(results)
    if not rows:
        return False
    mode = results.settings.get("io", {}).get("mode", "closed")
    level = "offered rate" if mode == "fixed-rate" else "connections"
    series = []
    for row in rows:
        points = sorted(row.sweep, key=lambda p: p["x"])
        series.append((f"{row_label(results, row)} ({points[-1]['x']:g})", [p["rps"] for p in points],
                       [max(p["p99_ms"], 1e-3) for p in points]))
    draw_loglog(plt, f"HTTP: p99 latency against throughput (sweep over {level})", "requests/s", "p99 ms", series)
    return True


def sweep_text(results: Results, width: int = 100, height: int = 24) -> str:
    return figure_text(draw_sweep, results, width, height)


def draw_density(plt: Any, results: Results) -> bool:
    """Memory (PSS, MiB) against live instances, one line per runtime and model."""
    table = results.tables.get("density")
    rows = [r for r in table.rows if r.status == OK and len(r.sweep) > 1] if table else []
    if not rows:
        return False
    series = []
    for row in rows:
        pts = [p for p in row.sweep if p["x"] >= 1]
        series.append((row_label(results, row), [p["x"] for p in pts], [max(p["pss_mib"], 0.01) for p in pts]))
    draw_loglog(plt, "Density: memory (PSS of every process involved) against live instances",
                "instances", "MiB", series)
    return True


def density_text(results: Results, width: int = 100, height: int = 22) -> str:
    return figure_text(draw_density, results, width, height)
