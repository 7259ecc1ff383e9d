"""A recommendation as plain text, for `wasmscope advise` and the wizard's result screen."""

from __future__ import annotations

from .evaluate import ComponentAdvice
from .questions import label
from .system import Advice

VERDICT = {"wasm": "Wasm", "containers": "containers", "both": "both (Wasm and containers)"}
STATUS = {"holds": "holds", "weak": "holds only weakly", "contradicted": "CONTRADICTED", "unmeasured": "assumed"}


def _weights(c: ComponentAdvice) -> str:
    measured = round(c.measured_share * (c.wasm_weight + c.containers_weight), 2)
    return (f"Wasm {c.wasm_weight:g} vs containers {c.containers_weight:g}; "
            f"{measured:g} of {c.wasm_weight + c.containers_weight:g} measured here")


def _reasons(c: ComponentAdvice, indent: str) -> list[str]:
    lines = [f"{indent}Reasons, ranked (rules from the rules file; premises checked against this machine):"]
    if not c.reasons:
        lines.append(f"{indent}  (no rule matched these answers)")
    for i, r in enumerate(c.reasons, 1):
        side = "Wasm" if r.toward == "wasm" else "containers"
        flipped = ""
        if r.toward != r.rule_toward:
            flipped = f", flipped from {'Wasm' if r.rule_toward == 'wasm' else 'containers'} +{r.rule_weight:g}"
        elif r.weight != r.rule_weight:
            flipped = f", halved from +{r.rule_weight:g}"
        lines.append(f"{indent}  {i}. [{side} +{r.weight:g}{flipped}] {r.rule}: {r.rationale}")
        lines.append(f"{indent}     source: {r.source}")
        if r.premise:
            lines.append(f"{indent}     depends on: {r.depends_on} — {STATUS[r.status]}")
            lines.append(f"{indent}     {r.note}")
        if r.evidence:
            lines.append(f"{indent}     measured on this machine: {r.evidence}")
    return lines


def _details(c: ComponentAdvice, indent: str) -> list[str]:
    lines: list[str] = []
    if c.budgets:
        lines += ["", f"{indent}Budgets, against the runtimes this recommendation names:"]
        lines += [f"{indent}  - {b.text}" for b in c.budgets]
    f = c.facts
    lines += ["", f"{indent}Language: {label('language', c.language)} — Wasm support {f.get('support', '?')}; "
                  f"sockets {f.get('sockets', '?')}; threads {f.get('threads', '?')}; "
                  f"HTTP component {f.get('http_component', '?')}; toolchain: {f.get('toolchain', '?')}"]
    if c.caveats:
        lines.append(f"{indent}Caveat for Wasm: {'; '.join(c.caveats)}")
    return lines


def component_text(c: ComponentAdvice, *, indent: str = "") -> list[str]:
    lines = [f"{indent}{c.summary}", ""] + _reasons(c, indent) + _details(c, indent)
    return lines


def _missing(advice: Advice) -> list[str]:
    runnable = [m for m in advice.missing if m["command"]]
    unmeasurable = sorted({m["table"] for m in advice.missing if not m["command"]})
    lines = []
    if runnable:
        lines += ["", "Not measured yet (the premises above are assumed until then):"]
        lines += [f"  - {m['table']}: run `{m['command']}` and pass `--profile PROFILE`"
                  if m["command"].startswith("wasmscope bench") else f"  - {m['table']}: {m['command']}"
                  for m in runnable]
    if unmeasurable:
        lines += ["", "Not measurable here: " + "; ".join(unmeasurable)]
    return lines


def recommendation_text(advice: Advice) -> str:
    """The whole recommendation: the system line, then each component with its reasons."""
    head = (f"Recommendation: {VERDICT[advice.verdict]} — confidence {advice.confidence_label}")
    if len(advice.components) == 1:
        c = advice.components[0]
        lines = [f"{head} (rules: {_weights(c)})"] + component_text(c)
    else:
        lines = [f"{head} (its least confident component's)", advice.summary]
        for c in advice.components:
            lines += ["", f"== {c.name}: {VERDICT[c.verdict]} — confidence {c.confidence_label} ({_weights(c)})"]
            lines += component_text(c, indent="   ")
    if advice.evidence:
        lines += ["", "Evidence from this machine (same-run figures, for the languages they measure):"]
        lines += [f"  - {e}" for e in advice.evidence]
    return "\n".join(lines + _missing(advice))
