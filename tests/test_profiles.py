"""Profiles: shipped files load, bad files give one precise line, saves keep comments atomically."""

from __future__ import annotations

import re

import os
from pathlib import Path

import pytest

from wasmscope.workloads.model.results import Results
from wasmscope.profiles import (
    ProfileError,
    default_profile_path,
    load_profile,
    resolve_profile_path,
    save_results,
    set_value,
    write_atomic,
)
from wasmscope.workloads.runtimes import KNOWN_RUNTIMES

DATA = Path(__file__).parent / "data" / "profiles"

COMMENTED = """# top comment: my profile
[profile]
name = "mine"   # trailing comment

# before bench
[bench]
runtimes = ["wasmtime", "native"]  # no docker on this laptop
measurements = ["startup"]

[startup]
# inside startup
runs = 3
warmup = 0
"""

RESULTS = {
    "profile": "mine", "started_at": "2026-11-25T04:00:00+00:00",
    "machine": {"cpu": "Test CPU", "cores": 2},
    "tables": {"startup": {"name": "startup", "unit": "ms", "workload": "hello", "args": [],
                           "rows": [{"runtime": "wasmtime", "status": "ok", "value": 0.42,
                                     "stats": {"median": 0.42, "p95": 0.5}, "phases": {"load": 0.1},
                                     "samples": [0.41, 0.42, 0.5]},
                                    {"runtime": "docker", "status": "unavailable", "reason": "no engine"}]}},
}


def test_shipped_profiles_load():
    quick = load_profile(resolve_profile_path("quick"))
    article = load_profile(resolve_profile_path("article"))
    assert quick.bench.runtimes == ("wasmtime", "native", "docker", "wasmtime-cli")
    assert article.compute.n == 40
    assert article.reference["startup_ms"]["Docker (Alpine)"] == 300
    assert "not measured" in article.reference["note"] or "never measured" in article.reference["note"]
    assert default_profile_path() == resolve_profile_path("quick")


def test_empty_profile_gets_defaults(tmp_path):
    p = tmp_path / "empty.toml"
    p.write_text("")
    prof = load_profile(p)
    assert prof.name == "empty" and prof.startup.runs == 20 and prof.compute.n == 35
    assert prof.results is None and prof.workload("hello").module.is_file()


def test_resolve_unknown_name_lists_shipped():
    with pytest.raises(ProfileError, match=r"nope: no such profile file.*shipped: article, flite, quick"):
        resolve_profile_path("nope")


def test_user_workload_module_relative_to_profile(tmp_path):
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / "m.wasm").write_bytes(b"\0asm\1\0\0\0")
    p = tmp_path / "p.toml"
    p.write_text('[workloads.mine]\nmodule = "mods/m.wasm"\nargs = ["1"]\n[startup]\nworkload = "mine"\n')
    w = load_profile(p).workload("mine")
    assert w.module == (tmp_path / "mods" / "m.wasm").resolve() and w.args == ("1",) and w.source is None


@pytest.mark.parametrize("name, key, fragment", [
    ("not_toml", None, "not valid TOML"),
    ("unknown_runtime", "bench.runtimes",
     f"unknown runtime 'wasmtme' (known: {', '.join(sorted(KNOWN_RUNTIMES))}; did you mean 'wasmtime'?)"),
    ("wrong_type", "startup.runs", "expected an integer between 1 and 10000, got 'five' (str)"),
    ("bool_not_int", "startup.runs", "expected an integer between 1 and 10000, got True (bool)"),
    ("missing_module", "workloads.mine.module", "file not found: "),
    ("unknown_key", "startup.runz", "unknown key (did you mean 'startup.runs'?)"),
    ("unknown_workload", "startup.workload", "unknown workload 'helo'"),
    ("out_of_range", "compute.n", "expected an integer between 1 and 50, got 500"),
    ("bad_reference", 'reference.startup_ms."Docker (Alpine)"', "expected a number >= 0, got '300 ms' (str)"),
    ("bad_app_layout", "app.layout", "expected one of grid, list, got 'lists'; did you mean 'list'?"),
    ("bad_race", "race", "not a wasmscope race table (lanes: expected a non-empty array of tables)"),
])
def test_bad_profiles_give_one_precise_line(name, key, fragment):
    path = DATA / f"{name}.toml"
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: ")
    if key:
        assert f": {key}: " in msg
    assert fragment in msg, msg


def test_unknown_key_near_nothing_lists_the_allowed(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text("[bench]\nzzzzzz = 1\n")
    with pytest.raises(ProfileError, match=r"bench.zzzzzz: unknown key \(expected one of: runtimes"):
        load_profile(p)


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(ProfileError, match=r"gone.toml: cannot read: No such file or directory"):
        load_profile(tmp_path / "gone.toml")


def test_save_results_keeps_comments_and_order_and_replaces(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(COMMENTED)
    save_results(p, RESULTS)
    text = p.read_text()
    assert text.startswith(COMMENTED.rstrip("\n"))  # every byte of the user's part kept, in order
    assert load_profile(p).results == Results.from_dict(RESULTS)
    changed = dict(RESULTS, profile="again")
    save_results(p, changed)
    text2 = p.read_text()
    assert text2.count("[results]") == 1 and load_profile(p).results.profile == "again"
    assert text2.startswith(COMMENTED.rstrip("\n"))


def test_save_results_to_new_path_copies_template(tmp_path):
    src = tmp_path / "src.toml"
    src.write_text(COMMENTED)
    dst = tmp_path / "new.toml"
    save_results(dst, RESULTS, template=src)
    assert "# no docker on this laptop" in dst.read_text()
    assert load_profile(dst).results.tables["startup"].rows[0].value == 0.42
    assert src.read_text() == COMMENTED  # the template is untouched


def test_save_refuses_none(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(COMMENTED)
    with pytest.raises(ValueError, match=r"results.machine.cpu: None"):
        save_results(p, {"machine": {"cpu": None}})
    assert p.read_text() == COMMENTED


def test_set_value_keeps_comments(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(COMMENTED)
    set_value(p, "bench.runtimes", ["wasmtime"])
    text = p.read_text()
    assert 'runtimes = ["wasmtime"]  # no docker on this laptop' in text
    assert text.replace('["wasmtime"]', '["wasmtime", "native"]', 1) == COMMENTED
    assert "# top comment: my profile" in text and "# inside startup" in text
    assert load_profile(p).bench.runtimes == ("wasmtime",)
    set_value(p, "memory.mib", 32)
    assert load_profile(p).memory.mib == 32


def test_failed_write_leaves_the_original_and_no_temp_files(tmp_path, monkeypatch):
    p = tmp_path / "p.toml"
    p.write_text(COMMENTED)
    os.chmod(p, 0o640)

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_results(p, RESULTS)
    assert p.read_text() == COMMENTED
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p.toml"]
    monkeypatch.undo()
    save_results(p, RESULTS)
    assert (p.stat().st_mode & 0o777) == 0o640  # permission bits kept across the replace


def test_broken_file_is_not_overwritten(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text("[bench\n")
    with pytest.raises(ProfileError, match="not valid TOML, not overwritten"):
        save_results(p, RESULTS)
    assert p.read_text() == "[bench\n"


def test_unknown_key_suggests_the_full_dotted_key(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text("[bench]\nruns = 3\n")
    with pytest.raises(ProfileError) as err:
        load_profile(p)
    assert str(err.value) == f"{p}: bench.runs: unknown key (did you mean 'bench.runtimes'?)"


def test_loaded_results_and_reference_are_plain_python(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(COMMENTED)
    save_results(p, RESULTS)
    prof = load_profile(p)

    def plain(v):
        if isinstance(v, dict):
            return type(v) is dict and all(type(k) is str and plain(x) for k, x in v.items())
        if isinstance(v, list):
            return type(v) is list and all(plain(x) for x in v)
        return type(v) in (str, int, float, bool)

    assert plain(prof.results.to_dict())  # read into the typed model; its data round-trips as plain TOML types
    assert plain(load_profile(resolve_profile_path("article")).reference)


def test_set_value_refuses_a_value_the_profile_would_reject(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(COMMENTED)
    with pytest.raises(ProfileError, match=r"p.toml: bench.runtimes: unknown runtime 'wasmtme'"):
        set_value(p, "bench.runtimes", ["wasmtme"])
    with pytest.raises(ProfileError, match=r"p.toml: startup.runs: expected an integer between 1 and 10000, got 0"):
        set_value(p, "startup.runs", 0)
    assert p.read_text() == COMMENTED


def test_set_value_adds_a_missing_section(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text(COMMENTED)
    set_value(p, "compute.n", 20)
    assert p.read_text().startswith(COMMENTED) and load_profile(p).compute.n == 20


def test_new_file_gets_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        dst = tmp_path / "new.toml"
        write_atomic(dst, "[profile]\n")
    finally:
        os.umask(old)
    assert (dst.stat().st_mode & 0o777) == 0o644 and dst.read_text() == "[profile]\n"


def test_write_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.toml"
    real.write_text(COMMENTED)
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    save_results(link, RESULTS)
    assert link.is_symlink() and load_profile(real).results == Results.from_dict(RESULTS)


@pytest.mark.parametrize("section", ["startup", "compute", "memory", "io"])
def test_rounds_share_one_bound_in_every_section(tmp_path, section):
    from wasmscope.profiles.schema import ROUNDS

    p = tmp_path / "p.toml"
    for bad in (0, ROUNDS.hi + 1):
        p.write_text(f"[{section}]\nrounds = {bad}\n")
        with pytest.raises(ProfileError) as err:
            load_profile(p)
        assert str(err.value) == (f"{p}: {section}.rounds: expected an integer between {ROUNDS.lo} and {ROUNDS.hi}, "
                                  f"got {bad} (int)")
    p.write_text(f"[{section}]\nrounds = 4\n")
    assert getattr(load_profile(p), section).rounds == 4


def test_quiet_settings_are_checked(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text("[quiet]\nenabled = false\nbusy_pct = 20\nwindow_s = 0.2\nmax_wait_s = 3\n[bench]\nblock = 2\n")
    prof = load_profile(p)
    assert (prof.quiet.enabled, prof.quiet.busy_pct, prof.quiet.window_s, prof.quiet.max_wait_s) == (False, 20, 0.2, 3)
    assert prof.bench.block == 2
    for body, message in (("[quiet]\nwindow_s = 0.01\n", "quiet.window_s: expected a number between 0.05 and 5, got 0.01"),
                          ("[quiet]\nenabled = 1\n", "quiet.enabled: expected true or false, got 1 (int)"),
                          ("[quiet]\nbusy = 5\n", "quiet.busy: unknown key (did you mean 'quiet.busy_pct'?)"),
                          ("[bench]\nblock = 0\n", "bench.block: expected an integer between 1 and 1000, got 0")):
        p.write_text(body)
        with pytest.raises(ProfileError, match=re.escape(message)):
            load_profile(p)
