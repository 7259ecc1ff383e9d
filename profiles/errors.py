"""The one error a profile can raise: one line naming file, key, value and what was expected."""

from __future__ import annotations

import difflib
from typing import Iterable

from wasmscope.workloads.errors import WasmscopeError


class ProfileError(WasmscopeError):
    """A profile could not be read, or holds a value wasmscope cannot use."""


def suggestion(word: str, choices: Iterable[str]) -> str:
    """'; did you mean 'x'?' when a close match exists, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
