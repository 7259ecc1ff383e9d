"""Render doctor's report (one row per runtime and per prerequisite) and its plan as rich
renderables: shared by `wasmscope doctor` and the app's set-up screen."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.table import Table as RichTable
from rich.text import Text

from wasmscope.workloads.setup.doctor import MISSING, OPTIONAL, PRESENT, RUNTIME, Report, Row
from wasmscope.workloads.setup.host import SUDO, Host
from wasmscope.workloads.setup.steps import Step

STATUS_STYLE = {PRESENT: ("✓ present", "green"), MISSING: ("✗ missing", "bold red"), OPTIONAL: ("– optional", "yellow")}
FIX_COMMAND = "wasmscope doctor --fix"


def step_lines(step: Step, host: Host) -> list[str]:
    """The step's commands as they will run (sudo in front of a root step when we are not root)."""
    prefix = "sudo " if step.ROOT and host.privilege == SUDO else ""
    return [line if line.startswith(("merge ", "add ", "(")) else prefix + line for line in step.preview(host)]


def fix_text(row: Row, host: Host) -> Text:
    if row.ok:
        return Text("")
    if row.steps:
        return Text("\n".join(line for s in row.steps for line in step_lines(s, host)), style="cyan")
    if row.waits_for:
        what = "sets up" if row.kind == RUNTIME else "comes with"
        return Text(f"`{FIX_COMMAND}` {what}: {row.waits_for}", style="cyan")
    return Text(f"by hand: {row.manual}" if row.manual else "", style="dim")


def short_paths(text: str) -> str:
    """Home shown as ~: tool paths under ~/.cache stay readable in narrow cells."""
    home = str(Path.home())
    return text.replace(home + "/", "~/") if home not in ("/", "") else text


def _what(row: Row) -> Text:
    text = Text(row.title, style="bold" if row.kind == RUNTIME else "")
    if row.kind != RUNTIME and row.used_by:
        text.append(f"\nfor {', '.join(row.used_by)}", style="dim")
    return text


def report_table(report: Report) -> RichTable:
    out = RichTable(title=f"wasmscope doctor — {report.scope}", title_justify="left", caption_justify="left")
    fixes = [fix_text(row, report.host) for row in report.rows]
    with_fix = any(f.plain for f in fixes)  # all present: no empty Fix column
    for col in ("", "Status", "Found / why not", "Fix")[:4 if with_fix else 3]:
        out.add_column(col, overflow="fold")
    first_prerequisite = True
    for row, fix in zip(report.rows, fixes):
        if row.kind != RUNTIME and first_prerequisite:
            out.add_section()
            first_prerequisite = False
        label, style = STATUS_STYLE[row.status]
        cells = [_what(row), Text(label, style=style), Text(short_paths(row.detail), style="" if row.ok else "italic")]
        out.add_row(*cells, *([fix] if with_fix else []))
    out.caption = summary(report)
    return out


def summary(report: Report) -> str:
    missing = [r.name for r in report.rows if r.status == MISSING]
    optional = [r.name for r in report.rows if r.status == OPTIONAL]
    lines = [f"All {sum(r.required for r in report.rows)} required rows present." if not missing else
             f"Missing: {', '.join(missing)}." + (f" Run `{FIX_COMMAND}`." if report.plan() else "")]
    if optional:
        lines.append(f"Optional, not present: {', '.join(optional)}.")
    lines.append(f"Checked in {report.took_s:.2f} s.")
    return " ".join(lines)


def steps_text(n: int) -> str:
    return f"{n} step" + ("" if n == 1 else "s")


def plan_renderable(steps: list[Step], host: Host) -> Group:
    parts = [Text(f"{FIX_COMMAND}: {steps_text(len(steps))}", style="bold")]
    for i, step in enumerate(steps, 1):
        parts.append(Text(f"{i}. {step.title}"))
        parts += [Text(f"     {line}", style="cyan") for line in step_lines(step, host)]
    return Group(*parts)
