"""Runtime adapter options declared as data, validated in one place.

Each adapter lists its options (`RuntimeAdapter.OPTIONS`: name, kind, default, what it does),
in the manner of Harlequin's adapter options. `validate()` turns what a caller or a profile's
`[runtimes.NAME]` table gave into typed values with the defaults filled in, or raises one
`OptionError` line naming the runtime, the option, the value and what was expected.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

from ..errors import WasmscopeError

OptionKind = Literal["flag", "int", "text", "path", "choice"]
_FALSE = {"0", "false", "no", "off", "n"}
_TRUE = {"1", "true", "yes", "on", "y"}


class OptionError(WasmscopeError):
    """An adapter option is unknown or has a value of the wrong kind; `option` names it and
    `detail` says what was wrong (a profile words its own message from them)."""

    def __init__(self, message: str, option: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.option = option
        self.detail = detail or message


@dataclass(frozen=True)
class Option:
    """One option of a runtime adapter."""

    name: str
    kind: OptionKind
    description: str
    default: Any = None  # None: unset (the adapter decides)
    choices: tuple[str, ...] = ()  # kind "choice"
    minimum: int | None = None  # kind "int"

    def expected(self) -> str:
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "int":
            return "an integer" + (f" >= {self.minimum}" if self.minimum is not None else "")
        return {"flag": "true or false", "text": "a string", "path": "a path"}[self.kind]

    def coerce(self, value: Any) -> Any:
        """The typed value, or ValueError (the caller words the message)."""
        if value is None:
            return None
        if self.kind == "flag":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise ValueError
        if self.kind == "int":
            if isinstance(value, bool):
                raise ValueError
            number = int(str(value).strip()) if isinstance(value, str) else value
            if not isinstance(number, int) or (self.minimum is not None and number < self.minimum):
                raise ValueError
            return number
        if self.kind == "path":
            if not isinstance(value, (str, Path)) or not str(value):
                raise ValueError
            return str(Path(str(value)).expanduser())
        if not isinstance(value, str):
            raise ValueError
        if self.kind == "choice" and value not in self.choices:
            raise ValueError
        return value


def validate(runtime: str, specs: Sequence[Option], given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every declared option with its typed value (the default where not given); OptionError,
    one line, for an unknown option or a value of the wrong kind."""
    known = {o.name: o for o in specs}
    for key in given or {}:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            detail = f"unknown option ({hint}options: {', '.join(known)})"
            raise OptionError(f"runtime {runtime!r} has no option {key!r} ({hint}options: {', '.join(known)})",
                              key, detail)
    out: dict[str, Any] = {}
    for name, spec in known.items():
        raw = (given or {}).get(name, spec.default)
        try:
            out[name] = spec.coerce(raw)
        except (ValueError, TypeError):
            detail = f"expected {spec.expected()}, got {raw!r}"
            raise OptionError(f"runtime {runtime!r} option {name}: {detail}", name, detail) from None
    return out


def describe(specs: Sequence[Option]) -> list[str]:
    """One line per option, for help and docs: `name (kind, default X): what it does`."""
    lines = []
    for o in specs:
        default = "" if o.default is None else f", default {o.default!r}"
        lines.append(f"{o.name} ({o.expected()}{default}): {o.description}")
    return lines
