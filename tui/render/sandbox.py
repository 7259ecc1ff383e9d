"""The isolation matrix as a rich table (CLI and app): runtime × setting rows, one column per
capability, each cell coloured by what the guest reached, with the notes underneath."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table as RichTable
from rich.text import Text

from wasmscope.workloads.measurements.sandbox import CAPABILITIES, Cell, ProbeRow

# what a cell shows and how it is coloured: red = reached the host, yellow = a copy of its own,
# green = denied or not even expressible
CELL_STYLE: dict[str, tuple[str, str]] = {
    "host": ("HOST", "bold red"),
    "granted": ("granted", "cyan"),
    "own": ("own copy", "yellow"),
    "denied": ("denied", "green"),
    "absent": ("no call", "dim green"),
    "allowed": ("allowed", ""),
    "wrong": ("WRONG", "bold magenta"),
    "missing": ("?", "dim"),
}
SHORT_HEADERS = {"read-file": "host file", "list-root": "list /", "read-env": "host env", "write-cwd": "write ./",
                 "tcp-connect": "TCP 127.0.0.1", "resolve": "DNS", "spawn": "spawn", "clock": "clock",
                 "random": "random"}
LEGEND = ("HOST = reached the host's own resource · granted = only the directory it was given · "
          "own copy = a file/filesystem/loopback of its own, not the host's · denied = the call failed · "
          "no call = the platform has no call for it (not expressible) · WRONG = answered, but not what the call promises")


def cell_text(cell: Cell) -> Text:
    label, style = CELL_STYLE.get(cell.verdict, (cell.verdict, ""))
    return Text(label, style=style)


def settings_label(row: ProbeRow) -> str:
    return "defaults" if row.settings == "runtime-defaults" else "wasmscope"


def sandbox_table(rows: list[ProbeRow]) -> RichTable:
    out = RichTable(title="Sandbox: what the probe guest reached", title_justify="left")
    out.add_column("Runtime")
    out.add_column("Settings")
    for cap, _ in CAPABILITIES:
        out.add_column(SHORT_HEADERS.get(cap, cap))
    previous: ProbeRow | None = None
    for row in rows:
        if row.error:  # an unavailable runtime is one row, not one per setting
            if not (previous and previous.runtime == row.runtime and previous.error == row.error):
                short = row.error if len(row.error) <= 90 else row.error[:89] + "…"
                out.add_row(row.display, "—" if row.error.startswith("unavailable") else settings_label(row),
                            Text(short, style="dim italic"))
            previous = row
            continue
        previous = row
        out.add_row(row.display, settings_label(row), *(cell_text(row.cells[c]) for c, _ in CAPABILITIES))
    return out


def sandbox_notes(rows: list[ProbeRow]) -> list[str]:
    """What each setting granted, and every cell with something to say (not plain denials)."""
    lines: list[str] = []
    for row in rows:
        if row.error:
            if len(row.error) > 90 and not row.error.startswith("unavailable"):
                lines.append(f"{row.display} ({settings_label(row)}) failed: {row.error}")
            continue
        lines.append(f"{row.display} ({settings_label(row)}: {row.granted}): `{row.command}`")
        for cap, cell in row.cells.items():
            if cell.note and cell.verdict not in ("denied", "absent", "allowed"):
                lines.append(f"  {SHORT_HEADERS.get(cap, cap)}: {cell.verdict} — {cell.detail}; {cell.note}")
    return lines


def sandbox_report(rows: list[ProbeRow]) -> Group:
    """The table, its legend and the notes, for a console."""
    return Group(sandbox_table(rows), Text(LEGEND, style="dim"), *(Text(line) for line in sandbox_notes(rows)))
