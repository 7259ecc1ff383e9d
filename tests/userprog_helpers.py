"""wordstat, a user's program for the tests of issue 18 (the engine's and the app's): its C
source built with clang for wasm32-wasi and natively in a module-scoped `project` folder, the
report line it writes, and a profile measuring it. Import the fixture into a test module:
`from userprog_helpers import project`."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from wasmscope.workloads.guests.build import WASM_CC, WASM_CFLAGS, compiler_env, wasm_toolchain_available

SOURCE = Path(__file__).parent / "data" / "userprog" / "wordstat.c"
INPUT = "one two\nthree four five\nsix\n"


def report(label: str, data: str = INPUT, greeting: str = "hello-env") -> str:
    """The line wordstat writes for this label and input (FNV-1a 32 of the input)."""
    h = 2166136261
    for b in data.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    words = len(data.split())
    return (f"label={label} lines={data.count(chr(10))} words={words} bytes={len(data.encode())} "
            f"fnv={h:08x} greeting={greeting}\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A user's folder: wordstat.c, wordstat.wasm built by clang, data/input.txt, a native build."""
    reason = wasm_toolchain_available()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("userprog")
    shutil.copy(SOURCE, root / "wordstat.c")
    subprocess.run([WASM_CC, *WASM_CFLAGS, "-o", str(root / "wordstat.wasm"), str(root / "wordstat.c")],
                   check=True, env=compiler_env(), timeout=120)
    subprocess.run(["clang", "-O2", "-o", str(root / "wordstat-native"), str(root / "wordstat.c")],
                   check=True, timeout=120)
    (root / "data").mkdir()
    (root / "data" / "input.txt").write_text(INPUT)
    return root


def profile_text(runtimes: list[str], label: str = "run-label", *, runs: int = 2) -> str:
    sha = hashlib.sha256(report(label).encode()).hexdigest()
    return f"""[bench]
runtimes = {json.dumps(runtimes)}
measurements = ["startup"]

[startup]
workload = "wordstat"
runs = {runs}
warmup = 0

[workloads.wordstat]
module = "wordstat.wasm"
source = "wordstat.c"
args = ["/data/input.txt", "/out/result.txt", "{label}"]
env = {{ GREETING = "hello-env" }}
dirs = [{{ host = "data", guest = "/data" }}, {{ guest = "/out", mode = "rw" }}]

[workloads.wordstat.expect]
stdout = "^label={label} "
files = [{{ path = "/out/result.txt", sha256 = "{sha}" }}]
"""
