"""A cache dir on a full, nearly full or read-only disk (issue 19, bullet 1): real tmpfs mounts.

Each row that needs a new file in the cache says so in one line naming the directory and the
reason; rows that need nothing there are still measured; exit 1, never a traceback. A
read-only cache that already holds what a run needs is used for reading. A linker that runs
out of space is reported as no space, not as "linker command failed".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from wasmscope.workloads.system.tools import WASMTIME_CLI

CLI_ENV_VAR = WASMTIME_CLI.env_var

WASMSCOPE = [sys.executable, "-m", "wasmscope.tui.cli"]
pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def tmpfs(tmp_path) -> Iterator[Callable[..., Path]]:
    """mount(size, ro=False) -> a fresh directory on its own tmpfs; unmounted after the test."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root and mount(8) to mount a tmpfs (root ignores chmod)")
    mounted: list[Path] = []

    def mount(size: str, ro: bool = False) -> Path:
        where = tmp_path / f"tmpfs-{uuid.uuid4().hex[:8]}"
        where.mkdir()
        opts = f"size={size},mode=0755" + (",ro" if ro else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)],
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            pytest.skip(f"mount -t tmpfs not permitted here: {done.stderr.strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in reversed(mounted):
        if subprocess.run(["umount", str(where)], capture_output=True, timeout=30).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


def fill(where: Path, leave_kib: int = 0) -> None:
    """Fill the tmpfs until at most `leave_kib` KiB are free (or it is full)."""
    def free() -> int:
        st = os.statvfs(where)
        return st.f_bavail * st.f_frsize

    with open(where / "filler", "wb") as f:
        try:
            while free() > leave_kib * 1024:
                f.write(b"\0" * 4096)
                f.flush()
        except OSError:  # ENOSPC: full
            pass


def bench(cache: Path, runtimes: str, *extra: str, keep_cli: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["WASMSCOPE_CACHE_DIR"] = str(cache)
    if not keep_cli:
        env.pop(CLI_ENV_VAR, None)  # the wasmtime CLI only where wasmscope's tools dir has it
    return subprocess.run([*WASMSCOPE, "bench", "--runtimes", runtimes, "--workloads", "hello", "--runs", "1",
                           "--json", *extra], capture_output=True, text=True, timeout=240, env=env,
                          stdin=subprocess.DEVNULL)


def startup_rows(proc: subprocess.CompletedProcess) -> dict[str, dict]:
    assert "Traceback" not in proc.stderr, proc.stderr
    return {r["runtime"]: r for r in json.loads(proc.stdout)["tables"]["startup"]["rows"]}


def failed_lines(proc: subprocess.CompletedProcess) -> list[str]:
    return [ln for ln in proc.stderr.splitlines() if " failed: " in ln]


@pytest.mark.parametrize("state, reason, remedy", [
    ("full", "no space left on the device", "free some space there"),
    ("read-only", "read-only file system", "make it writable"),
])
def test_an_unusable_cache_fails_only_the_rows_that_need_it(tmpfs, state, reason, remedy):
    where = tmpfs("256k", ro=state == "read-only")
    if state == "full":
        fill(where)
    cache = where / "cache" if state == "full" else where
    proc = bench(cache, "wasmtime,native,node,wasmtime-cli", keep_cli=False)
    assert proc.returncode == 1, proc.stderr
    rows = startup_rows(proc)
    for name, what in (("wasmtime", "the compiled module of hello.wasm"), ("native", "the native build of hello")):
        assert rows[name]["status"] == "failed"
        assert rows[name]["reason"].startswith(f"{what}: the cache dir {cache} cannot take it: {reason}"), rows[name]
        assert remedy in rows[name]["reason"] and "WASMSCOPE_CACHE_DIR" in rows[name]["reason"]
    assert rows["node"]["status"] == "ok"  # needs nothing in the cache: still measured
    cli = rows["wasmtime-cli"]
    assert cli["status"] == "unavailable"
    assert f"wasmscope's tools dir {cache / 'tools'} cannot take an install: {reason}" in cli["reason"], cli
    assert sorted(failed_lines(proc)) == sorted(
        f"wasmscope: startup on {name} failed: {rows[name]['reason']}" for name in ("wasmtime", "native"))


def test_a_read_only_cache_that_holds_the_builds_is_used_for_reading(tmpfs):
    where = tmpfs("16m")
    runtimes = "wasmtime,native" + (",podman" if shutil.which("podman") else "")
    first = bench(where, runtimes)
    assert first.returncode == 0, first.stderr
    done = subprocess.run(["mount", "-o", "remount,ro", str(where)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    again = bench(where, runtimes)
    assert again.returncode == 0, again.stderr
    rows = startup_rows(again)
    for name in runtimes.split(","):
        assert rows[name]["status"] == "ok", rows[name]  # podman logs to the run's temp dir instead


def test_a_nearly_full_cache_names_no_space_not_the_linker(tmpfs):
    where = tmpfs("1m")
    fill(where, leave_kib=96)  # room for the compiled hello module, not for a static binary
    proc = bench(where / "cache", "native")
    assert proc.returncode == 1, proc.stderr
    native = startup_rows(proc)["native"]
    assert native["status"] == "failed"
    assert native["reason"].startswith(f"the native build of hello: the cache dir {where / 'cache'} cannot take "
                                       "it: no space left on the device ("), native
    assert "linker command failed" not in proc.stderr
