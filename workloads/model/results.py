"""Results of a benchmark run: plain data that round-trips through JSON and TOML profiles.

Ratios are never stored: they are computed from rows of the same `Results`, i.e. figures
taken side by side in one run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

OK, UNAVAILABLE, UNSUPPORTED, FAILED = "ok", "unavailable", "unsupported", "failed"
# Measured, but the program's output differed from the other runtimes': figures shown, no ratios.
DIFFERENT = "different output"
LOCAL = "local"  # the label of this machine among hosts (Results.host, the app's panels)


@dataclass
class RuntimeInfo:
    name: str
    display: str
    kind: str
    version: str = ""
    mode: str = ""
    available: bool = True
    reason: str = ""
    hint: str = ""
    baseline: str = ""  # "native" / "container": the runtime every ratio of that kind is taken against
    runs_on: str = ""  # "" = the machine this run measured; else where its guests ran (an engine elsewhere)


# Results stored before runtimes recorded their baseline role: the runtimes that held it then.
_LEGACY_BASELINES = {"native": "native", "docker": "container"}


@dataclass
class Row:
    """One runtime's line in a table. `value` is the headline figure in the table's unit."""

    runtime: str
    status: str = OK
    reason: str = ""
    value: float | None = None
    stats: dict[str, float] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)
    counts: str = ""
    # The I/O table has several rows per runtime: a serving model and a variant tell them apart.
    model: str = ""  # "server" | "per-request" (I/O only)
    variant: str = ""  # e.g. "host network", "wasmtime serve"; "" = the runtime's usual way
    facts: dict[str, Any] = field(default_factory=dict)  # plain facts behind the figure (generator, pinning, proxy)
    load: list[dict[str, Any]] = field(default_factory=list)  # one load summary per round (I/O)
    sweep: list[dict[str, float]] = field(default_factory=list)  # latency against throughput points (I/O)
    # One entry per round (a full interleaved pass over every runtime): the round's median of the
    # headline figure ("value") and of other figures a table compares, its sample count ("n")
    # and how many of its samples were taken while the machine was busy ("busy").
    rounds: list[dict[str, float]] = field(default_factory=list)
    # Under what conditions each sample was taken, lists parallel to `samples`: "round",
    # "wait_ms" (waited for a quiet machine), "load_pct" (other processes' CPU at its start, % of
    # all cores), "steal_pct", "busy" (1 = taken while the machine was busy), "retaken" (times it
    # was taken again because other processes disturbed it while it ran).
    conditions: dict[str, list[float]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Unique within a table: the runtime, plus model and variant where a table has them."""
        return "/".join(x for x in (self.runtime, self.model, self.variant) if x)

    def round_values(self, key: str = "value") -> dict[int, float]:
        """The per-round figures of `key` ("value" = the headline), by round number. Results
        stored before rounds were recorded: an I/O row's per-round load summaries stand in (its
        rounds were rounds)."""
        if self.rounds:
            return {int(r.get("round", i)): float(r[key]) for i, r in enumerate(self.rounds) if key in r}
        if self.load and key == "value":
            return {i: float(x["rps"]) for i, x in enumerate(self.load) if "rps" in x}
        return {}

    @property
    def busy_samples(self) -> int:
        """How many samples were taken while the machine was busy (0 when not recorded)."""
        return int(sum(self.conditions.get("busy", [])))


@dataclass
class Table:
    """One measurement (startup / compute / memory) over several runtimes."""

    name: str
    unit: str  # unit of Row.value: "ms" or "MiB"
    workload: str
    args: list[str] = field(default_factory=list)
    what: str = ""  # plain words: what the headline figure counts
    rows: list[Row] = field(default_factory=list)
    higher_is_better: bool = False  # req/s: more is better; ms and MiB: less is better
    # Runtimes whose rows ran on another machine than the rest (a Docker engine elsewhere,
    # DOCKER_HOST): no ratio is ever taken between one of them and one of the others.
    elsewhere: list[str] = field(default_factory=list)

    def comparable(self, runtime: str, baseline: str) -> bool:
        """Whether the two runtimes' figures were measured on the same machine."""
        return (runtime in self.elsewhere) == (baseline in self.elsewhere)

    # How the table was measured: "rounds", "block" (samples of one runtime in a row), "order"
    # (per round, the shuffled blocks as "runtime×n"), "quiet" (the quiet-sample settings).
    facts: dict[str, Any] = field(default_factory=dict)

    def row(self, runtime: str, model: str | None = None, variant: str = "") -> Row | None:
        """The runtime's row (in the I/O table: of that serving model and variant)."""
        return next((r for r in self.rows if r.runtime == runtime
                     and (model is None or (r.model == model and r.variant == variant))), None)

    def versus(self, row: Row, baseline: str) -> float | None:
        """`row`'s figure over the baseline runtime's usual row in the same serving model:
        for req/s how many times the baseline's throughput, else how many times smaller."""
        base = self.row(baseline, row.model if row.model else None)
        if not self.comparable(row.runtime, baseline):
            return None
        if row.status != OK or base is None or base.status != OK or not row.value or not base.value:
            return None
        return row.value / base.value if self.higher_is_better else base.value / row.value

    def ok_value(self, runtime: str) -> float | None:
        r = self.row(runtime)
        return r.value if r is not None and r.status == OK else None

    def _figures(self, runtime: str, baseline: str) -> tuple[float, float] | None:
        """Both runtimes' figures, where both measured and on the same machine."""
        v, b = self.ok_value(runtime), self.ok_value(baseline)
        if v is None or b is None or not self.comparable(runtime, baseline):
            return None
        return v, b

    def ratio(self, runtime: str, baseline: str) -> float | None:
        """baseline / runtime: how many times smaller (faster, leaner) `runtime` is."""
        figures = self._figures(runtime, baseline)
        return figures[1] / figures[0] if figures and figures[0] > 0 else None

    def overhead_pct(self, runtime: str, baseline: str) -> float | None:
        """How much larger `runtime` is than `baseline`, in percent."""
        figures = self._figures(runtime, baseline)
        return (figures[0] / figures[1] - 1.0) * 100.0 if figures and figures[1] > 0 else None


@dataclass
class Results:
    profile: str
    started_at: str  # ISO 8601, UTC
    finished_at: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    runtimes: dict[str, RuntimeInfo] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False
    # Where it was measured: "" (this machine, in a run of one host), "local", or a remote
    # host's `user@host:port`. Ratios are only taken within one Results, so within one host.
    host: str = ""

    def baseline(self, role: str) -> str | None:
        """The runtime ratios of `role` ("native", "container") are taken against, if in this run
        (runtimes that declare no role at all: the runtimes that held them before roles existed)."""
        named = next((n for n, info in self.runtimes.items() if info.baseline == role), None)
        if named is None and not any(info.baseline for info in self.runtimes.values()):
            legacy = next((n for n, r in _LEGACY_BASELINES.items() if r == role), None)
            return legacy if legacy in self.runtimes else None
        return named

    def failures(self) -> list[tuple[str, str, str]]:
        """(table, runtime, reason) of every row that failed on an available runtime."""
        return [(t.name, r.runtime, r.reason) for t in self.tables.values()
                for r in t.rows if r.status == FAILED]

    def to_dict(self) -> dict[str, Any]:
        """Plain data without None values (TOML has no null)."""
        return _drop_none(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Results":
        tables = {}
        for name, t in (data.get("tables") or {}).items():
            rows = [Row(**{k: v for k, v in r.items() if k in Row.__dataclass_fields__})
                    for r in t.get("rows", [])]
            fields = {"name": name, **{k: v for k, v in t.items() if k in Table.__dataclass_fields__ and k != "rows"}}
            tables[name] = Table(rows=rows, **fields)
        runtimes = {n: RuntimeInfo(**{"name": n, **{k: v for k, v in info.items() if k in RuntimeInfo.__dataclass_fields__}})
                    for n, info in (data.get("runtimes") or {}).items()}
        if not any(info.baseline for info in runtimes.values()):
            for n, info in runtimes.items():
                info.baseline = _LEGACY_BASELINES.get(n, "")
        return cls(profile=data.get("profile", ""), started_at=data.get("started_at", ""),
                   finished_at=data.get("finished_at", ""), machine=dict(data.get("machine") or {}),
                   runtimes=runtimes, tables=tables, settings=dict(data.get("settings") or {}),
                   cancelled=bool(data.get("cancelled", False)), host=str(data.get("host", "")))


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, (list, tuple)):
        return [_drop_none(v) for v in obj]
    return obj
