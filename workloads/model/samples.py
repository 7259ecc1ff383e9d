"""Typed samples: what a running measurement (or a live action) streams to a front end.

One class per kind of figure, with its unit in the field name, so a value in MiB never travels
in a field called `total_ms` and a front end tells samples apart by type, not by a string tag.
Every sample names the measurement and the row it belongs to (`key`: runtime[/model[/variant]]).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Sample:
    measurement: str  # the table it feeds ("" for an interactive run outside a benchmark)
    runtime: str
    key: str = ""  # the row's key in that table; the runtime when empty
    workload: str = ""  # the workload that ran, where it is not the table's own
    # How quiet the machine was (benchmark samples; measurements/quiet.py): how long the sample
    # waited for it, other processes' CPU at its start (% of all cores), and whether it was
    # taken while the machine was busy anyway.
    wait_ms: float = 0.0
    load_pct: float | None = None
    busy: bool = False

    @property
    def row_key(self) -> str:
        return self.key or self.runtime

    # The field holding the figure in its table's unit ("" when it is not a table figure: a live tick).
    figure: ClassVar[str] = ""

    @property
    def value(self) -> float | None:
        """The figure in its table's unit, or None when it is not a table figure (a live tick)."""
        return getattr(self, self.figure) if self.figure else None


@dataclass(frozen=True)
class ColdStart(Sample):
    """One run → exit of a new instance (a startup sample, or `h` in the app)."""

    ms: float = 0.0
    detail: str = ""  # the guest's last output line, for the log
    figure = "ms"


@dataclass(frozen=True)
class GuestTime(Sample):
    """One compute run: the time the guest measured around its own work (or wall time)."""

    ms: float = 0.0
    detail: str = ""
    figure = "ms"


@dataclass(frozen=True)
class MemorySample(Sample):
    """One memory reading of a running instance: the guest's RSS."""

    mib: float = 0.0
    figure = "mib"


@dataclass(frozen=True)
class LoadRound(Sample):
    """A finished round of HTTP load on one target: its throughput."""

    rps: float = 0.0
    figure = "rps"


@dataclass(frozen=True)
class LoadTick(Sample):
    """One interval (about 0.5 s) of a running HTTP load: live figures, not a table figure."""

    rps: float = 0.0
    p99_ms: float | None = None


@dataclass(frozen=True)
class DensityStep(Sample):
    """A density step: live instances and the memory of every process involved."""

    instances: int = 0
    pss_mib: float = 0.0
    figure = "pss_mib"


# Every kind a measurement or a live action streams, by class name: how a sample crosses a
# process boundary (a remote host's agent) and comes back as the same typed object.
KINDS: dict[str, type[Sample]] = {c.__name__: c for c in (ColdStart, GuestTime, MemorySample, LoadRound,
                                                          LoadTick, DensityStep)}


def sample_to_dict(sample: Sample) -> dict:
    """Plain data naming its kind; `sample_from_dict` reads it back."""
    return {"kind": type(sample).__name__, **asdict(sample)}


def sample_from_dict(data: dict) -> Sample:
    """The typed sample; ValueError names an unknown kind or field."""
    fields = dict(data)
    kind = KINDS.get(str(fields.pop("kind", "")))
    if kind is None:
        raise ValueError(f"unknown sample kind {data.get('kind')!r} (known: {', '.join(KINDS)})")
    try:
        return kind(**fields)
    except TypeError as err:
        raise ValueError(f"{kind.__name__}: {err}") from None
