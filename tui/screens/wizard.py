"""The decision wizard: one question per step, back/forward with answers kept, then the
recommendation with its ranked reasons and this machine's evidence.

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
from wasmscope.workloads.advice.deploy import starter_files, write_files
from wasmscope.workloads.advice.evaluate import Recommendation, evaluate
from wasmscope.workloads.advice.questions import QUESTIONS, AnswersError, parse_answers
from wasmscope.workloads.advice.report import recommendation_text
from wasmscope.workloads.advice.rules import RulesError, load_rules
from wasmscope.workloads.errors import WasmscopeError

from .path_dialog import PathDialog

YES_NO = (("yes", "yes"), ("no", "no"))


class WizardScreen(Screen[None]):
    BINDINGS = [
        Binding("ctrl+b", "back", "Back", id="wizard.back"),
        Binding("ctrl+n", "next", "Next", id="wizard.next"),
        Binding("escape", "close", "Close", id="wizard.close"),
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
        self.answers: dict[str, Any] = dict(answers or {})
        self.step = len(QUESTIONS) if show_result else 0
        self.recommendation: Recommendation | None = None

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

    # -- steps -------------------------------------------------------------------------------
    def show_step(self) -> None:
        done = self.step >= len(QUESTIONS)
        self.query_one("#ask").display = not done
        self.query_one("#result-pane").display = done
        self.query_one("#error", Static).update("")
        if done:
            self.show_result()
            return
        q = QUESTIONS[self.step]
        self.query_one("#step", Label).update(
            f"step {self.step + 1} of {len(QUESTIONS)} — enter: next · ctrl+b: back · esc: close")
        self.query_one("#question", Static).update(q.prompt)
        options = self.query_one("#choices", OptionList)
        value = self.query_one("#value", Input)
        choices = q.choices if q.kind == "choice" else YES_NO if q.kind == "bool" else ()
        options.display = bool(choices)
        value.display = not choices
        if choices:
            options.clear_options()
            options.add_options([label for _, label in choices])
            current = self.answers.get(q.key, q.default)
            if q.kind == "bool":
                current = "yes" if current else "no"
            values = [v for v, _ in choices]
            options.highlighted = values.index(current) if current in values else 0
            options.focus()
        else:
            current = self.answers.get(q.key, q.default)
            value.value = "" if current is None else f"{current:g}" if isinstance(current, float) else str(current)
            value.focus()

    def _take(self) -> bool:
        """Store the current step's answer; False (with the reason shown) when it is invalid."""
        q = QUESTIONS[self.step]
        if q.kind in ("choice", "bool"):
            choices = q.choices if q.kind == "choice" else YES_NO
            index = self.query_one("#choices", OptionList).highlighted or 0
            value: Any = choices[index][0]
            if q.kind == "bool":
                value = value == "yes"
        else:
            value = self.query_one("#value", Input).value.strip()
        try:
            parsed = parse_answers({**self._defaults(), q.key: value}, "answer")
        except AnswersError as err:
            self.query_one("#error", Static).update(str(err).removeprefix("answer: "))
            return False
        self.answers[q.key] = getattr(parsed, q.key)
        return True

    def _defaults(self) -> dict[str, Any]:
        base = {"language": "rust", "state": "stateless", "traffic": "spiky", "kind": "plugin"}
        return {**base, **self.answers}

    def action_next(self) -> None:
        if self.step < len(QUESTIONS) and self._take():
            self.step += 1
            self.show_step()

    def action_back(self) -> None:
        if self.step > 0:
            if self.step < len(QUESTIONS):
                self._take()  # keep what was chosen here, even when going back
            self.step -= 1
            self.show_step()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_next()

    def action_close(self) -> None:
        self.dismiss(None)

    # -- result ------------------------------------------------------------------------------
    def show_result(self) -> None:
        app = self.app
        try:
            answers = parse_answers(self.answers, "answers")
            self.recommendation = evaluate(answers, load_rules(), getattr(app, "results", None))
        except (AnswersError, RulesError) as err:
            self.query_one("#result", Static).update(f"cannot decide: {err}")
            return
        language = dict(QUESTIONS[0].choices)[answers.language]
        self.query_one("#result", Static).update(recommendation_text(self.recommendation, language_label=language))
        keys = ["s: save answers and recommendation into the profile",
                "w: write starter deployment files", "ctrl+b: back to the questions", "esc: close"]
        if self.recommendation.missing_evidence:
            keys.insert(0, "m: measure on this machine now (runs the profile's benchmark) and fold it in")
        self.query_one("#result-keys", Static).update(" · ".join(keys))
        self.query_one("#result-pane").focus()

    def results_changed(self) -> None:
        """The app measured something: re-evaluate so the reasons quote it."""
        if self.step >= len(QUESTIONS):
            self.show_result()

    def action_measure(self) -> None:
        if self.step >= len(QUESTIONS):
            self.app.action_bench()
            self.notify("benchmark running; the recommendation updates when it finishes")

    def action_save(self) -> None:
        if self.recommendation is None:
            return
        profile = self.app.profile
        default = str(profile.path or "wasmscope-profile.toml")
        self.app.push_screen(PathDialog("Save answers and recommendation into the profile", default),
                             self._save)

    def _save(self, path: Path | None) -> None:
        if path is None or self.recommendation is None:
            return
        table = {"answers": parse_answers(self.answers).to_dict(), "recommendation": self.recommendation.to_dict()}
        try:
            save_table(path, "advice", table, template=self.app.profile.path)
        except (OSError, ValueError, WasmscopeError) as err:
            self.notify(f"{path}: not saved: {err}", severity="error", timeout=8)
            return
        self.notify(f"saved answers and recommendation to {path} [advice]")
        self.app.log_line(f"advice: saved to {path}")

    def action_write(self) -> None:
        if self.recommendation is None:
            return
        self.app.push_screen(PathDialog("Directory for the starter deployment files", "deploy"), self._write)

    def _write(self, path: Path | None) -> None:
        if path is None or self.recommendation is None:
            return
        files = starter_files(parse_answers(self.answers), self.recommendation.verdict)
        try:
            written = write_files(path, files)
        except (OSError, WasmscopeError) as err:
            self.notify(f"not written: {err}", severity="error", timeout=8)
            return
        self.notify(f"wrote {', '.join(p.name for p in written)} in {path}")
        self.app.log_line(f"advice: wrote {', '.join(str(p) for p in written)}")
