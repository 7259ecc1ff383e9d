"""How figures read, in one place for every front end (tables, evidence lines, panels)."""

from __future__ import annotations


def fmt_ms(v: float | None) -> str:
    """Milliseconds with µs resolution where it matters."""
    if v is None:
        return "—"
    if v >= 1000:
        return f"{v / 1000:.2f} s"
    if v >= 100:
        return f"{v:.1f} ms"
    if v >= 10:
        return f"{v:.2f} ms"
    return f"{v:.3f} ms"


def fmt_mib(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f} MiB"


def fmt_kib(v: float | None) -> str:
    """KiB (memory per instance), in MiB from 1024 on."""
    if v is None:
        return "—"
    return f"{v / 1024:.1f} MiB" if abs(v) >= 1024 else f"{v:.0f} KiB"


def fmt_times(ratio: float | None, better: str, worse: str) -> str:
    """'340× faster' / '1.3× slower' from a baseline/value ratio."""
    if ratio is None:
        return "—"
    if abs(ratio - 1.0) < 0.005:
        return "1.00× (same)"
    if ratio >= 1:
        return f"{ratio:,.0f}× {better}" if ratio >= 100 else f"{ratio:.2f}× {better}"
    inv = 1 / ratio
    return f"{inv:,.0f}× {worse}" if inv >= 100 else f"{inv:.2f}× {worse}"


def fmt_pct(p: float | None) -> str:
    return "—" if p is None else f"{p:+.1f} %"


def fmt_rps(v: float | None) -> str:
    """Requests per second, readable from 3 to 300,000."""
    if v is None:
        return "—"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def fmt_share(ratio: float | None) -> str:
    """A throughput as a share of a baseline's: '62 %' of native."""
    return "—" if ratio is None else f"{ratio * 100:.0f} %"


def fmt_bound_pct(p: float) -> str:
    """One end of a percentage interval: '+49', '-3.5'."""
    return f"{p:+.0f}" if abs(p) >= 10 else f"{p:+.1f}"


def fmt_bound_times(x: float) -> str:
    """One end of a × interval: '230', '1.25'."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}"


def fmt_with_interval(point_text: str, lo_text: str, hi_text: str, basis: str, n: int) -> str:
    """'+53.0 % (+49 … +61, 5 rounds)': a figure with its interval and where the interval comes
    from (rounds of this run, or — with one round — this run's samples)."""
    if basis == "rounds":
        return f"{point_text} ({lo_text} … {hi_text}, {n} rounds)"
    if basis == "samples":
        return f"{point_text} ({lo_text} … {hi_text}, 1 round)"
    return point_text
