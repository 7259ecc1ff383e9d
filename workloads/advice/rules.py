"""Rules as data: the shipped rules.toml, optionally extended or overridden by a user's file."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import WasmscopeError
from ..system.paths import not_a_file
from .premises import PREMISES
from .questions import BY_KEY, Answers, Component

SHIPPED_RULES = Path(str(resources.files(__package__))) / "rules.toml"
TOWARD = ("wasm", "containers")
RULE_FIELDS = ("id", "when", "facts", "toward", "weight", "rationale", "source", "premise", "evidence")
# the first rules files named measurements with `evidence = "..."`; each maps to its premise now
LEGACY_EVIDENCE = {"startup": "cold-start", "compute": "compute-overhead", "memory": "idle-memory",
                   "platforms": "python-platforms"}
LANGUAGE_FIELDS = {"support": ("excellent", "good", "partial", "maturing", "unknown"),
                   "sockets": ("full", "partial", "none"), "threads": ("full", "partial", "none"),
                   "http_component": ("yes", "none")}
LANGUAGE_TEXT = ("toolchain", "caveat")


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
    premise: str | None = None
    facts: dict[str, list[str]] = field(default_factory=dict)

    def matches(self, component: Component, answers: Answers, facts: dict[str, str]) -> bool:
        for key, cond in self.when.items():
            value = getattr(answers, key) if key == "needs_container_tooling" else getattr(component, key)
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
        return all(facts.get(key) in values for key, values in self.facts.items())


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    languages: dict[str, dict[str, str]]

    def facts(self, language: str) -> dict[str, str]:
        return dict(self.languages.get(language, {"support": "unknown", "toolchain": "unknown"}))


def _when(where: str, when: Any, has_facts: bool) -> dict:
    if when is None and has_facts:
        return {}
    if not isinstance(when, dict) or not when:
        raise RulesError(f"{where}: when: expected a table of conditions on answers")
    for key, cond in when.items():
        if key not in BY_KEY or key == "name":
            keys = [k for k in BY_KEY if k != "name"]
            raise RulesError(f"{where}: when.{key}: not a question (questions: {', '.join(keys)})")
        q = BY_KEY[key]
        if q.kind == "choice":
            allowed_values = {v for v, _ in q.choices}
            if not isinstance(cond, list) or not cond or any(c not in allowed_values for c in cond):
                raise RulesError(f"{where}: when.{key}: expected a list of {', '.join(sorted(allowed_values))}")
        elif q.kind in ("number", "integer"):
            if (not isinstance(cond, dict) or not cond or set(cond) - {"below", "at_least"}
                    or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in cond.values())):
                raise RulesError(f"{where}: when.{key}: expected {{ below = N }} and/or {{ at_least = N }}")
        elif q.kind == "bool" and not isinstance(cond, bool):
            raise RulesError(f"{where}: when.{key}: expected true or false")
    return when


def _facts(where: str, facts: Any) -> dict[str, list[str]]:
    if facts is None:
        return {}
    if not isinstance(facts, dict) or not facts:
        raise RulesError(f"{where}: facts: expected a table of conditions on language facts")
    for key, cond in facts.items():
        if key not in LANGUAGE_FIELDS:
            raise RulesError(f"{where}: facts.{key}: not a language fact (facts: {', '.join(LANGUAGE_FIELDS)})")
        values = LANGUAGE_FIELDS[key]
        if not isinstance(cond, list) or not cond or any(c not in values for c in cond):
            raise RulesError(f"{where}: facts.{key}: expected a list of {', '.join(values)}")
    return facts


def _premise(where: str, entry: dict) -> str | None:
    premise = entry.get("premise")
    if premise is None and "evidence" in entry:
        premise = LEGACY_EVIDENCE.get(entry["evidence"])
        if premise is None:
            raise RulesError(f"{where}: evidence: expected one of {', '.join(LEGACY_EVIDENCE)} "
                             f"(or premise = one of {', '.join(PREMISES)}), got {entry['evidence']!r}")
    if premise is not None and premise not in PREMISES:
        raise RulesError(f"{where}: premise: expected one of {', '.join(PREMISES)}, got {premise!r}")
    return premise


def _rule(entry: Any, index: int, source: str) -> Rule:
    rid = entry.get("id") if isinstance(entry, dict) else None
    where = f"{source}: rule {rid!r}" if rid else f"{source}: rule #{index + 1}"
    if not isinstance(entry, dict) or not isinstance(rid, str) or not rid:
        raise RulesError(f"{where}: id: expected a non-empty string")
    for key in entry:
        if key not in RULE_FIELDS:
            raise RulesError(f"{where}: {key}: unknown field (fields: {', '.join(sorted(RULE_FIELDS))})")
    facts = _facts(where, entry.get("facts"))
    when = _when(where, entry.get("when"), bool(facts))
    if entry.get("toward") not in TOWARD:
        raise RulesError(f"{where}: toward: expected 'wasm' or 'containers', got {entry.get('toward')!r}")
    weight = entry.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight < 1e6:
        raise RulesError(f"{where}: weight: expected a number > 0, got {weight!r}")
    for key in ("rationale", "source"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise RulesError(f"{where}: {key}: expected a non-empty string")
    return Rule(rid, when, entry["toward"], float(weight), entry["rationale"], entry["source"],
                _premise(where, entry), facts)


def _language(path: Path, lang: str, info: Any) -> dict[str, str]:
    where = f"{path}: language.{lang}"
    if not isinstance(info, dict) or not all(isinstance(info.get(k), str) for k in ("support", "toolchain")):
        raise RulesError(f"{where}: expected support = \"...\" and toolchain = \"...\"")
    for key, value in info.items():
        if key in LANGUAGE_FIELDS:
            if value not in LANGUAGE_FIELDS[key]:
                raise RulesError(f"{where}.{key}: expected one of {', '.join(LANGUAGE_FIELDS[key])}, got {value!r}")
        elif key not in LANGUAGE_TEXT or not isinstance(value, str):
            raise RulesError(f"{where}.{key}: unknown fact (facts: {', '.join([*LANGUAGE_FIELDS, *LANGUAGE_TEXT])})")
    return dict(info)


def _read(path: Path) -> dict:
    problem = not_a_file(path)
    if problem:  # never opened: a FIFO blocks, a device never ends
        raise RulesError(f"{path}: {problem}, not a rules file (expected a TOML file)")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise RulesError(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}") from None
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
        table = data.get("language") or {}
        if not isinstance(table, dict):
            raise RulesError(f"{path}: language: expected tables [language.NAME]")
        for lang, info in table.items():
            languages[lang] = {**languages.get(lang, {}), **_language(path, lang, info)}
    return RuleSet(tuple(rules.values()), languages)
