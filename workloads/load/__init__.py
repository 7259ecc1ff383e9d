"""HTTP load generation against a loopback server: wrk (closed loop) or a built-in asyncio
generator (closed loop or fixed rate, wrk2-style latency from the intended send time).

Headless: nothing here imports Textual.
"""

from .runner import run_load
from .spec import LoadCancelled, LoadError, LoadSpec
from .summary import LoadSummary, Tick

__all__ = ["LoadSpec", "LoadSummary", "Tick", "run_load", "LoadError", "LoadCancelled"]
