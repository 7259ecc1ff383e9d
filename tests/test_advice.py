"""The decision wizard's engine: the article's scenarios, systems of several components, language
facts, and this machine's stored measurements weighed against each rule's premise."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmscope.profiles import load_profile
from wasmscope.workloads.advice.evidence import Evidence
from wasmscope.workloads.advice.questions import AnswersError, parse_answers
from wasmscope.workloads.advice.report import recommendation_text
from wasmscope.workloads.advice.rules import RulesError, load_rules
from wasmscope.workloads.advice.system import evaluate
from wasmscope.workloads.model.results import Results

DATA = Path(__file__).parent / "tui" / "data"
REPLAY, PLATFORMS, DENSITY = DATA / "replay.toml", DATA / "platforms.toml", DATA / "density.toml"
USER_RULES = Path(__file__).parent / "data" / "advice" / "user_rules.toml"

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
    ("steady CPU-bound transcoder", dict(language="c", state="in-memory", traffic="steady",
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
    ("mostly idle C webhook with a 20 ms budget", dict(language="c", state="stateless", traffic="idle",
                                                       kind="serverless", cold_start_budget_ms=20), "wasm"),
    ("Python edge function (maturing language, tight budget)", dict(
        language="python", state="stateless", traffic="spiky", kind="edge-function", cold_start_budget_ms=10), "wasm"),
    ("standard Go serverless handler holding a database pool", dict(
        language="go", state="persistent-connections", traffic="spiky", kind="serverless"), "containers"),
]


@pytest.fixture(scope="module")
def rules():
    return load_rules()


def stored(path: Path, table: str = "results") -> Results:
    return getattr(load_profile(path), table)


@pytest.fixture(scope="module")
def replay():
    return Evidence.of(stored(REPLAY))


def one(answers: dict, rules, evidence=None):
    advice = evaluate(parse_answers(answers), rules, evidence)
    assert len(advice.components) == 1
    return advice, advice.components[0]


def reason(component, rule_id):
    return next(r for r in component.reasons if r.rule == rule_id)


@pytest.mark.parametrize("scenario, answers, verdict", CASES, ids=[c[0] for c in CASES])
def test_article_scenarios(rules, scenario, answers, verdict):
    advice, comp = one(answers, rules)
    assert advice.verdict == comp.verdict == verdict, f"{scenario}: {advice.summary}"
    assert comp.reasons and all(r.source and r.rationale for r in comp.reasons)
    weights = [r.weight for r in comp.reasons]
    assert weights == sorted(weights, reverse=True)  # ranked


def test_same_answers_same_result(rules, replay):
    a = parse_answers(CASES[0][1])
    assert evaluate(a, rules, replay).to_dict() == evaluate(a, rules, replay).to_dict()


def test_every_measurable_rule_names_its_figure(rules):
    """Each rule with a measurable premise says what figure it depends on, measured or not."""
    measurable = {r.id for r in rules.rules if r.premise}
    assert {"edge-cold-start", "tight-cold-start-budget", "untrusted-plugins", "serverless-scale-to-zero",
            "multi-tenant-density", "sustained-http-load", "cpu-bound", "maturing-language"} <= measurable
    _, comp = one(CASES[0][1], rules)
    edge = reason(comp, "edge-cold-start")
    assert edge.status == "unmeasured" and edge.depends_on.startswith("cold start")
    assert "edge-cold-start assumes Wasm instances cold-start far faster" in edge.note


def test_density_premise_contradicted_by_stored_memory_flips_the_rule(rules, replay):
    """replay.toml: wasmtime 17.6+31.1 MiB against Docker 16.7+12.9 MiB for one idle instance."""
    _, comp = one(CASES[6][1], rules, replay)
    density = reason(comp, "multi-tenant-density")
    assert density.status == "contradicted" and density.rule_toward == "wasm"
    assert density.toward == "containers" and density.weight == 2
    assert "wasmtime 17.6+31.1 MiB" in density.evidence and "docker 16.7+12.9 MiB" in density.evidence
    assert "assumes an idle Wasm instance needs far less memory than a container; measured here it does not" \
        in density.note
    assert comp.confidence_label != "high"
    text = recommendation_text(evaluate(parse_answers(CASES[6][1]), rules, replay))
    assert "[containers +2, flipped from Wasm +4] multi-tenant-density" in text and "CONTRADICTED" in text


def test_density_run_supports_the_same_rule(rules):
    """A density run (cost per extra instance) outranks the one-instance memory table."""
    ev = Evidence.of(stored(REPLAY), stored(DENSITY, "density"))
    advice, comp = one(CASES[6][1], rules, ev)
    density = reason(comp, "multi-tenant-density")
    assert density.status == "holds" and density.toward == "wasm" and density.weight == 4
    assert "wasmtime 108 KiB" in density.evidence and "docker 2.6 MiB" in density.evidence
    assert advice.verdict == "wasm" and advice.confidence_label == "high"


def test_cold_start_budget_is_checked_against_the_named_runtimes(rules, replay):
    """A 0.5 ms budget against wasmtime's measured 0.757 ms is no 'Wasm, confidence high'."""
    answers = dict(CASES[0][1], cold_start_budget_ms=0.5)
    advice, comp = one(answers, rules, replay)
    assert advice.verdict == "wasm" and advice.confidence_label == "low"
    budget = comp.budgets[0]
    assert budget.side == "wasm" and budget.met is False
    assert "no Wasm runtime measured here meets it: wasmtime 0.757 ms" in budget.text
    assert "But cold-start budget 0.500 ms: no Wasm runtime" in advice.summary
    assert reason(comp, "tight-cold-start-budget").status == "weak"
    met = one(CASES[0][1], rules, replay)[1].budgets[0]  # 5 ms: wasmtime meets it, the CLI does not
    assert met.met is True and "met by wasmtime 0.757 ms; not by wasmtime-cli 7.057 ms" in met.text


def test_containers_budget_names_the_container_runtimes(rules, replay):
    answers = dict(CASES[5][1], cold_start_budget_ms=100)
    advice, comp = one(answers, rules, replay)
    assert advice.verdict == "containers" and comp.budgets[0].side == "containers"
    assert comp.budgets[0].met is False and "docker 192.9 ms" in comp.budgets[0].text


def test_memory_budget(rules, replay):
    answers = dict(CASES[0][1], memory_budget_mib=32)
    _, comp = one(answers, rules, replay)
    memory = next(b for b in comp.budgets if b.budget.startswith("memory budget"))
    assert memory.met is False and "wasmtime-cli 34.4+0.0 MiB" in memory.text


def test_near_tie_is_never_high_confidence(rules, tmp_path):
    """7 against 6: a user's rules make it a near tie, and the margin says 'low'."""
    extra = tmp_path / "tie.toml"
    extra.write_text('[[rule]]\nid = "our-ops-team"\nwhen = { kind = ["edge-function"] }\ntoward = "containers"\n'
                     'weight = 6\nrationale = "we run containers"\nsource = "us"\n'
                     '[[rule]]\nid = "spiky-traffic-cost"\nwhen = { traffic = ["spiky"] }\ntoward = "wasm"\n'
                     'weight = 2\nrationale = "r"\nsource = "s"\n')
    advice, comp = one(dict(language="rust", state="stateless", traffic="spiky", kind="edge-function"),
                       load_rules(extra))
    assert (comp.wasm_weight, comp.containers_weight) == (7, 6)
    assert advice.confidence_label == "low"


def test_python_platform_figures_are_quoted_for_python_only(rules):
    """The platforms table measures a Python component: never evidence for Java or `other`."""
    ev = Evidence.of(stored(PLATFORMS))
    _, py = one(CASES[1][1], rules, ev)
    maturing = reason(py, "maturing-language")
    assert maturing.status == "weak" and maturing.weight == 1.5  # Wasm faster, but 3.4x the memory
    assert maturing.evidence.startswith("Python here: on Wasm (wasmtime serve) 672 req/s, 64.1 MiB")
    for lang in ("java", "other"):
        _, comp = one(dict(CASES[1][1], language=lang), rules, ev)
        assert not any("Python" in e for e in comp.evidence), comp.evidence
        assert reason(comp, "maturing-language").status == "unmeasured"
        assert "measures Python only" in reason(comp, "maturing-language").note


def test_c_module_figures_are_not_quoted_for_other_languages(rules, replay):
    """The startup table times a small C module: a JavaScript or Python edge function gets no
    C figures, and says nothing here measures it."""
    for lang in ("javascript", "python"):
        _, comp = one(dict(CASES[0][1], language=lang), rules, replay)
        assert not any("cold start here" in e for e in comp.evidence)
        assert reason(comp, "edge-cold-start").status == "unmeasured"
    _, rust = one(CASES[0][1], rules, replay)
    assert reason(rust, "edge-cold-start").status == "holds"
    assert "cold start here: wasmtime 0.757 ms" in reason(rust, "edge-cold-start").evidence


def test_python_cold_start_comes_from_the_platforms_table(rules):
    _, comp = one(CASES[12][1], rules, Evidence.of(stored(PLATFORMS)))
    edge = reason(comp, "edge-cold-start")
    assert edge.status == "holds" and "a fresh Wasm instance per request answers within 4.643 ms" in edge.evidence


def test_compute_and_http_premises(rules, replay):
    _, cpu = one(CASES[5][1], rules, replay)
    compute = reason(cpu, "cpu-bound")
    assert compute.status == "holds" and "fib(40) over native here: wasmtime-cli +120.3 %" in compute.evidence
    _, svc = one(dict(language="c", state="stateless", traffic="steady", kind="service"), rules, replay)
    http = reason(svc, "sustained-http-load")
    assert http.status == "weak" and "generator-bound" in http.evidence  # 106k vs 125k req/s here


def test_per_request_premise_reads_the_per_request_rows(rules, replay):
    _, comp = one(CASES[11][1], rules, replay)
    scale = reason(comp, "serverless-scale-to-zero")
    assert scale.status == "holds" and "wasmtime 3,905 req/s" in scale.evidence and "docker 7.6 req/s" in scale.evidence


def test_sandbox_premise(rules):
    """Sandbox cells: a Wasm guest that reached the host contradicts the plugin rule."""
    def row(runtime, kind, **cells):
        return {"runtime": runtime, "kind": kind, "settings": "runtime-defaults",
                "cells": {cap: {"verdict": v} for cap, v in cells.items()}}
    plugin = CASES[2][1]
    leaky = Evidence.of(sandbox=[row("wasmtime", "wasm", **{"read-file": "denied"}),
                                 row("wasm3", "wasm", **{"read-env": "host"}), row("docker", "container")])
    _, comp = one(plugin, rules, leaky)
    r = reason(comp, "untrusted-plugins")
    assert r.status == "contradicted" and "wasm3 reached the host's read-env" in r.evidence
    tight = Evidence.of(sandbox=[row("wasmtime", "wasm", **{"read-file": "denied"}),
                                 row("docker", "container", **{"read-file": "own"})])
    assert reason(one(plugin, rules, tight)[1], "untrusted-plugins").status == "weak"


@pytest.mark.docker
def test_sandbox_premise_from_a_real_probe_run(rules, docker_client):
    from wasmscope.workloads.measurements.sandbox import run_sandbox

    rows = run_sandbox(["wasmtime", "docker"], settings=["runtime-defaults"])
    _, comp = one(CASES[2][1], rules, Evidence.of(sandbox=rows))
    r = reason(comp, "untrusted-plugins")
    assert r.status in ("holds", "weak", "contradicted") and "wasmtime" in r.evidence


def test_standard_go_is_never_an_unqualified_wasm(rules):
    advice, comp = one(dict(language="go", state="stateless", traffic="spiky", kind="edge-function"), rules)
    assert comp.verdict == "wasm" and comp.caveats and "TinyGo" in comp.caveats[0]
    assert "qualified: only as a WAGI" in advice.summary
    assert reason(comp, "language-builds-no-http-component").toward == "containers"
    sockets = one(CASES[13][1], rules)[1]
    assert sockets.verdict == "containers" and reason(sockets, "language-without-sockets")
    assert one(dict(CASES[0][1], language="tinygo"), rules)[1].caveats == []


SYSTEM = {"name": "shop", "components": [
    dict(name="api", language="python", state="persistent-connections", traffic="steady", kind="service"),
    dict(name="edge", language="rust", state="stateless", traffic="spiky", kind="edge-function",
         cold_start_budget_ms=5),
    dict(name="thumbs", language="c", state="in-memory", traffic="steady", kind="cpu-bound"),
]}


def test_a_system_gets_a_recommendation_per_component_and_a_summary(rules, replay):
    answers = parse_answers(SYSTEM)
    advice = evaluate(answers, rules, replay)
    assert [(c.name, c.verdict) for c in advice.components] == [
        ("api", "containers"), ("edge", "wasm"), ("thumbs", "containers")]
    assert advice.verdict == "both"
    assert advice.summary == ("Both for shop — on Wasm: edge (Rust edge function); in containers: api (Python "
                              "long-running service), thumbs (C sustained CPU-bound job). The Wasm part (edge) "
                              "reaches the containers over HTTP at http://api:8080, http://thumbs:8080.")
    assert not any(r.rule in advice.summary for c in advice.components for r in c.reasons)
    assert advice.confidence == min(c.confidence for c in advice.components)
    api = advice.components[0]
    assert not any("cold start here" in e or "fib(" in e for e in api.evidence)  # C figures are not Python's
    text = recommendation_text(advice)
    assert "== edge: Wasm" in text and "== api: containers" in text


def test_a_both_answer_names_its_parts_not_rule_ids(rules):
    advice, comp = one(CASES[8][1] | {"name": "shop-api"}, rules)
    assert advice.summary.startswith("Both: split shop-api in two — shop-api on Wasm")
    assert "shop-api-backend in a container holds the persistent connections" in advice.summary
    assert not any(r.rule in advice.summary for r in comp.reasons)


def test_all_wasm_and_all_container_systems(rules):
    wasm = parse_answers({"name": "edge", "components": [SYSTEM["components"][1] | {"name": "a"},
                                                         SYSTEM["components"][1] | {"name": "b"}]})
    assert evaluate(wasm, rules).summary.startswith("Wasm for every component of edge: a (Rust edge function)")
    boxes = parse_answers({"name": "back", "components": [SYSTEM["components"][0], SYSTEM["components"][2]]})
    assert evaluate(boxes, rules).verdict == "containers"


@pytest.mark.parametrize("data, message", [
    ({"name": "x", "components": "api"}, "components: expected an array of tables"),
    ({"name": "x", "components": []}, "components: expected an array of tables"),
    ({"name": "x", "components": [1]}, "components[0]: expected a table of answers, got int 1"),
    ({"name": "x", "language": "rust", "components": [SYSTEM["components"][0]]},
     "language: a component question outside [[components]]"),
    ({"name": "x", "components": [SYSTEM["components"][0], SYSTEM["components"][0]]},
     "two components are named 'api'"),
    ({"name": "x", "components": [dict(SYSTEM["components"][0], colour="red")]},
     "components[0]: colour: unknown question"),
])
def test_bad_systems_name_the_component_and_field(data, message):
    with pytest.raises(AnswersError) as err:
        parse_answers(data, "a.toml")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_user_rules_override_and_extend(rules):
    mine = load_rules(USER_RULES)
    ids = [r.id for r in mine.rules]
    assert ids.count("edge-cold-start") == 1 and "we-love-wasm" in ids
    assert next(r for r in mine.rules if r.id == "old-style").premise == "compute-overhead"
    advice, comp = one(CASES[0][1] | {"cold_start_budget_ms": 1000}, mine)
    assert advice.verdict == "containers" and comp.reasons[0].source == "our platform team"


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
    ('[[rule]]\nid = "x"\nfacts = { sockets = ["some"] }\ntoward = "wasm"\nweight = 1\nrationale = "r"\nsource = "s"\n',
     "rule 'x': facts.sockets: expected a list of full, partial, none"),
    ('[[rule]]\nid = "x"\nwhen = { kind = ["plugin"] }\ntoward = "wasm"\nweight = 1\nrationale = "r"\nsource = "s"\npremise = "vibes"\n',
     "rule 'x': premise: expected one of cold-start"),
    ('[language.go]\nsupport = "good"\ntoolchain = "go"\nsockets = "lots"\n', "language.go.sockets: expected one of"),
    ('[[rule]]\nwhen = { kind = ["plugin"] }\n', "rule #1: id: expected a non-empty string"),
    ("[[rule]\n", "not valid TOML"),
])
def test_bad_rules_file_names_rule_and_field(tmp_path, body, message):
    path = tmp_path / "rules.toml"
    path.write_text(body)
    with pytest.raises(RulesError) as err:
        load_rules(path)
    assert message in str(err.value) and "\n" not in str(err.value) and str(path) in str(err.value)


BASE = dict(language="rust", state="stateless", traffic="spiky", kind="plugin")


@pytest.mark.parametrize("answers, message", [
    (dict(BASE, language="cobol"),
     "language: 'cobol' is not allowed (allowed: rust, c, cpp, tinygo, go, javascript, python, java, dotnet, other)"),
    (dict(BASE, language="c-cpp"), "language: 'c-cpp' is not allowed: answer c or cpp"),
    (dict(language="rust", state="stateless", traffic="spiky"), "kind: missing answer (allowed: edge-function"),
    (dict(BASE, tenants=-1), "tenants: -1 is not allowed"),
    (dict(BASE, tenants=2.7), "tenants: 2.7 is not allowed (allowed: a whole number >= 0)"),
    (dict(BASE, cold_start_budget_ms=float("inf")), "cold_start_budget_ms: inf is not allowed (allowed: a finite"),
    (dict(BASE, cold_start_budget_ms=0), "cold_start_budget_ms: 0 is not allowed (allowed: a finite number > 0)"),
    (dict(BASE, cold_start_budget_ms=float("nan")), "cold_start_budget_ms: nan is not allowed"),
    (dict(BASE, cold_start_budget_ms="inf"), "cold_start_budget_ms: 'inf' is not allowed"),
    (dict(BASE, memory_budget_mib=True), "memory_budget_mib: True is not allowed"),
    (dict(BASE, name="My App"), "name: 'My App' is not allowed"),
    (dict(BASE, name="9lives"), "name: '9lives' is not allowed (allowed: lower-case words of letters and digits "
                                "joined by single '-', starting with a letter"),
    (dict(BASE, name="a--b"), "name: 'a--b' is not allowed"),
    (dict(BASE, mood="happy"), "mood: unknown question"),
])
def test_bad_answers_name_the_question_and_allowed_values(answers, message):
    with pytest.raises(AnswersError) as err:
        parse_answers(answers, "answers.toml")
    assert str(err.value).startswith("answers.toml: ") and message in str(err.value)


def test_numbers_from_text_and_whole_floats():
    a = parse_answers(dict(BASE, tenants="3", cold_start_budget_ms="2.5", memory_budget_mib=64))
    comp = a.components[0]
    assert (comp.tenants, comp.cold_start_budget_ms, comp.memory_budget_mib) == (3, 2.5, 64.0)
    assert parse_answers(dict(BASE, tenants=4.0)).components[0].tenants == 4


def test_saved_answers_parse_back():
    a = parse_answers(SYSTEM)
    assert parse_answers(a.to_dict()) == a
    flat = parse_answers(dict(BASE, name="edge-hello"))
    assert parse_answers(flat.to_dict()) == flat and flat.components[0].name == "edge-hello"
