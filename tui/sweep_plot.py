"""Latency against throughput from an I/O sweep, drawn with plotext.

One function for both front ends: the CLI prints the figure it builds, the charts view draws
it inside a textual-plotext widget (whose `plt` is the same plotext API).
"""

from __future__ import annotations

from typing import Any

from wasmscope.workloads.measure.results import OK, Results

from .report import row_label

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (240, 228, 66), (0, 114, 178),
             (213, 94, 0), (204, 121, 167)]


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
    mode = results.settings.get("io", {}).get("mode", "closed")
    level = "offered rate" if mode == "fixed-rate" else "connections"
    plt.title(f"HTTP: p99 latency against throughput (sweep over {level})")
    plt.xlabel("requests/s")
    plt.ylabel("p99 ms (log)")
    plt.yscale("log")
    for i, row in enumerate(rows):
        points = sorted(row.sweep, key=lambda p: p["x"])
        xs = [p["rps"] for p in points]
        ys = [max(p["p99_ms"], 1e-3) for p in points]
        plt.plot(xs, ys, label=row_label(results, row), marker="dot",
                 color=OKABE_ITO[i % len(OKABE_ITO)])
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
