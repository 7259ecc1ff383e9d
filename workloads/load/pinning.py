"""Keep the load generator and the server on different cores and pin a process tree."""

from __future__ import annotations

import os

import psutil


def usable_cpus() -> set[int]:
    """Cores this process may run on (its affinity mask, which respects cgroups/taskset)."""
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return set(range(os.cpu_count() or 1))


def split_cores() -> tuple[set[int], set[int]] | None:
    """(server cores, generator cores), disjoint; None when fewer than 2 usable cores.

    The generator gets a quarter of the cores (at least one), taken from the top.
    """
    cpus = sorted(usable_cpus())
    if len(cpus) < 2:
        return None
    n_gen = max(1, len(cpus) // 4)
    return set(cpus[:-n_gen]), set(cpus[-n_gen:])


def pin_process_tree(pid: int, cpus: set[int]) -> None:
    """Pin a process, each of its threads (/proc/PID/task) and its descendants to `cpus`.

    Processes or threads that exit meanwhile are skipped; an empty or unusable core set
    raises ValueError/OSError from the kernel call on the top process.
    """
    cpus = set(cpus)
    if not cpus:
        raise ValueError("pin_process_tree: empty core set")
    pids = [pid]
    try:
        pids += [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        pass
    for i, p in enumerate(pids):
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{p}/task")]
        except FileNotFoundError:
            tids = [p]
        for tid in tids:
            try:
                os.sched_setaffinity(tid, cpus)
            except ProcessLookupError:
                continue
            except OSError:
                if i == 0 and tid == p:
                    raise
