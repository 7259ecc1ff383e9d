"""Your own program, measured for real: a small C WASI program (built here three ways: clang
--target=wasm32-wasi, natively, and into a FROM-scratch image by wasmscope, as the built-in
workloads are) that takes arguments and an environment variable, reads a file from a granted
directory and writes a result file. Every registered runtime that claims support must run it
exactly as given (the file it writes is pinned by sha256), the others must say why not; a run
that exits 0 without writing is a failure; the module check rejects a 200 MB header-valid
file quickly; bad workload tables are one line each."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import replace
from pathlib import Path

import pytest

from adapter_helpers import skip_unless_available
from conftest import docker_required
from wasmscope.profiles import ProfileError, load_profile
from wasmscope.tui.cli import main
from wasmscope.workloads.errors import WorkloadError
from userprog_helpers import profile_text, project, report  # noqa: F401 - project: a fixture
from wasmscope.workloads.guests.module_check import check_module
from wasmscope.workloads.model.results import DIFFERENT, OK, Row, Table
from wasmscope.workloads.measurements.outputs import mark_different_outputs
from wasmscope.workloads.runtimes import create_adapter, known_runtimes

pytestmark = pytest.mark.timeout(900)


def bench_rows(project: Path, text: str, capsys, name: str = "startup") -> dict[str, dict]:
    path = project / "profile.toml"
    path.write_text(text)
    main(["bench", "--profile", str(path), "--json"])
    data = json.loads(capsys.readouterr().out)
    return {r["runtime"]: r for r in data["tables"][name]["rows"]}


def test_every_runtime_that_claims_support_runs_the_program_as_given(project, capsys):
    names = list(known_runtimes())
    rows = bench_rows(project, profile_text(names), capsys)
    workload = load_profile(project / "profile.toml").workload("wordstat")
    expected = report("run-label").encode()
    measured = []
    for name in names:
        row, adapter = rows[name], create_adapter(name)
        try:
            avail, reason = adapter.availability(), adapter.supports(workload)
        finally:
            adapter.close()
        if not avail.ok:
            assert row["status"] == "unavailable", (name, row)
        elif reason:
            assert row["status"] == "unsupported" and row["reason"] == reason, (name, row)
            assert "directory" in reason or "environment" in reason, (name, reason)
        else:
            # the pinned sha256 passed: its arguments and environment arrived, it read the
            # granted file and wrote the result file; so every measured row agrees
            assert row["status"] == OK, (name, row["status"], row["reason"])
            assert row["facts"]["output"]["/out/result.txt"] == [len(expected), hashlib.sha256(expected).hexdigest()]
            assert row["facts"]["output_matches"] is True
            measured.append(name)
    assert {"wasmtime", "wasmtime-cli", "native"} <= set(measured)
    if docker_required():
        assert "docker" in measured  # the container baseline ran the same program


def test_a_run_that_exits_0_without_writing_is_a_failure_not_a_figure(project, capsys):
    rows = bench_rows(project, profile_text(["wasmtime", "native"], label="dry-run"), capsys)
    for name in ("wasmtime", "native"):
        assert rows[name]["status"] == "failed"
        assert rows[name]["reason"].endswith("exited 0 but /out/result.txt was not written"), rows[name]["reason"]


def test_the_command_line_measures_a_module_with_its_arguments_and_a_native_baseline(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    (project / "out").mkdir(exist_ok=True)
    code = main(["bench", "--runtimes", "wasmtime,wamr,native", "--runs", "2", "--json",
                 "--module", "wordstat.wasm", "--native", str(project / "wordstat-native"),
                 "--dir", "data:/data", "--dir", "out:/out:rw", "--env", "GREETING=hello-env",
                 "--expect-file", "/out/result.txt", "--", "/data/input.txt", "/out/result.txt", "cli"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and list(data["tables"]) == ["startup", "memory", "compute"]
    compute = data["tables"]["compute"]
    assert compute["args"] == ["/data/input.txt", "/out/result.txt", "cli"]  # no hidden argument
    assert compute["what"].startswith("wall time of `wordstat /data/input.txt /out/result.txt cli`")
    for table in data["tables"].values():
        rows = {r["runtime"]: r for r in table["rows"]}
        assert all(rows[n]["status"] == OK for n in ("wasmtime", "native")), table["name"]
    memory = {r["runtime"]: r for r in data["tables"]["memory"]["rows"]}
    assert 0 < memory["native"]["value"] < 64  # the program's own peak, not wasmscope's Python
    assert not list((project / "out").iterdir())  # runs write into fresh copies, never the user's folder


def test_stdin_reaches_the_guest_on_every_runtime_that_takes_it(project):
    workload = load_profile_workload(project)
    piped = replace(workload, args=("-", "/out/none", "dry-run"), dirs=(), stdin=b"a b c\n")
    for name in known_runtimes():
        adapter = create_adapter(name)
        try:
            if not adapter.availability().ok or adapter.supports(piped):
                assert adapter.TAKES_STDIN is False or not adapter.availability().ok or adapter.supports(piped)
                continue
            adapter.prepare(piped)
            out = adapter.run(piped, list(piped.args)).stdout
            assert out == report("dry-run", "a b c\n"), (name, out)
        finally:
            adapter.close()


def load_profile_workload(project: Path):
    path = project / "one.toml"
    path.write_text(profile_text(["wasmtime"]))
    return load_profile(path).workload("wordstat")


def test_a_runtime_whose_output_differs_is_marked_and_left_out_of_ratios():
    same, other = {"/out/a.wav": [100, "a" * 64]}, {"/out/a.wav": [68, "b" * 64]}
    table = Table("startup", "ms", "w", rows=[Row(n, OK, value=1.0, facts={"output": o}) for n, o in
                                             (("native", same), ("wasmtime", same), ("wamr", other), ("node", other))])
    mark_different_outputs(table, prefer="native")  # a tie goes to the native baseline's output
    rows = {r.runtime: r for r in table.rows}
    assert rows["wamr"].status == rows["node"].status == DIFFERENT
    assert rows["wamr"].reason == f"different output: /out/a.wav: 32 bytes shorter, sha256 {'b' * 12}… vs the others' {'a' * 12}…"
    assert table.ratio("wamr", "native") is None and table.ratio("wasmtime", "native") == 1.0
    accepted = Table("startup", "ms", "w", rows=[Row(n, OK, value=1.0, facts={"output": o}) for n, o in
                                                (("native", same), ("wasmtime", same), ("wamr", other))])
    mark_different_outputs(accepted, accept=["wamr"])
    assert accepted.rows[2].status == OK and accepted.rows[2].facts["output_accepted"]


def test_a_200_mib_module_with_a_valid_header_is_rejected_quickly(tmp_path):
    big = tmp_path / "big.wasm"
    with open(big, "wb") as fh:
        fh.write(b"\0asm\x01\0\0\0" + b"\x00\x02\x01a" * 1000)  # 1000 valid custom sections, then zeros
        fh.truncate(200 << 20)
    t0 = time.monotonic()
    with pytest.raises(WorkloadError, match=r"^big.wasm: malformed: section 0 \(custom\) at byte 4008 has no valid name$"):
        check_module(big, runtime="wasmtime")
    assert time.monotonic() - t0 < 5  # the bound: it once took 93 s


@pytest.mark.parametrize("workload, message", [
    ('module = "wordstat.wasm"\ndirs = [{ host = "nowhere", guest = "/x" }]',
     "workloads.w.dirs[0].host: directory not found: "),
    ('module = "wordstat.wasm"\ndirs = [{ host = "data", guest = "x" }]',
     "workloads.w.dirs[0].guest: expected an absolute guest path or \".\", got 'x'"),
    ('module = "wordstat.wasm"\ndirs = [{ guest = "/out" }]', "workloads.w.dirs[0]: expected host = \"dir\""),
    ('module = "wordstat.wasm"\nexpect = { files = ["/out/x"] }',
     "workloads.w.expect.files[0].path: '/out/x' is not under a writable directory of dirs"),
    ('module = "wordstat.wasm"\nexpect = { stdout = "(" }', "workloads.w.expect.stdout: not a valid regular expression"),
    ('module = "wordstat.wasm"\nenv = { A = 1 }', "workloads.w.env.A: expected a string, got 1"),
    ('module = "wordstat.wasm"\nmeasure = ["fib"]', "workloads.w.measure: unknown measurement 'fib'"),
    ('module = "wordstat.wasm"\nstdin = { file = "none.txt" }', "workloads.w.stdin.file: file not found: "),
    ('module = { npm = "left-pad", file = "x.wasm" }', "workloads.w.module.npm: expected a pinned package, name@version"),
    ('native = []', "workloads.w.native: expected a non-empty list of strings, got []"),
    ('modul = "wordstat.wasm"', "workloads.w.modul: unknown key (did you mean 'workloads.w.module'?)"),
])
def test_a_bad_workload_table_is_one_line(project, workload, message):
    path = project / "bad.toml"
    path.write_text(f"[workloads.w]\n{workload}\n")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value).startswith(f"{path}: {message}"), str(info.value)
    assert "\n" not in str(info.value)


def test_a_measurement_the_workload_excludes_is_refused(project):
    path = project / "excl.toml"
    path.write_text('[workloads.w]\nmodule = "wordstat.wasm"\nmeasure = ["startup"]\n[compute]\nworkload = "w"\n')
    with pytest.raises(ProfileError, match=r"compute.workload: workload 'w' says measure = \['startup'\]: "
                                           "compute does not apply to it$"):
        load_profile(path)


def test_a_fresh_output_directory_is_named_in_command_lines(project):
    workload = load_profile_workload(project)
    adapter = create_adapter("wasmtime-cli")
    try:
        skip_unless_available(adapter)
        line = adapter.command_line(workload, list(workload.args))
        assert "--dir" in line and "::/out" in line and "--env GREETING=hello-env" in line
    finally:
        adapter.close()
