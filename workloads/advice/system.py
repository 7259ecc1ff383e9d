"""A system's recommendation: one per component, and the system-level summary from those.

The system goes to Wasm when every component does, to containers when every one does, and is
"both" otherwise; the summary names which component goes where and how the parts talk (HTTP,
by service name). Its confidence is its least confident component's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.results import Results
from .evaluate import ComponentAdvice, describe, evaluate_component
from .evidence import Evidence
from .questions import Answers
from .rules import RuleSet

CONTAINER_PORT = 8080  # every container service listens here, inside its container


@dataclass
class Advice:
    name: str
    verdict: str  # wasm | containers | both
    confidence: float
    confidence_label: str
    summary: str
    components: list[ComponentAdvice] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "verdict": self.verdict, "confidence": self.confidence,
                "confidence_label": self.confidence_label, "summary": self.summary,
                "components": [c.to_dict() for c in self.components]}

    @property
    def missing(self) -> list[dict[str, str]]:
        seen: dict[tuple[str, str], dict[str, str]] = {}
        for c in self.components:
            for m in c.missing:
                seen.setdefault((m["table"], m["command"]), m)
        return list(seen.values())

    @property
    def evidence(self) -> list[str]:
        return list(dict.fromkeys(e for c in self.components for e in c.evidence))

    def wasm_parts(self) -> list[str]:
        return [c.name for c in self.components if c.verdict in ("wasm", "both")]

    def container_parts(self) -> list[str]:
        return [c.backend or c.name for c in self.components if c.verdict in ("containers", "both")]


def evaluate(answers: Answers, rules: RuleSet, evidence: Evidence | Results | None = None) -> Advice:
    """The recommendation for every component and for the system."""
    ev = evidence if isinstance(evidence, Evidence) else Evidence.of(evidence)
    comps = [evaluate_component(c, answers, rules, ev) for c in answers.components]
    verdicts = {c.verdict for c in comps}
    verdict = verdicts.pop() if len(verdicts) == 1 else "both"
    weakest = min(comps, key=lambda c: c.confidence)
    advice = Advice(answers.name, verdict, weakest.confidence, weakest.confidence_label, "", comps)
    advice.summary = comps[0].summary if answers.single else system_summary(advice, answers)
    return advice


def system_summary(advice: Advice, answers: Answers) -> str:
    """Which component goes where, by name, and how the Wasm parts reach the containers."""
    by_name = {c.name: c for c in answers.components}

    def names(parts: list[ComponentAdvice]) -> str:
        return ", ".join(f"{p.name} ({describe(by_name[p.name])})" for p in parts)

    wasm = [c for c in advice.components if c.verdict == "wasm"]
    boxes = [c for c in advice.components if c.verdict == "containers"]
    split = [c for c in advice.components if c.verdict == "both"]
    if advice.verdict == "wasm":
        return f"Wasm for every component of {answers.name}: {names(wasm)}."
    if advice.verdict == "containers":
        return f"Containers for every component of {answers.name}: {names(boxes)}."
    parts = []
    if wasm:
        parts.append(f"on Wasm: {names(wasm)}")
    if boxes:
        parts.append(f"in containers: {names(boxes)}")
    for c in split:
        parts.append(f"split: {c.name} on Wasm in front of {c.backend} in a container")
    targets = [f"http://{n}:{CONTAINER_PORT}" for n in advice.container_parts()]
    callers = advice.wasm_parts()
    link = (f" The Wasm part{'s' if len(callers) > 1 else ''} ({', '.join(callers)}) reach"
            f"{'' if len(callers) > 1 else 'es'} the containers over HTTP at {', '.join(targets)}.")
    return f"Both for {answers.name} — " + "; ".join(parts) + "." + (link if callers and targets else "")
