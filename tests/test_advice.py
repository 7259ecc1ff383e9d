"""The decision wizard's engine: the article's scenarios, rules/answers errors, starter files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from wasmscope.profiles import load_profile
from wasmscope.workloads.advice.deploy import starter_files, write_files
from wasmscope.workloads.advice.evaluate import evaluate
from wasmscope.workloads.advice.questions import QUESTIONS, AnswersError, parse_answers
from wasmscope.workloads.advice.rules import RulesError, load_rules
from wasmscope.workloads.errors import WasmscopeError
from wasmscope.workloads.model.results import Results

REPLAY = Path(__file__).parent / "tui" / "data" / "replay.toml"

CASES = [
    # (scenario, answers, expected verdict)
    ("Rust edge function", dict(language="rust", state="stateless", traffic="spiky", kind="edge-function",
                                cold_start_budget_ms=5), "wasm"),
    ("Python/Django app with a Postgres pool", dict(language="python", state="persistent-connections",
                                                    traffic="steady", kind="service"), "containers"),
    ("Go plugin for untrusted tenants (TinyGo)", dict(language="tinygo", state="stateless", traffic="spiky",
                                                      kind="plugin"), "wasm"),
    ("Java batch job", dict(language="java", state="in-memory", traffic="batch", kind="cpu-bound"), "containers"),
    ("spiky JS serverless API", dict(language="javascript", state="stateless", traffic="spiky",
                                     kind="serverless"), "wasm"),
    ("steady CPU-bound transcoder", dict(language="c-cpp", state="in-memory", traffic="steady",
                                         kind="cpu-bound"), "containers"),
    ("multi-tenant SaaS, 500 small tenants", dict(language="rust", state="stateless", traffic="spiky",
                                                  kind="multi-tenant", tenants=500), "wasm"),
    ("C# service needing Helm and Prometheus today", dict(language="dotnet", state="in-memory", traffic="steady",
                                                          kind="service", needs_container_tooling=True), "containers"),
    ("JS serverless handler holding a database pool", dict(language="javascript", state="persistent-connections",
                                                           traffic="spiky", kind="serverless"), "both"),
    ("500-tenant platform whose team needs Kubernetes today", dict(
        language="rust", state="stateless", traffic="steady", kind="multi-tenant", tenants=500,
        needs_container_tooling=True), "both"),
    ("Go service with threads", dict(language="go", state="threads", traffic="steady", kind="service"), "containers"),
    ("mostly idle C webhook with a 20 ms budget", dict(language="c-cpp", state="stateless", traffic="idle",
                                                       kind="serverless", cold_start_budget_ms=20), "wasm"),
    ("Python edge function (maturing language, tight budget)", dict(
        language="python", state="stateless", traffic="spiky", kind="edge-function", cold_start_budget_ms=10), "wasm"),
]


@pytest.fixture(scope="module")
def rules():
    return load_rules()


@pytest.fixture(scope="module")
def measured():
    return Results.from_dict(load_profile(REPLAY).results)


@pytest.mark.parametrize("scenario, answers, verdict", CASES, ids=[c[0] for c in CASES])
def test_article_scenarios(rules, scenario, answers, verdict):
    rec = evaluate(parse_answers(answers), rules)
    assert rec.verdict == verdict, f"{scenario}: {rec.summary}"
    assert rec.reasons and all(r.source and r.rationale for r in rec.reasons)
    weights = [r.weight for r in rec.reasons]
    assert weights == sorted(weights, reverse=True)  # ranked


def test_same_answers_same_result(rules, measured):
    a = parse_answers(CASES[0][1])
    assert evaluate(a, rules, measured).to_dict() == evaluate(a, rules, measured).to_dict()


def test_tinygo_gets_its_toolchain(rules):
    rec = evaluate(parse_answers(CASES[2][1]), rules)
    assert rec.language["support"] == "good" and "tinygo" in rec.language["toolchain"]


def test_reasons_quote_this_machines_measurements(rules, measured):
    rec = evaluate(parse_answers(CASES[0][1]), rules, measured)
    edge = next(r for r in rec.reasons if r.rule == "edge-cold-start")
    docker = measured.tables["startup"].ok_value("docker")
    assert edge.evidence.startswith("cold start here: wasmtime ") and f"{docker:.1f} ms" in edge.evidence
    cpu = evaluate(parse_answers(CASES[5][1]), rules, measured)
    assert any("overhead here: wasmtime +" in r.evidence for r in cpu.reasons if r.rule == "cpu-bound")


def test_without_measurements_it_says_what_to_run(rules):
    rec = evaluate(parse_answers(CASES[0][1]), rules, None)
    assert rec.evidence == [] and rec.missing_evidence == ["startup"]


def test_user_rules_override_and_extend(tmp_path, rules):
    extra = tmp_path / "mine.toml"
    extra.write_text('''
[[rule]]
id = "edge-cold-start"   # override: our edge platform runs containers
when = { kind = ["edge-function"] }
toward = "containers"
weight = 9
rationale = "our CDN only runs OCI images"
source = "our platform team"

[[rule]]
id = "we-love-wasm"
when = { language = ["rust"] }
toward = "wasm"
weight = 0.5
rationale = "team preference"
source = "us"
''')
    mine = load_rules(extra)
    ids = [r.id for r in mine.rules]
    assert ids.count("edge-cold-start") == 1 and "we-love-wasm" in ids
    rec = evaluate(parse_answers(CASES[0][1] | {"cold_start_budget_ms": 1000}), mine)
    assert rec.verdict == "containers" and rec.reasons[0].source == "our platform team"


@pytest.mark.parametrize("body, message", [
    ('[[rule]]\nid = "x"\nwhen = { kind = ["edge-function"] }\ntoward = "wasm"\nweight = 1\nrationale = "r"\nsource = "s"\ncolour = "red"\n',
     "rule 'x': colour: unknown field"),
    ('[[rule]]\nid = "x"\nwhen = { kind = ["edge-function"] }\ntoward = "vm"\nweight = 1\nrationale = "r"\nsource = "s"\n',
     "rule 'x': toward: expected 'wasm' or 'containers', got 'vm'"),
    ('[[rule]]\nid = "x"\nwhen = { flavour = ["x"] }\ntoward = "wasm"\nweight = 1\nrationale = "r"\nsource = "s"\n',
     "rule 'x': when.flavour: not a question"),
    ('[[rule]]\nid = "x"\nwhen = { kind = ["edge"] }\ntoward = "wasm"\nweight = 1\nrationale = "r"\nsource = "s"\n',
     "rule 'x': when.kind: expected a list of"),
    ('[[rule]]\nid = "x"\nwhen = { kind = ["plugin"] }\ntoward = "wasm"\nweight = -2\nrationale = "r"\nsource = "s"\n',
     "rule 'x': weight: expected a number > 0, got -2"),
    ('[[rule]]\nwhen = { kind = ["plugin"] }\n', "rule #1: id: expected a non-empty string"),
    ("[[rule]\n", "not valid TOML"),
])
def test_bad_rules_file_names_rule_and_field(tmp_path, body, message):
    path = tmp_path / "rules.toml"
    path.write_text(body)
    with pytest.raises(RulesError) as err:
        load_rules(path)
    assert message in str(err.value) and "\n" not in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize("answers, message", [
    (dict(language="cobol", state="stateless", traffic="spiky", kind="plugin"),
     "language: 'cobol' is not allowed (allowed: rust, c-cpp, tinygo, go, javascript, python, java, dotnet, other)"),
    (dict(language="rust", state="stateless", traffic="spiky"), "kind: missing answer (allowed: edge-function"),
    (dict(language="rust", state="stateless", traffic="spiky", kind="plugin", tenants=-1), "tenants: -1 is not allowed"),
    (dict(language="rust", state="stateless", traffic="spiky", kind="plugin", name="My App"), "name: 'My App' is not allowed"),
    (dict(language="rust", state="stateless", traffic="spiky", kind="plugin", mood="happy"), "mood: unknown question"),
])
def test_bad_answers_name_the_question_and_allowed_values(answers, message):
    with pytest.raises(AnswersError) as err:
        parse_answers(answers, "answers.toml")
    assert str(err.value).startswith("answers.toml: ") and message in str(err.value)


def _dockerfile_ok(text: str) -> bool:
    keywords = {"FROM", "WORKDIR", "COPY", "RUN", "CMD", "ENTRYPOINT", "EXPOSE", "ENV"}
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return lines[0].startswith("FROM ") and all(ln.split()[0] in keywords for ln in lines)


@pytest.mark.parametrize("language", [v for v, _ in QUESTIONS[0].choices])
def test_starter_files_parse_and_use_the_name(language, tmp_path):
    a = parse_answers(dict(language=language, state="stateless", traffic="spiky", kind="serverless", name="shop-api"))
    files = starter_files(a, "both")
    assert set(files) == {"spin.toml", "spinapp.yaml", "compose.wasm.yaml", "Dockerfile", "compose.yaml"}
    spin = tomllib.loads(files["spin.toml"])
    assert spin["spin_manifest_version"] == 2 and spin["application"]["name"] == "shop-api"
    assert spin["trigger"]["http"][0]["component"] == "shop-api" and "shop-api" in spin["component"]
    app = yaml.safe_load(files["spinapp.yaml"])
    assert app["kind"] == "SpinApp" and app["metadata"]["name"] == "shop-api"
    wasm = yaml.safe_load(files["compose.wasm.yaml"])["services"]["shop-api"]
    assert wasm["runtime"] == "io.containerd.wasmtime.v1" and wasm["platform"] == "wasi/wasm"
    assert "shop-api" in yaml.safe_load(files["compose.yaml"])["services"]
    assert _dockerfile_ok(files["Dockerfile"]), files["Dockerfile"]
    written = write_files(tmp_path, files)
    assert sorted(p.name for p in written) == sorted(files)
    with pytest.raises(WasmscopeError, match="already exists"):
        write_files(tmp_path, files)


def test_verdict_picks_the_files():
    a = parse_answers(CASES[0][1])
    assert set(starter_files(a, "wasm")) == {"spin.toml", "spinapp.yaml", "compose.wasm.yaml"}
    assert set(starter_files(a, "containers")) == {"Dockerfile", "compose.yaml"}


def run_advise(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return subprocess.run([sys.executable, "-m", "wasmscope.tui.cli", "advise", *args],
                          capture_output=True, text=True, timeout=60, env=env)


def test_advise_cli_json_from_answers_file_writes_and_saves(tmp_path):
    answers = tmp_path / "answers.toml"
    answers.write_text('[answers]\nlanguage = "rust"\nstate = "stateless"\ntraffic = "spiky"\n'
                       'kind = "edge-function"\ncold_start_budget_ms = 5\nname = "edge-hello"\n')
    profile = tmp_path / "p.toml"
    profile.write_text(REPLAY.read_text())
    proc = run_advise("--answers", str(answers), "--profile", str(profile), "--json",
                      "--write", str(tmp_path / "deploy"), "--save", str(profile))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["recommendation"]["verdict"] == "wasm"
    assert any("cold start here" in e for e in data["recommendation"]["evidence"])
    assert tomllib.loads((tmp_path / "deploy" / "spin.toml").read_text())["application"]["name"] == "edge-hello"
    saved = load_profile(profile)
    assert saved.advice["answers"]["name"] == "edge-hello"
    assert saved.advice["recommendation"]["verdict"] == "wasm"
    assert saved.results is not None  # the stored results are still there
    assert profile.read_text().startswith("# Replay fixture")  # comments kept


def test_advise_bad_answer_is_one_line_exit_2(tmp_path):
    answers = tmp_path / "a.toml"
    answers.write_text('language = "rust"\nstate = "floating"\ntraffic = "spiky"\nkind = "plugin"\n')
    proc = run_advise("--answers", str(answers))
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"wasmscope: {answers}: state: 'floating' is not allowed (allowed: stateless, "
                                   "in-memory, persistent-connections, heavy-file-io, threads)")


def test_python_advice_quotes_the_platforms_table(rules, measured):
    """Python on Wasm vs Python in a container, when a component-http run is in the results;
    without one the wizard does not ask for it (its quick benchmark cannot measure it)."""
    from wasmscope.workloads.model.results import Row, Table

    answers = parse_answers({"language": "python", "state": "stateless", "traffic": "steady",
                             "kind": "service"})
    assert "platforms" not in evaluate(answers, rules, measured).missing_evidence
    table = Table("platforms", "req/s", "component-http", higher_is_better=True, rows=[
        Row("wasmtime-serve", value=610.0, stats={"rss_mib": 64.1, "first_200_ms": 168.0},
            facts={"display": "wasmtime serve"}),
        Row("python-container", value=490.0, stats={"rss_mib": 18.5, "first_200_ms": 298.0})])
    with_platforms = Results.from_dict(measured.to_dict())
    with_platforms.tables["platforms"] = table
    rec = evaluate(answers, rules, with_platforms)
    reason = next(r for r in rec.reasons if r.rule == "maturing-language")
    assert reason.evidence == ("Python here: on Wasm (wasmtime serve) 610 req/s, 64.1 MiB, first 200 after "
                               "168.0 ms; CPython in a container 490 req/s, 18.5 MiB, first 200 after 298.0 ms")
    assert reason.evidence in rec.evidence
