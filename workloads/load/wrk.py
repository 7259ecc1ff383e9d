"""wrk (4.1) as a closed-loop generator: find it, build its command, parse its report.

wrk takes whole seconds for -d and --timeout, so both are rounded up. It prints nothing
until the end (no live ticks) and no p99.9.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .spec import LoadSpec

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DUR_S = {"us": 1e-6, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_NUM_UNIT = r"([0-9.]+)\s*(us|ms|s|m|h)"


def find_wrk() -> str | None:
    """Path of the `wrk` executable, or None."""
    return shutil.which("wrk")


@lru_cache(maxsize=4)
def _version_of(path: str) -> str | None:
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"wrk\s+(\S+)", proc.stdout + proc.stderr)
    if not m:
        return None
    num = re.search(r"\d+\.\d+(?:\.\d+)?", m.group(1))
    return num.group(0) if num else m.group(1)


def wrk_version() -> str | None:
    """wrk's version ("4.1.0" from Debian's "debian/4.1.0-3+b2"), or None if absent."""
    path = find_wrk()
    return _version_of(path) if path else None


def wrk_command(url: str, spec: "LoadSpec", threads: int, *, duration_s: float | None = None,
                wrk: str | None = None) -> list[str]:
    """The argv for one wrk run (duration defaults to spec.duration_s; whole seconds)."""
    dur = spec.duration_s if duration_s is None else duration_s
    threads = max(1, min(int(threads), spec.connections))
    return [wrk or find_wrk() or "wrk", f"-t{threads}", f"-c{spec.connections}",
            f"-d{max(1, math.ceil(dur))}s", "--timeout", f"{max(1, math.ceil(spec.timeout_s))}s",
            "--latency", url]


def _ms(num: str, unit: str) -> float:
    return float(num) * _UNIT_MS[unit]


def _scaled(num: str, suffix: str) -> float:
    return float(num) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[suffix]


def parse_wrk_output(text: str) -> dict:
    """Fields of a LoadSummary from wrk 4.1 `--latency` output.

    Returns requests, duration_s, rps, errors (connect+read+write socket errors + "Non-2xx or
    3xx" responses, which wrk counts for status >= 400), timeouts, p50/p90/p99_ms, p999_ms (None),
    max_ms. Raises ValueError when the text is not a wrk report.
    """
    m = re.search(r"^\s*(\d+) requests in " + _NUM_UNIT + r",", text, re.M)
    if not m:
        first = text.strip().splitlines()[:1]
        raise ValueError(f"not a wrk report: {first[0] if first else '(empty output)'}")
    requests = int(m.group(1))
    duration_s = float(m.group(2)) * _DUR_S[m.group(3)]
    m = re.search(r"^Requests/sec:\s*([0-9.]+)\s*([kMG]?)", text, re.M)
    rps = _scaled(m.group(1), m.group(2)) if m else (requests / duration_s if duration_s else 0.0)

    pct: dict[str, float] = {}
    for p, num, unit in re.findall(r"^\s*(50|75|90|99)%\s+" + _NUM_UNIT + r"\s*$", text, re.M):
        pct[p] = _ms(num, unit)
    m = re.search(r"^\s*Latency\s+" + _NUM_UNIT + r"\s+" + _NUM_UNIT + r"\s+" + _NUM_UNIT,
                  text, re.M)
    max_ms = _ms(m.group(5), m.group(6)) if m else None

    errors = timeouts = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += int(m.group(1)) + int(m.group(2)) + int(m.group(3))
        timeouts = int(m.group(4))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
    return {
        "requests": requests, "duration_s": duration_s, "rps": rps,
        "errors": errors, "timeouts": timeouts,
        "p50_ms": pct.get("50"), "p90_ms": pct.get("90"), "p99_ms": pct.get("99"),
        "p999_ms": None, "max_ms": max_ms,
    }
