"""The race engine, headless, on real runtimes: lanes start together, count completed runs,
stop at the whistle or on cancel, and say why a lane could not race."""

from __future__ import annotations

import threading
import time

import pytest

from wasmscope.profiles import load_profile
from wasmscope.workloads.bench import describe_runtimes
from wasmscope.workloads.live import LiveSession
from wasmscope.workloads.race import CANCELLED, DONE, RACING, Race, RaceState, race_lanes


@pytest.fixture
def live(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")  # docker: unavailable here
    path = tmp_path / "race.toml"
    path.write_text('[bench]\nruntimes = ["wasmtime", "native"]\n')
    session = LiveSession(load_profile(path), ["wasmtime", "native", "docker"])
    yield session
    session.close()


def test_two_lanes_race_and_count_until_the_whistle(live):
    updates: list[RaceState] = []
    race = Race(["wasmtime", "native"], lambda rt: live.run_once(rt, "hello"), duration_s=1.5,
                names={"wasmtime": "Wasmtime (embedded)", "native": "Native"})
    t0 = time.monotonic()
    final = race.run(on_update=updates.append, interval_s=0.05)
    assert time.monotonic() - t0 < 30
    assert final.phase == DONE and final.elapsed_s == pytest.approx(1.5)
    lanes = {lane.runtime: lane for lane in final.lanes}
    assert lanes["wasmtime"].runs > 0 and lanes["native"].runs > 0
    assert lanes["wasmtime"].errors == lanes["native"].errors == 0
    assert all(lane.mean_ms and lane.mean_ms > 0 for lane in final.lanes)
    racing = [u for u in updates if u.phase == RACING]
    assert racing, "no update while racing"
    for before, after in zip(racing, racing[1:]):  # counts only grow, lane by lane
        assert all(later.runs >= earlier.runs for earlier, later in zip(before.lanes, after.lanes))
    line = final.counts_line()
    assert line.startswith(f"Wasmtime (embedded) {lanes['wasmtime'].runs:,} run")
    assert f"Native {lanes['native'].runs:,} run" in line
    lead = final.leader()
    other = next(lane for lane in final.lanes if lane is not lead)
    assert final.ratio(other) == pytest.approx(lead.runs / other.runs)
    assert RaceState.from_dict(final.to_dict()) == final  # stored in a profile, read back


def test_cancel_stops_every_lane_soon(live):
    cancel = threading.Event()
    race = Race(["wasmtime", "native"], lambda rt: live.run_once(rt, "hello"), duration_s=60)

    def cancel_once_racing(state: RaceState) -> None:
        if state.phase == RACING and any(lane.runs for lane in state.lanes):
            cancel.set()

    t0 = time.monotonic()
    final = race.run(cancel, on_update=cancel_once_racing, interval_s=0.05)
    assert final.phase == CANCELLED and time.monotonic() - t0 < 20
    assert final.elapsed_s < 60


def test_a_lane_that_cannot_run_says_why_and_the_others_race(live):
    final = Race(["native", "docker"], lambda rt: live.run_once(rt, "hello"), duration_s=0.5).run()
    lanes = {lane.runtime: lane for lane in final.lanes}
    assert lanes["native"].runs > 0 and not lanes["native"].failure
    assert lanes["docker"].runs == 0 and lanes["docker"].failure.startswith("warm-up failed: ")
    assert "none.sock" in lanes["docker"].failure


def test_failing_guests_are_errors_not_runs(live):
    final = Race(["wasmtime", "native"], lambda rt: live.run_once(rt, "crash", ["trap"]), duration_s=0.5).run()
    assert all(lane.runs == 0 for lane in final.lanes)
    # a guest that fails in its warm-up fails every time: the lane says so instead of racing
    assert all(lane.failure.startswith("warm-up failed: ") for lane in final.lanes)


def test_who_races_by_default(live):
    infos = describe_runtimes(live.adapters)
    assert not infos["docker"].available
    # the selected runtime against the available baselines (docker is not: native only)
    assert race_lanes("wasmtime", infos) == ["wasmtime", "native"]
    # a baseline selected: a Wasm runtime joins so the race compares Wasm with it
    assert race_lanes("native", infos) == ["native", "wasmtime"]
    assert race_lanes("wasmtime", infos, configured=["docker", "wasmtime"]) == []  # one lane is no race
    assert race_lanes("native", infos, configured=["wasmtime", "native"]) == ["wasmtime", "native"]


@pytest.mark.parametrize("bad, why", [
    ({"duration_s": 5, "lanes": []}, "lanes: expected a non-empty array"),
    ({"duration_s": 0, "lanes": [{"runtime": "native", "runs": 3}]}, "duration_s: expected a number above 0, got 0"),
    ({"duration_s": 5, "lanes": [{"runs": 3}]}, "lanes[0]: expected a table with a runtime name"),
    ({"duration_s": 5, "lanes": [{"runtime": "native", "runs": -1}]}, "lanes[0].runs: expected an integer >= 0, got -1"),
    ({"duration_s": 5, "lanes": [{"runtime": "native", "busy_ms": "x"}]}, "lanes[0].busy_ms: expected a number >= 0"),
])
def test_a_bad_stored_race_is_refused_with_the_reason(bad, why):
    with pytest.raises(ValueError, match=__import__("re").escape(why)):
        RaceState.from_dict(bad)
