"""Bad Wasm input gets one clear line on every Wasm runtime (issue 8, "Bad input → Modules").

Every bad file is crafted from the committed modules (or assembled with wat2wasm) and handed to
each real runtime adapter through `adapter.run()`; a runtime that is not installed is skipped
with its own reason. The check in `workloads/guests/module_check.py` names the file and what was
expected; where it is bypassed (or a module passes it) the runtime's own failure must still
come back as one line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
import wasmtime

from wasmscope.workloads.guests import module_check
from wasmscope.workloads.guests.catalogue import WASM_DIR, Workload, user_workload
from wasmscope.workloads.errors import GuestFailed, WasmscopeError, WorkloadError
from wasmscope.workloads.guests.module_check import PREVIEW0, PREVIEW1, check_module, read_module
from wasmscope.workloads.runtimes import KNOWN_RUNTIMES, adapter_class, create_adapter
from wasmscope.workloads.runtimes import base as runtimes_base
from wasmscope.workloads.runtimes import wasmtime_embedded
from wasmscope.workloads.runtimes.base import RuntimeAdapter

pytestmark = pytest.mark.timeout(120)

HELLO = WASM_DIR / "hello.wasm"
COMPONENT = WASM_DIR / "http-component.wasm"  # a real wasi:http component (componentize-py)

# docker-wasm hands the module to a runwasi shim inside an image: not checked here
RUNTIMES = [n for n in KNOWN_RUNTIMES if adapter_class(n).kind == "wasm" and n != "docker-wasm"]
# which WASI versions each runtime links, as measured on this machine: a module importing
# only that version runs and prints
PREVIEW0_RUNS = {"wasmtime-cli", "wasmtime-cli-nocache", "wasmtime-cli-aot", "wamr", "wasmer"}
WASIX_RUNS = {"wasmer"}
CLI_FAMILY = {"wasmtime-cli", "wasmtime-cli-nocache", "wasmtime-cli-aot"}


def _print_hi(import_module: str) -> bytes:
    """A command module that writes "hi\\n" through `import_module`.fd_write."""
    return wasmtime.wat2wasm(f"""
(module
  (import "{import_module}" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 8) "hi\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 8))
    (i32.store (i32.const 4) (i32.const 3))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 20)))))""")


def _code_section_offset(data: bytes) -> int:
    """Byte offset of the code section (id 10) in a core module, by walking section headers."""
    pos = 8
    while pos < len(data):
        sid, size, shift, at = data[pos], 0, 0, pos + 1
        while True:
            b = data[at]
            size |= (b & 0x7F) << shift
            at += 1
            shift += 7
            if not b & 0x80:
                break
        if sid == 10:
            return pos
        pos = at + size
    raise AssertionError("hello.wasm has no code section")


HELLO_BYTES = HELLO.read_bytes()
ELF_BYTES = Path(sys.executable).read_bytes()[:4096]  # the start of a real native executable
assert ELF_BYTES[:4] == b"\x7fELF"

# name -> (file bytes, words the one line must contain besides the file name)
CASES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "native-elf": (ELF_BYTES, ("not a valid Wasm module (an ELF executable", r"magic \0asm")),
    "plain-text": (b"hello, this is not wasm\n", ("not a valid Wasm module (a text file;", r"magic \0asm")),
    "wat-source": (b"(module (func))\n", ("text format", r"magic \0asm")),
    "empty-file": (b"", ("empty", r"magic \0asm")),
    "wrong-magic": (b"\0asn" + HELLO_BYTES[4:], ("not a valid Wasm module", "byte 3 of the magic is 6e",
                                                  r"magic \0asm")),
    "wrong-version": (HELLO_BYTES[:4] + b"\x02\0\0\0" + HELLO_BYTES[8:],
                      ("unsupported Wasm version 2", "expected 1, a core module")),
    "imports-env": (wasmtime.wat2wasm('(module (import "env" "foo" (func)) (memory (export "memory") 1)'
                                      ' (func (export "_start") call 0))'),
                    ("imports env.foo", "cannot satisfy", PREVIEW1)),
    "no-code-section": (HELLO_BYTES[:_code_section_offset(HELLO_BYTES)],
                        ("truncated", "no code section")),
}
# truncated: inside the header, inside a section's size field, inside sections, one byte short
for cut in (3, 7, 9, 20, 100, len(HELLO_BYTES) // 2, len(HELLO_BYTES) - 1):
    CASES[f"cut-at-{cut}"] = (HELLO_BYTES[:cut], ("truncated",))


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad-modules")
    for name, (data, _) in CASES.items():
        (d / f"{name}.wasm").write_bytes(data)
    (d / "preview0.wasm").write_bytes(_print_hi(PREVIEW0))
    (d / "wasix.wasm").write_bytes(_print_hi("wasix_32v1"))
    (d / "no-start.wasm").write_bytes(wasmtime.wat2wasm('(module (memory (export "memory") 1))'))
    return d


@pytest.fixture(scope="module")
def adapters():
    """One adapter per runtime for the whole module (workers start once); closed at the end."""
    made: dict[str, RuntimeAdapter] = {}

    def get(name: str) -> RuntimeAdapter:
        if name not in made:
            made[name] = create_adapter(name, {"memory_limit_mib": 64})
        adapter = made[name]
        avail = adapter.availability()
        if not avail.ok:
            pytest.skip(f"{name}: {avail.reason}")
        return adapter

    yield get
    for adapter in made.values():
        adapter.close()


def broken(path: Path) -> Workload:
    """A profile's own workload named unlike its file, so a message naming the file proves it."""
    return user_workload("broken", base=None, module=path, image=None)


def one_line(err: BaseException) -> str:
    text = str(err)
    assert text and "\n" not in text and "Traceback" not in text, repr(text)
    return text


def run_error(adapter: RuntimeAdapter, path: Path) -> WorkloadError:
    with pytest.raises(WorkloadError) as info:
        adapter.run(broken(path), timeout_s=20)
    return info.value


# -- every runtime, every bad file ----------------------------------------------------------------

@pytest.mark.parametrize("runtime", RUNTIMES)
def test_each_bad_file_is_one_line_naming_it_and_what_was_expected(runtime, adapters, bad_dir):
    adapter = adapters(runtime)
    for case, (_, words) in CASES.items():
        path = bad_dir / f"{case}.wasm"
        line = one_line(run_error(adapter, path))
        assert line.startswith(f"{path.name}: "), (case, line)
        for word in words:
            assert word in line, (case, word, line)


SECRET = b"root:$6$s4lt$S3CRETHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"  # like /etc/shadow


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_file_that_is_not_wasm_is_named_by_its_kind_never_by_its_content(runtime, adapters, tmp_path):
    """A module path pointing at a secret (a profile's `module = "/etc/shadow"`): the line says
    what kind of file it is, and no byte of it, in text or in hex."""
    path = tmp_path / "shadow"
    path.write_bytes(SECRET)
    line = one_line(run_error(adapters(runtime), path))
    assert line == (r"shadow: not a valid Wasm module (a text file; expected the magic \0asm "
                    "(00 61 73 6d))"), line
    for leaked in ("root", "S3CRET", "s4lt", "72 6f", "726f"):
        assert leaked not in line, (leaked, line)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_component_given_to_a_core_runtime(runtime, adapters):
    line = one_line(run_error(adapters(runtime), COMPONENT))
    assert line.startswith("http-component.wasm: is a component (layer 1); ")
    assert "runs core modules" in line and "wasmtime serve" in line


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_wasi_versions_a_runtime_lacks_are_named_and_those_it_has_run(runtime, adapters, bad_dir):
    adapter = adapters(runtime)
    for file, version, runs_on in (("preview0.wasm", f"WASI preview 0 ({PREVIEW0})", PREVIEW0_RUNS),
                                   ("wasix.wasm", "WASIX (wasix_32v1)", WASIX_RUNS)):
        if runtime in runs_on:  # the declaration is true: the module runs
            assert adapter.run(broken(bad_dir / file), timeout_s=20).stdout == "hi\n"
            continue
        line = one_line(run_error(adapter, bad_dir / file))
        assert line.startswith(f"{file}: needs {version}, which "), line
        assert "lacks (it provides" in line and PREVIEW1 in line


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_good_modules_still_run(runtime, adapters):
    res = adapters(runtime).run(broken(HELLO), timeout_s=20)
    assert res.exit_code == 0 and res.stdout == "hello from wasmscope\n"


# -- past the check: the runtime's own failure is still one line ---------------------------------

@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_module_that_passes_the_check_but_has_no_start_fails_in_one_line(runtime, adapters, bad_dir):
    adapter = adapters(runtime)
    path = bad_dir / "no-start.wasm"
    if runtime in CLI_FAMILY:  # `wasmtime run` instantiates a module without _start and exits 0
        assert adapter.run(broken(path), timeout_s=20).exit_code == 0
        return
    with pytest.raises((WorkloadError, GuestFailed)) as info:
        adapter.run(broken(path), timeout_s=20)
    line = one_line(info.value)
    assert "_start" in line or "start" in line.lower(), line


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_with_the_check_bypassed_the_runtime_own_failure_is_one_line(runtime, adapters, bad_dir, monkeypatch):
    accept: Callable[..., None] = lambda *a, **k: None  # noqa: E731
    for module in (runtimes_base, wasmtime_embedded):  # the CLI adapter's check is base's module_path
        monkeypatch.setattr(module, "check_module", accept)
    adapter = adapters(runtime)
    cases = ["native-elf", "plain-text", "wrong-magic", "wrong-version", f"cut-at-{len(HELLO_BYTES) // 2}",
             "imports-env"]
    for case in cases:
        with pytest.raises(WasmscopeError) as info:
            adapter.run(broken(bad_dir / f"{case}.wasm"), timeout_s=20)
        assert isinstance(info.value, (WorkloadError, GuestFailed)), (case, info.value)
        line = one_line(info.value)
        assert f"{case}.wasm" in line or "broken" in line, (case, line)


# -- where a component is expected ----------------------------------------------------------------

def test_component_expected_gets_a_core_module_or_garbage(bad_dir):
    info = check_module(COMPONENT, expect="component", runtime="wasmtime serve")
    assert info.kind == "component" and info.size == COMPONENT.stat().st_size
    with pytest.raises(WorkloadError) as err:
        check_module(HELLO, expect="component", runtime="wasmtime serve")
    line = one_line(err.value)
    assert line.startswith("hello.wasm: is a core module (Wasm version 1, layer 0); wasmtime serve serves components")
    with pytest.raises(WorkloadError) as err:
        check_module(bad_dir / "wrong-version.wasm", expect="component")
    assert "expected a component" in one_line(err.value)
    cut = bad_dir / "cut-component.wasm"
    with open(COMPONENT, "rb") as f:
        cut.write_bytes(f.read(COMPONENT.stat().st_size // 3))
    with pytest.raises(WorkloadError) as err:
        check_module(cut, expect="component")
    assert one_line(err.value).startswith("cut-component.wasm: truncated: section 1 (core module) at byte ")


def test_wasmtime_serve_refuses_a_core_module_before_starting(adapters):
    from wasmscope.workloads.runtimes.wasmtime_serve import serve_component

    cli = adapters("wasmtime-cli")
    with pytest.raises(WorkloadError) as err:
        serve_component(cli.cli().path, component=HELLO, ready_timeout_s=5)  # type: ignore[attr-defined]
    assert one_line(err.value).startswith("hello.wasm: is a core module")


def test_wasmcloud_refuses_a_core_module_before_starting():
    from wasmscope.workloads.platforms import serve_wasmcloud
    from wasmscope.workloads.system.tools import WASH, locate

    wash = locate(WASH)
    if wash is None:
        pytest.skip("no wash (wasmCloud CLI) found")
    with pytest.raises(WorkloadError) as err:
        serve_wasmcloud(HELLO, wash=wash, ready_timeout_s=5)
    line = one_line(err.value)
    assert line.startswith("hello.wasm: is a core module") and "wash dev" in line


# -- the check itself ------------------------------------------------------------------------------

def test_the_check_reads_a_file_once_per_version(tmp_path, monkeypatch):
    reads: list[Path] = []
    real = module_check._read

    def counting(path: Path, size: int):
        reads.append(path)
        return real(path, size)

    monkeypatch.setattr(module_check, "_read", counting)
    path = tmp_path / "m.wasm"
    path.write_bytes(HELLO_BYTES)
    for _ in range(3):
        assert read_module(path).imports[0][0] == PREVIEW1
    assert len(reads) == 1
    path.write_bytes(HELLO_BYTES[:100])  # a new version of the file: read again, and now bad
    with pytest.raises(WorkloadError, match="truncated"):
        read_module(path)
    with pytest.raises(WorkloadError, match="truncated"):
        read_module(path)
    assert len(reads) == 2


def test_the_committed_modules_pass():
    for path in sorted(WASM_DIR.glob("*.wasm")):
        if path == COMPONENT:
            continue
        info = check_module(path, runtime="wasmtime")
        assert info.kind == "core" and {m for m, _ in info.imports} == {PREVIEW1}, path


# -- end to end: a profile with a broken workload ----------------------------------------------

def test_bench_with_a_broken_workload_fails_that_row_only(tmp_path):
    (tmp_path / "bad.wasm").write_bytes(HELLO_BYTES[:2000])
    profile = tmp_path / "broken.toml"
    profile.write_text("""
[bench]
runtimes = ["wasmtime", "wasm3", "native"]
measurements = ["startup", "compute"]
[startup]
workload = "broken"
runs = 2
warmup = 0
[compute]
workload = "fib"
n = 15
runs = 1
warmup = 0
[workloads.broken]
module = "bad.wasm"
""")
    env = dict(os.environ, RUST_BACKTRACE="0")
    proc = subprocess.run([sys.executable, "-m", "wasmscope.tui.cli", "bench", "--profile", str(profile), "--json"],
                          capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    why = "bad.wasm: truncated: section 10 (code) at byte "
    failed = [ln for ln in proc.stderr.splitlines() if " failed: " in ln]
    available = {r for r in ("wasmtime", "wasm3") if adapter_class(r)().availability().ok}
    assert len(failed) == len(available), proc.stderr
    for r in available:
        assert any(ln.startswith(f"wasmscope: startup on {r} failed: {why}") for ln in failed), proc.stderr
    tables = json.loads(proc.stdout)["tables"]
    startup = {r["runtime"]: r for r in tables["startup"]["rows"]}
    for r in available:
        assert startup[r]["status"] == "failed" and startup[r]["reason"].startswith(why)
    assert startup["native"]["status"] == "unsupported"  # a .wasm-only workload has no C source
    compute = {r["runtime"]: r for r in tables["compute"]["rows"]}
    assert compute["native"]["status"] == "ok"
    assert all(compute[r]["status"] == "ok" for r in available)
