"""`wasmscope advise`: the decision wizard, headless (flags or an answers file)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import print_json
from .exit_codes import PROG, ExitCode

NAME = "advise"
SWEEPS_AT_START = True  # the next run of any kind removes what dead runs left


def add_parser(sub) -> argparse.ArgumentParser:
    from wasmscope.workloads.advice.questions import QUESTIONS

    p = sub.add_parser(NAME, help="the decision wizard, headless: Wasm, containers or both?")
    p.add_argument("--answers", metavar="FILE", help="answers TOML (keys: the questions below)")
    for q in QUESTIONS:
        flag = "--" + q.key.replace("_", "-")
        if q.kind == "bool":
            p.add_argument(flag, dest=q.key, choices=["yes", "no"], help=q.prompt)
        elif q.kind == "choice":
            p.add_argument(flag, dest=q.key, choices=[v for v, _ in q.choices], help=q.prompt)
        else:
            p.add_argument(flag, dest=q.key, help=q.prompt)
    p.add_argument("--profile", dest="advise_profile", metavar="FILE",
                   help="profile whose stored results are quoted as evidence")
    p.add_argument("--rules", metavar="FILE", help="your own rules file (extends/overrides the shipped one)")
    p.add_argument("--json", action="store_true", help="print the recommendation as JSON")
    p.add_argument("--write", metavar="DIR", help="write starter deployment files into DIR")
    p.add_argument("--force", action="store_true", help="with --write: replace existing files")
    p.add_argument("--save", metavar="FILE", help="save answers and recommendation into this profile")
    return p


def _given_answers(ns: argparse.Namespace) -> tuple[dict, str]:
    """The answers file's answers, overridden by flags; and where they came from."""
    import tomllib

    from wasmscope.workloads.advice.questions import BY_KEY, AnswersError

    given: dict = {}
    source = "command line"
    if ns.answers:
        from wasmscope.workloads.system.paths import not_a_file

        source = ns.answers
        problem = not_a_file(ns.answers)
        if problem:  # never opened: a FIFO blocks, a device never ends
            raise AnswersError(f"{ns.answers}: {problem}, not an answers file (expected a TOML file)")
        try:
            data = tomllib.loads(Path(ns.answers).read_text(encoding="utf-8"))
        except OSError as err:
            raise AnswersError(f"{ns.answers}: cannot read: {err.strerror or err}") from None
        except tomllib.TOMLDecodeError as err:
            raise AnswersError(f"{ns.answers}: not valid TOML: {err}") from None
        given.update(data.get("answers", data))
    for key in BY_KEY:
        if getattr(ns, key, None) is not None:
            given[key] = getattr(ns, key)
    return given, source


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles import ProfileError, check_save_target, load_profile, resolve_profile_path, save_table
    from wasmscope.workloads.advice.deploy import starter_files, write_files
    from wasmscope.workloads.advice.evaluate import evaluate
    from wasmscope.workloads.advice.questions import BY_KEY, parse_answers
    from wasmscope.workloads.advice.report import recommendation_text
    from wasmscope.workloads.advice.rules import load_rules
    from wasmscope.workloads.model.results import Results

    if ns.save:
        check_save_target(ns.save)
    answers = parse_answers(*_given_answers(ns))
    results = None
    profile_path = None
    if ns.advise_profile:
        profile_path = resolve_profile_path(ns.advise_profile)
        stored = load_profile(profile_path).results
        if stored:
            try:
                results = Results.from_dict(stored)
            except (TypeError, ValueError) as err:
                raise ProfileError(f"{profile_path}: results: cannot be read: {err}") from None
    rec = evaluate(answers, load_rules(Path(ns.rules) if ns.rules else None), results)
    if ns.json:
        print_json({"answers": answers.to_dict(), "recommendation": rec.to_dict()})
    else:
        print(recommendation_text(rec, language_label=dict(BY_KEY["language"].choices)[answers.language]))
    if ns.write:
        written = write_files(Path(ns.write), starter_files(answers, rec.verdict), overwrite=ns.force)
        print(f"{PROG}: wrote {', '.join(str(p) for p in written)}", file=sys.stderr)
    if ns.save:
        save_table(ns.save, "advice", {"answers": answers.to_dict(), "recommendation": rec.to_dict()},
                   template=profile_path)
        print(f"{PROG}: answers and recommendation saved to {ns.save} [advice]", file=sys.stderr)
    return ExitCode.OK
