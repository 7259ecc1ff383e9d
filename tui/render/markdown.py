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

from .tables import comparisons, machine_line, measurement_tables, unavailable_line


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


def report_markdown(results: Results, reference: dict | None, source: str) -> str:
    """The slide-ready report: where it was measured, the four tables, the claims."""
    out = [f"# wasmscope report — {results.profile}", "",
           f"Measured on this machine (profile `{source}`). {machine_line(results)}.", ""]
    if missing := unavailable_line(results):
        out += [missing, ""]
    if reference:
        out += [f"Article figures: {reference.get('source', 'the reference article')} — "
                "published on its hardware, shown for comparison, never measured here.", ""]
    for m in measurements.registered():  # the article's tables say when absent; others only when present
        if m.name in results.tables:
            out += [block for table in measurement_tables(results, m.name, reference)
                    for block in (rich_to_markdown(table), "")]
        elif m.in_report:
            out += [f"### {m.title}", "", "_Not measured in this profile's results._", ""]
    out += ["## The article's claims on this machine", "",
            "| Claim | Article | Here | Verdict |", "|---|---|---|---|"]
    for v in check_claims(results):
        verdict = f"**{v.verdict}**" if v.verdict != NOT_MEASURED else f"_{v.verdict}_"
        out.append(f"| {_plain(v.claim)} | {_plain(v.article)} | {_plain(v.figures)} | {verdict} |")
    return "\n".join(out).rstrip() + "\n"


def report_json(results: Results, reference: dict | None) -> dict[str, Any]:
    return {"profile": results.profile, "measured_at": results.started_at, "machine": results.machine,
            "results": results.to_dict(), "comparisons": comparisons(results),
            "reference": reference or {}, "claims": [v.to_dict() for v in check_claims(results)]}
