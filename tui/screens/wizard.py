"""The decision wizard: the questions of one component per step, a list of the system's
components the user adds to, then the system's questions and the recommendation — per
component, with its reasons weighed against this machine's evidence.

The screen only asks and shows; the engine (wasmscope.workloads.advice) decides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, OptionList, Static

from wasmscope.profiles import save_table
from wasmscope.workloads.advice.evidence import Evidence
from wasmscope.workloads.advice.premises import QUICK
from wasmscope.workloads.advice.questions import (
    COMPONENT_KEYS, COMPONENT_QUESTIONS, SYSTEM_QUESTIONS, Answers, AnswersError, Question, label, parse_answers)
from wasmscope.workloads.advice.report import recommendation_text
from wasmscope.workloads.advice.rules import RulesError, load_rules
from wasmscope.workloads.advice.starter import starter_files, write_files
from wasmscope.workloads.advice.system import Advice, evaluate
from wasmscope.workloads.errors import WasmscopeError

from ..profile_files import user_default_path
from .path_dialog import PathDialog

YES_NO = (("yes", "yes"), ("no", "no"))
ADD, DONE = "add", "done"
PLACEHOLDER = {"language": "rust", "state": "stateless", "traffic": "spiky", "kind": "plugin"}


def split_answers(answers: dict[str, Any] | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(system answers, component answers) from saved answers, flat or with components."""
    answers = dict(answers or {})
    system_keys = {q.key for q in SYSTEM_QUESTIONS}
    if isinstance(answers.get("components"), list):
        comps = [dict(c) for c in answers["components"] if isinstance(c, dict)]
        return {k: v for k, v in answers.items() if k in system_keys}, comps or [{}]
    system = {k: v for k, v in answers.items() if k in system_keys}
    comp = {k: v for k, v in answers.items() if k in COMPONENT_KEYS}
    return system, [comp]


class WizardScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+b", "back", "Back", id="wizard.back"),
        Binding("ctrl+n", "next", "Next", id="wizard.next"),
        Binding("escape", "close", "Close", id="wizard.close"),
        Binding("delete", "remove", "Remove component", id="wizard.remove", show=False),
        Binding("m", "measure", "Measure here", id="wizard.measure", show=False),
        Binding("s", "save", "Save to profile", id="wizard.save", show=False),
        Binding("w", "write", "Write deploy files", id="wizard.write", show=False),
    ]
    DEFAULT_CSS = """
    WizardScreen #step { height: 1; color: $text-muted; padding: 0 1; }
    WizardScreen #question { padding: 0 1; text-style: bold; height: auto; }
    WizardScreen #error { color: $error; padding: 0 1; height: auto; }
    WizardScreen OptionList { height: auto; max-height: 14; margin: 0 1; }
    WizardScreen Input { margin: 0 1; }
    WizardScreen #result { padding: 0 1; }
    WizardScreen #result-keys { color: $text-muted; padding: 0 1; height: auto; }
    """

    def __init__(self, answers: dict[str, Any] | None = None, *, show_result: bool = False) -> None:
        super().__init__()
        self.system, self.components = split_answers(answers)
        self.current = 0  # the component being answered
        self.stage = "result" if show_result else "component"  # component | list | system | result
        self.step = 0
        self.recommendation: Advice | None = None
        self.answers_parsed: Answers | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="ask"):
            yield Label("", id="step")
            yield Static("", id="question")
            yield OptionList(id="choices")
            yield Input(id="value")
            yield Static("", id="error")
        with VerticalScroll(id="result-pane"):
            yield Static("", id="result")
            yield Static("", id="result-keys")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "wasmscope — Wasm or containers for my workload?"
        self.show_step()

    # -- what is asked now ---------------------------------------------------------------------
    def question(self) -> Question | None:
        if self.stage == "component":
            return COMPONENT_QUESTIONS[self.step]
        if self.stage == "system":
            return SYSTEM_QUESTIONS[self.step]
        return None

    def store(self) -> dict[str, Any]:
        return self.components[self.current] if self.stage == "component" else self.system

    def show_step(self) -> None:
        done = self.stage == "result"
        self.query_one("#ask").display = not done
        self.query_one("#result-pane").display = done
        self.query_one("#error", Static).update("")
        if done:
            self.show_result()
        elif self.stage == "list":
            self.show_list()
        else:
            self.show_question(self.question())

    def _where(self) -> str:
        if self.stage == "component":
            return (f"component {self.current + 1} of {len(self.components)} — question {self.step + 1} "
                    f"of {len(COMPONENT_QUESTIONS)}")
        return f"the system — question {self.step + 1} of {len(SYSTEM_QUESTIONS)}"

    def show_question(self, q: Question) -> None:
        self.query_one("#step", Label).update(f"{self._where()} — enter: next · ctrl+b: back · esc: close")
        prompt = q.prompt + (" (empty: named after the application)" if self._is_component_name(q) else "")
        self.query_one("#question", Static).update(prompt)
        options, value = self.query_one("#choices", OptionList), self.query_one("#value", Input)
        choices = q.choices if q.kind == "choice" else YES_NO if q.kind == "bool" else ()
        options.display, value.display = bool(choices), not choices
        current = self.store().get(q.key, q.default)
        if choices:
            options.clear_options()
            options.add_options([text for _, text in choices])
            if q.kind == "bool":
                current = "yes" if current in (True, "yes") else "no"
            values = [v for v, _ in choices]
            options.highlighted = values.index(current) if current in values else 0
            options.focus()
        else:
            value.value = "" if current is None else f"{current:g}" if isinstance(current, float) else str(current)
            value.focus()

    def _is_component_name(self, q: Question) -> bool:
        return self.stage == "component" and q.key == "name"

    def show_list(self) -> None:
        self.query_one("#step", Label).update(
            "the system's components — enter: edit or choose · delete: remove · ctrl+b: back · esc: close")
        self.query_one("#question", Static).update(
            "Components of the system (each gets its own recommendation). Add another, or continue.")
        self.query_one("#value", Input).display = False
        options = self.query_one("#choices", OptionList)
        options.display = True
        options.clear_options()
        for i, c in enumerate(self.components):
            name = c.get("name") or f"component {i + 1}"
            options.add_option(f"{name}: {label('language', c.get('language', '?'))} "
                               f"{label('kind', c.get('kind', '?'))} ({label('state', c.get('state', '?'))})")
        options.add_options(["+ add a component", "→ continue to the system's questions"])
        options.highlighted = len(self.components) + 1
        options.focus()

    # -- taking answers ------------------------------------------------------------------------
    def _take(self) -> bool:
        """Store the current question's answer; False (with the reason shown) when it is invalid."""
        q = self.question()
        if q.kind in ("choice", "bool"):
            choices = q.choices if q.kind == "choice" else YES_NO
            value: Any = choices[self.query_one("#choices", OptionList).highlighted or 0][0]
            if q.kind == "bool":
                value = value == "yes"
        else:
            value = self.query_one("#value", Input).value.strip()
        if self._is_component_name(q) and value == "":
            self.store().pop("name", None)
            return True
        probe = {**PLACEHOLDER, **{k: v for k, v in self.store().items() if k in COMPONENT_KEYS}, q.key: value} \
            if self.stage == "component" else {**PLACEHOLDER, q.key: value}
        try:
            parsed = parse_answers(probe, "answer").components[0] if self.stage == "component" \
                else parse_answers(probe, "answer")
        except AnswersError as err:
            self.query_one("#error", Static).update(str(err).removeprefix("answer: "))
            return False
        self.store()[q.key] = getattr(parsed, q.key)
        return True

    def action_next(self) -> None:
        if self.stage == "list":
            self._choose(self.query_one("#choices", OptionList).highlighted or 0)
            return
        if self.stage not in ("component", "system") or not self._take():
            return
        last = len(COMPONENT_QUESTIONS if self.stage == "component" else SYSTEM_QUESTIONS) - 1
        if self.step < last:
            self.step += 1
        else:
            self.stage, self.step = ("list", 0) if self.stage == "component" else ("result", 0)
        self.show_step()

    def _choose(self, index: int) -> None:
        if index < len(self.components):  # edit that component
            self.stage, self.current, self.step = "component", index, 0
        elif index == len(self.components):  # add one
            self.components.append({})
            self.stage, self.current, self.step = "component", len(self.components) - 1, 0
        else:
            self.stage, self.step = "system", 0
        self.show_step()

    def action_back(self) -> None:
        if self.stage in ("component", "system"):
            self._take()  # keep what was chosen here, even when going back
        if self.stage == "result":
            self.stage, self.step = "system", len(SYSTEM_QUESTIONS) - 1
        elif self.stage == "list":
            self.stage, self.current, self.step = "component", len(self.components) - 1, len(COMPONENT_QUESTIONS) - 1
        elif self.step > 0:
            self.step -= 1
        elif self.stage == "system" or len(self.components) > 1:
            self.stage = "list"
        self.show_step()

    def action_remove(self) -> None:
        index = self.query_one("#choices", OptionList).highlighted
        if self.stage == "list" and index is not None and index < len(self.components) and len(self.components) > 1:
            del self.components[index]
            self.show_step()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def action_close(self) -> None:
        self.dismiss(None)

    # -- result ------------------------------------------------------------------------------
    def answers(self) -> dict[str, Any]:
        return {**self.system, "components": [dict(c) for c in self.components]}

    def show_result(self) -> None:
        app = self.app
        evidence = Evidence.of(getattr(app, "results", None), getattr(app, "density", None),
                               getattr(app, "sandbox_rows", None))
        try:
            self.answers_parsed = parse_answers(self.answers(), "answers")
            self.recommendation = evaluate(self.answers_parsed, load_rules(), evidence)
        except (AnswersError, RulesError) as err:
            self.query_one("#result", Static).update(f"cannot decide: {err}")
            return
        self.query_one("#result", Static).update(recommendation_text(self.recommendation))
        keys = ["s: save answers and recommendation into the profile",
                "w: write starter deployment files", "ctrl+b: back to the questions", "esc: close"]
        if any(m["command"] == QUICK for m in self.recommendation.missing):
            keys.insert(0, "m: measure on this machine now (runs the profile's benchmark) and fold it in")
        self.query_one("#result-keys", Static).update(" · ".join(keys))
        self.query_one("#result-pane").focus()

    def results_changed(self) -> None:
        """The app measured something: re-evaluate so the reasons weigh it."""
        if self.stage == "result":
            self.show_result()

    def action_measure(self) -> None:
        if self.stage == "result":
            self.app.action_bench()
            self.notify("benchmark running; the recommendation updates when it finishes")

    def action_save(self) -> None:
        if self.recommendation is None or self.stage != "result":
            return
        default = str(user_default_path(self.app.profile))  # never the profile shipped in the package
        self.app.push_screen(PathDialog("Save answers and recommendation into the profile", default), self._save)

    def _save(self, path: Path | None) -> None:
        if path is None or self.recommendation is None or self.answers_parsed is None:
            return
        table = {"answers": self.answers_parsed.to_dict(), "recommendation": self.recommendation.to_dict()}
        try:
            save_table(path, "advice", table, template=self.app.profile.path)
        except (OSError, ValueError, WasmscopeError) as err:
            self.notify(f"{path}: not saved: {err}", severity="error", timeout=8)
            return
        self.notify(f"saved answers and recommendation to {path} [advice]")
        self.app.log_line(f"advice: saved to {path}")

    def action_write(self) -> None:
        if self.recommendation is None or self.stage != "result":
            return
        self.app.push_screen(PathDialog("Directory for the starter deployment files", "deploy"), self._write)

    def _write(self, path: Path | None) -> None:
        if path is None or self.recommendation is None or self.answers_parsed is None:
            return
        files = starter_files(self.answers_parsed, self.recommendation)
        try:
            write_files(path, files)
        except (OSError, WasmscopeError) as err:
            self.notify(f"not written: {err}", severity="error", timeout=8)
            return
        untested = [f.path for f in files if "UNTESTED" in f.status or "not run here" in f.status]
        self.notify(f"wrote {len(files)} files in {path}" + (f"; not built or run here: {', '.join(untested)}"
                                                             if untested else ""), timeout=8)
        for f in files:
            self.app.log_line(f"advice: wrote {Path(path) / f.path} — {f.status}")
