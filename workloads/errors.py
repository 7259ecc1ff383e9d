"""Typed errors the engine raises; front ends map them to messages and exit codes."""

from __future__ import annotations


class WasmscopeError(Exception):
    """Base of every error wasmscope reports to a user as one line."""


class BuildError(WasmscopeError):
    """A workload could not be built (no compiler, compile failure, image build failure)."""


class CacheUnusable(WasmscopeError):
    """The cache dir cannot take a file wasmscope must write there (no space left, read-only,
    no permission); the message names the directory and the reason."""


class RuntimeUnavailable(WasmscopeError):
    """The runtime cannot be used on this machine; the message says why."""


class WorkloadError(WasmscopeError):
    """A workload is unknown, or its module/image is missing or unusable."""


class GuestTimeout(WasmscopeError):
    """A guest ran past its deadline and was stopped.

    `before_deadline_ms`: time the runtime spent before its deadline clock started (e.g. a
    container's create and start), so a caller can tell deadline-to-stopped from start cost.
    """

    def __init__(self, message: str, before_deadline_ms: float = 0.0) -> None:
        super().__init__(message)
        self.before_deadline_ms = before_deadline_ms


class GuestFailed(WasmscopeError):
    """A guest exited non-zero, trapped or crashed: the guest's fault, not wasmscope's."""

    def __init__(self, message: str, exit_code: int | None = None, output: str = "",
                 ended: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.output = output
        # How it ended: "trap", "signal", "oom-killed" or "exit". An adapter that knows says so;
        # by default a negative exit code is a signal and the adapters' "... trapped: ..." a trap.
        self.ended = ended or ("signal" if exit_code is not None and exit_code < 0 else
                               "trap" if " trapped" in message else "exit")


class Cancelled(WasmscopeError):
    """The user cancelled a running benchmark."""


class SetupError(WasmscopeError):
    """A set-up step of `wasmscope doctor --fix` failed; the message names the command and why."""


class HostUnavailable(WasmscopeError):
    """A remote host cannot be measured: SSH failed, wasmscope is missing there, or its version
    (or protocol) differs from this one; the message names the host and why."""


class HostDisconnected(HostUnavailable):
    """A remote host's connection dropped in the middle of a run (its agent cleaned up there)."""
