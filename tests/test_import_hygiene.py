"""The engine and the profiles never import Textual: the TUI is only one front end."""

import subprocess
import sys

import pytest

HEADLESS = [
    "wasmscope.workloads",
    "wasmscope.workloads.bench",
    "wasmscope.workloads.runtimes.wasmtime_embedded",
    "wasmscope.workloads.runtimes.native",
    "wasmscope.workloads.runtimes.docker_engine",
    "wasmscope.workloads.measurements.memory",
    "wasmscope.profiles",
    "wasmscope.workloads.advice.evaluate",
    "wasmscope.workloads.advice.system",
    "wasmscope.workloads.advice.starter",
    "wasmscope.tui.cli",
    "wasmscope.tui.render.tables",
    "wasmscope.workloads.setup.doctor",
    "wasmscope.tui.cli.doctor",
    "wasmscope.tui.render.setup",
]


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_import_textual(module):
    code = f"import sys, {module}; assert 'textual' not in sys.modules, sorted(m for m in sys.modules if m.startswith('textual'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
