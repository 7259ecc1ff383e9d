"""What dead runs left, removed: their processes, their containers on the engines they noted
(Docker, Podman), build leftovers and their temporary directories.

The start of every run (`sweep_dead_runs`) and `wasmscope clean` (`clean_engine`, then
`sessions.sweep_local`) share it. A run's start contacts an engine only when a dead run noted
it (sessions.note_engine), so a run that needs no engine starts no Podman service and never
waits for a hung Docker engine.
"""

from __future__ import annotations

from .errors import RuntimeUnavailable
from .runtimes import create_adapter
from .system import sessions

ENGINES = ("docker", "podman")  # adapters whose ENGINE is the container store of that name


def clean_engine(kind: str, *, include_live: bool = False, images: bool = False,
                 containers_only: bool = False) -> sessions.CleanReport:
    """Containers of dead sessions on one engine (every labelled one with include_live), and
    unless containers_only its dangling labelled images (every one with images). Raises
    RuntimeUnavailable when the engine cannot be reached."""
    adapter = create_adapter(kind)
    try:
        client = adapter.client()  # the first contact removes dead sessions' containers
        if containers_only and not include_live:
            return adapter.reaped
        return sessions.clean(client, include_live=include_live, images=images, already=adapter.reaped)
    finally:
        adapter.close()


def sweep_dead_runs() -> sessions.CleanReport:
    """At the start of a run: the dead runs' processes first (a load generator or a guest
    must not run on while an engine is contacted), then their containers on the engines they
    noted, then build leftovers and their temporary directories. Each removal is said as it
    happens (sessions.set_reporter)."""
    noted = sorted(set().union(*sessions.dead_sessions().values()) & set(ENGINES))
    report = sessions.reap_processes()
    for kind in noted:
        try:
            report.merge(clean_engine(kind, containers_only=True))
        except RuntimeUnavailable as err:
            line = f"containers of dead runs on {kind} not checked: {err}"
            report.kept.append(line)
            sessions.say(f"kept {line}")
    return report.merge(sessions.remove_leftovers()).merge(sessions.remove_dead_sessions())
