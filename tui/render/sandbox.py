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
# narrow screens (80 columns): the same matrix with short words, and the legend says them
COMPACT_CELLS = {"host": "HOST", "granted": "grant", "own": "own", "denied": "deny", "absent": "none",
                 "allowed": "ok", "wrong": "WRONG", "missing": "?"}
COMPACT_HEADERS = {"read-file": "file", "list-root": "ls /", "read-env": "env", "write-cwd": "write",
                   "tcp-connect": "tcp", "resolve": "dns", "spawn": "spawn", "clock": "clock", "random": "rand"}
COMPACT_LEGEND = ("HOST = reached the host's own · grant = only the directory it was given · own = a copy of its "
                  "own · deny = the call failed · none = no such call · WRONG = a wrong answer. Columns: host file, "
                  "list /, host env, write ./, TCP to 127.0.0.1, DNS, spawn, clock, random. "
                  "Settings: def = the runtime's defaults, ws = wasmscope's.")
LEGEND = ("HOST = reached the host's own resource · granted = only the directory it was given · "
          "own copy = a file/filesystem/loopback of its own, not the host's · denied = the call failed · "
          "no call = the platform has no call for it (not expressible) · WRONG = answered, but not what the call promises")


def cell_text(cell: Cell, compact: bool = False) -> Text:
    label, style = CELL_STYLE.get(cell.verdict, (cell.verdict, ""))
    return Text(COMPACT_CELLS.get(cell.verdict, label) if compact else label, style=style)


def settings_label(row: ProbeRow, compact: bool = False) -> str:
    if compact:
        return "def" if row.settings == "runtime-defaults" else "ws"
    return "defaults" if row.settings == "runtime-defaults" else "wasmscope"


def sandbox_table(rows: list[ProbeRow], compact: bool = False) -> RichTable:
    """The matrix; `compact` fits 80 columns (short words, explained by COMPACT_LEGEND)."""
    out = RichTable(title="Sandbox: what the probe guest reached", title_justify="left",
                    padding=(0, 0 if compact else 1), pad_edge=not compact, collapse_padding=compact)
    out.add_column("Runtime", max_width=18 if compact else None, no_wrap=compact, overflow="ellipsis")
    out.add_column("Set" if compact else "Settings")
    for cap, _ in CAPABILITIES:
        out.add_column((COMPACT_HEADERS if compact else SHORT_HEADERS).get(cap, cap), no_wrap=compact)
    previous: ProbeRow | None = None
    for row in rows:
        if row.error and compact:  # said under the table: a cell of text would squeeze the matrix
            continue
        if row.error:  # an unavailable runtime is one row, not one per setting
            if not (previous and previous.runtime == row.runtime and previous.error == row.error):
                limit = 40 if compact else 90
                short = row.error if len(row.error) <= limit else row.error[:limit - 1] + "…"
                out.add_row(row.display, "—" if row.error.startswith("unavailable") else settings_label(row, compact),
                            Text(short, style="dim italic"))
            previous = row
            continue
        previous = row
        out.add_row(row.display, settings_label(row, compact),
                    *(cell_text(row.cells[c], compact) for c, _ in CAPABILITIES))
    return out


def sandbox_notes(rows: list[ProbeRow], compact: bool = False) -> list[str]:
    """What each setting granted, and every cell with something to say (not plain denials);
    `compact`: the rows that could not be probed too (they are not in its table)."""
    lines: list[str] = []
    said: set[tuple[str, str]] = set()
    for row in rows:
        if row.error and compact:
            if (row.runtime, row.error) not in said:
                said.add((row.runtime, row.error))
                lines.append(f"{row.display}: {row.error}")
            continue
        if row.error:
            if len(row.error) > 90 and not row.error.startswith("unavailable"):
                lines.append(f"{row.display} ({settings_label(row)}) failed: {row.error}")
            continue
        lines.append(f"{row.display} ({settings_label(row)}: {row.granted}): `{row.command}`")
        for cap, cell in row.cells.items():
            if cell.note and cell.verdict not in ("denied", "absent", "allowed"):
                lines.append(f"  {SHORT_HEADERS.get(cap, cap)}: {cell.verdict} — {cell.detail}; {cell.note}")
    return lines


def sandbox_report(rows: list[ProbeRow], compact: bool = False) -> Group:
    """The table, its legend and the notes, for a console (`compact`: 80 columns)."""
    return Group(sandbox_table(rows, compact), Text(COMPACT_LEGEND if compact else LEGEND, style="dim"),
                 *(Text(line) for line in sandbox_notes(rows, compact)))
