"""Exit codes of the `wasmscope` command, and the one function mapping errors to them."""

from __future__ import annotations

from enum import IntEnum

PROG = "wasmscope"


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # an available runtime failed a measurement
    USAGE = 2  # bad command line or bad profile
    UNAVAILABLE = 3  # a backend needed for the command is unavailable (a runtime, a remote host)
    INTERRUPTED = 130


def exit_code_for(err: BaseException) -> ExitCode:
    """One place mapping exception types to exit codes."""
    from wasmscope.profiles import ProfileError
    from wasmscope.workloads.advice.questions import AnswersError
    from wasmscope.workloads.advice.rules import RulesError
    from wasmscope.workloads.bench import UsageError
    from wasmscope.workloads.errors import Cancelled, HostUnavailable, RuntimeUnavailable
    from wasmscope.workloads.runtimes.options import OptionError

    if isinstance(err, (ProfileError, UsageError, AnswersError, RulesError, OptionError)):
        return ExitCode.USAGE
    if isinstance(err, (RuntimeUnavailable, HostUnavailable)):
        return ExitCode.UNAVAILABLE
    if isinstance(err, (KeyboardInterrupt, Cancelled)):
        return ExitCode.INTERRUPTED
    return ExitCode.FAILURE


def is_reported_error(err: BaseException) -> bool:
    """Errors that are one plain line for the user (anything else is a bug: its traceback shows)."""
    from wasmscope.profiles import ProfileError
    from wasmscope.workloads.errors import WasmscopeError

    return isinstance(err, (WasmscopeError, ProfileError))
