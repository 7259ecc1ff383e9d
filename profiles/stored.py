"""A stored run (`[results]`, `[density]`) checked against the results model before it is read.

The checks come from the model's own type hints (`Results`, `RuntimeInfo`, `Table`, `Row`), so a
hand-edited or damaged table gets one line naming the key and what was expected, and the model
and its check never drift apart. Keys the model does not know are left alone (a newer
wasmscope's fields), so a stored run from a later version still loads.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Callable

from wasmscope.workloads.model.bounds import finite
from wasmscope.workloads.model.results import Results

Fail = Callable[[str, str], Exception]  # (dotted key, message) -> the error to raise


def check_stored(raw: Any, key: str, fail: Fail, show: Callable[[Any], str], dotted: Callable[..., str]) -> None:
    """Raise `fail(key, ...)` at the first value of `raw` the results model cannot take."""
    _Walker(fail, show, dotted).value(raw, Results, key, "")


class _Walker:
    def __init__(self, fail: Fail, show: Callable[[Any], str], dotted: Callable[..., str]) -> None:
        self.fail, self.show, self.dotted = fail, show, dotted

    def value(self, v: Any, hint: Any, key: str, where: str) -> None:
        """`where` is a position inside an array ("row 2: ") that a dotted key cannot name."""
        if hint is Any:
            return
        if dataclasses.is_dataclass(hint):
            self.record(v, hint, key, where)
            return
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (types.UnionType, typing.Union):  # `float | None`: TOML has no null
            hint = next(a for a in args if a is not type(None))
            origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin is dict:
            table = self.expect(v, dict, "a table", key, where)
            for k, item in table.items():
                if where:  # inside an array: the key stays, the position words grow
                    self.value(item, args[1], key, f"{where}{k}: ")
                else:
                    self.value(item, args[1], f"{key}.{self.dotted(k)}", "")
            return
        if origin is list:
            items = self.expect(v, list, "an array", key, where)
            for i, item in enumerate(items, 1):
                self.value(item, args[0], key, f"{where}item {i}: ")
            return
        if hint is float:
            if finite(v) is None:
                raise self.fail(key, f"{where}expected a number, got {self.show(v)} ({type(v).__name__})")
            return
        words = {str: "a string", bool: "true or false"}[hint]
        self.expect(v, hint, words, key, where)

    def record(self, v: Any, cls: type, key: str, where: str) -> None:
        table = self.expect(v, dict, "a table", key, where)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name not in table:
                needed = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                if needed and f.name != "name":  # a table's or runtime's name defaults to its key
                    raise self.fail(key, f"{where}expected a key {f.name!r} ({_words(hints[f.name])})")
                continue
            if where:
                self.value(table[f.name], hints[f.name], key, f"{where}{f.name}: ")
            else:
                self.value(table[f.name], hints[f.name], f"{key}.{self.dotted(f.name)}", "")

    def expect(self, v: Any, kind: type, words: str, key: str, where: str) -> Any:
        if not isinstance(v, kind) or (kind is not bool and isinstance(v, bool)):
            raise self.fail(key, f"{where}expected {words}, got {self.show(v)} ({type(v).__name__})")
        return v


def _words(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is dict or dataclasses.is_dataclass(hint):
        return "a table"
    if origin is list:
        return "an array"
    return {str: "a string", bool: "true or false", float: "a number"}.get(hint, "a value")
