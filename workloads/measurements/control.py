"""How a front end follows and steers a running measurement: progress, samples, cancel."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

from ..errors import Cancelled
from ..model.samples import Sample


@dataclass
class RunControl:
    """Callbacks are called from the measuring thread; a front end must hand them over itself."""

    progress: Callable[[str, int, int], None] | None = None  # message, done, total
    on_sample: Callable[[Sample], None] | None = None
    log: Callable[[str], None] | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    done: int = 0
    total: int = 0

    def check(self) -> None:
        if self.cancel.is_set():
            raise Cancelled("benchmark cancelled")

    def step(self, message: str, amount: int = 1) -> None:
        self.done += amount
        if self.progress:
            self.progress(message, self.done, self.total)

    def doing(self, message: str) -> None:
        """Say what a long step is doing now, before it is done (the count stays)."""
        if self.progress:
            self.progress(message, self.done, self.total)

    def note(self, message: str) -> None:
        if self.log:
            self.log(message)

    def sample(self, sample: Sample) -> None:
        if self.on_sample:
            self.on_sample(sample)
