"""`wasmscope doctor`: one row per runtime (its adapter's own availability) and per
prerequisite (the table in prerequisites.py), the plan of fixes, and carrying it out.

Scope: with a profile, its runtimes, what they need and what its measurements use; without
one, everything wasmscope and its tests use. A row is required unless its runtime is measured
only where installed (WasmEdge, Docker's Wasm shims) or the prerequisite says why it is optional.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

from ..errors import SetupError
from ..runtimes import adapter_class, known_runtimes
from .checks import Finding, Look
from .host import NO_ROOT, Host
from .prerequisites import BY_NAME, PREREQUISITES, Prerequisite
from .runner import Runner
from .steps import Fixing, Step, merge_apt

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

RUNTIME, PREREQUISITE = "runtime", "prerequisite"
HOST = "host"  # a remote host's own rows (SSH, Python, wasmscope there): `wasmscope doctor --host`
PRESENT, MISSING, OPTIONAL = "present", "missing", "optional"


@dataclass(frozen=True)
class Row:
    name: str
    title: str
    kind: str  # RUNTIME or PREREQUISITE
    ok: bool
    detail: str  # version when present, why when missing
    required: bool = True
    steps: tuple[Step, ...] = ()
    manual: str = ""  # the fix by hand when doctor has none
    waits_for: str = ""
    needs: tuple[str, ...] = ()  # a runtime's prerequisites
    used_by: tuple[str, ...] = ()  # a prerequisite's runtimes, measurements or purpose

    @property
    def status(self) -> str:
        return PRESENT if self.ok else MISSING if self.required else OPTIONAL

    def to_dict(self, host: Host) -> dict:
        return {"name": self.name, "title": self.title, "kind": self.kind, "status": self.status,
                "detail": self.detail, "required": self.required, "needs": list(self.needs),
                "used_by": list(self.used_by), "manual": self.manual, "waits_for": self.waits_for,
                "fix": [line for s in self.steps for line in s.command_lines(host)]}


@dataclass
class Report:
    scope: str
    rows: list[Row]
    host: Host
    took_s: float = 0.0

    @property
    def ok(self) -> bool:
        """Everything required is present (optional rows never fail doctor)."""
        return all(r.ok or not r.required for r in self.rows)

    def row(self, name: str) -> Row:
        return next(r for r in self.rows if r.name == name)

    def plan(self) -> list[Step]:
        """The fixes of every missing prerequisite, once each, in the order they must run."""
        steps = [s for r in self.rows if r.kind == PREREQUISITE and not r.ok for s in r.steps]
        unique = list(dict.fromkeys(steps))
        return sorted(merge_apt(unique), key=lambda s: s.ORDER)

    def by_hand(self) -> list[Row]:
        return [r for r in self.rows if not r.ok and r.manual and not r.steps]

    def to_dict(self) -> dict:
        return {"scope": self.scope, "ok": self.ok, "took_s": round(self.took_s, 2),
                "rows": [r.to_dict(self.host) for r in self.rows],
                "plan": [{"title": s.title, "root": s.ROOT, "commands": s.command_lines(self.host)} for s in self.plan()]}


def _scope(profile: "Profile | None") -> tuple[list[str], list[Prerequisite]]:
    """The runtimes and prerequisites a profile needs (everything without one), in table order."""
    if profile is None:
        return list(known_runtimes()), list(PREREQUISITES)
    runtimes = list(profile.bench.runtimes)
    wanted = {n for r in runtimes for n in adapter_class(r).NEEDS}
    wanted |= {p.name for p in PREREQUISITES if set(p.measurements) & set(profile.bench.measurements)}
    while extra := {n for w in wanted for n in BY_NAME[w].needs} - wanted:
        wanted |= extra
    return runtimes, [p for p in PREREQUISITES if p.name in wanted]


def _users(prereq: Prerequisite, runtimes: Sequence[str], prereqs: Sequence[Prerequisite]) -> tuple[str, ...]:
    users = [r for r in runtimes if prereq.name in adapter_class(r).NEEDS]
    users += [f"{m} measurement" for m in prereq.measurements]
    users += [p.name for p in prereqs if prereq.name in p.needs]
    return tuple(users) or ((prereq.used_for,) if prereq.used_for else ())


def _prerequisite_row(prereq: Prerequisite, look: Look, used_by: tuple[str, ...]) -> Row:
    try:
        found = prereq.check(look)
    except Exception as err:  # noqa: BLE001 - a check that breaks is a finding, not a crash
        found = Finding(False, f"the check failed: {type(err).__name__}: {err}", manual="report this")
    return Row(prereq.name, prereq.title, PREREQUISITE, found.ok, found.detail, not prereq.optional,
               found.steps, found.manual or (prereq.optional if not found.ok and not found.steps else ""),
               found.waits_for, used_by=used_by)


def _runtime_row(name: str, prereqs: dict[str, Row]) -> Row:
    cls = adapter_class(name)
    adapter = cls({"sweep": False})  # look only: dead runs' containers stay for the next run
    try:
        avail = adapter.availability()
        detail = adapter.version() if avail.ok else avail.reason
    finally:
        adapter.close()
    missing = [] if avail.ok else [n for n in cls.NEEDS if n in prereqs and prereqs[n].status == MISSING]
    manual = "" if avail.ok or missing else avail.hint
    return Row(name, cls.display_name, RUNTIME, avail.ok, detail, not cls.WHERE_INSTALLED,
               manual=manual, waits_for=", ".join(missing), needs=cls.NEEDS)


def diagnose(profile: "Profile | None" = None, host: Host | None = None,
             progress: Callable[[str], None] | None = None) -> Report:
    """Look at everything in scope; changes nothing (no file, no process, no container)."""
    t0 = time.monotonic()
    host = host or Host.current()
    runtimes, prereqs = _scope(profile)
    look = Look(host)
    rows: dict[str, Row] = {}
    for p in prereqs:
        if progress:
            progress(f"checking {p.title}")
        rows[p.name] = _prerequisite_row(p, look, _users(p, runtimes, prereqs))
    runtime_rows = []
    for name in runtimes:
        if progress:
            progress(f"checking runtime {name}")
        runtime_rows.append(_runtime_row(name, rows))
    scope = f"profile {profile.name}" if profile else "everything wasmscope and its tests use"
    return Report(scope, runtime_rows + list(rows.values()), host, time.monotonic() - t0)


@dataclass
class FixResult:
    done: list[str] = field(default_factory=list)  # one line per step carried out
    blocked: list[Step] = field(default_factory=list)  # needed root or consent we did not have
    failed: str = ""  # the error that stopped the fixes

    @property
    def ok(self) -> bool:
        return not self.blocked and not self.failed


def carry_out(steps: Sequence[Step], host: Host, say: Callable[[str], None], *, consent: bool,
              interactive: bool = True, on_step: Callable[[int, int, Step], None] | None = None) -> FixResult:
    """Carry out the plan, step by step, each command printed before it runs. Steps that need
    root we cannot get, or a consent not given, are left (blocked) and listed; the first failure
    stops the rest."""
    runner = Runner(host, say, interactive=interactive)
    fixing = Fixing(host, runner, say)
    result = FixResult()
    runnable = [s for s in steps if (consent or not s.CONSENT) and not (s.ROOT and host.privilege == NO_ROOT)]
    result.blocked = [s for s in steps if s not in runnable]
    for i, step in enumerate(runnable, 1):
        if on_step:
            on_step(i, len(runnable), step)
        say(f"[{i}/{len(runnable)}] {step.title}")
        t0 = time.monotonic()
        try:
            line = step.apply(fixing)
        except SetupError as err:
            result.failed = f"{step.title}: {err}"
            say(f"  ✗ {err}")
            break
        result.done.append(line)
        say(f"  ✓ {line} ({time.monotonic() - t0:.1f} s)")
    if result.done:  # the machine changed (an engine started, a runtime registered): probe again
        from ..runtimes.docker_engine import probes

        probes.forget()
    return result
