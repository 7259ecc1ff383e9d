"""What one load run produced: a summary for results files, ticks for live sparklines."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class LoadSummary:
    """The measured part of one load run (warm-up excluded).

    `to_dict()` omits fields whose value is None (TOML has no null); `from_dict()` reads
    a missing optional field back as None, so the pair round-trips.
    """

    generator: str              # "wrk 4.1.0" or "builtin (asyncio)"
    mode: str                   # "closed" or "fixed-rate"
    connections: int
    duration_s: float           # measured part, warm-up excluded
    rate: float | None          # target req/s in fixed-rate mode, else None
    requests: int               # completed with a response (any status)
    errors: int                 # connect/read/write errors + non-2xx responses (wrk: status >= 400)
    timeouts: int
    rps: float
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    p999_ms: float | None       # None when the generator cannot tell (wrk prints no p99.9)
    max_ms: float | None
    generator_cpu_pct: float | None = None   # % of ONE core, generator process tree, measured part
    generator_cpus: list[int] | None = None  # cores it was pinned to (None = not pinned)
    generator_bound: bool = False            # >= 90 % of the cores it could use were busy

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.generator_cpus is not None:
            d["generator_cpus"] = sorted(int(c) for c in self.generator_cpus)
        return {k: v for k, v in d.items() if v is not None}

    @classmethod
    def from_dict(cls, d: dict) -> "LoadSummary":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"LoadSummary: unknown field(s) {', '.join(unknown)}")
        kw = {name: d.get(name) for name in known}
        for name in ("generator", "mode", "connections", "duration_s", "requests", "errors",
                     "timeouts", "rps"):
            if kw[name] is None:
                raise ValueError(f"LoadSummary: missing field {name}")
        kw["generator_bound"] = bool(kw["generator_bound"])
        if kw["generator_cpus"] is not None:
            kw["generator_cpus"] = [int(c) for c in kw["generator_cpus"]]
        return cls(**kw)


@dataclass
class Tick:
    """One interval (0.5 s) of a running load: rate, p99 and errors within that interval."""

    elapsed_s: float            # since the measured part began (end of this interval)
    rps: float
    p99_ms: float | None        # None when no request completed in the interval
    errors: int                 # errors and timeouts within this interval
