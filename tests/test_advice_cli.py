"""`wasmscope advise` as a user runs it: answers files (flat, [[components]], a saved profile),
--profile evidence, --json, --write and --save; every bad input is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from wasmscope.profiles import load_profile

REPLAY = Path(__file__).parent / "tui" / "data" / "replay.toml"
EDGE = ('[answers]\nlanguage = "rust"\nstate = "stateless"\ntraffic = "spiky"\n'
        'kind = "edge-function"\ncold_start_budget_ms = 5\nname = "edge-hello"\n')
SYSTEM = '''name = "shop"

[[components]]
name = "api"
language = "python"
state = "persistent-connections"
traffic = "steady"
kind = "service"

[[components]]
name = "edge"
language = "rust"
state = "stateless"
traffic = "spiky"
kind = "edge-function"
cold_start_budget_ms = 5
'''


def run_advise(*args: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([sys.executable, "-m", "wasmscope.tui.cli", "advise", *args],
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=60, env=env)


def usage_error(proc: subprocess.CompletedProcess) -> str:
    """The one line of a usage error (exit 2, no traceback)."""
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wasmscope: "), proc.stderr
    return lines[0]


def test_answers_file_json_write_and_save(tmp_path):
    answers = tmp_path / "answers.toml"
    answers.write_text(EDGE)
    profile = tmp_path / "p.toml"
    profile.write_text(REPLAY.read_text())
    proc = run_advise("--answers", str(answers), "--profile", str(profile), "--json",
                      "--write", str(tmp_path / "deploy"), "--save", str(profile))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    rec = data["recommendation"]
    assert rec["verdict"] == "wasm" and rec["components"][0]["name"] == "edge-hello"
    assert any("cold start here" in e for e in rec["components"][0]["evidence"])
    assert {Path(f["path"]).name for f in data["files"]} >= {"spin.toml", "spinapp.yaml", "compose.wasm.yaml"}
    assert all(f["status"] for f in data["files"])
    assert tomllib.loads((tmp_path / "deploy" / "spin.toml").read_text())["application"]["name"] == "edge-hello"
    saved = load_profile(profile)
    assert saved.advice["answers"]["name"] == "edge-hello"
    assert saved.advice["recommendation"]["verdict"] == "wasm"
    assert saved.results is not None  # the stored results are still there
    assert profile.read_text().startswith("# Replay fixture")  # comments kept


def test_a_saved_profile_reads_back_as_answers(tmp_path):
    """--save writes [advice]; --answers on that profile asks the same questions again."""
    system = tmp_path / "system.toml"
    system.write_text(SYSTEM)
    saved = tmp_path / "saved.toml"
    first = run_advise("--answers", str(system), "--profile", str(REPLAY), "--json", "--save", str(saved))
    assert first.returncode == 0, first.stderr
    again = run_advise("--answers", str(saved), "--profile", str(REPLAY), "--json")
    assert again.returncode == 0, again.stderr
    one, two = json.loads(first.stdout), json.loads(again.stdout)
    assert one["answers"] == two["answers"] and one["recommendation"] == two["recommendation"]
    assert [c["verdict"] for c in two["recommendation"]["components"]] == ["containers", "wasm"]


def test_a_system_in_text(tmp_path):
    system = tmp_path / "system.toml"
    system.write_text(SYSTEM)
    proc = run_advise("--answers", str(system), "--profile", str(REPLAY), "--write", str(tmp_path / "d"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Recommendation: both (Wasm and containers)")
    assert "Both for shop — on Wasm: edge (Rust edge function); in containers: api (Python long-running service)" \
        in proc.stdout
    assert "== api: containers" in proc.stdout and "== edge: Wasm" in proc.stdout
    assert "  - spin.toml: checked against Spin's manifest rules; edge: UNTESTED" in proc.stdout
    assert "  - Dockerfile: tested: built and run by wasmscope's tests" in proc.stdout


@pytest.mark.parametrize("body, message", [
    ('answers = "x"\n', "answers: expected a table of answers, got a string"),
    ("answers = [1]\n", "answers: expected a table of answers, got an array"),
    ('language = "rust"\nstate = "floating"\ntraffic = "spiky"\nkind = "plugin"\n',
     "state: 'floating' is not allowed (allowed: stateless, in-memory, persistent-connections, heavy-file-io, threads)"),
    ('language = "rust"\nstate = "stateless"\ntraffic = "spiky"\nkind = "plugin"\ncold_start_budget_ms = inf\n',
     "cold_start_budget_ms: inf is not allowed (allowed: a finite number > 0)"),
    ('language = "rust"\nstate = "stateless"\ntraffic = "spiky"\nkind = "plugin"\ncold_start_budget_ms = nan\n',
     "cold_start_budget_ms: nan is not allowed"),
    ('language = "rust"\nstate = "stateless"\ntraffic = "spiky"\nkind = "multi-tenant"\ntenants = 2.7\n',
     "tenants: 2.7 is not allowed (allowed: a whole number >= 0)"),
    ('[profile]\nname = "p"\n', "a profile without saved answers ([advice])"),
    ("[advice]\nx = 1\n", "advice: expected the answers saved by --save"),
    ('name = "s"\n[[components]]\nlanguage = "rust"\n', "components[0]: state: missing answer"),
    ("language = \n", "not valid TOML"),
])
def test_bad_answers_file_is_one_line_exit_2(tmp_path, body, message):
    answers = tmp_path / "a.toml"
    answers.write_text(body)
    line = usage_error(run_advise("--answers", str(answers)))
    assert line.startswith(f"wasmscope: {answers}") and message in line


@pytest.mark.parametrize("args, message", [
    (["--cold-start-budget-ms", "inf"], "cold_start_budget_ms: 'inf' is not allowed"),
    (["--cold-start-budget-ms", "nan"], "cold_start_budget_ms: 'nan' is not allowed"),
    (["--tenants", "2.7"], "tenants: '2.7' is not allowed"),
    (["--name", "9lives"], "name: '9lives' is not allowed"),
    (["--write", "/proc/wasmscope-nope/deploy"], "/proc/wasmscope-nope: cannot write: No such file or directory"),
    (["--sandbox", "/nonexistent.json"], "/nonexistent.json: cannot read"),
])
def test_bad_flags_are_one_line_exit_2(args, message):
    base = ["--language", "rust", "--state", "stateless", "--traffic", "spiky", "--kind", "plugin"]
    line = usage_error(run_advise(*base, *args))
    assert message in line, line


def test_write_never_replaces_or_writes_into_a_file(tmp_path):
    base = ["--language", "rust", "--state", "stateless", "--traffic", "spiky", "--kind", "plugin"]
    plain = tmp_path / "plain"
    plain.write_text("mine")
    assert "exists and is not a directory" in usage_error(run_advise(*base, "--write", str(plain)))
    assert plain.read_text() == "mine"
    assert run_advise(*base, "--write", str(tmp_path / "d")).returncode == 0
    assert "spin.toml: already exists (pass --force to replace it)" in usage_error(
        run_advise(*base, "--write", str(tmp_path / "d")))
    assert run_advise(*base, "--write", str(tmp_path / "d"), "--force").returncode == 0


def test_component_flag_against_a_system_file(tmp_path):
    system = tmp_path / "system.toml"
    system.write_text(SYSTEM)
    line = usage_error(run_advise("--answers", str(system), "--language", "go"))
    assert "--language: " in line and "describes several components" in line
    one = tmp_path / "one.toml"
    one.write_text(SYSTEM.split("\n[[components]]\nname = \"edge\"")[0])
    proc = run_advise("--answers", str(one), "--language", "go", "--json")
    assert json.loads(proc.stdout)["answers"]["components"][0]["language"] == "go"


def test_a_reader_that_goes_away_is_not_an_error(tmp_path):
    """`advise --json | head`: the pipe closes before the output is written."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    r, w = os.pipe()
    os.close(r)  # the reader is gone before the command writes a byte
    try:
        proc = subprocess.run([sys.executable, "-m", "wasmscope.tui.cli", "advise", "--language", "rust",
                               "--state", "stateless", "--traffic", "spiky", "--kind", "plugin", "--json"],
                              stdout=w, stderr=subprocess.PIPE, text=True, timeout=60, env=env)
    finally:
        os.close(w)
    assert proc.returncode == 0 and proc.stderr == ""
