"""What a load run asks for, its validation, and the errors it raises."""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import Cancelled, WasmscopeError

MODES = ("closed", "fixed-rate")
GENERATORS = ("auto", "wrk", "builtin")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class LoadError(WasmscopeError):
    """A load run was refused (bad spec, missing wrk) or failed; the message is one line."""


class LoadCancelled(LoadError, Cancelled):
    """`cancel` was set during a load run; the generator was killed, no summary is returned."""


@dataclass(frozen=True)
class LoadSpec:
    mode: str = "closed"          # "closed" (max throughput, N connections) | "fixed-rate" (open loop at `rate`)
    connections: int = 32
    duration_s: float = 5.0
    warmup_s: float = 1.0
    rate: float | None = None     # required (> 0) for fixed-rate; ignored in closed mode
    generator: str = "auto"       # "auto" | "wrk" | "builtin"; auto: wrk for closed mode when installed
    timeout_s: float = 2.0        # per request


def _positive(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def validate(url: str, spec: LoadSpec) -> None:
    """Raise LoadError (one line: field, value, what was expected) for an unusable request."""
    if spec.mode not in MODES:
        raise LoadError(f"mode: expected 'closed' or 'fixed-rate', got {spec.mode!r}")
    if not isinstance(spec.connections, int) or isinstance(spec.connections, bool) \
            or spec.connections < 1:
        raise LoadError(f"connections: expected an integer >= 1, got {spec.connections!r}")
    if not _positive(spec.duration_s):
        raise LoadError(f"duration_s: expected a number of seconds > 0, got {spec.duration_s!r}")
    if not (spec.warmup_s == 0 or _positive(spec.warmup_s)):
        raise LoadError(f"warmup_s: expected a number of seconds >= 0, got {spec.warmup_s!r}")
    if not _positive(spec.timeout_s):
        raise LoadError(f"timeout_s: expected a number of seconds > 0, got {spec.timeout_s!r}")
    if spec.mode == "fixed-rate" and not _positive(spec.rate):
        raise LoadError(f"rate: fixed-rate mode needs a rate > 0 (requests/s), got {spec.rate!r}")
    if spec.generator not in GENERATORS:
        raise LoadError(f"generator: expected 'auto', 'wrk' or 'builtin', got {spec.generator!r}")
    if spec.generator == "wrk" and spec.mode == "fixed-rate":
        raise LoadError("generator: wrk has no fixed-rate mode, got generator='wrk' with "
                        "mode='fixed-rate' (use 'builtin' or 'auto')")
    try:
        u = urlsplit(url)
        host, _port = u.hostname, u.port
    except (ValueError, TypeError, AttributeError):
        host = None
        u = None
    if u is None or u.scheme != "http" or host not in LOOPBACK_HOSTS:
        raise LoadError(f"url: expected http://127.0.0.1:PORT/ or http://localhost:PORT/ "
                        f"(loopback only), got {url!r}")
