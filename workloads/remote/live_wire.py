"""The live session across the line: which LiveSession calls the agent serves, and how their
values travel (plain data there, the same types here: samples, readings, load summaries)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable

from ..live import InstanceReading, LiveSession, LiveState
from ..load import LoadSummary, Tick
from ..model.results import RuntimeInfo
from ..model.samples import sample_to_dict
from ..runtimes.base import Instance, MemoryReading


@dataclass(frozen=True)
class RemoteInstance:
    """A workload running on a remote host, as the app sees it (it samples through the session)."""

    runtime: str
    workload: str
    started_ms: float = 0.0
    ready_line: str = ""


def instance_to_dict(inst: Instance | None) -> dict[str, Any] | None:
    if inst is None:
        return None
    return {"runtime": inst.runtime, "workload": inst.workload, "started_ms": inst.started_ms,
            "ready_line": inst.ready_line}


def instance_from_dict(data: dict[str, Any] | None) -> RemoteInstance | None:
    return None if data is None else RemoteInstance(**data)


def reading_to_dict(r: InstanceReading) -> dict[str, Any]:
    return {"runtime": r.runtime, "workload": r.workload, "alive": r.alive,
            "reading": asdict(r.reading) if r.reading is not None else None}


def reading_from_dict(data: dict[str, Any]) -> InstanceReading:
    reading = MemoryReading(**data["reading"]) if data.get("reading") else None
    return InstanceReading(data["runtime"], data["workload"], reading, bool(data["alive"]))


def state_to_dict(state: LiveState) -> dict[str, Any]:
    return {"version": state.version, "instances": [reading_to_dict(r) for r in state.instances],
            "exited": [reading_to_dict(r) for r in state.exited]}


def state_from_dict(data: dict[str, Any]) -> LiveState:
    return LiveState(int(data["version"]), tuple(reading_from_dict(r) for r in data["instances"]),
                     tuple(reading_from_dict(r) for r in data["exited"]))


def tick_to_dict(tick: Tick) -> dict[str, Any]:
    return asdict(tick)


def tick_from_dict(data: dict[str, Any]) -> Tick:
    return Tick(**data)


def runtimes_from_dict(data: dict[str, Any]) -> dict[str, RuntimeInfo]:
    return {name: RuntimeInfo(**info) for name, info in data.items()}


def _describe(live: LiveSession) -> dict[str, Any]:
    """Every runtime, and the equivalent command line of each workload on each available one
    (the app logs them as it acts, without a round trip)."""
    infos = live.describe()
    commands: dict[str, dict[str, str]] = {}
    for rt, info in infos.items():
        if not info.available:
            continue
        for wl in live.profile.workloads:
            try:
                commands.setdefault(rt, {})[wl] = live.command_line(rt, wl)
            except Exception:  # noqa: BLE001 - a workload this runtime cannot show: no line
                continue
    return {"runtimes": {n: asdict(i) for n, i in infos.items()}, "commands": commands}


# method → (session, cancel, send a tick, *args) → plain value
CALLS: dict[str, Callable[..., Any]] = {
    "describe": lambda s, cancel, tick: _describe(s),
    "run_sample": lambda s, cancel, tick, rt, wl, cold=None: sample_to_dict(s.run_sample(rt, wl, cold)),
    "start": lambda s, cancel, tick, rt, wl: instance_to_dict(s.start(rt, wl)),
    "instance": lambda s, cancel, tick, rt: instance_to_dict(s.instance(rt)),
    "stop": lambda s, cancel, tick, rt: s.stop(rt),
    "running": lambda s, cancel, tick: s.running(),
    "snapshot": lambda s, cancel, tick, sample=True: state_to_dict(s.snapshot(sample=bool(sample))),
    "load": lambda s, cancel, tick, rt: s.load(rt, on_tick=tick, cancel=cancel).to_dict(),
}


def summary_from_dict(data: dict[str, Any]) -> LoadSummary:
    return LoadSummary.from_dict(data)
