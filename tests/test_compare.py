"""`wasmscope compare`: two stored runs (tests/data/compare: real runs that differ in one setting,
the idle workload's 16 vs 48 MiB), the machine fingerprint, and old results without one."""

from __future__ import annotations

import json
from pathlib import Path

import tomlkit

from wasmscope.profiles import load_profile
from wasmscope.workloads.compare import CHANGED, DIFFERENT_MACHINE, NOISE, compare_results
from wasmscope.workloads.model.machine import cpu_facts, fingerprint, machine_info, same_machine

from test_cli import run_cli

DATA = Path(__file__).parent / "data" / "compare"
A, B = DATA / "a.toml", DATA / "b.toml"
REPLAY = Path(__file__).parent / "tui" / "data" / "replay.toml"


def _change(cmp, table: str, row: str, figure: str):
    return next(c for c in cmp.changes if (c.table, c.row, c.figure) == (table, row, figure))


def test_one_figure_changed_beyond_noise_and_one_did_not():
    a, b = load_profile(A).results, load_profile(B).results
    cmp = compare_results(a, b)
    assert cmp.same_machine is True and cmp.settings == ["idle_mib: 16 → 48"]
    touched = _change(cmp, "memory", "native", "value")  # 16.7 → 48.7 MiB: the setting that changed
    assert touched.verdict == CHANGED and touched.direction == "worse" and touched.change > 150
    assert not touched.a.overlaps(touched.b)
    same = _change(cmp, "compute", "native", "value")  # fib(30) measured the same way twice
    assert same.verdict == NOISE and same.a.overlaps(same.b)
    assert same.a.n == 3 and same.b.n == 3  # intervals from the runs' 3 rounds


def test_compare_cli_table_markdown_and_json():
    table = run_cli("compare", str(A), str(B))
    assert table.returncode == 0, table.stderr
    assert "Machine: same machine (fingerprints match)." in table.stdout
    assert "Settings changed: idle_mib: 16 → 48." in table.stdout
    assert "changed: worse" in table.stdout and "within noise" in table.stdout
    md = run_cli("compare", str(A), str(B), "--format", "md")
    assert md.returncode == 0 and "### Memory — A vs B" in md.stdout and "| Native process | median (MiB) |" in md.stdout
    data = json.loads(run_cli("compare", str(A), str(B), "--format", "json").stdout)
    assert data["same_machine"] is True
    memory = next(c for c in data["changes"] if (c["table"], c["row"], c["figure"]) == ("memory", "native", "value"))
    assert memory["verdict"] == "changed" and memory["a"]["basis"] == "rounds"


def test_runs_from_different_machines_are_never_a_change(tmp_path):
    doc = tomlkit.parse(B.read_text())
    doc["results"]["machine"]["kernel"] = "6.18.44-fc-v669"  # another VM host of the same kind
    other = tmp_path / "other.toml"
    other.write_text(tomlkit.dumps(doc))
    cmp = compare_results(load_profile(A).results, load_profile(other).results)
    assert cmp.same_machine is False and any(d.startswith("kernel: ") for d in cmp.machine_diffs)
    assert {c.verdict for c in cmp.changes} == {DIFFERENT_MACHINE}
    proc = run_cli("compare", str(A), str(other))
    assert "different machines: kernel: " in proc.stdout
    assert "changed: worse" not in proc.stdout and "changed: better" not in proc.stdout


def test_an_old_result_without_a_fingerprint_still_loads_reports_and_compares():
    old = load_profile(REPLAY).results
    assert "fingerprint" not in old.machine
    cmp = compare_results(old, load_profile(A).results)
    # the fields the old result recorded tell the hosts apart: their kernel builds differ
    assert cmp.same_machine is False and "kernel: 6.18.44-fc-v669 → " in cmp.machine_diffs[-1]
    same_old = compare_results(old, old)
    assert same_old.same_machine is None and "cannot tell" in same_old.machine_words
    assert run_cli("report", "--profile", str(REPLAY)).returncode == 0


def test_the_fingerprint_tells_cpus_apart():
    text = ("processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\n"
            "stepping\t: 1\nmicrocode\t: 0x1000065\nflags\t\t: fpu sse2 hypervisor avx2\n\n"
            "processor\t: 1\nvendor_id\t: AuthenticAMD\n")
    facts = cpu_facts(text)
    assert facts["cpu_vendor"] == "AuthenticAMD" and facts["cpu_family"] == "25" and facts["cpu_model_id"] == "17"
    assert facts["microcode"] == "0x1000065" and facts["hypervisor"] == "yes" and len(facts["cpu_flags_hash"]) == 12
    assert cpu_facts(text.replace("avx2", ""))["cpu_flags_hash"] != facts["cpu_flags_hash"]
    here = machine_info()
    assert here["fingerprint"] == fingerprint(here)
    for key in ("cpu_vendor", "microcode", "cpu_flags_hash", "kernel_build", "hypervisor", "dmi_vendor", "cores"):
        assert key in here
    moved = {**here, "microcode": "0xdead"}
    moved["fingerprint"] = fingerprint(moved)
    assert same_machine(here, moved) == (False, [f"microcode: {here['microcode']} → 0xdead"])
    assert same_machine(here, dict(here)) == (True, [])


def test_a_change_below_the_noise_threshold_is_noise_even_with_thin_intervals():
    from wasmscope.workloads.compare import judge
    from wasmscope.workloads.model.intervals import ROUNDS, Estimate

    a = Estimate(16.70, 16.70, 16.71, 3, ROUNDS, 0.75)  # RSS: intervals a few pages wide
    assert judge("value", False, a, Estimate(16.68, 16.68, 16.68, 3, ROUNDS, 0.75), False) == (NOISE, "")
    assert judge("value", False, a, Estimate(17.5, 17.4, 17.6, 3, ROUNDS, 0.75), False) == (CHANGED, "worse")
    assert judge("pct_over_native", False, Estimate(50.0, 48.0, 52.0, 3, ROUNDS, 0.75),
                 Estimate(40.0, 38.0, 42.0, 3, ROUNDS, 0.75), False) == (CHANGED, "better")
    assert judge("value", False, a, Estimate(30.0, 30.0, 30.0, 1, "point", 0.0), False)[0] == "no interval"
