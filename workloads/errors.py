"""Typed errors the engine raises; front ends map them to messages and exit codes."""

from __future__ import annotations


class WasmscopeError(Exception):
    """Base of every error wasmscope reports to a user as one line."""


class BuildError(WasmscopeError):
    """A workload could not be built (no compiler, compile failure, image build failure)."""


class RuntimeUnavailable(WasmscopeError):
    """The runtime cannot be used on this machine; the message says why."""


class WorkloadError(WasmscopeError):
    """A workload is unknown, or its module/image is missing or unusable."""


class GuestTimeout(WasmscopeError):
    """A guest ran past its deadline and was stopped."""


class GuestFailed(WasmscopeError):
    """A guest exited non-zero, trapped or crashed: the guest's fault, not wasmscope's."""

    def __init__(self, message: str, exit_code: int | None = None, output: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.output = output


class Cancelled(WasmscopeError):
    """The user cancelled a running benchmark."""
