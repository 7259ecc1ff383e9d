"""Render `Results` as rich tables (the CLI, and the Markdown report through them) and as JSON.

Every table is drawn from its measurement's own description (columns, cells, caption), so the
CLI, the app and the report never disagree. Every ratio is computed from rows of one `Results`:
figures measured side by side.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table as RichTable
from rich.text import Text

from wasmscope.workloads import measurements
from wasmscope.workloads.measurements.base import Cell, TableView, View, row_cells, shown_columns
from wasmscope.workloads.measurements.figures import comparisons
from wasmscope.workloads.model.results import UNAVAILABLE, Results
from wasmscope.workloads.remote.address import LOCAL

# How a cell's style word reads in a terminal.
STYLES = {"note": "italic", "muted": "dim", "warn": "bold"}


def styled(cell: Cell, justify: str | None = None) -> Text:
    return Text(cell.text, style=STYLES.get(cell.style, ""), justify=justify)  # type: ignore[arg-type]


def measurement_table(results: Results, name: str, reference: dict | None = None) -> RichTable:
    """One measurement's table: its heading, its columns and cells, its caption."""
    return hosts_measurement_table([results], name, reference)


def hosts_measurement_table(runs: list[Results], name: str, reference: dict | None = None) -> RichTable:
    """One measurement's table over one host's run or several: with several (or one remote
    host), a Host column first and a section per host. Each row's cells (ratios included) come from its own host's
    run, so no ratio ever crosses hosts; a column shows when any host's run shows it."""
    m = measurements.get(name)
    views = [View(r, r.tables[name], reference) for r in runs if name in r.tables]
    columns = [c for c in m.columns if any(c in shown_columns(m, v) for v in views)]
    several = names_hosts(runs)
    out = RichTable(title=m.heading(views[0]), title_justify="left", caption_justify="left")
    if several:
        host_column(out, views)
    out.add_column(m.row_header, no_wrap=True)  # a row's name on one line; the figures wrap
    for c in columns:
        out.add_column(c.label, justify="right", style="dim" if c.article else None)
    for i, view in enumerate(views):
        if i:
            out.add_section()
        for row in view.table.rows:
            cells = [styled(cell) for cell in row_cells(m, view, row, columns)]
            out.add_row(*([host_name(view.results)] if several else []), m.row_label(view, row), *cells)
    out.caption = "\n".join(merged_lines([(host_name(v.results), m.full_caption(v)) for v in views]))
    return out


def host_name(results: Results) -> str:
    return results.host or LOCAL


def names_hosts(runs: list[Results]) -> bool:
    """Whether tables name the host: several hosts, or one that is not this machine."""
    return len(runs) > 1 or any(r.host not in ("", LOCAL) for r in runs)


def host_column(table: RichTable, views_or_runs: list) -> None:
    """The Host column: never wrapped or cut (`user@host:port` must stay readable)."""
    names = [host_name(getattr(x, "results", x)) for x in views_or_runs]
    table.add_column("Host", no_wrap=True, min_width=max(len(n) for n in names))


def merged_lines(per_host: list[tuple[str, list[str]]]) -> list[str]:
    """Caption lines of several hosts: a line every host has, once, where it stands; the
    others, under their host's name, where the first of them stands."""
    if len(per_host) == 1:
        return [line for line in per_host[0][1] if line]
    common = set.intersection(*(set(lines) for _, lines in per_host))
    own = [f"{host}: {line.strip()}" for host, lines in per_host for line in lines if line and line not in common]
    out: list[str] = []
    for line in per_host[0][1]:
        if line and line in common and line not in out:
            out.append(line)
        elif line and line not in common and own:
            out += own
            own = []
    return out + own


def view_table(tv: TableView) -> RichTable:
    """A derived table (e.g. the HTTP sweep) as a rich table."""
    out = RichTable(title=tv.title, title_justify="left", caption=tv.caption or None, caption_justify="left")
    for i, header in enumerate(tv.headers):
        out.add_column(header, justify="left" if i == 0 else "right")
    for row in tv.rows:
        out.add_row(*row)
    return out


def measurement_tables(results: Results, name: str, reference: dict | None = None) -> list[RichTable]:
    """The measurement's table, then the tables derived from it."""
    return hosts_measurement_tables([results], name, reference)


def hosts_measurement_tables(runs: list[Results], name: str, reference: dict | None = None) -> list[RichTable]:
    """The measurement's table over the hosts, then each host's derived tables (titled with
    the host when there are several)."""
    present = [r for r in runs if name in r.tables]
    out = [hosts_measurement_table(present, name, reference)]
    for r in present:
        for tv in measurements.get(name).extra_tables(r):
            title = f"{tv.title} — {host_name(r)}" if names_hosts(present) else tv.title
            out.append(view_table(TableView(title, tv.headers, tv.rows, tv.caption)))
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


def elsewhere_line(results: Results) -> str:
    """Runtimes whose guests ran on another machine (a Docker engine at a non-local
    DOCKER_HOST), said once above the tables: no ratio is taken between them and the others."""
    away = [info for info in results.runtimes.values() if info.runs_on]
    if not away:
        return ""
    names = ", ".join(info.display for info in away)
    where = "; ".join(sorted({info.runs_on for info in away}))
    return (f"{names} ran on another machine ({where}) than the Wasm and native rows, which ran here: "
            f"no ratio between them is shown. To measure that machine, use `wasmscope bench --host ssh://…` "
            f"(its own engine beside its own Wasm and native rows).")


def runtimes_table(results: Results, brief: bool = False) -> RichTable:
    """Version and mode of each runtime; an unavailable one with its reason and fix (`brief`:
    just 'unavailable', when `unavailable_line` names it above)."""
    return hosts_runtimes_table([results], brief)


def hosts_runtimes_table(runs: list[Results], brief: bool = False) -> RichTable:
    """`runtimes_table` over several hosts: a Host column, a section per host."""
    several = names_hosts(runs)
    out = RichTable(title="Runtimes", title_justify="left")
    if several:
        host_column(out, runs)
    for col in ("Runtime", "Version", "Mode"):
        out.add_column(col)
    for i, results in enumerate(runs):
        if i:
            out.add_section()
        host = [host_name(results)] if several else []
        for info in results.runtimes.values():
            where = f" — on {info.runs_on}" if info.runs_on else ""
            if info.available:
                out.add_row(*host, info.display, info.version, info.mode + where)
            elif brief:
                out.add_row(*host, info.display, Text(UNAVAILABLE, style="dim italic"), "")
            else:
                out.add_row(*host, info.display, Text(f"unavailable: {info.reason}", style="dim italic"), info.hint)
    return out


def machine_line(results: Results) -> str:
    m = results.machine
    docker = m.get("docker") if not m.get("docker_host") else f"{m.get('docker')} at {m.get('docker_host')}"
    return (f"Machine: {m.get('cpu')} ({m.get('cores')} cores, {m.get('memory_gib')} GiB), "
            f"kernel {m.get('kernel')}, Python {m.get('python')}, wasmtime {m.get('wasmtime')}, "
            f"{docker}" + (f", machine {m['fingerprint']}" if m.get("fingerprint") else "")
            + f" — {results.started_at}")


def hosts_table(runs: list[Results]) -> RichTable:
    """Where each host's rows were measured: its machine record, one line per host."""
    out = RichTable(title="Hosts", title_justify="left")
    host_column(out, runs)
    for col in ("CPU", "Arch", "Cores", "Memory", "Kernel", "Python", "wasmtime", "Docker"):
        out.add_column(col, overflow="fold")
    out.add_column("Measured at", no_wrap=True, min_width=25)
    for r in runs:
        m = r.machine
        out.add_row(host_name(r), str(m.get("cpu", "")), str(m.get("arch", "")), str(m.get("cores", "")),
                    f"{m.get('memory_gib', '')} GiB", str(m.get("kernel", "")), str(m.get("python", "")),
                    str(m.get("wasmtime", "")), str(m.get("docker", "")), r.started_at)
    return out


def results_json(results: Results) -> dict[str, Any]:
    data = results.to_dict()
    data["comparisons"] = comparisons(results)
    return data


def hosts_json(runs: list[Results], errors: dict[str, str] | None = None) -> dict[str, Any]:
    """A run over several hosts: each host's results with its own comparisons (taken within
    that host), and the hosts that gave none with why."""
    return {"hosts": [results_json(r) for r in runs],
            "failed_hosts": [{"host": h, "error": e} for h, e in (errors or {}).items()]}
