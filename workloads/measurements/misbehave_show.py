"""How the misbehaving-guests table reads: how each spin stopped, where each hog ended, what
each crash came back as — short cells, the whole messages in the caption."""

from __future__ import annotations

import re
import signal

from ..model.format import fmt_ms
from ..model.results import FAILED, OK, UNAVAILABLE, Row
from .base import Cell, View


def stopped_by(message: str) -> str:
    """'... timed out after 2 s (stopped by the epoch deadline)' → 'epoch deadline'."""
    m = re.search(r"\(([^()]*)\)\s*$", message)
    if m is None:
        return ""
    words = re.split(r"[:;]", m.group(1))[0].removeprefix("stopped by ").removeprefix("the ")
    return words.replace(" process killed", " killed")


def signal_name(message: str) -> str:
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


def crash_cell(case: dict) -> str:
    """How a crash came back, short: 'trap: unreachable', 'SIGSEGV'."""
    ended, message = case.get("ended", "?"), case.get("message", "")
    if ended == "signal":  # the name says it was a signal
        return signal_name(message) or "signal ?"
    if ended == "trap":
        why = message.split(" trapped: ", 1)[-1]
        for prefix in ("AOT execution failed: ", "wasm trap: ", "RuntimeError: ", "error."):
            why = why.removeprefix(prefix)
        why = re.sub(r"\s*\(.*\)$", "", why).replace("wasm `unreachable` instruction executed", "unreachable")
        if "out of bounds" in why or "OutOfBounds" in why:
            why = "out of bounds"
        return f"trap: {why.removesuffix(' executed')[:24]}"
    return ended


def hog_end(hog: dict) -> str:
    ended = hog.get("ended", "?")
    peak = hog.get("guest_peak_mib")
    if ended == "signal":
        return f"killed: {signal_name(hog.get('message', '')) or '?'}"
    if ended == "malloc-failed" and peak is not None:
        limit = hog.get("limit_mib")
        return ("malloc failed: limit" if limit and peak + 8 >= limit * 0.9 and peak <= limit
                else "malloc failed: 4 GiB" if peak >= 4000 else f"malloc failed: {peak:,.0f} MiB")
    return ended


def shows_figures(row: Row) -> bool:
    """A row that ran (even one whose guest was not contained) shows what happened."""
    return row.status in (OK, FAILED) and bool(row.facts)


def past_deadline(view: View, row: Row) -> str:
    spin = row.facts.get("spin", {})
    past = spin.get("past_deadline_ms")
    return fmt_ms(past) if past is not None else spin.get("ended", "?")


def spin_stopped_by(view: View, row: Row) -> str:
    return stopped_by(row.facts.get("spin", {}).get("message", ""))


def gaps(view: View, row: Row) -> str:
    return f"{row.stats.get('spin_gap_ms', 0):.0f} ms ({row.stats.get('idle_gap_ms', 0):.0f})"


def hog_limit(view: View, row: Row) -> str:
    hog = row.facts.get("hog", {})
    return f"{hog['limit_mib']} MiB" if hog.get("limit_mib") else "none"


def peaks(view: View, row: Row) -> str:
    hog = row.facts.get("hog", {})
    peak, sampled = hog.get("guest_peak_mib"), hog.get("sampled_peak_mib")
    return f"{'—' if peak is None else f'{peak:,.0f}'} · {'—' if sampled is None else f'{sampled:,.0f}'}"


def hog_ended(view: View, row: Row) -> str:
    return hog_end(row.facts.get("hog", {}))


def crash(mode: str):
    return lambda view, row: crash_cell(row.facts.get("crash", {}).get(mode, {}))


def caption(view: View) -> list[str]:
    knobs, problems, missing = [], [], []
    for row in view.table.rows:
        name = view.name(row.runtime)
        if not shows_figures(row):
            if row.status != UNAVAILABLE:  # unavailable runtimes are named once, above the tables
                missing.append(f"  {name}: {row.status}: {row.reason}")
            continue
        knobs.append(f"  {name}: {row.facts.get('memory_knob', '?')}; hog: {row.facts.get('hog', {}).get('message', '')}")
        if row.status == FAILED:
            problems.append(f"  {name}: {row.reason}")
    return ["past deadline: from the deadline to the run returning (guest stopped, cleaned up), "
            "without a container's create+start; host gap: worst scheduling delay of a 5 ms ticker in "
            "wasmscope during the spin (idle); peak: the hog's own last 'grown N MiB' · sampled from the host "
            "(cgroup max_usage for containers, else RSS growth of wasmscope's process tree).",
            "Memory knob and how the hog ended:", *knobs,
            *(["⚠ Not contained or misreported:"] + problems if problems else []),
            *(["Not measured:"] + missing if missing else [])]


def not_measured(row: Row) -> Cell:
    return Cell(row.status, "note")
