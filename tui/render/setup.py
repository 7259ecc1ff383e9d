"""Render doctor's report (one row per runtime and per prerequisite) and its plan as rich
renderables: shared by `wasmscope doctor` and the app's set-up screen."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.table import Table as RichTable
from rich.text import Text

from wasmscope.workloads.setup.doctor import HOST, MISSING, OPTIONAL, PRESENT, RUNTIME, Report, Row
from wasmscope.workloads.setup.host import Host
from wasmscope.workloads.setup.steps import Step

STATUS_STYLE = {PRESENT: ("✓ present", "green"), MISSING: ("✗ missing", "bold red"), OPTIONAL: ("– optional", "yellow")}
FIX_COMMAND = "wasmscope doctor --fix"


def step_lines(step: Step, host: Host) -> list[str]:
    """The step's commands as they will run (sudo in front of a root step when we are not root)."""
    return step.command_lines(host)


def fix_text(row: Row | dict, host: Host | None = None, fix_command: str = FIX_COMMAND) -> Text:
    """A row's Fix cell: the commands of its steps, what sets it up, or what to do by hand."""
    row = row if isinstance(row, dict) else row.to_dict(host)  # type: ignore[arg-type]
    if row["status"] == PRESENT:
        return Text("")
    if row["fix"]:
        return Text("\n".join(row["fix"]), style="cyan")
    if row["waits_for"]:
        what = "sets up" if row["kind"] == RUNTIME else "comes with"
        return Text(f"`{fix_command}` {what}: {row['waits_for']}", style="cyan")
    return Text(f"by hand: {row['manual']}" if row["manual"] else "", style="dim")


def short_paths(text: str) -> str:
    """Home shown as ~: tool paths under ~/.cache stay readable in narrow cells."""
    home = str(Path.home())
    return text.replace(home + "/", "~/") if home not in ("/", "") else text


def _what(row: dict) -> Text:
    text = Text(row["title"], style="bold" if row["kind"] == RUNTIME else "")
    if row["kind"] not in (RUNTIME, HOST) and row["used_by"]:
        text.append(f"\nfor {', '.join(row['used_by'])}", style="dim")
    return text


def report_table(report: Report | dict, fix_command: str = FIX_COMMAND) -> RichTable:
    """Doctor's report (or its data: a remote host's, which arrives as data) as a table: one
    row per host check, runtime and prerequisite, a section for each kind."""
    data = report if isinstance(report, dict) else report.to_dict()
    out = RichTable(title=f"wasmscope doctor — {data['scope']}", title_justify="left", caption_justify="left")
    fixes = [fix_text(row, fix_command=fix_command) for row in data["rows"]]
    with_fix = any(f.plain for f in fixes)  # all present: no empty Fix column
    for col in ("", "Status", "Found / why not", "Fix")[:4 if with_fix else 3]:
        out.add_column(col, overflow="fold")
    kind = None
    for row, fix in zip(data["rows"], fixes):
        if kind is not None and row["kind"] != kind:
            out.add_section()
        kind = row["kind"]
        label, style = STATUS_STYLE[row["status"]]
        cells = [_what(row), Text(label, style=style), Text(short_paths(row["detail"]), style="" if row["status"] == PRESENT else "italic")]
        out.add_row(*cells, *([fix] if with_fix else []))
    out.caption = summary(data, fix_command)
    return out


def summary(report: Report | dict, fix_command: str = FIX_COMMAND) -> str:
    data = report if isinstance(report, dict) else report.to_dict()
    rows = data["rows"]
    missing = [r["name"] for r in rows if r["status"] == MISSING]
    optional = [r["name"] for r in rows if r["status"] == OPTIONAL]
    lines = [f"All {sum(r['required'] for r in rows)} required rows present." if not missing else
             f"Missing: {', '.join(missing)}." + (f" Run `{fix_command}`." if data["plan"] else "")]
    if optional:
        lines.append(f"Optional, not present: {', '.join(optional)}.")
    lines.append(f"Checked in {data['took_s']:.2f} s.")
    return " ".join(lines)


def steps_text(n: int) -> str:
    return f"{n} step" + ("" if n == 1 else "s")


def plan_renderable(steps: list[Step], host: Host) -> Group:
    parts = [Text(f"{FIX_COMMAND}: {steps_text(len(steps))}", style="bold")]
    for i, step in enumerate(steps, 1):
        parts.append(Text(f"{i}. {step.title}"))
        parts += [Text(f"     {line}", style="cyan") for line in step_lines(step, host)]
    return Group(*parts)
