"""Render `Results` as the reference article's tables (rich) and as JSON.

Every ratio here is computed from rows of one `Results`: figures measured side by side.
"""

from __future__ import annotations

import re
import signal
from typing import Any

from rich.table import Table as RichTable
from rich.text import Text

from wasmscope.workloads.model.results import FAILED, OK, UNAVAILABLE, Results, Row, Table
from wasmscope.workloads.model.format import fmt_kib, fmt_mib, fmt_ms, fmt_pct, fmt_rps, fmt_share, fmt_times
from wasmscope.workloads.model.stats import median_ratio_ci

ARTICLE_KEYS = {"startup": "startup_ms", "memory": "memory_mib", "compute": "compute_ms"}


def article_figure(reference: dict | None, table: str, runtime: str) -> str:
    """The article's published figure for a runtime, matched by its row label."""
    label, value = _article_entry(reference, table, runtime)
    if label is None:
        return ""
    return f"{value:g} {'MB' if table == 'memory' else 'ms'}"


def _article_entry(reference: dict | None, table: str, runtime: str) -> tuple[str | None, float]:
    values = (reference or {}).get(ARTICLE_KEYS.get(table, ""), {}) or {}
    for label, value in values.items():
        if label.lower().startswith(runtime.lower()):
            return label, value
    return None, 0.0


def _article_caption(results: Results, table: str, reference: dict | None) -> str:
    labels = [lbl for row in results.tables[table].rows
              if (lbl := _article_entry(reference, table, row.runtime)[0])]
    if not labels:
        return ""
    extra = " (fib 40)" if table == "compute" else ""
    return (f"Article column: the reference article's published figures{extra} for "
            f"{', '.join(labels)} — on its hardware, not measured here.")


def compute_ci(table: Table, runtime: str, baseline: str) -> tuple[float, float, float] | None:
    """Overhead vs baseline in % with a 95 % bootstrap interval, from the raw samples."""
    r, b = table.row(runtime), table.row(baseline)
    if not r or not b or r.status != OK or b.status != OK or not r.samples or not b.samples:
        return None
    point, lo, hi = median_ratio_ci(r.samples, b.samples)
    return (point - 1) * 100, (lo - 1) * 100, (hi - 1) * 100


def _name(results: Results, runtime: str) -> str:
    info = results.runtimes.get(runtime)
    return info.display if info else runtime


def _new_table(title: str, columns: list[str], reference: dict | None) -> RichTable:
    out = RichTable(title=title, title_justify="left", caption_justify="left")
    for i, col in enumerate(columns + (["Article"] if reference else [])):
        out.add_column(col, justify="left" if i == 0 else "right", style="dim" if col == "Article" else None)
    return out


def short_reason(reason: str, limit: int = 200) -> str:
    """The head of an availability reason: 'no wasmtime CLI found (looked in: ...)' → 'no wasmtime CLI found'."""
    head = reason.split(" (")[0].split("; ")[0].strip()
    return head if len(head) <= limit else head[:limit - 1] + "…"


def unavailable_line(results: Results) -> str:
    """Each runtime of the run this machine lacks, named once (the tables then only say
    'unavailable'), and what sets them up."""
    gone = [f"{info.display} ({short_reason(info.reason)})" for info in results.runtimes.values() if not info.available]
    return f"Not available here: {'; '.join(gone)} — run `wasmscope doctor --fix`." if gone else ""


def _status_cell(row: Row) -> Text:
    """A row that was not measured: 'unavailable' alone (named once above the tables), else why."""
    if row.status == UNAVAILABLE:
        return Text(UNAVAILABLE, style="dim italic")
    return Text(f"{row.status}: {row.reason}", style="italic")


def _add_row(out: RichTable, results: Results, table: str, row: Row, cells: list[Any],
             reference: dict | None) -> None:
    name = _name(results, row.runtime)
    width = len(out.columns) - 1 - (1 if reference else 0)
    if row.status != OK:
        cells = [_status_cell(row)] + [""] * (width - 1)
    if reference:
        cells = cells + [article_figure(reference, table, row.runtime)]
    out.add_row(name, *cells)


def _captions(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


def startup_table(results: Results, reference: dict | None = None) -> RichTable:
    t = results.tables["startup"]
    n = int(results.settings.get("startup_runs", 0))
    out = _new_table(f"Startup — {t.workload}: {t.what} (n={n})",
                     ["Runtime", "Median", "p95", "Min", "Max", "vs Docker"], reference)
    phases = []
    for row in t.rows:
        s = row.stats
        cells = [] if row.status != OK else [
            fmt_ms(s["median"]), fmt_ms(s["p95"]), fmt_ms(s["min"]), fmt_ms(s["max"]),
            fmt_times(t.ratio(row.runtime, "docker"), "faster", "slower")]
        _add_row(out, results, "startup", row, cells, reference)
        if row.status == OK and row.phases:
            phases.append(f"  {_name(results, row.runtime)}: "
                          + " · ".join(f"{k} {fmt_ms(v)}" for k, v in row.phases.items()))
    out.caption = _captions("Phases (medians):" if phases else "", *phases,
                            _article_caption(results, "startup", reference))
    return out


def memory_table(results: Results, reference: dict | None = None) -> RichTable:
    t = results.tables["memory"]
    out = _new_table(f"Memory — {t.what}",
                     ["Runtime", "Instance RSS", "USS", "Runtime overhead", "cgroup", "vs Docker"], reference)
    counts = []
    for row in t.rows:
        s = row.stats
        cells = [] if row.status != OK else [
            fmt_mib(s.get("instance_rss_mib")), fmt_mib(s.get("instance_uss_mib")),
            fmt_mib(s.get("overhead_rss_mib")), fmt_mib(s.get("cgroup_mib")),
            fmt_times(t.ratio(row.runtime, "docker"), "less", "more")]
        _add_row(out, results, "memory", row, cells, reference)
        if row.status == OK and row.counts:
            counts.append(f"  {_name(results, row.runtime)}: {row.counts}")
    out.caption = _captions("What the numbers count:" if counts else "", *counts,
                            _article_caption(results, "memory", reference))
    return out


def compute_table(results: Results, reference: dict | None = None) -> RichTable:
    t = results.tables["compute"]
    n = int(results.settings.get("compute_runs", 0))
    out = _new_table(f"Compute — {t.what} (n={n})",
                     ["Runtime", "Median", "Min", "Max", "vs native", "95 % CI", "Wall incl. start"], reference)
    for row in t.rows:
        s = row.stats
        cells: list[Any] = []
        if row.status == OK:
            ci = compute_ci(t, row.runtime, "native") if row.runtime != "native" else None
            cells = [fmt_ms(s["median"]), fmt_ms(s["min"]), fmt_ms(s["max"]),
                     "baseline" if row.runtime == "native" else fmt_pct(t.overhead_pct(row.runtime, "native")),
                     f"{ci[1]:+.1f} … {ci[2]:+.1f} %" if ci else "", fmt_ms(s.get("wall_median"))]
        _add_row(out, results, "compute", row, cells, reference)
    out.caption = _captions(_article_caption(results, "compute", reference))
    return out


# The article's I/O rows: its native server, its Docker (Alpine) server, and its Wasmtime
# figure (a wasi:http server under `wasmtime serve`), matched to the rows measured here.
IO_ARTICLE = {("native", ""): "Native", ("docker", ""): "Docker", ("wasmtime-cli", "wasmtime serve"): "Wasmtime"}


def io_article_figure(reference: dict | None, row: Row) -> str:
    """The article's published req/s and p99 for the row's counterpart (server model only)."""
    prefix = IO_ARTICLE.get((row.runtime, row.variant)) if row.model == "server" else None
    if not prefix or not reference:
        return ""
    rps = next((v for k, v in (reference.get("http_rps") or {}).items() if k.startswith(prefix)), None)
    p99 = next((v for k, v in (reference.get("http_p99_ms") or {}).items() if k.startswith(prefix)), None)
    if rps is None:
        return ""
    return f"{rps:,.0f}" + (f" · p99 {p99:g} ms" if p99 is not None else "")


def row_label(results: Results, row: Row) -> str:
    """A row's name: the runtime's display name, and the variant where a table has several."""
    if row.runtime == "front":
        return "wasmscope front alone"
    if row.facts.get("display"):  # platform hosts are not runtimes of this run
        return str(row.facts["display"])
    return _name(results, row.runtime) + (f" — {row.variant}" if row.variant else "")


def io_cells(t: Table, row: Row) -> dict[str, str]:
    """An OK I/O row's figures by column key, as both front ends show them."""
    s = row.stats
    vs_native, vs_docker = _io_versus(t, row)
    return {"model": row.model, "rps": fmt_rps(row.value), "p50": fmt_ms(s.get("p50_ms")),
            "p99": fmt_ms(s.get("p99_ms")), "p999": fmt_ms(s.get("p999_ms")),
            "errors": f"{int(s.get('errors', 0) + s.get('timeouts', 0)):,}",
            "vs_native": vs_native, "vs_docker": vs_docker}


def io_caption_lines(results: Results, reference: dict | None) -> list[str]:
    """What sits under the I/O table: load and pinning, generator-bound rows, isolation cost
    inside the front, who carries Docker's port, rows not measured and why."""
    t = results.tables["io"]
    costs, notes, bound, missing, modes = [], [], [], [], []
    for row in t.rows:
        label = row_label(results, row)
        if row.status != OK:
            if row.status != UNAVAILABLE:  # unavailable runtimes are named once, above the tables
                missing.append(f"  {label} ({row.model or 'all models'}): {row.status}: {row.reason}")
            continue
        if row.counts and (row.variant or row.model == "per-request"):  # the usual rows are in Runtimes
            modes.append(f"  {label} ({row.model}): {row.counts}")
        if row.facts.get("generator_bound"):
            bound.append(label)
        if row.phases:
            costs.append(f"  {label}: " + " · ".join(f"{k} {fmt_ms(v)}" for k, v in row.phases.items()))
        if row.facts.get("port_proxy"):
            notes.append(f"  {label}: port carried by {row.facts['port_proxy']}")
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
    if reference and any(io_article_figure(reference, r) for r in t.rows):
        lines.append("Article column: the reference article's published wrk figures (req/s · p99) — "
                     "on its hardware, not measured here.")
    return [line for line in lines if line]


IO_COLUMNS = [("Model", "model"), ("req/s", "rps"), ("p50", "p50"), ("p99", "p99"), ("p99.9", "p999"),
              ("Errors", "errors"), ("vs native", "vs_native"), ("vs Docker", "vs_docker")]


def io_table(results: Results, reference: dict | None = None) -> RichTable:
    t = results.tables["io"]
    out = _new_table(f"HTTP I/O — {t.what}", ["Runtime"] + [label for label, _ in IO_COLUMNS], reference)
    for row in t.rows:
        label = row_label(results, row) + (" ⚠" if row.facts.get("generator_bound") else "")
        if row.status != OK:
            cells: list[Any] = [row.model, Text(row.status, style="italic")] + [""] * 6
        else:
            by_key = io_cells(t, row)
            cells = [by_key[k] for _, k in IO_COLUMNS]
        if reference:
            cells.append(io_article_figure(reference, row))
        out.add_row(label, *cells)
    out.caption = _captions(*io_caption_lines(results, reference))
    return out


def io_sweep_table(results: Results) -> RichTable | None:
    """Latency against throughput: one row per server, one column per load level."""
    t = results.tables["io"]
    rows = [r for r in t.rows if r.status == OK and r.sweep]
    if not rows:
        return None
    levels = sorted({p["x"] for r in rows for p in r.sweep})
    mode = results.settings.get("io", {}).get("mode", "closed")
    unit = "req/s offered" if mode == "fixed-rate" else "connections"
    out = RichTable(title=f"Latency against throughput — sweep over {unit}", title_justify="left")
    out.add_column("Runtime")
    for x in levels:
        out.add_column(f"{x:g}", justify="right")
    for r in rows:
        by_x = {p["x"]: p for p in r.sweep}
        out.add_row(row_label(results, r), *[
            f"{fmt_rps(by_x[x]['rps'])} · p99 {fmt_ms(by_x[x]['p99_ms'])}" if x in by_x else "—" for x in levels])
    out.caption = "Each cell: req/s · p99 latency at that load level."
    return out


def _io_versus(t: Table, row: Row) -> list[str]:
    """The two comparison cells of an I/O row; the front alone is the ceiling, not a runtime."""
    if row.runtime == "front":
        return ["ceiling", "ceiling"]
    return ["baseline" if (row.runtime, row.variant) == ("native", "") else fmt_share(t.versus(row, "native")),
            "baseline" if (row.runtime, row.variant) == ("docker", "") else _times(t.versus(row, "docker"))]


def _times(ratio: float | None) -> str:
    return "—" if ratio is None else (f"{ratio:.2f}×" if ratio < 100 else f"{ratio:,.0f}×")


def density_table(results: Results, reference: dict | None = None) -> RichTable:
    t = results.tables["density"]
    out = _new_table(f"Density — {t.what}",
                     ["Runtime", "Model", "per GiB", "PSS/instance", "USS/instance", "kernel/instance",
                      "cgroup/instance", "start/instance", "reached"], None)
    stops = []
    for row in t.rows:
        s = row.stats
        if row.status != OK:
            out.add_row(_name(results, row.runtime), row.model, _status_cell(row), *[""] * 6)
            continue
        out.add_row(_name(results, row.runtime), row.model, f"{row.value:,.0f}",
                    fmt_kib(s.get("pss_kib_per_instance")), fmt_kib(s.get("uss_kib_per_instance")),
                    fmt_kib(s.get("kernel_kib_per_instance")), fmt_kib(s.get("cgroup_kib_per_instance")),
                    fmt_ms(s.get("start_ms_per_instance")), f"{int(s.get('instances', 0)):,}")
        stops.append(f"  {_name(results, row.runtime)}: ended: {row.facts.get('stopped_by', '?')}; "
                     f"counts {row.counts}")
    out.caption = _captions(
        "per GiB = 1 GiB / PSS slope (shared pages split fairly); USS: pages only these processes hold; "
        "kernel: /proc/meminfo AnonPages+Slab+KernelStack+PageTables, system-wide, noisy; cgroup: "
        "the containers' own accounting.", *stops,
        "The article's claim: about 500 Wasm modules where about 30 containers fit, on its host — "
        "checked by `wasmscope report`.")
    return out


def platforms_table(results: Results, reference: dict | None = None) -> RichTable:
    t = results.tables["platforms"]
    out = _new_table(f"Platforms — {t.what}", ["Host", "first 200", "after idle", "req/s", "p99",
                                              "fixed req/s", "fixed p99", "RSS"], None)
    modes = []
    for row in t.rows:
        s = row.stats
        if row.status != OK:
            out.add_row(row_label(results, row), Text(f"{row.status}: {row.reason}", style="italic"), *[""] * 6)
            continue
        out.add_row(row_label(results, row) + (" ⚠" if row.facts.get("generator_bound") else ""),
                    fmt_ms(s.get("first_200_ms")), fmt_ms(s.get("after_idle_ms")), fmt_rps(row.value),
                    fmt_ms(s.get("p99_ms")), fmt_rps(s.get("fixed_rps")), fmt_ms(s.get("fixed_p99_ms")),
                    fmt_mib(s.get("rss_mib")))
        modes.append(f"  {row_label(results, row)}: {row.counts}")
    out.caption = _captions("first 200: from starting the host to its first 200 (a platform's cold start); "
                            "after idle: one request on a fresh connection after the host sat idle; "
                            "RSS: the host's whole process tree after the loads.", "How each host serves:", *modes)
    return out


def _stopped_by(message: str) -> str:
    """'... timed out after 2 s (stopped by the epoch deadline)' → 'the epoch deadline'."""
    m = re.search(r"\(([^()]*)\)\s*$", message)
    if m is None:
        return ""
    words = re.split(r"[:;]", m.group(1))[0].removeprefix("stopped by ").removeprefix("the ")
    return words.replace(" process killed", " killed")


def _signal(message: str) -> str:
    """'SIGSEGV' from '... killed by signal 11 (SIGSEGV): ...' or from '... killed by signal 5'."""
    m = re.search(r"\b(SIG[A-Z]+)\b", message) or re.search(r"signal (\d+)", message)
    if m is None:
        return ""
    if m.group(1).isdigit():
        try:
            return signal.Signals(int(m.group(1))).name
        except ValueError:
            return f"signal {m.group(1)}"
    return m.group(1)


def _crash_cell(case: dict) -> str:
    """How a crash came back, short: 'trap · unreachable', 'signal · SIGSEGV'."""
    ended, message = case.get("ended", "?"), case.get("message", "")
    if ended == "signal":  # the name says it was a signal
        return _signal(message) or "signal ?"
    if ended == "trap":
        why = message.split(" trapped: ", 1)[-1]
        for prefix in ("AOT execution failed: ", "wasm trap: ", "RuntimeError: ", "error."):
            why = why.removeprefix(prefix)
        why = re.sub(r"\s*\(.*\)$", "", why).replace("wasm `unreachable` instruction executed", "unreachable")
        if "out of bounds" in why or "OutOfBounds" in why:
            why = "out of bounds"
        return f"trap: {why.removesuffix(' executed')[:24]}"
    return ended


def _hog_end(hog: dict) -> str:
    ended = hog.get("ended", "?")
    peak = hog.get("guest_peak_mib")
    if ended == "signal":
        return f"killed: {_signal(hog.get('message', '')) or '?'}"
    if ended == "malloc-failed" and peak is not None:
        limit = hog.get("limit_mib")
        return ("malloc failed: limit" if limit and peak + 8 >= limit * 0.9 and peak <= limit
                else "malloc failed: 4 GiB" if peak >= 4000 else f"malloc failed: {peak:,.0f} MiB")
    return ended


def misbehave_table(results: Results, reference: dict | None = None) -> RichTable:
    """Misbehaving guests: time from deadline to stopped, the host's worst gap, the hog's peak
    and how it ended, and what each crash came back as."""
    t = results.tables["misbehave"]
    out = _new_table(f"Misbehaving guests — {t.what}",
                     ["Runtime", "spin: past deadline", "stopped by", "gap (idle)",
                      "hog: limit", "peak MiB (guest · host)", "hog ended", "crash: trap", "segv", "abort"], None)
    knobs, problems, missing = [], [], []
    for row in t.rows:
        name = _name(results, row.runtime)
        if row.status not in (OK, FAILED) or not row.facts:
            out.add_row(name, Text(row.status, style="italic"), *[""] * 8)
            if row.status != UNAVAILABLE:
                missing.append(f"  {name}: {row.status}: {row.reason}")
            continue
        spin, hog, crash = row.facts.get("spin", {}), row.facts.get("hog", {}), row.facts.get("crash", {})
        s = row.stats
        past = spin.get("past_deadline_ms")
        peak = hog.get("guest_peak_mib")
        sampled = hog.get("sampled_peak_mib")
        out.add_row(
            name + (" ⚠" if row.status == FAILED else ""),
            fmt_ms(past) if past is not None else spin.get("ended", "?"), _stopped_by(spin.get("message", "")),
            f"{s.get('spin_gap_ms', 0):.0f} ms ({s.get('idle_gap_ms', 0):.0f})",
            f"{hog['limit_mib']} MiB" if hog.get("limit_mib") else "none",
            f"{'—' if peak is None else f'{peak:,.0f}'} · {'—' if sampled is None else f'{sampled:,.0f}'}",
            _hog_end(hog), *[_crash_cell(crash.get(m, {})) for m in ("trap", "segv", "abort")])
        knobs.append(f"  {name}: {row.facts.get('memory_knob', '?')}; hog: {hog.get('message', '')}")
        if row.status == FAILED:
            problems.append(f"  {name}: {row.reason}")
    out.caption = _captions(
        "past deadline: from the deadline to the run returning (guest stopped, cleaned up), "
        "without a container's create+start; host gap: worst scheduling delay of a 5 ms ticker in "
        "wasmscope during the spin (idle); peak: the hog's own last 'grown N MiB' · sampled from the host "
        "(cgroup max_usage for containers, else RSS growth of wasmscope's process tree).",
        "Memory knob and how the hog ended:", *knobs, *(["⚠ Not contained or misreported:"] + problems if problems else []),
        *(["Not measured:"] + missing if missing else []))
    return out


RENDERERS = {"startup": startup_table, "memory": memory_table, "compute": compute_table, "io": io_table,
             "density": density_table, "platforms": platforms_table, "misbehave": misbehave_table}


def runtimes_table(results: Results, brief: bool = False) -> RichTable:
    """Version and mode of each runtime; an unavailable one with its reason and fix (`brief`:
    just 'unavailable', when `unavailable_line` names it above)."""
    out = RichTable(title="Runtimes", title_justify="left")
    for col in ("Runtime", "Version", "Mode"):
        out.add_column(col)
    for info in results.runtimes.values():
        if info.available:
            out.add_row(info.display, info.version, info.mode)
        elif brief:
            out.add_row(info.display, Text(UNAVAILABLE, style="dim italic"), "")
        else:
            out.add_row(info.display, Text(f"unavailable: {info.reason}", style="dim italic"), info.hint)
    return out


def machine_line(results: Results) -> str:
    m = results.machine
    return (f"Machine: {m.get('cpu')} ({m.get('cores')} cores, {m.get('memory_gib')} GiB), "
            f"kernel {m.get('kernel')}, Python {m.get('python')}, wasmtime {m.get('wasmtime')}, "
            f"{m.get('docker')} — {results.started_at}")


def comparisons(results: Results) -> dict[str, dict[str, Any]]:
    """Same-run ratios for JSON output."""
    out: dict[str, dict[str, Any]] = {}
    for name, t in results.tables.items():
        per: dict[str, Any] = {}
        for row in t.rows:
            if row.status != OK:
                continue
            entry: dict[str, Any] = {}
            if t.higher_is_better:  # I/O: throughput shares within the same serving model
                if (v := t.versus(row, "native")) is not None:
                    entry["share_of_native"] = round(v, 4)
                if (v := t.versus(row, "docker")) is not None:
                    entry["times_docker"] = round(v, 4)
                per[row.key] = entry
                continue
            if (r := t.ratio(row.runtime, "docker")) is not None:
                entry["docker_over_this"] = round(r, 4)
            if (p := t.overhead_pct(row.runtime, "native")) is not None:
                entry["pct_over_native"] = round(p, 3)
            if name == "compute" and row.runtime != "native" and (ci := compute_ci(t, row.runtime, "native")):
                entry["pct_over_native_ci95"] = [round(ci[1], 3), round(ci[2], 3)]
            per[row.runtime] = entry
        out[name] = per
    return out


def results_json(results: Results) -> dict[str, Any]:
    data = results.to_dict()
    data["comparisons"] = comparisons(results)
    return data
