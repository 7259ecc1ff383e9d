"""`wasmscope doctor [--fix] [--yes] [--profile P] [--json]`: what this machine has of what
wasmscope runs, and (with --fix) the fixes carried out, each command printed before it runs.

Without --fix nothing changes. With it, a terminal user is asked once before anything outside
wasmscope's own directories changes; scripts pass --yes. Exit 0 when everything the profile
(or, without one, wasmscope and its tests) needs is present, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time

from .common import print_json, stderr_console, stdout_console
from .exit_codes import PROG, ExitCode

NAME = "doctor"
SWEEPS_AT_START = False  # doctor without --fix changes nothing, not even dead runs' leftovers


def add_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(NAME, help="check (and with --fix set up) what the runtimes need on this machine")
    p.add_argument("--fix", action="store_true", help="carry out the fixes it can, printing each command first")
    p.add_argument("--yes", action="store_true", help="with --fix: do not ask before changing the system")
    p.add_argument("--profile", help="only this profile's runtimes and what they need (a file, or quick, article)")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument("--host", action="append", metavar="ssh://[USER@]HOST[:PORT]",
                   help="check a remote host for `bench --host` instead (SSH, Python, the same wasmscope, then "
                        "its own runtimes); with --fix its own fixes run there (repeatable)")
    p.add_argument("--remote-command", metavar="CMD",
                   help="what starts wasmscope's agent on the host (default: $WASMSCOPE_REMOTE_COMMAND, "
                        "else `wasmscope agent`)")
    return p


def _diagnose(profile, host, err):
    from wasmscope.workloads.setup.doctor import diagnose

    if not err.is_terminal:
        return diagnose(profile, host)
    with err.status("checking") as status:
        return diagnose(profile, host, progress=lambda m: status.update(m))


def _show(report, ns) -> None:
    from ..render.setup import report_table

    if ns.json:
        print_json(report.to_dict())
    else:
        stdout_console().print(report_table(report))


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles import load_profile, resolve_profile_path
    from wasmscope.workloads.setup.host import Host

    profile = load_profile(resolve_profile_path(ns.profile)) if ns.profile else None
    if ns.host:
        return _run_hosts(ns, profile)
    host, err = Host.current(), stderr_console()
    t0 = time.monotonic()
    report = _diagnose(profile, host, err)
    if not ns.fix:
        _show(report, ns)
        return ExitCode.OK if report.ok else ExitCode.FAILURE
    steps = report.plan()
    if not steps:
        _show(report, ns)
        left = report.by_hand()
        err.print(f"{PROG} doctor --fix: nothing to fix — everything it can set up is in place"
                  + (f"; by hand: {', '.join(r.name for r in left)}" if left else "") + ".")
        return ExitCode.OK if report.ok else ExitCode.FAILURE
    result = _fix(steps, host, ns, err)
    final = _diagnose(profile, host, err)
    _show(final, ns)
    from ..render.setup import steps_text

    err.print(f"{PROG} doctor --fix: {steps_text(len(result.done))} done in {time.monotonic() - t0:.1f} s"
              + (f"; stopped: {result.failed}" if result.failed else "") + ".")
    return ExitCode.OK if final.ok and not result.failed else ExitCode.FAILURE


def _consent(steps, ns, err) -> bool:
    """Asked once, on a terminal, before anything outside wasmscope's own directories changes."""
    if ns.yes or not any(s.CONSENT for s in steps):
        return True
    if not sys.stdin.isatty():
        return False
    from rich.markup import escape

    from ..render.setup import steps_text

    answer = err.input(escape(f"Carry out {'this step' if len(steps) == 1 else f'these {steps_text(len(steps))}'}? [y/N] "))
    return answer.strip().lower() in ("y", "yes")


def _fix(steps, host, ns, err):
    from rich.markup import escape

    from wasmscope.workloads.setup.doctor import carry_out
    from wasmscope.workloads.setup.host import NO_ROOT

    from ..render.setup import plan_renderable, step_lines

    err.print(plan_renderable(steps, host), soft_wrap=True)
    consent = _consent(steps, ns, err)
    result = carry_out(steps, host, lambda line: err.print(escape(line), highlight=False, soft_wrap=True), consent=consent)
    for step in result.blocked:
        why = ("needs root: run it as root (no sudo here)" if step.ROOT and host.privilege == NO_ROOT
               else "not confirmed (on a terminal answer y; in scripts add --yes)")
        err.print(f"{PROG}: not done — {step.title}: {why}:")
        for line in step_lines(step, host):
            err.print(f"    {escape(line)}", highlight=False, soft_wrap=True)
    return result


# -- remote hosts ----------------------------------------------------------------------------

def _run_hosts(ns: argparse.Namespace, profile) -> ExitCode:
    """Each host: its rows and its own report; with --fix, its own plan carried out there
    (asked once here, or --yes), then its report again. Nothing changes there without --fix."""
    from rich.markup import escape

    from wasmscope.workloads.remote.address import parse_host
    from wasmscope.workloads.remote.doctor import diagnose_host

    from ..render.setup import report_table

    err, reports, ok = stderr_console(), [], True
    log = lambda line: err.print(escape(line), highlight=False, soft_wrap=True)  # noqa: E731
    for address in [parse_host(h) for h in ns.host]:
        fix_command = f"{PROG} doctor --host {address.url} --fix"
        with err.status(f"checking {address.label}") as status:
            data = diagnose_host(address, profile, ns.remote_command, progress=lambda m: status.update(m))
        if ns.fix and data["plan"]:
            consent = _remote_consent(data, address.label, ns, err)
            data = diagnose_host(address, profile, ns.remote_command, fix=True, consent=consent, on_log=log)
            fixed = data.get("fixed", {})
            err.print(f"{PROG} doctor --fix at {address.label}: {len(fixed.get('done', []))} step(s) done"
                      + (f"; not confirmed: {', '.join(fixed['blocked'])}" if fixed.get("blocked") else "")
                      + (f"; stopped: {fixed['failed']}" if fixed.get("failed") else "") + ".")
        elif ns.fix:
            err.print(f"{PROG} doctor --fix at {address.label}: nothing it can fix there.")
        reports.append(data)
        ok = ok and data["ok"]
        if not ns.json:
            stdout_console().print(report_table(data, fix_command))
    if ns.json:
        print_json(reports if len(reports) > 1 else reports[0])
    return ExitCode.OK if ok else ExitCode.FAILURE


def _remote_consent(data: dict, label: str, ns: argparse.Namespace, err) -> bool:
    """The host's plan shown here, and asked once (a terminal) before it runs there."""
    from rich.markup import escape

    err.print(f"[bold]{PROG} doctor --fix at {escape(label)}: {len(data['plan'])} step(s)[/]")
    for i, step in enumerate(data["plan"], 1):
        err.print(f"{i}. {escape(step['title'])}")
        for line in step["commands"]:
            err.print(f"     {escape(line)}", style="cyan", highlight=False, soft_wrap=True)
    if ns.yes:
        return True
    if not sys.stdin.isatty():
        return False
    answer = err.input(escape(f"Carry out these steps on {label}? [y/N] "))
    return answer.strip().lower() in ("y", "yes")
