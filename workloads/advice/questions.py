"""The wizard's questions and the validation of answers (from flags, a TOML file, or the UI)."""

from __future__ import annotations

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
    kind: str = "choice"  # choice | number | bool | text
    default: Any = None


QUESTIONS: tuple[Question, ...] = (
    Question("language", "Language of the workload", (
        ("rust", "Rust"), ("c-cpp", "C/C++"), ("tinygo", "Go (TinyGo)"), ("go", "Go (standard Go)"),
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
    Question("tenants", "How many tenants (multi-tenant hosting; 0 otherwise)", kind="number", default=0),
    Question("cold_start_budget_ms", "Cold-start budget at p99 (ms)", kind="number", default=1000),
    Question("needs_container_tooling",
             "Does the team need today's container tooling (Compose/Kubernetes/Helm/observability) from day one?",
             kind="bool", default=False),
    Question("name", "Name of the application (used in the generated files)", kind="text", default="my-app"),
)

BY_KEY = {q.key: q for q in QUESTIONS}
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class Answers:
    language: str
    state: str
    traffic: str
    kind: str
    tenants: int = 0
    cold_start_budget_ms: float = 1000.0
    needs_container_tooling: bool = False
    name: str = "my-app"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_answers(data: dict[str, Any], source: str = "answers") -> Answers:
    """Validate answers; the error names the question and the allowed values."""
    unknown = [k for k in data if k not in BY_KEY]
    if unknown:
        raise AnswersError(f"{source}: {unknown[0]}: unknown question (questions: {', '.join(BY_KEY)})")
    out: dict[str, Any] = {}
    for q in QUESTIONS:
        if q.key not in data:
            if q.default is None:
                raise AnswersError(f"{source}: {q.key}: missing answer (allowed: {_allowed(q)})")
            out[q.key] = q.default
            continue
        out[q.key] = _check(q, data[q.key], source)
    return Answers(**out)


def _allowed(q: Question) -> str:
    if q.kind == "choice":
        return ", ".join(v for v, _ in q.choices)
    return {"number": "a number >= 0", "bool": "true or false",
            "text": "lower-case letters, digits and '-'"}[q.kind]


def _check(q: Question, value: Any, source: str) -> Any:
    bad = AnswersError(f"{source}: {q.key}: {value!r} is not allowed (allowed: {_allowed(q)})")
    if q.kind == "choice":
        if value not in {v for v, _ in q.choices}:
            raise bad
        return value
    if q.kind == "number":
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise bad from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise bad
        return int(value) if q.key == "tenants" else float(value)
    if q.kind == "bool":
        if isinstance(value, str) and value.lower() in ("yes", "true", "y", "1", "no", "false", "n", "0"):
            return value.lower() in ("yes", "true", "y", "1")
        if not isinstance(value, bool):
            raise bad
        return value
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise bad
    return value
