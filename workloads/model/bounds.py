"""Allowed ranges of settings, shared by the profile schema and the command-line flags that
override them (`--runs`, `--duration`, `--connections`, `--rate`): both refuse the same values
with the same words."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


def finite(v: Any) -> float | None:
    """`v` as a finite float, or None (not a number, a bool, nan, inf, or an int past float range)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        x = float(v)
    except OverflowError:
        return None
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class Bound:
    """An allowed range of one setting, shared by the profile schema and the command-line flag
    that overrides it (`--runs`, `--duration`, `--connections`, `--rate`), so both refuse the
    same values with the same words."""

    lo: float
    hi: float | None = None
    integer: bool = False
    strict_lo: bool = False  # the low end itself is excluded (a duration of 0 s)

    def admits(self, v: Any) -> bool:
        if self.integer:
            if isinstance(v, bool) or not isinstance(v, int):
                return False
            x: float | None = v
        else:
            x = finite(v)
        if x is None or not (x > self.lo if self.strict_lo else x >= self.lo):
            return False
        return self.hi is None or x <= self.hi

    def expected(self) -> str:
        """'an integer between 1 and 10000', 'a number > 0': what a message says was expected."""
        what = "an integer" if self.integer else "a number"
        if self.hi is not None and self.strict_lo:
            return f"{what} > {plain(self.lo)} and <= {plain(self.hi)}"
        if self.hi is not None:
            return f"{what} between {plain(self.lo)} and {plain(self.hi)}"
        return f"{what} {'>' if self.strict_lo else '>='} {plain(self.lo)}"


def plain(x: float) -> str:
    """10000000, not 1e+07; 0.5 as 0.5."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


RUNS = Bound(1, 10_000, integer=True)  # startup.runs, compute.runs, `--runs`
IO_CONNECTIONS = Bound(1, 10_000, integer=True)  # io.connections, `--connections`
IO_DURATION_S = Bound(0, 3600, strict_lo=True)  # io.duration_s, `--duration`
IO_RATE = Bound(0, 10_000_000)  # io.rate, `--rate` (which also needs > 0)
ROUNDS = Bound(1, 100, integer=True)  # rounds of a measurement: startup, compute, memory, io.rounds, `--repeat`
BLOCK = Bound(1, 1000, integer=True)  # samples of one runtime in a row (bench.block)
QUIET_PCT = Bound(0, 100)  # quiet.busy_pct, quiet.steal_pct
QUIET_WINDOW_S = Bound(0.05, 5)  # /proc/stat counts in 10 ms ticks: shorter windows read noise
QUIET_MAX_WAIT_S = Bound(0, 60)
QUIET_RETAKES = Bound(0, 10, integer=True)
