"""The wizard's questions and the validation of answers (from flags, a TOML file, or the UI).

A system is one or more components. Each component answers the component questions (its
language, state, traffic, kind, budgets); the system answers the system questions (its name,
whether the team needs container tooling today). A flat set of answers is a system with one
component named after the system.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from ..errors import WasmscopeError


class AnswersError(WasmscopeError):
    """An answer is missing or not one of the allowed values."""


@dataclass(frozen=True)
class Question:
    key: str
    prompt: str
    choices: tuple[tuple[str, str], ...] = ()  # (value, label); empty: free number/text/bool
    kind: str = "choice"  # choice | number | integer | bool | text
    default: Any = None
    positive: bool = False  # a number that must be > 0 (a budget of 0 ms cannot be met)


COMPONENT_QUESTIONS: tuple[Question, ...] = (
    Question("language", "Language of the component", (
        ("rust", "Rust"), ("c", "C"), ("cpp", "C++"), ("tinygo", "Go (TinyGo)"), ("go", "Go (standard Go)"),
        ("javascript", "JavaScript/TypeScript"), ("python", "Python"), ("java", "Java"),
        ("dotnet", "C#/.NET"), ("other", "other"))),
    Question("state", "State", (
        ("stateless", "stateless"), ("in-memory", "in-memory only"),
        ("persistent-connections", "persistent connections (WebSockets, database pools)"),
        ("heavy-file-io", "heavy file I/O"), ("threads", "needs threads"))),
    Question("traffic", "Traffic shape", (
        ("spiky", "spiky / bursty"), ("steady", "steady"), ("batch", "scheduled batch"),
        ("idle", "mostly idle"))),
    Question("kind", "Kind of workload", (
        ("edge-function", "edge function"), ("plugin", "plugin / untrusted third-party code"),
        ("serverless", "serverless request handler"), ("service", "long-running service"),
        ("cpu-bound", "sustained CPU-bound job"), ("multi-tenant", "multi-tenant hosting"))),
    Question("tenants", "How many tenants (multi-tenant hosting; 0 otherwise)", kind="integer", default=0),
    Question("cold_start_budget_ms", "Cold-start budget at p99 (ms)", kind="number", default=1000, positive=True),
    Question("memory_budget_mib", "Memory budget per instance (MiB; 0 = none)", kind="number", default=0),
    Question("temp_files", "Does it write temporary files (scratch space, uploads, caches)?",
             kind="bool", default=False),
    Question("name", "Name of this component (a service, a Spin component)", kind="text", default=""),
)
SYSTEM_QUESTIONS: tuple[Question, ...] = (
    Question("needs_container_tooling",
             "Does the team need today's container tooling (Compose/Kubernetes/Helm/observability) from day one?",
             kind="bool", default=False),
    Question("name", "Name of the application (used in the generated files)", kind="text", default="my-app"),
)
# The flat form (one component; `name` names the application and its only component), for flags.
QUESTIONS: tuple[Question, ...] = COMPONENT_QUESTIONS[:-1] + SYSTEM_QUESTIONS
BY_KEY = {q.key: q for q in QUESTIONS}
COMPONENT_KEYS = tuple(q.key for q in COMPONENT_QUESTIONS)
# Spin's component ids (kebab-case words, the first starting with a letter) that are also DNS
# labels (Kubernetes names, Compose services): one rule fits every generated file.
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
NAME_MAX = 40
LEGACY_LANGUAGE = {"c-cpp": "c or cpp (C/C++ is two choices now: the build differs)"}


def label(key: str, value: str) -> str:
    """The human label of a choice (the value itself for free answers)."""
    q = BY_KEY.get(key)
    return dict(q.choices).get(value, value) if q else value


@dataclass(frozen=True)
class Component:
    name: str
    language: str
    state: str
    traffic: str
    kind: str
    tenants: int = 0
    cold_start_budget_ms: float = 1000.0
    memory_budget_mib: float = 0.0
    temp_files: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answers:
    components: tuple[Component, ...]
    name: str = "my-app"
    needs_container_tooling: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The system's answers as saved in `[advice.answers]` (readable back by parse_answers)."""
        return {"name": self.name, "needs_container_tooling": self.needs_container_tooling,
                "components": [c.to_dict() for c in self.components]}

    @property
    def single(self) -> bool:
        return len(self.components) == 1


def parse_answers(data: Any, source: str = "answers") -> Answers:
    """Validate answers (flat, or with `components = [...]`); the error names the question and
    the allowed values, as one line."""
    if not isinstance(data, dict):
        raise AnswersError(f"{source}: expected a table of answers, got {_kind(data)}")
    if "components" not in data:
        unknown = [k for k in data if k not in BY_KEY]
        if unknown:
            raise AnswersError(f"{source}: {unknown[0]}: unknown question (questions: {', '.join(BY_KEY)})")
        system = _fields(SYSTEM_QUESTIONS, data, source)
        flat = {k: v for k, v in data.items() if k in COMPONENT_KEYS and k != "name"}
        comp = _component({**flat, "name": system["name"]}, source)
        return Answers((comp,), **system)
    system_keys = [q.key for q in SYSTEM_QUESTIONS] + ["components"]
    stray = [k for k in data if k not in system_keys]
    if stray:
        where = "a component question" if stray[0] in COMPONENT_KEYS else "an unknown question"
        raise AnswersError(f"{source}: {stray[0]}: {where} outside [[components]] (system questions: "
                           f"{', '.join(q.key for q in SYSTEM_QUESTIONS)}; each component answers "
                           f"{', '.join(COMPONENT_KEYS)})")
    system = _fields(SYSTEM_QUESTIONS, data, source)
    items = data["components"]
    if not isinstance(items, list) or not items:
        raise AnswersError(f"{source}: components: expected an array of tables ([[components]]), "
                           f"got {_kind(items)}")
    comps = []
    for i, item in enumerate(items):
        where = f"{source}: components[{i}]"
        if not isinstance(item, dict):
            raise AnswersError(f"{where}: expected a table of answers, got {_kind(item)}")
        default_name = system["name"] if len(items) == 1 else f"{system['name']}-{i + 1}"
        comps.append(_component({"name": default_name, **item}, where))
    names = [c.name for c in comps]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise AnswersError(f"{source}: components: two components are named {dup!r} (names must differ)")
    return Answers(tuple(comps), **system)


def _component(data: dict, source: str) -> Component:
    unknown = [k for k in data if k not in COMPONENT_KEYS]
    if unknown:
        raise AnswersError(f"{source}: {unknown[0]}: unknown question (component questions: "
                           f"{', '.join(COMPONENT_KEYS)})")
    return Component(**_fields(COMPONENT_QUESTIONS, data, source))


def _fields(questions: tuple[Question, ...], data: dict, source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in questions:
        if q.key not in data:
            if q.default is None or (q.kind == "text" and not q.default):
                raise AnswersError(f"{source}: {q.key}: missing answer (allowed: {allowed(q)})")
            out[q.key] = q.default
            continue
        out[q.key] = check(q, data[q.key], source)
    return out


def _kind(value: Any) -> str:
    return {list: "an array", str: "a string", dict: "a table", bool: "a boolean"}.get(
        type(value), f"{type(value).__name__} {value!r}")


def allowed(q: Question) -> str:
    if q.kind == "choice":
        return ", ".join(v for v, _ in q.choices)
    if q.positive:
        return "a finite number > 0"
    return {"number": "a finite number >= 0", "integer": "a whole number >= 0", "bool": "true or false",
            "text": f"lower-case words of letters and digits joined by single '-', starting with a letter, "
                    f"at most {NAME_MAX} characters"}[q.kind]


def check(q: Question, value: Any, source: str) -> Any:
    """One answer, validated and normalised (numbers from text, yes/no to booleans)."""
    bad = AnswersError(f"{source}: {q.key}: {value!r} is not allowed (allowed: {allowed(q)})")
    if q.kind == "choice":
        if q.key == "language" and value in LEGACY_LANGUAGE:
            raise AnswersError(f"{source}: language: {value!r} is not allowed: answer {LEGACY_LANGUAGE[value]}")
        if not isinstance(value, str) or value not in {v for v, _ in q.choices}:
            raise bad
        return value
    if q.kind in ("number", "integer"):
        return _number(q, value, bad)
    if q.kind == "bool":
        if isinstance(value, str) and value.lower() in ("yes", "true", "y", "1", "no", "false", "n", "0"):
            return value.lower() in ("yes", "true", "y", "1")
        if not isinstance(value, bool):
            raise bad
        return value
    if not isinstance(value, str) or len(value) > NAME_MAX or not NAME_RE.match(value):
        raise bad
    return value


def _number(q: Question, value: Any, bad: AnswersError) -> float | int:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise bad from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad
    try:
        number = float(value)
    except OverflowError:
        raise bad from None
    if not math.isfinite(number) or number < 0 or (q.positive and number == 0):
        raise bad
    if q.kind == "integer":
        if not number.is_integer():
            raise bad
        return int(number)
    return number
