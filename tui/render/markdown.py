"""`wasmscope report`: a profile's tables and the article's claims, as Markdown or JSON.

The Markdown tables are the same rich tables `wasmscope bench` prints (same cells, same
captions), converted, so the two outputs never disagree. Deterministic: nothing here reads the
clock or the machine; everything comes from the stored results.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table as RichTable
from rich.text import Text

from wasmscope.workloads import measurements
from wasmscope.workloads.measurements.claims import NOT_MEASURED, check_claims
from wasmscope.workloads.model.results import Results

from .tables import (comparisons, elsewhere_line, host_name, hosts_measurement_tables, hosts_table, machine_line,
                     names_hosts, unavailable_line)


def _plain(cell: Any) -> str:
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return text.replace("|", "\\|").replace("\n", " ").strip()


def rich_to_markdown(table: RichTable) -> str:
    """A rich table as a GitHub Markdown table, its title as a heading, its caption below."""
    headers = [_plain(c.header) for c in table.columns]
    aligns = ["---" if c.justify in ("left", "default") else "---:" for c in table.columns]
    columns = [list(c.cells) for c in table.columns]
    lines = [f"### {_plain(table.title)}", "", "| " + " | ".join(headers) + " |",
             "|" + "|".join(aligns) + "|"]
    for i in range(table.row_count):
        lines.append("| " + " | ".join(_plain(col[i]) if i < len(col) else "" for col in columns) + " |")
    if table.caption:
        caption = table.caption.plain if isinstance(table.caption, Text) else str(table.caption)
        lines += [""] + [f"> {line.strip()}" if line.strip() else ">" for line in caption.splitlines()]
    return "\n".join(lines)


def report_markdown(results: Results | list[Results], reference: dict | None, source: str) -> str:
    """The slide-ready report: where it was measured, the four tables, the claims. With several
    hosts' runs: a table of the hosts' machines, a Host column in every table, and the claims
    checked on each host (each from its own figures)."""
    runs = results if isinstance(results, list) else [results]
    several = names_hosts(runs)
    first = runs[0]
    out = [f"# wasmscope report — {first.profile}", ""]
    if several:
        out += [f"Measured on {len(runs)} host{'s' if len(runs) > 1 else ''} (profile `{source}`); every ratio "
                "is taken within one host.", "",
                rich_to_markdown(hosts_table(runs)), ""]
    else:
        out += [f"Measured on this machine (profile `{source}`). {machine_line(first)}.", ""]
    for r in runs:
        for line in (unavailable_line(r), elsewhere_line(r)):
            if line:
                out += [f"{host_name(r)}: {line}" if several else line, ""]
    if reference:
        out += [f"Article figures: {reference.get('source', 'the reference article')} — "
                "published on its hardware, shown for comparison, never measured here.", ""]
    for m in measurements.registered():  # the article's tables say when absent; others only when present
        if any(m.name in r.tables for r in runs):
            out += [block for table in hosts_measurement_tables(runs, m.name, reference)
                    for block in (rich_to_markdown(table), "")]
        elif m.in_report:
            out += [f"### {m.title}", "", "_Not measured in this profile's results._", ""]
    for r in runs:
        out += [f"## The article's claims on {host_name(r)}" if several else "## The article's claims on this machine",
                "", "| Claim | Article | Here | Verdict |", "|---|---|---|---|"]
        for v in check_claims(r):
            verdict = f"**{v.verdict}**" if v.verdict != NOT_MEASURED else f"_{v.verdict}_"
            out.append(f"| {_plain(v.claim)} | {_plain(v.article)} | {_plain(v.figures)} | {verdict} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def report_json(results: Results, reference: dict | None) -> dict[str, Any]:
    return {"profile": results.profile, "measured_at": results.started_at, "machine": results.machine,
            "results": results.to_dict(), "comparisons": comparisons(results),
            "reference": reference or {}, "claims": [v.to_dict() for v in check_claims(results)]}


def report_json_hosts(runs: list[Results], reference: dict | None) -> dict[str, Any]:
    """Several hosts: each host's report (its machine, results, comparisons and claims, all
    from its own figures) under `hosts`."""
    return {"profile": runs[0].profile, "reference": reference or {},
            "hosts": [{"host": host_name(r), **{k: v for k, v in report_json(r, None).items() if k != "reference"}}
                      for r in runs]}
