"""Writes that could block or lose results, and paths that are not files (issue 19, bullet 4).

A `--save` target that is a FIFO, a directory, a device, a missing or read-only directory is
refused in one line before anything is measured (a FIFO used to block the save once the
results existed); a profile path that exists but is no regular file says what it is; the
command line's `--runs`, `--duration`, `--connections` and `--rate` get the profile schema's
bounds, in the same words. Real FIFOs, a real read-only tmpfs, real subprocesses.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from wasmscope.profiles import ProfileError, check_save_target, load_profile, save_results
from wasmscope.profiles.schema import IO_DURATION_S, RUNS

WASMSCOPE = [sys.executable, "-m", "wasmscope.tui.cli"]
pytestmark = pytest.mark.timeout(120)


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([*WASMSCOPE, *args], capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "results.fifo"
    os.mkfifo(path)
    return path


@pytest.fixture
def read_only_dir(tmp_path):
    """A real read-only file system (tmpfs mounted ro), unmounted after the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "ro"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(mnt)], check=True, timeout=10)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True, timeout=10)


# -- --save: refused before measuring -----------------------------------------------------------

ADVISE = ("advise", "--language", "rust", "--state", "stateless", "--traffic", "spiky", "--kind", "serverless")
BENCH = ("bench", "--profile", "quick", "--runtimes", "wasmtime", "--workloads", "hello", "--runs", "1")


def assert_refused_before_measuring(proc: subprocess.CompletedProcess, line: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == f"wasmscope: {line}", proc.stderr
    assert "measuring" not in proc.stderr and "density of" not in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_bench_save_to_a_fifo_is_refused_before_measuring(fifo):
    proc = run_cli(*BENCH, "--save", str(fifo))
    assert_refused_before_measuring(
        proc, f"{fifo}: is a FIFO (named pipe); results are saved only into a regular file (or a new one)")
    assert fifo.is_fifo()


def test_density_and_advise_save_to_a_fifo_are_refused(fifo):
    density = run_cli("density", "--runtimes", "wasmtime", "--max", "2", "--save", str(fifo))
    assert_refused_before_measuring(
        density, f"{fifo}: is a FIFO (named pipe); results are saved only into a regular file (or a new one)")
    for flag, words in (("--answers", "not an answers file"), ("--rules", "not a rules file")):
        read = run_cli(*ADVISE, flag, str(fifo))  # never opened: it would block
        assert read.returncode == 2, read.stderr
        assert read.stderr.strip() == f"wasmscope: {fifo}: is a FIFO (named pipe), {words} (expected a TOML file)"
    advise = run_cli(*ADVISE, "--save", str(fifo))
    assert advise.returncode == 2 and advise.stdout == "", advise.stderr
    assert advise.stderr.strip() == f"wasmscope: {fifo}: is a FIFO (named pipe); results are saved only " \
                                    "into a regular file (or a new one)"


@pytest.mark.parametrize("target, words", [
    ("DIR", "is a directory; results are saved only into a regular file (or a new one)"),
    ("/dev/null", "is a character device; results are saved only into a regular file (or a new one)"),
    ("DIR/missing/new.toml", "cannot write: the directory DIR/missing does not exist"),
])
def test_bench_save_to_what_is_not_a_file_is_refused(tmp_path, target, words):
    target = target.replace("DIR", str(tmp_path))
    proc = run_cli(*BENCH, "--save", target)
    assert_refused_before_measuring(proc, f"{target}: {words.replace('DIR', str(tmp_path))}")


def test_bench_save_into_a_read_only_directory_is_refused(read_only_dir):
    target = read_only_dir / "new.toml"
    proc = run_cli(*BENCH, "--save", str(target))
    assert_refused_before_measuring(proc, f"{target}: cannot write: Read-only file system")


def test_save_results_onto_a_fifo_never_opens_it(fifo):
    """The engine call itself (the app's ctrl+s path) refuses, without blocking on the FIFO."""
    done = threading.Event()
    errors: list[BaseException] = []

    def save() -> None:
        try:
            save_results(fifo, {"profile": "x"})
        except BaseException as err:  # noqa: BLE001 - handed to the test thread
            errors.append(err)
        done.set()

    threading.Thread(target=save, daemon=True).start()
    if not done.wait(10):
        with open(fifo, "wb"):  # unblock the reader so the thread can end
            pass
        pytest.fail("save_results blocked on a FIFO")
    assert len(errors) == 1 and isinstance(errors[0], ProfileError) and "is a FIFO" in str(errors[0])
    assert fifo.is_fifo()


def test_a_regular_file_a_new_file_and_a_link_to_a_new_file_are_accepted(tmp_path):
    (tmp_path / "old.toml").write_text("# mine\n")
    (tmp_path / "link.toml").symlink_to(tmp_path / "target.toml")
    for name in ("old.toml", "new.toml", "link.toml"):
        check_save_target(tmp_path / name)
    save_results(tmp_path / "link.toml", {"profile": "x"})
    assert (tmp_path / "link.toml").is_symlink() and "[results]" in (tmp_path / "target.toml").read_text()


# -- profile paths that exist but are not files ---------------------------------------------------

@pytest.mark.parametrize("kind", ["directory", "fifo", "dev-zero", "symlink-loop"])
def test_a_profile_path_that_is_not_a_file_says_what_it_is(tmp_path, kind):
    if kind == "directory":
        path, words = tmp_path, "is a directory"
    elif kind == "fifo":
        path, words = tmp_path / "p.fifo", "is a FIFO (named pipe)"
        os.mkfifo(path)
    elif kind == "dev-zero":
        path, words = Path("/dev/zero"), "is a character device"
    else:
        path, words = tmp_path / "loop.toml", "is a symlink loop"
        path.symlink_to(tmp_path / "loop2.toml")
        (tmp_path / "loop2.toml").symlink_to(path)
    proc = run_cli("bench", "--profile", str(path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"wasmscope: {path}: {words}, not a profile file (expected a TOML file)"
    with pytest.raises(ProfileError, match="^" + re.escape(f"{path}: {words},")):
        load_profile(path)  # never opened: a FIFO would block, /dev/zero never end


# -- the command line gets the profile's bounds ---------------------------------------------------

@pytest.mark.parametrize("flag, value, expected", [
    ("--duration", "1e12", f"expected {IO_DURATION_S.expected()}, got 1e+12"),
    ("--duration", "inf", f"expected {IO_DURATION_S.expected()}, got inf"),
    ("--duration", "nan", f"expected {IO_DURATION_S.expected()}, got nan"),
    ("--duration", "0", f"expected {IO_DURATION_S.expected()}, got 0"),
    ("--runs", "1000000000", f"expected {RUNS.expected()}, got 1000000000"),
    ("--runs", "0", f"expected {RUNS.expected()}, got 0"),
    ("--connections", "20000", "expected an integer between 1 and 10000, got '20000'"),
    ("--rate", "1e9", "expected a number > 0 and <= 10000000, got '1e9'"),
])
def test_out_of_bounds_flags_are_refused_in_the_profiles_words(flag, value, expected):
    proc = run_cli("bench", "--workloads", "http" if flag != "--runs" else "hello", flag, value)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"wasmscope: {flag}: {expected}"


@pytest.mark.parametrize("key, value, flag_words", [
    ("startup.runs", "1000000000", RUNS.expected()),
    ("io.duration_s", "1e12", IO_DURATION_S.expected()),
])
def test_the_profile_refuses_the_same_values_with_the_same_words(tmp_path, key, value, flag_words):
    section, name = key.split(".")
    path = tmp_path / "p.toml"
    path.write_text(f"[{section}]\n{name} = {value}\n")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert f"{path}: {key}: expected {flag_words}, got " in str(err.value)
