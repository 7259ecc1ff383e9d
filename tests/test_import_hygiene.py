"""The engine and the profiles never import Textual: the TUI is only one front end.

The rules are contracts in pyproject.toml (`lint-imports` checks every module statically);
importing every engine and profile module in a fresh interpreter checks what really loads.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import wasmscope.profiles
import wasmscope.workloads

ROOT = Path(__file__).resolve().parent.parent


def headless_modules() -> list[str]:
    """Every module of the engine and the profiles (entry points run as `-m` excluded)."""
    out = []
    for pkg in (wasmscope.workloads, wasmscope.profiles):
        out.append(pkg.__name__)
        out += [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
                if not m.name.endswith("__main__") and ".guest." not in m.name]
    return out


def test_import_contracts_hold():
    # this interpreter's import-linter (a lint-imports found on PATH may belong to another
    # Python, which would see another checkout's wasmscope or none)
    run = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    proc = subprocess.run([sys.executable, "-c", run], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout and proc.stdout.count("KEPT") >= 3


def test_no_headless_module_imports_a_ui_library():
    modules = headless_modules()
    assert len(modules) > 60  # every module, not a hand list
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "ui = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_plotext', 'rich', 'plotext'))\n"
            "assert not ui, ui")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.parametrize("module", ["wasmscope.tui.cli", "wasmscope.tui.render.tables"])
def test_the_headless_cli_does_not_load_textual(module):
    code = f"import sys, {module}; assert 'textual' not in sys.modules, sorted(m for m in sys.modules if m.startswith('textual'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
