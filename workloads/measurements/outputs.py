"""A user's program measured for real: what each run is given and what it must leave behind.

Every run of a workload with directories gets fresh ones: a writable directory (and a
read-only one the runtime cannot keep read-only) is a scratch copy of the user's, so one
runtime's output can never stand in for another's and the user's files are never written.
A run that exited 0 without producing what the workload's `expect` says is a failure, not a
figure. What a run produced (stdout, the files in its writable directories) is hashed, so a
table can mark a runtime whose output differs from the others' ("different output") and
leave it out of the ratios unless the user accepts it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator, Sequence

from ..errors import GuestFailed
from ..guests.catalogue import Workload
from ..guests.run_spec import Expect, Grant, host_path
from ..model.results import DIFFERENT, OK, Row, Table
from ..runtimes.base import RunResult, RuntimeAdapter

def run_checked(adapter: RuntimeAdapter, workload: Workload, args: Sequence[str], timeout_s: float) -> RunResult:
    """One run: a built-in workload as it is; a user's program in fresh directories, checked
    against its expectations, its output hashed (`RunResult.output`) and the runtime's first
    run with compile noted once (`RunResult.notes`)."""
    if workload.builtin:
        return adapter.run(workload, args, timeout_s=timeout_s)
    notes = _first_run_note(adapter, workload, args, timeout_s)
    with fresh_dirs(adapter, workload) as given:
        res = _run(adapter, given, args, timeout_s)
        check_expectations(adapter, given, res)
        return replace(res, output=fingerprint(given, res), notes={**res.notes, **notes})


@contextmanager
def fresh_dirs(adapter: RuntimeAdapter, workload: Workload) -> Iterator[Workload]:
    """The workload with scratch copies for its writable directories (and for read-only ones
    the runtime cannot keep read-only), removed afterwards."""
    if not workload.dirs:
        yield workload
        return
    root = Path(tempfile.mkdtemp(prefix="wasmscope-run-"))
    try:
        grants = []
        for i, g in enumerate(workload.dirs):
            if not g.writable and adapter.READ_ONLY_DIRS:
                grants.append(g)
                continue
            copy = root / f"{i}-{g.host.name if g.host else 'fresh'}"
            if g.host is None:
                copy.mkdir()
            else:
                shutil.copytree(g.host, copy, symlinks=True)
            _open_to_all(copy)  # a container runs as nobody
            grants.append(Grant(copy, g.guest, g.writable))
        yield replace(workload, dirs=tuple(grants))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _open_to_all(top: Path) -> None:
    for path in [top, *top.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o777 if path.is_dir() else 0o666)


def _run(adapter: RuntimeAdapter, workload: Workload, args: Sequence[str], timeout_s: float) -> RunResult:
    """adapter.run(); a non-zero exit the workload expects is its normal end (timed here)."""
    expected = workload.expect.exit_code if workload.expect else 0
    t0 = time.perf_counter()
    try:
        return adapter.run(workload, args, timeout_s=timeout_s)
    except GuestFailed as err:
        if not expected or err.exit_code != expected or err.ended != "exit":
            raise
        return RunResult(expected, err.output, "", (time.perf_counter() - t0) * 1e3, {})


def check_expectations(adapter: RuntimeAdapter, workload: Workload, res: RunResult) -> None:
    """GuestFailed, naming what is missing, when the run did not produce what was expected."""
    expect = workload.expect or Expect()
    what = f"{workload.name} on {adapter.display_name} exited {res.exit_code}"
    if expect.stdout is not None and not re.search(expect.stdout, res.stdout):
        first = (res.stdout.strip().splitlines() or ["nothing"])[0][:80]
        raise GuestFailed(f"{what} but its stdout does not match {expect.stdout!r} (it printed: {first})",
                          exit_code=res.exit_code, output=res.stdout + res.stderr)
    for f in expect.files:
        path = host_path(workload.dirs, f.path)
        problem = _file_problem(path, f.min_size, f.size, f.sha256)
        if problem:
            raise GuestFailed(f"{what} but {f.path} {problem}", exit_code=res.exit_code,
                              output=res.stdout + res.stderr)


def _file_problem(path: Path | None, min_size: int | None, size: int | None, sha256: str | None) -> str:
    if path is None or not path.is_file():
        return "was not written"
    actual = path.stat().st_size
    if min_size is not None and actual < min_size:
        return f"has {actual:,} bytes (expected at least {min_size:,})"
    if size is not None and actual != size:
        return f"has {actual:,} bytes (expected {size:,})"
    if sha256 is not None and _sha256(path) != sha256:
        return f"has sha256 {_sha256(path)[:12]}… (expected {sha256[:12]}…)"
    return ""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(workload: Workload, res: RunResult) -> dict:
    """What the run produced, hashed: stdout and every file in its writable directories
    (guest path → [size, sha256]), as far as the workload compares them."""
    compare = (workload.expect or Expect()).compare
    out: dict = {}
    if "stdout" in compare:
        out["stdout"] = [len(res.stdout.encode()), hashlib.sha256(res.stdout.encode()).hexdigest()]
    if "files" in compare:
        for g in workload.dirs:
            if not g.writable or g.host is None:
                continue
            for path in sorted(p for p in g.host.rglob("*") if p.is_file()):
                guest = os.path.join(g.guest, str(path.relative_to(g.host)))
                out[guest] = [path.stat().st_size, _sha256(path)]
    return out


def _first_run_note(adapter: RuntimeAdapter, workload: Workload, args: Sequence[str], timeout_s: float) -> dict:
    """Once per adapter and workload: a run on an empty compile cache (untimed in the table's
    figures), as {"first_run_ms", "compile_cache"}; {} where the runtime has no compile cache."""
    if workload.name not in adapter.first_runs:
        cache = adapter.compile_cache()
        note: dict = {}
        if cache:
            with fresh_dirs(adapter, workload) as given:
                first = adapter.first_run(given, args, timeout_s=timeout_s)
            if first is not None:
                note = {"first_run_ms": round(first.total_ms, 3), "compile_cache": cache}
        adapter.first_runs[workload.name] = note
    return adapter.first_runs[workload.name]


# -- a table's rows -------------------------------------------------------------------------------

def row_facts(results: Sequence[RunResult]) -> dict:
    """What a row keeps of its runs' outputs: the first run's hashes, whether they varied from
    run to run, and the first-run note."""
    facts: dict = {}
    outputs = [r.output for r in results if r.output]
    if outputs:
        facts["output"] = outputs[0]
        if any(o != outputs[0] for o in outputs[1:]):
            facts["output_varies"] = True
    for r in results:
        facts.update(r.notes)
    return facts


def mark_different_outputs(table: Table, accept: Sequence[str] = (), prefer: str | None = None) -> None:
    """Rows whose output differs from what most runtimes produced become "different output"
    (figures kept, left out of ratios) — or stay in, noted, when the user accepts it. Rows
    whose own runs disagreed are noted and not compared."""
    rows = [r for r in table.rows if r.status == OK and "output" in r.facts and not r.facts.get("output_varies")]
    if len(rows) < 2:
        return
    reference = _reference(rows, prefer)
    for row in rows:
        if row.facts["output"] == reference:
            row.facts["output_matches"] = True
            continue
        difference = describe_difference(reference, row.facts["output"])
        row.facts["output_difference"] = difference
        if row.runtime in accept:
            row.facts["output_accepted"] = True
        else:
            row.status, row.reason = DIFFERENT, f"different output: {difference}"


def _reference(rows: list[Row], prefer: str | None) -> dict:
    """The output most rows produced; a tie goes to `prefer`'s (the native baseline), then the first."""
    counts = Counter(_key(r.facts["output"]) for r in rows)
    best = max(counts.values())
    tied = [r for r in rows if counts[_key(r.facts["output"])] == best]
    return next((r for r in tied if r.runtime == prefer), tied[0]).facts["output"]


def _key(output: dict) -> str:
    return repr(sorted(output.items()))


def describe_difference(reference: dict, other: dict) -> str:
    """The first difference in words: a missing or extra file, a size or content change."""
    for name in sorted(set(reference) | set(other)):
        ref, got = reference.get(name), other.get(name)
        if ref == got:
            continue
        if got is None:
            return f"{name} missing (the others wrote {ref[0]:,} bytes)"
        if ref is None:
            return f"{name} written only here ({got[0]:,} bytes)"
        delta = got[0] - ref[0]
        size = (f"{abs(delta):,} bytes {'longer' if delta > 0 else 'shorter'}" if delta else "same size")
        return f"{name}: {size}, sha256 {got[1][:12]}… vs the others' {ref[1][:12]}…"
    return "no difference"
