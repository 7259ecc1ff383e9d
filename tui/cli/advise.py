"""`wasmscope advise`: the decision wizard, headless (flags or an answers file)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .common import print_json
from .exit_codes import PROG, ExitCode

NAME = "advise"
SWEEPS_AT_START = True  # the next run of any kind removes what dead runs left


def add_parser(sub) -> argparse.ArgumentParser:
    from wasmscope.workloads.advice.questions import QUESTIONS

    p = sub.add_parser(NAME, help="the decision wizard, headless: Wasm, containers or both?")
    p.add_argument("--answers", metavar="FILE",
                   help="answers TOML: the keys below for one component, or name/needs_container_tooling and "
                        "one [[components]] table per component; a profile saved with --save works too")
    for q in QUESTIONS:
        flag = "--" + q.key.replace("_", "-")
        if q.kind == "bool":
            p.add_argument(flag, dest=q.key, choices=["yes", "no"], help=q.prompt)
        elif q.kind == "choice":
            p.add_argument(flag, dest=q.key, choices=[v for v, _ in q.choices], help=q.prompt)
        else:
            p.add_argument(flag, dest=q.key, help=q.prompt)
    p.add_argument("--profile", dest="advise_profile", metavar="FILE",
                   help="profile whose stored results (and density run) are weighed as evidence")
    p.add_argument("--sandbox", metavar="FILE", help="a `wasmscope sandbox --json` output, weighed as evidence")
    p.add_argument("--rules", metavar="FILE", help="your own rules file (extends/overrides the shipped one)")
    p.add_argument("--json", action="store_true", help="print the recommendation as JSON")
    p.add_argument("--write", metavar="DIR", help="write starter deployment files into DIR")
    p.add_argument("--force", action="store_true", help="with --write: replace existing files")
    p.add_argument("--save", metavar="FILE", help="save answers and recommendation into this profile's [advice]")
    return p


def _read_toml(path: str) -> dict:
    import tomllib

    from wasmscope.workloads.advice.questions import AnswersError
    from wasmscope.workloads.system.paths import not_a_file

    problem = not_a_file(path)
    if problem:  # never opened: a FIFO blocks, a device never ends
        raise AnswersError(f"{path}: {problem}, not an answers file (expected a TOML file)")
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise AnswersError(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise AnswersError(f"{path}: not valid TOML: {err}") from None


def _answers_in(path: str) -> tuple[object, str]:
    """The answers of a file: its [advice.answers] (a saved profile), its [answers], or itself."""
    from wasmscope.workloads.advice.questions import AnswersError

    data = _read_toml(path)
    if "advice" in data:
        advice = data["advice"]
        if not isinstance(advice, dict) or "answers" not in advice:
            raise AnswersError(f"{path}: advice: expected the answers saved by --save ([advice.answers])")
        return advice["answers"], f"{path}: advice.answers"
    if "answers" in data:
        return data["answers"], f"{path}: answers"
    if {"profile", "bench", "results"} & set(data):
        raise AnswersError(f"{path}: a profile without saved answers ([advice]); answer with flags, "
                           f"or save them into it with --save")
    return data, path


def _given_answers(ns: argparse.Namespace) -> tuple[object, str]:
    """The answers file's answers, overridden by flags; and where they came from."""
    from wasmscope.workloads.advice.questions import BY_KEY, COMPONENT_KEYS, AnswersError

    given, source = _answers_in(ns.answers) if ns.answers else ({}, "command line")
    flags = {k: getattr(ns, k) for k in BY_KEY if getattr(ns, k, None) is not None}
    if not isinstance(given, dict) or not flags:
        return given, source
    given = dict(given)
    comps = given.get("components")
    per_component = {k: v for k, v in flags.items() if k in COMPONENT_KEYS and k != "name"}
    if comps is not None and per_component:
        if not (isinstance(comps, list) and len(comps) == 1 and isinstance(comps[0], dict)):
            flag = "--" + next(iter(per_component)).replace("_", "-")
            raise AnswersError(f"{flag}: {source} describes several components; answer per component in the file")
        given["components"] = [{**comps[0], **per_component}]
        flags = {k: v for k, v in flags.items() if k not in per_component}
    given.update(flags)
    return given, source


def _evidence(ns: argparse.Namespace):
    from wasmscope.profiles import load_profile, resolve_profile_path
    from wasmscope.workloads.advice.evidence import Evidence

    results = density = None
    profile_path = None
    if ns.advise_profile:
        profile_path = resolve_profile_path(ns.advise_profile)
        profile = load_profile(profile_path)
        results, density = profile.results, profile.density
    return Evidence.of(results, density, _sandbox_rows(ns.sandbox) if ns.sandbox else None), profile_path


def _sandbox_rows(path: str) -> list:
    from wasmscope.workloads.advice.questions import AnswersError

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise AnswersError(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}") from None
    except json.JSONDecodeError as err:
        raise AnswersError(f"{path}: not JSON (expected `wasmscope sandbox --json` output): {err}") from None
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise AnswersError(f"{path}: rows: expected the array of rows that `wasmscope sandbox --json` prints")
    return rows


def _print(text_or_data, as_json: bool) -> None:
    """stdout, where a reader that went away (`| head`) ends the output, not the command."""
    try:
        if as_json:
            print_json(text_or_data)
        else:
            print(text_or_data)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit


def files_text(directory: str, files) -> str:
    lines = ["", "", f"Starter files in {directory} (what wasmscope's tests do with each):"]
    lines += [f"  - {f.path}: {f.status}" for f in files]
    return "\n".join(lines)


def run(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles import check_save_target, save_table
    from wasmscope.workloads.advice.questions import parse_answers
    from wasmscope.workloads.advice.report import recommendation_text
    from wasmscope.workloads.advice.rules import load_rules
    from wasmscope.workloads.advice.starter import StarterFilesError, starter_files, write_files
    from wasmscope.workloads.advice.system import evaluate

    if ns.save:
        check_save_target(ns.save)  # before anything runs: a FIFO or a device is never written
    answers = parse_answers(*_given_answers(ns))
    evidence, profile_path = _evidence(ns)
    advice = evaluate(answers, load_rules(Path(ns.rules) if ns.rules else None), evidence)
    files = starter_files(answers, advice) if ns.write else []
    if ns.write:
        try:
            write_files(Path(ns.write), files, overwrite=ns.force)
        except StarterFilesError as err:
            print(f"{PROG}: {err}", file=sys.stderr)
            return ExitCode.USAGE
    if ns.json:
        data = {"answers": answers.to_dict(), "recommendation": advice.to_dict()}
        if ns.write:
            data["files"] = [{"path": str(Path(ns.write) / f.path), "status": f.status} for f in files]
        _print(data, True)
    else:
        _print(recommendation_text(advice) + (files_text(ns.write, files) if ns.write else ""), False)
    if ns.write:
        print(f"{PROG}: wrote {len(files)} files into {ns.write}", file=sys.stderr)
    if ns.save:
        save_table(ns.save, "advice", {"answers": answers.to_dict(), "recommendation": advice.to_dict()},
                   template=profile_path)
        print(f"{PROG}: answers and recommendation saved to {ns.save} [advice]", file=sys.stderr)
    return ExitCode.OK
