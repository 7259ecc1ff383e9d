"""One component's recommendation: its answers + the rules + this machine's figures → a verdict
with ranked reasons, checked premises, budgets and a confidence.

Pure and deterministic. Rules are summed by weight per side; a rule whose premise this machine
contradicts counts for the other side at half weight, one it supports only weakly at half
weight. Confidence comes from the margin between the sides and from how much of the weight
rests on measured rather than assumed premises; a missed budget makes it low.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .budgets import BudgetCheck, check_budgets
from .evidence import Evidence
from .premises import CONTRADICTED, HOLDS, PREMISES, UNMEASURED, WEAK, Check
from .questions import Answers, Component, label
from .rules import Rule, RuleSet

STRONG = 3.0  # a side with at least this much weight is a real reason, not a nudge
CLOSE = 2.0  # strong reasons on both sides within this margin → split the component (both)
SPLIT_MARGIN = 0.4  # a split is a design call: its confidence is medium at most
OTHER = {"wasm": "containers", "containers": "wasm"}
SIDE = {"wasm": "Wasm", "containers": "containers"}
MEASURED = (HOLDS, WEAK, CONTRADICTED)


@dataclass(frozen=True)
class Reason:
    rule: str
    toward: str  # the side it counts for (flipped when its premise is contradicted)
    weight: float  # what it counts (halved when weak or contradicted)
    rationale: str
    source: str
    premise: str = ""  # the premise id ("" when the rule has no measurable premise)
    depends_on: str = ""  # the figure the premise depends on
    status: str = ""  # holds | weak | contradicted | unmeasured ("" without a premise)
    evidence: str = ""  # the measured figure
    note: str = ""  # what the measurement did to the rule, in words
    rule_toward: str = ""
    rule_weight: float = 0.0

    @property
    def measured(self) -> bool:
        return self.status in MEASURED


@dataclass
class ComponentAdvice:
    name: str
    language: str
    kind: str
    verdict: str  # wasm | containers | both
    confidence: float  # 0..1
    confidence_label: str
    wasm_weight: float
    containers_weight: float
    measured_share: float  # share of the weight resting on measured premises
    summary: str
    reasons: list[Reason] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    caveats: list[str] = field(default_factory=list)
    budgets: list[BudgetCheck] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)  # {"table", "command"} per unmeasured figure
    backend: str = ""  # verdict both: the container part's name

    @property
    def missing_evidence(self) -> list[str]:
        return sorted({m["table"] for m in self.missing if m.get("command")})

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = [{k: v for k, v in r.items() if v not in ("", 0.0) or k == "weight"}
                           for r in data["reasons"]]
        data["budgets"] = [b.to_dict() for b in self.budgets]
        return data


def weigh(rule: Rule, check: Check | None) -> Reason:
    """The rule as it counts after its premise met this machine's figures."""
    base = dict(rule=rule.id, rationale=rule.rationale, source=rule.source, rule_toward=rule.toward,
                rule_weight=rule.weight)
    if check is None:
        return Reason(toward=rule.toward, weight=rule.weight, **base)
    premise = PREMISES[rule.premise]
    info = dict(premise=premise.id, depends_on=premise.figure, status=check.status, evidence=check.figure)
    assumes = f"{rule.id} assumes {premise.claim}"
    if check.status == HOLDS:
        return Reason(toward=rule.toward, weight=rule.weight, note=f"{assumes}; measured here it holds", **info, **base)
    if check.status == WEAK:
        return Reason(toward=rule.toward, weight=rule.weight / 2, **info, **base,
                      note=f"{assumes}; measured here it holds only weakly: counted at half weight")
    if check.status == CONTRADICTED:
        return Reason(toward=OTHER[rule.toward], weight=rule.weight / 2, **info, **base,
                      note=f"{assumes}; measured here it does not: counted for {SIDE[OTHER[rule.toward]]} "
                           f"at half weight instead")
    why = f"not measured yet ({check.table})" if check.missing else f"not measured: {check.table}"
    return Reason(toward=rule.toward, weight=rule.weight, note=f"{assumes}; {why}: assumed", **info, **base)


def _verdict(w: float, c: float) -> str:
    if w + c == 0:
        return "containers"
    if w >= STRONG and c >= STRONG and abs(w - c) <= CLOSE:
        return "both"
    return "wasm" if w > c else "containers"


def _confidence(verdict: str, w: float, c: float, share: float, budgets: list[BudgetCheck]) -> tuple[float, str]:
    total = w + c
    if total == 0:
        return 0.0, "low"
    if verdict == "both":  # a near tie split in two: medium at most, low while it rests on assumptions
        score = SPLIT_MARGIN * (0.25 + 0.75 * share)
    else:
        score = abs(w - c) / total * (0.5 + 0.5 * share)
    if any(b.met is False for b in budgets):
        score = min(score, 0.19)
    return round(score, 3), "high" if score >= 0.45 else "medium" if score >= 0.2 else "low"


def evaluate_component(comp: Component, answers: Answers, rules: RuleSet, ev: Evidence) -> ComponentAdvice:
    facts = rules.facts(comp.language)
    matched = [r for r in rules.rules if r.matches(comp, answers, facts)]
    checks = {r.id: PREMISES[r.premise].judge(ev, comp) for r in matched if r.premise}
    reasons = sorted((weigh(r, checks.get(r.id)) for r in matched), key=lambda r: (-r.weight, r.rule))
    w = sum(r.weight for r in reasons if r.toward == "wasm")
    c = sum(r.weight for r in reasons if r.toward == "containers")
    share = sum(r.weight for r in reasons if r.measured) / (w + c) if w + c else 0.0
    verdict = _verdict(w, c)
    budgets = check_budgets(comp, verdict, ev)
    score, conf = _confidence(verdict, w, c, share, budgets)
    caveats = [facts["caveat"]] if verdict != "containers" and facts.get("caveat") else []
    missing = {(check.table, check.missing) for check in checks.values() if check.status == UNMEASURED}
    advice = ComponentAdvice(
        name=comp.name, language=comp.language, kind=comp.kind, verdict=verdict, confidence=score,
        confidence_label=conf, wasm_weight=w, containers_weight=c, measured_share=round(share, 3), summary="",
        reasons=reasons, facts=facts, caveats=caveats, budgets=budgets,
        evidence=list(dict.fromkeys(r.evidence for r in reasons if r.evidence)),
        missing=[{"table": t, "command": cmd} for t, cmd in sorted(missing)],
        backend=f"{comp.name}-backend" if verdict == "both" else "")
    advice.summary = component_summary(advice, comp, answers)
    return advice


def describe(comp: Component) -> str:
    return f"{label('language', comp.language)} {label('kind', comp.kind)}"


def _container_needs(comp: Component, answers: Answers) -> str:
    if comp.state in ("persistent-connections", "heavy-file-io", "threads"):
        return f"holds the {label('state', comp.state)}"
    if answers.needs_container_tooling:
        return "runs on today's container tooling"
    if comp.kind == "cpu-bound":
        return "does the sustained CPU-bound work"
    return "runs the long-lived part"


def component_summary(a: ComponentAdvice, comp: Component, answers: Answers) -> str:
    """One or two sentences naming the component (never rule ids)."""
    what = f"{comp.name} ({describe(comp)})"
    if not a.reasons:
        return f"No rule matched; containers are the conservative default for {what}."
    if a.verdict == "both":
        missed = "".join(f" But {b.text}." for b in a.budgets if b.met is False)
        return (f"Both: split {comp.name} in two — {comp.name} on Wasm answers the "
                f"{label('traffic', comp.traffic)} requests; {a.backend} in a container "
                f"{_container_needs(comp, answers)}; {comp.name} calls {a.backend} over HTTP.{missed}")
    top = next((r for r in a.reasons if r.toward == a.verdict), a.reasons[0])
    qualified = f" — qualified: {a.caveats[0]}" if a.caveats else ""
    missed = "".join(f" But {b.text}." for b in a.budgets if b.met is False)
    return f"{SIDE[a.verdict].capitalize()} for {what}{qualified}. {top.rationale}{missed}"
