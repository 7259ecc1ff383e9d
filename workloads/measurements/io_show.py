"""How the HTTP I/O table reads: its cells, its caption, the sweep table and figure.

Throughput ratios are taken within one serving model: a per-request row against the native
per-request row, never against a long-running server.
"""

from __future__ import annotations

from ..model.format import fmt_ms, fmt_rps, fmt_with_interval
from ..model.results import OK, UNAVAILABLE, Results, Row
from . import cells
from .base import Cell, LineFigure, TableView, View

FRONT = "front"  # the row of the front's own ceiling: not a runtime
SERVER = "server"

# The article's I/O rows: its native server, its Docker (Alpine) server, and its Wasmtime figure
# (a wasi:http server under `wasmtime serve`), matched to the rows measured here by baseline role
# or by the variant that serves a component.
IO_ARTICLE = {("native", ""): "Native", ("container", ""): "Docker", ("", "wasmtime serve"): "Wasmtime"}


def label(view: View, row: Row) -> str:
    if row.runtime == FRONT:
        return "wasmscope front alone"
    return view.label(row) + (" ⚠" if row.facts.get("generator_bound") or row.busy_samples else "")


def _role(view: View, row: Row) -> str:
    return next((role for role in ("native", "container") if view.baseline(role) == row.runtime), "")


def article(view: View, row: Row) -> Cell:
    """The article's published req/s and p99 for the row's counterpart (server model only)."""
    reference = view.reference
    key = (_role(view, row), row.variant) if not row.variant else ("", row.variant)
    prefix = IO_ARTICLE.get(key) if row.model == SERVER else None
    if not prefix or not reference:
        return Cell("", "muted")
    rps = next((v for k, v in (reference.get("http_rps") or {}).items() if k.startswith(prefix)), None)
    p99 = next((v for k, v in (reference.get("http_p99_ms") or {}).items() if k.startswith(prefix)), None)
    if rps is None:
        return Cell("", "muted")
    return Cell(f"{rps:,.0f}" + (f" · p99 {p99:g} ms" if p99 is not None else ""), "muted")


def vs(view: View, row: Row, role: str) -> str:
    """Throughput against the run's native (a share) or container (× its req/s) row, same model."""
    if row.runtime == FRONT:
        return "ceiling"
    base = view.baseline(role)
    if base is not None and (row.runtime, row.variant) == (base, ""):
        return "baseline"
    if base is not None and not view.table.comparable(row.runtime, base):
        return "other machine"
    est = cells.ratio_estimate(view, row, role, cells.SHARE)
    if role == "native":
        return cells.share_text(est)
    if est is None:
        return "—"
    times = (lambda x: f"{x:.2f}" if x < 100 else f"{x:,.0f}")  # noqa: E731
    return fmt_with_interval(times(est.point) + "×", times(est.lo), times(est.hi), est.basis, est.n)


def errors(view: View, row: Row) -> str:
    return f"{int(row.stats.get('errors', 0) + row.stats.get('timeouts', 0)):,}"


def caption(view: View) -> list[str]:
    """Load and pinning, generator-bound rows, isolation cost inside the front, who carries
    Docker's port, how non-default rows serve, rows not measured and why."""
    t = view.table
    costs, notes, bound, missing, modes = [], [], [], [], []
    for row in t.rows:
        name = label(view, row).removesuffix(" ⚠")
        if row.status != OK:
            if row.status != UNAVAILABLE:  # unavailable runtimes are named once, above the tables
                missing.append(f"  {name} ({row.model or 'all models'}): {row.status}: {row.reason}")
            continue
        if row.counts and (row.variant or row.model == "per-request"):  # the usual rows are in Runtimes
            modes.append(f"  {name} ({row.model}): {row.counts}")
        if row.facts.get("generator_bound"):
            bound.append(name)
        if row.phases:
            costs.append(f"  {name}: " + " · ".join(f"{k} {fmt_ms(v)}" for k, v in row.phases.items()))
        if row.facts.get("port_proxy"):
            notes.append(f"  {name}: port carried by {row.facts['port_proxy']}")
    first = next((r for r in t.rows if r.status == OK), None)
    lines = [f"Load: {first.facts.get('generator')}; {first.facts.get('pinning')}." if first else ""]
    if bound:
        lines.append("⚠ generator-bound (its core was saturated; the server may be faster than shown): "
                     + ", ".join(bound))
    lines += (["Per-request isolation cost inside the front (medians):"] + costs) if costs else []
    lines += notes
    lines += (["How these rows serve:"] + modes) if modes else []
    lines += (["Not measured:"] + missing) if missing else []
    lines.append("vs native: share of the native row's req/s in the same model; vs Docker: × Docker's "
                 "req/s; p99.9 '—' where wrk cannot tell (it prints no p99.9).")
    lines.append(cells.interval_caption(view))
    lines += cells.busy_caption(view)
    if view.reference and any(article(view, r).text for r in t.rows):
        lines.append("Article column: the reference article's published wrk figures (req/s · p99) — "
                     "on its hardware, not measured here.")
    return lines


def sweep_rows(results: Results | None) -> list[Row]:
    table = results.tables.get("io") if results else None
    return [r for r in table.rows if r.status == OK and r.sweep] if table else []


def sweep_table(view: View) -> TableView | None:
    """Latency against throughput: one row per server, one column per load level."""
    rows = sweep_rows(view.results)
    if not rows:
        return None
    levels = sorted({p["x"] for r in rows for p in r.sweep})
    mode = view.results.settings.get("io", {}).get("mode", "closed")
    unit = "req/s offered" if mode == "fixed-rate" else "connections"
    body = []
    for r in rows:
        by_x = {p["x"]: p for p in r.sweep}
        body.append([label(view, r).removesuffix(" ⚠")] + [
            f"{fmt_rps(by_x[x]['rps'])} · p99 {fmt_ms(by_x[x]['p99_ms'])}" if x in by_x else "—" for x in levels])
    return TableView(f"Latency against throughput — sweep over {unit}", ["Runtime"] + [f"{x:g}" for x in levels],
                     body, "Each cell: req/s · p99 latency at that load level.")


def sweep_figure(view: View) -> LineFigure | None:
    """p99 latency against req/s, one line per server (600 and 130,000 req/s both readable)."""
    rows = sweep_rows(view.results)
    if not rows:
        return None
    mode = view.results.settings.get("io", {}).get("mode", "closed")
    level = "offered rate" if mode == "fixed-rate" else "connections"
    series = []
    for row in rows:
        points = sorted(row.sweep, key=lambda p: p["x"])
        series.append((f"{label(view, row).removesuffix(' ⚠')} ({points[-1]['x']:g})", [p["rps"] for p in points],
                       [max(p["p99_ms"], 1e-3) for p in points]))
    return LineFigure(f"HTTP: p99 latency against throughput (sweep over {level})", "requests/s", "p99 ms", series)


def short_name(runtime: str) -> str:
    """The runtime's CHART_NAME, else its registry name (also for one not registered now)."""
    from ..runtimes import REGISTRY, adapter_class

    return (adapter_class(runtime).CHART_NAME if runtime in REGISTRY else "") or runtime


def chart_label(view: View, row: Row, variants: dict[str, str]) -> str:
    """A label under an I/O bar (≤ 12 characters): runtime, variant, ·req for per-request."""
    words = [short_name(row.runtime)]
    if row.variant and row.runtime != FRONT:
        words.append(variants.get(row.variant, row.variant))
    return " ".join(words) + ("·req" if row.model == "per-request" and row.runtime != FRONT else "")
