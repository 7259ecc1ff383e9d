"""The evaluator: answers + rules (+ this machine's results) → a recommendation with reasons.

Pure and deterministic: rules are summed by weight per side; ties and close calls with strong
reasons on both sides become "both", with which part goes where.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..model.format import fmt_mib, fmt_ms, fmt_pct, fmt_times
from ..model.results import OK, Results
from .questions import BY_KEY, Answers
from .rules import EVIDENCE, QUICK_EVIDENCE, RuleSet

STRONG = 3.0  # a side with at least this much weight is a real reason, not a nudge
CLOSE = 2.0  # strong reasons on both sides within this margin → both


@dataclass(frozen=True)
class Reason:
    rule: str
    toward: str
    weight: float
    rationale: str
    source: str
    evidence: str = ""  # this machine's measured figure backing the rule, when there is one


@dataclass
class Recommendation:
    verdict: str  # wasm | containers | both
    confidence: float  # 0..1
    confidence_label: str
    wasm_weight: float
    containers_weight: float
    summary: str
    reasons: list[Reason] = field(default_factory=list)
    language: dict[str, str] = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)
    missing_evidence: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = [{k: v for k, v in r.items() if v != ""} for r in data["reasons"]]
        return data


def evidence_lines(results: Results | None) -> dict[str, str]:
    """One quotable line per measurement found in the results (same-run ratios only)."""
    if results is None:
        return {}
    out: dict[str, str] = {}
    kinds = {name: info.kind for name, info in results.runtimes.items()}
    wasm = lambda t: next((r for r in t.rows if kinds.get(r.runtime) == "wasm" and r.status == OK), None)  # noqa: E731
    if (t := results.tables.get("startup")) and (w := wasm(t)) and t.ok_value("docker"):
        out["startup"] = (f"cold start here: {w.runtime} {fmt_ms(w.value)} vs Docker "
                          f"{fmt_ms(t.ok_value('docker'))}, {fmt_times(t.ratio(w.runtime, 'docker'), 'faster', 'slower')}")
    if (t := results.tables.get("compute")) and (w := wasm(t)) and t.ok_value("native"):
        n = results.settings.get("fib_n", "")
        line = f"fib({n}) overhead here: {w.runtime} {fmt_pct(t.overhead_pct(w.runtime, 'native'))} vs native"
        if t.ok_value("docker"):
            line += f" (Docker {fmt_pct(t.overhead_pct('docker', 'native'))})"
        out["compute"] = line
    if (t := results.tables.get("memory")) and (w := wasm(t)) and (d := t.row("docker")) and d.status == OK:
        out["memory"] = (f"idle instance memory here: {w.runtime} {fmt_mib(w.value)} "
                         f"(+{fmt_mib(w.stats.get('overhead_rss_mib'))} host) vs Docker {fmt_mib(d.value)} "
                         f"(+{fmt_mib(d.stats.get('overhead_rss_mib'))} containerd-shim)")
    if (t := results.tables.get("platforms")):
        ok = {r.runtime: r for r in t.rows if r.status == OK}
        wasm_host = ok.get("wasmtime-serve") or ok.get("wasmcloud")
        box = ok.get("python-container")
        if wasm_host and box:
            name = str(wasm_host.facts.get("display", wasm_host.runtime))
            out["platforms"] = (f"Python here: on Wasm ({name}) {wasm_host.value:,.0f} req/s, "
                                f"{fmt_mib(wasm_host.stats.get('rss_mib'))}, first 200 after "
                                f"{fmt_ms(wasm_host.stats.get('first_200_ms'))}; CPython in a container "
                                f"{box.value:,.0f} req/s, {fmt_mib(box.stats.get('rss_mib'))}, first 200 after "
                                f"{fmt_ms(box.stats.get('first_200_ms'))}")
    return out


def evaluate(answers: Answers, rules: RuleSet, results: Results | None = None) -> Recommendation:
    measured = evidence_lines(results)
    matched = [r for r in rules.rules if r.matches(answers)]
    reasons = sorted(
        (Reason(r.id, r.toward, r.weight, r.rationale, r.source, measured.get(r.evidence or "", ""))
         for r in matched),
        key=lambda r: (-r.weight, r.rule))
    w = sum(r.weight for r in reasons if r.toward == "wasm")
    c = sum(r.weight for r in reasons if r.toward == "containers")
    total = w + c
    if total == 0:
        verdict, confidence = "containers", 0.0
    elif w >= STRONG and c >= STRONG and abs(w - c) <= CLOSE:
        verdict, confidence = "both", min(w, c) / max(w, c)
    else:
        verdict = "wasm" if w > c else "containers"
        confidence = abs(w - c) / total
    label = "high" if confidence >= 0.6 else "medium" if confidence >= 0.3 else "low"
    # only what the wizard's quick benchmark can measure is offered as missing
    needed = sorted(({r.evidence for r in matched if r.evidence} - set(measured)) & set(QUICK_EVIDENCE))
    return Recommendation(
        verdict=verdict, confidence=round(confidence, 3), confidence_label=label,
        wasm_weight=w, containers_weight=c, summary=_summary(verdict, answers, reasons),
        reasons=reasons,
        language=dict(rules.languages.get(answers.language, {"support": "unknown", "toolchain": "unknown"})),
        evidence=[measured[k] for k in EVIDENCE if k in measured],
        missing_evidence=needed,
    )


def _label(key: str, value: str) -> str:
    return dict(BY_KEY[key].choices).get(value, value)


def _summary(verdict: str, a: Answers, reasons: list[Reason]) -> str:
    kind, lang = _label("kind", a.kind), _label("language", a.language)
    if not reasons:
        return f"No rule matched; containers are the conservative default for a {lang} {kind}."
    if verdict == "both":
        wasm_ids = ", ".join(r.rule for r in reasons if r.toward == "wasm")
        cont_ids = ", ".join(r.rule for r in reasons if r.toward == "containers")
        return (f"Both: put the request-facing, stateless part of the {lang} {kind} on Wasm ({wasm_ids}); "
                f"keep the parts that need {cont_ids} in containers, and connect them over HTTP.")
    top = next(r for r in reasons if r.toward == verdict)
    side = "Wasm" if verdict == "wasm" else "containers"
    return f"{side} for this {lang} {kind}: {top.rationale}"
