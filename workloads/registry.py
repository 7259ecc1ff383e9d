"""How a registry of plug-ins (runtimes, measurements) names its entries: "module:Class".

A registry maps names to such entries and imports a module only when one of its entries is
asked for, so listing names stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any


def resolve(entry: str, package: str) -> Any:
    """The class an entry "module:Class" names: a module without a dot is one of `package`'s
    modules, one with a dot an absolute import path (a plug-in may live outside the package)."""
    module_name, class_name = entry.split(":")
    module = import_module(module_name if "." in module_name else f"{package}.{module_name}")
    return getattr(module, class_name)
