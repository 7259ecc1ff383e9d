"""A recommendation as plain text, for `wasmscope advise` and the wizard's result screen."""

from __future__ import annotations

from .evaluate import Recommendation

VERDICT = {"wasm": "Wasm", "containers": "containers", "both": "both (Wasm and containers)"}


def recommendation_text(rec: Recommendation, *, language_label: str = "") -> str:
    lines = [f"Recommendation: {VERDICT[rec.verdict]} — confidence {rec.confidence_label} "
             f"(rules: Wasm {rec.wasm_weight:g} vs containers {rec.containers_weight:g})",
             rec.summary, "", "Reasons, ranked (each a rule from the rules file):"]
    if not rec.reasons:
        lines.append("  (no rule matched these answers)")
    for i, r in enumerate(rec.reasons, 1):
        side = "Wasm" if r.toward == "wasm" else "containers"
        lines.append(f"  {i}. [{side} +{r.weight:g}] {r.rule}: {r.rationale}")
        lines.append(f"     source: {r.source}")
        if r.evidence:
            lines.append(f"     measured on this machine: {r.evidence}")
    lang = language_label or "this language"
    lines += ["", f"Language: {lang} — Wasm support {rec.language.get('support', '?')}; "
                  f"toolchain: {rec.language.get('toolchain', '?')}"]
    if rec.evidence:
        lines += ["", "Evidence from this machine (same-run figures):"] + [f"  - {e}" for e in rec.evidence]
    if rec.missing_evidence:
        lines += ["", f"Not measured yet: {', '.join(rec.missing_evidence)} — run `wasmscope bench "
                      "--profile quick --save PROFILE` and pass `--profile PROFILE` to fold it in."]
    return "\n".join(lines)
