"""Summary statistics for timing samples: medians and tails, never a single time."""

from __future__ import annotations

import math
import statistics
from typing import Sequence


def percentile(samples: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of the samples."""
    data = sorted(samples)
    if not data:
        raise ValueError("no samples")
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """median, p95, min, max, mean, stdev and n of the samples."""
    return {
        "median": statistics.median(samples),
        "p95": percentile(samples, 95),
        "min": min(samples),
        "max": max(samples),
        "mean": statistics.fmean(samples),
        "stdev": statistics.stdev(samples) if len(samples) > 1 else 0.0,
        "n": float(len(samples)),
    }


def median_ratio_ci(a: Sequence[float], b: Sequence[float], *, rounds: int = 2000,
                    seed: int = 7) -> tuple[float, float, float]:
    """median(a)/median(b) with a 95 % bootstrap confidence interval (deterministic seed)."""
    import random

    rng = random.Random(seed)
    point = statistics.median(a) / statistics.median(b)
    if len(a) < 2 or len(b) < 2:
        return point, point, point
    boots = []
    for _ in range(rounds):
        ra = statistics.median(rng.choices(a, k=len(a)))
        rb = statistics.median(rng.choices(b, k=len(b)))
        boots.append(ra / rb)
    return point, percentile(boots, 2.5), percentile(boots, 97.5)
