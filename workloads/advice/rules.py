"""Rules as data: the shipped rules.toml, optionally extended or overridden by a user's file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import WasmscopeError
from ..system.paths import not_a_file
from .questions import BY_KEY, Answers

SHIPPED_RULES = Path(str(resources.files(__package__))) / "rules.toml"
TOWARD = ("wasm", "containers")
EVIDENCE = ("startup", "compute", "memory", "platforms")
QUICK_EVIDENCE = ("startup", "compute", "memory")  # what the wizard's quick benchmark measures


class RulesError(WasmscopeError):
    """A rules file is unreadable or a rule is malformed."""


@dataclass(frozen=True)
class Rule:
    id: str
    when: dict[str, Any]
    toward: str
    weight: float
    rationale: str
    source: str
    evidence: str | None = None

    def matches(self, answers: Answers) -> bool:
        for key, cond in self.when.items():
            value = getattr(answers, key)
            if isinstance(cond, list):
                if value not in cond:
                    return False
            elif isinstance(cond, dict):
                if "below" in cond and not value < cond["below"]:
                    return False
                if "at_least" in cond and not value >= cond["at_least"]:
                    return False
            elif value != cond:
                return False
        return True


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    languages: dict[str, dict[str, str]]


def _rule(entry: Any, index: int, source: str) -> Rule:
    rid = entry.get("id") if isinstance(entry, dict) else None
    where = f"{source}: rule {rid!r}" if rid else f"{source}: rule #{index + 1}"
    if not isinstance(entry, dict) or not isinstance(rid, str) or not rid:
        raise RulesError(f"{where}: id: expected a non-empty string")
    allowed = {"id", "when", "toward", "weight", "rationale", "source", "evidence"}
    for key in entry:
        if key not in allowed:
            raise RulesError(f"{where}: {key}: unknown field (fields: {', '.join(sorted(allowed))})")
    when = entry.get("when")
    if not isinstance(when, dict) or not when:
        raise RulesError(f"{where}: when: expected a table of conditions on answers")
    for key, cond in when.items():
        if key not in BY_KEY:
            raise RulesError(f"{where}: when.{key}: not a question (questions: {', '.join(BY_KEY)})")
        q = BY_KEY[key]
        if q.kind == "choice":
            allowed_values = {v for v, _ in q.choices}
            if not isinstance(cond, list) or not cond or any(c not in allowed_values for c in cond):
                raise RulesError(f"{where}: when.{key}: expected a list of {', '.join(sorted(allowed_values))}")
        elif q.kind == "number":
            if (not isinstance(cond, dict) or not cond or set(cond) - {"below", "at_least"}
                    or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in cond.values())):
                raise RulesError(f"{where}: when.{key}: expected {{ below = N }} and/or {{ at_least = N }}")
        elif q.kind == "bool" and not isinstance(cond, bool):
            raise RulesError(f"{where}: when.{key}: expected true or false")
    if entry.get("toward") not in TOWARD:
        raise RulesError(f"{where}: toward: expected 'wasm' or 'containers', got {entry.get('toward')!r}")
    weight = entry.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
        raise RulesError(f"{where}: weight: expected a number > 0, got {weight!r}")
    for key in ("rationale", "source"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise RulesError(f"{where}: {key}: expected a non-empty string")
    evidence = entry.get("evidence")
    if evidence is not None and evidence not in EVIDENCE:
        raise RulesError(f"{where}: evidence: expected one of {', '.join(EVIDENCE)}, got {evidence!r}")
    return Rule(rid, when, entry["toward"], float(weight), entry["rationale"], entry["source"], evidence)


def _read(path: Path) -> dict:
    problem = not_a_file(path)
    if problem:  # never opened: a FIFO blocks, a device never ends
        raise RulesError(f"{path}: {problem}, not a rules file (expected a TOML file)")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise RulesError(f"{path}: cannot read: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise RulesError(f"{path}: not valid TOML: {err}") from None


def load_rules(extra: Path | None = None) -> RuleSet:
    """The shipped rules, then a user's file: same id replaces, new ids add."""
    rules: dict[str, Rule] = {}
    languages: dict[str, dict[str, str]] = {}
    for path in [SHIPPED_RULES] + ([Path(extra)] if extra else []):
        data = _read(path)
        entries = data.get("rule", [])
        if not isinstance(entries, list):
            raise RulesError(f"{path}: rule: expected an array of tables ([[rule]])")
        for i, entry in enumerate(entries):
            rule = _rule(entry, i, str(path))
            rules[rule.id] = rule
        for lang, info in (data.get("language") or {}).items():
            if not isinstance(info, dict) or not all(isinstance(info.get(k), str) for k in ("support", "toolchain")):
                raise RulesError(f"{path}: language.{lang}: expected support = \"...\" and toolchain = \"...\"")
            languages[lang] = dict(info)
    return RuleSet(tuple(rules.values()), languages)
