"""Intervals for figures and ratios: from the spread across independent rounds of a run.

A bootstrap over one run's samples says how well that run pinned its own median; it says
nothing about the next run, which lands on a machine in another state (another tenant, the
engine's housekeeping, a frequency change). A round is a full interleaved pass over every
runtime, so K rounds are K independent looks at the same comparison: a figure's interval is
taken from its K per-round medians, a ratio's from its K per-round ratios (each round's figure
against the baseline's figure of the same round).

The interval is the distribution-free one for a median: between two order statistics of the
round values, chosen so that it covers the median round with at least 95 % probability where K
allows it; with fewer rounds it is min … max, whose coverage is 1 − 2^(1−K) (75 % for 3
rounds, 94 % for 5), and the coverage travels with the interval so a front end can say so.
Results with a single round fall back to a bootstrap over that run's samples, labelled as such.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

ROUNDS, SAMPLES, POINT = "rounds", "samples", "point"
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A figure with its interval: `basis` says where the interval comes from (ROUNDS: the
    spread across `n` rounds; SAMPLES: a bootstrap over one run's samples; POINT: none)."""

    point: float
    lo: float
    hi: float
    n: int
    basis: str
    coverage: float

    @property
    def has_interval(self) -> bool:
        return self.basis != POINT

    def above(self, threshold: float) -> bool | None:
        """True when the whole interval is at or above `threshold`, False when it is wholly
        below, None when it straddles it (inconclusive)."""
        if self.lo >= threshold:
            return True
        if self.hi < threshold:
            return False
        return None

    def inside(self, lo: float, hi: float) -> bool | None:
        """True when the whole interval lies in [lo, hi], False when none of it does, else None."""
        if lo <= self.lo and self.hi <= hi:
            return True
        if self.hi < lo or self.lo > hi:
            return False
        return None

    def overlaps(self, other: "Estimate") -> bool:
        return not (self.hi < other.lo or other.hi < self.lo)

    def scaled(self, fn: Callable[[float], float]) -> "Estimate":
        """The estimate through a monotonic function (e.g. a ratio to a percentage); a
        decreasing function swaps the ends."""
        a, b = fn(self.lo), fn(self.hi)
        return Estimate(fn(self.point), min(a, b), max(a, b), self.n, self.basis, self.coverage)

    def to_dict(self) -> dict[str, float | int | str]:
        return {"point": self.point, "lo": self.lo, "hi": self.hi, "n": self.n, "basis": self.basis,
                "coverage": round(self.coverage, 4)}


def _binom_cdf_half(k: int, n: int) -> float:
    """P(X ≤ k) for X ~ Binomial(n, 1/2)."""
    if k < 0:
        return 0.0
    return sum(math.comb(n, i) for i in range(0, min(k, n) + 1)) / 2 ** n


def order_coverage(n: int, j: int) -> float:
    """Probability that [X_(j), X_(n+1-j)] (1-based order statistics of n independent values)
    covers their median: 1 − 2·P(Binomial(n, ½) ≤ j − 1)."""
    if n < 2 or not 1 <= j <= n // 2:
        return 0.0
    return 1.0 - 2.0 * _binom_cdf_half(j - 1, n)


def median_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(lo, hi, coverage): the narrowest order-statistic interval for the median of `values`
    whose coverage reaches `confidence`, else min … max with the coverage it has."""
    data = sorted(values)
    n = len(data)
    if n == 0:
        raise ValueError("no values")
    if n == 1:
        return data[0], data[0], 0.0
    j = 1
    while j + 1 <= n // 2 and order_coverage(n, j + 1) >= confidence:
        j += 1
    return data[j - 1], data[n - j], order_coverage(n, j)


def across_rounds(values: Sequence[float]) -> Estimate:
    """A figure from its per-round values: their median, and the interval across rounds."""
    if len(values) < 2:
        v = float(values[0]) if values else math.nan
        return Estimate(v, v, v, len(values), POINT, 0.0)
    lo, hi, coverage = median_interval(values)
    return Estimate(statistics.median(values), lo, hi, len(values), ROUNDS, coverage)


def paired_ratios(values: Mapping[int, float], base: Mapping[int, float],
                  fn: Callable[[float], float] = float) -> list[float]:
    """Round by round, fn(values[r] / base[r]) for the rounds both measured (and neither is 0)."""
    return [fn(values[r] / base[r]) for r in sorted(values) if r in base and values[r] and base[r]]


def ratio_across_rounds(values: Mapping[int, float], base: Mapping[int, float],
                        fn: Callable[[float], float] = float) -> Estimate | None:
    """fn(value / base) from per-round figures of the same rounds, or None with fewer than 2
    rounds in common. `fn` turns the ratio into what is shown (a percentage, its inverse)."""
    ratios = paired_ratios(values, base, fn)
    return across_rounds(ratios) if len(ratios) >= 2 else None


def ratio_from_samples(values: Sequence[float], base: Sequence[float], *, seed: int = 7,
                       draws: int = 2000) -> Estimate | None:
    """median(values) / median(base) with a 95 % bootstrap interval over one run's samples."""
    from .stats import median_ratio_ci

    if not values or not base or statistics.median(base) == 0:
        return None
    point, lo, hi = median_ratio_ci(values, base, rounds=draws, seed=seed)
    if len(values) < 2 or len(base) < 2:
        return Estimate(point, point, point, 1, POINT, 0.0)
    return Estimate(point, lo, hi, 1, SAMPLES, CONFIDENCE)


def median_from_samples(values: Sequence[float], *, seed: int = 7, draws: int = 2000) -> Estimate | None:
    """The median of one run's samples with a 95 % bootstrap interval."""
    import random

    from .stats import percentile

    if not values:
        return None
    point = statistics.median(values)
    if len(values) < 2:
        return Estimate(point, point, point, 1, POINT, 0.0)
    rng = random.Random(seed)
    boots = [statistics.median(rng.choices(values, k=len(values))) for _ in range(draws)]
    return Estimate(point, percentile(boots, 2.5), percentile(boots, 97.5), 1, SAMPLES, CONFIDENCE)


def spread_pct(values: Sequence[float]) -> float:
    """(max − min) / median, in percent: how far apart repeated figures landed."""
    if not values:
        return math.nan
    mid = statistics.median(values)
    return (max(values) - min(values)) / abs(mid) * 100 if mid else math.inf
