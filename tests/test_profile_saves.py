"""A save that fails on a real file system leaves the old profile byte for byte, comments and all.

tests/test_profiles.py fakes the failure by patching os.replace; these tests let the kernel
refuse the write: a read-only mount (root ignores chmod, so only a mount really stops root)
and a tmpfs too small for the new file (ENOSPC in the middle of the write). They need root
and mount(8); elsewhere they skip and say why. CI runs as root, so there they run.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import pytest

from wasmscope.workloads.model.results import Results
from wasmscope.profiles import ProfileError, load_profile, save_results, save_table, set_value
from wasmscope.profiles.store import ProfileSaveError

QUICK = Path(__file__).resolve().parent.parent / "profiles" / "quick.toml"
OLD = QUICK.read_bytes()  # the shipped profile: comments above tables, beside keys, between tables

RESULTS = {"profile": "quick", "started_at": "2026-11-26T03:00:00+00:00", "machine": {"cpu": "Test CPU"},
           "tables": {"startup": {"name": "startup", "unit": "ms", "workload": "hello", "args": [],
                                  "rows": [{"runtime": "wasmtime", "status": "ok", "value": 0.42}]}}}


def big_results(rows: int) -> dict:
    """A results table far larger than a few KiB of free space (rows of a long sweep)."""
    table = dict(RESULTS["tables"]["startup"])
    table["rows"] = [{"runtime": f"runtime-{i}", "status": "ok", "value": i / 7, "reason": "x" * 40,
                      "samples": [i / 3, i / 5, i / 11]} for i in range(rows)]
    return dict(RESULTS, tables={"startup": table})


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def tmpfs() -> Iterator[Callable[[str], Path]]:
    """mount_tmpfs(size) -> a fresh directory on its own tmpfs; every mount is undone afterwards."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs (as root, chmod does not stop writes)")
    if shutil.which("mount") is None or shutil.which("umount") is None:
        pytest.skip("mount(8)/umount(8) not installed")
    mounted: list[Path] = []

    def mount_tmpfs(size: str) -> Path:
        where = Path(tempfile.mkdtemp(prefix="wasmscope-tmpfs-"))
        done = _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(where))
        if done.returncode != 0:
            where.rmdir()
            pytest.skip(f"mount -t tmpfs not permitted here: {done.stderr.strip() or done.returncode}")
        mounted.append(where)
        return where

    try:
        yield mount_tmpfs
    finally:
        for where in reversed(mounted):
            done = subprocess.run(["umount", str(where)], capture_output=True, text=True, timeout=30)
            if done.returncode != 0:
                subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)
            where.rmdir()


def remount_read_only(where: Path) -> None:
    done = _mount("-o", "remount,ro", str(where))
    assert done.returncode == 0, done.stderr


def assert_one_line_naming(err: ProfileError, path: Path, reason: str) -> None:
    msg = str(err)
    assert "\n" not in msg and msg.startswith(f"{path}: "), msg
    assert reason in msg, msg


# -- read-only file system ------------------------------------------------------------------------

def test_read_only_directory_refuses_every_save_and_keeps_the_old_file(tmpfs: Callable[[str], Path]) -> None:
    """Results, a table, one value, a new file: each one ProfileError line; the old bytes stay."""
    where = tmpfs("1m")
    p = where / "mine.toml"
    p.write_bytes(OLD)
    remount_read_only(where)
    attempts = [lambda: save_results(p, RESULTS), lambda: save_table(p, "density", RESULTS),
                lambda: set_value(p, "startup.runs", 3)]
    for attempt in attempts:
        with pytest.raises(ProfileError) as err:
            attempt()
        assert_one_line_naming(err.value, p, "cannot write: Read-only file system; the file on disk is unchanged")
        assert isinstance(err.value, OSError) and err.value.errno == errno.EROFS
        assert p.read_bytes() == OLD
    new = where / "new.toml"
    with pytest.raises(ProfileError) as err:
        save_results(new, RESULTS, template=p)
    assert_one_line_naming(err.value, new, "cannot write: Read-only file system")
    assert "unchanged" not in str(err.value)  # there was no file to keep
    assert sorted(x.name for x in where.iterdir()) == ["mine.toml"]
    assert load_profile(p).results is None


# -- disk full --------------------------------------------------------------------------------------

def test_disk_full_keeps_the_old_file_and_leaves_no_temp_file(tmpfs: Callable[[str], Path]) -> None:
    """ENOSPC mid-write: the old profile is byte-identical and the partial temp file is removed."""
    where = tmpfs(f"{len(OLD) // 1024 + 8}k")  # the old file, and a few KiB more
    p = where / "mine.toml"
    p.write_bytes(OLD)
    big = big_results(2000)
    with pytest.raises(ProfileError) as err:
        save_results(p, big)
    assert_one_line_naming(err.value, p, "cannot write: No space left on device; the file on disk is unchanged")
    assert isinstance(err.value, ProfileSaveError) and err.value.errno == errno.ENOSPC
    assert p.read_bytes() == OLD
    assert sorted(x.name for x in where.iterdir()) == ["mine.toml"]
    # The space the temp file took is given back: a save that fits still goes through, comments kept.
    save_results(p, RESULTS)
    assert p.read_text(encoding="utf-8").startswith(OLD.decode("utf-8").rstrip("\n"))
    assert load_profile(p).results == Results.from_dict(RESULTS)


def test_disk_full_for_a_new_file_leaves_nothing(tmpfs: Callable[[str], Path]) -> None:
    """Saving results to a new path on a full disk: no half-written profile appears."""
    where = tmpfs("8k")
    dst = where / "results.toml"
    with pytest.raises(ProfileError) as err:
        save_results(dst, big_results(500), template=QUICK)
    assert_one_line_naming(err.value, dst, "cannot write: No space left on device")
    assert list(where.iterdir()) == []


# -- the successful path on the same kind of mount -------------------------------------------------

def test_save_on_tmpfs_keeps_comments_mode_and_no_temp_file(tmpfs: Callable[[str], Path]) -> None:
    """The rename-based save works on a tmpfs too: every comment kept, mode kept, nothing left over."""
    where = tmpfs("1m")
    p = where / "mine.toml"
    p.write_bytes(OLD)
    os.chmod(p, 0o640)
    save_results(p, big_results(50))
    set_value(p, "startup.runs", 4)
    text = p.read_text(encoding="utf-8")
    edited = OLD.decode("utf-8").replace("\nruns = 6\n", "\nruns = 4\n", 1)
    assert edited != OLD.decode("utf-8")
    assert text.startswith(edited.rstrip("\n"))  # every comment, blank line and spacing of the old file
    assert text.count("[results]") == 1
    assert (p.stat().st_mode & 0o777) == 0o640
    assert sorted(x.name for x in where.iterdir()) == ["mine.toml"]
    prof = load_profile(p)
    assert prof.startup.runs == 4 and len(prof.results.tables["startup"].rows) == 50
