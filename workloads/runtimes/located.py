"""Wasm runtimes that are a program found on this machine (the wasmtime CLI, WAMR, node).

Each is looked for when first needed (an option's path, an environment variable, PATH,
wasmscope's tools dir) and, while it is not found, looked for again on the next question; when
it is not there, a run's error and the availability row say the same thing: why not, where it
looked and how to get it.
"""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from ..errors import RuntimeUnavailable
from ..system.tools import tools_dir_note
from .base import Availability, WasmModuleAdapter


class LocatedRuntime(WasmModuleAdapter):
    HINT: ClassVar[str] = ""  # how to get the program
    INSTALL_WORDS: ClassVar[str] = ""  # before HINT in a run's error, e.g. "install it: "
    # installed into wasmscope's tools dir: say when that dir cannot take an install
    IN_TOOLS_DIR: ClassVar[bool] = False
    PROGRAM_OPTION: ClassVar[str] = ""  # the option that names the program's path
    LOOKED_IN: ClassVar[str] = ""  # where it is looked for when that option is unset

    def __init__(self, options: dict | None = None) -> None:
        super().__init__(options)
        self._found: Any = None
        self._find_error = ""

    @abstractmethod
    def _find(self) -> Any:
        """The program (a Found… with describe()); RuntimeUnavailable saying why it is not here."""

    def _looked_in(self) -> str:
        """Where _find looks, for the availability row."""
        given = self.options.get(self.PROGRAM_OPTION)
        return f"option {self.PROGRAM_OPTION}={Path(given)}" if given else self.LOOKED_IN

    def _locate(self) -> Any:
        """The program, or None (and _find_error says why)."""
        if self._found is None:
            try:
                self._found = self._find()
            except RuntimeUnavailable as err:
                self._find_error = str(err)
        return self._found

    def _note(self) -> str:
        return tools_dir_note() if self.IN_TOOLS_DIR else ""

    def located(self) -> Any:
        """The program; RuntimeUnavailable saying why not and how to get it."""
        found = self._locate()
        if found is None:
            raise RuntimeUnavailable(f"{self._find_error}{self._note()}; {self.INSTALL_WORDS}{self.HINT}")
        return found

    def availability(self) -> Availability:
        if self._locate() is None:
            return Availability(False, f"{self._find_error} (looked in: {self._looked_in()}){self._note()}",
                                self.HINT)
        return Availability(True)

    def version(self) -> str:
        found = self._locate()
        return found.describe() if found else f"{self.SHORT_NAME}: {self._find_error}"
