"""The `wasmscope` command: the Textual app by default, headless subcommands beside it.

Data goes to stdout, progress and errors to stderr; errors are one line prefixed with the
program name; exit codes follow `ExitCode`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from enum import IntEnum
from typing import Sequence

PROG = "wasmscope"


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1  # an available runtime failed a measurement
    USAGE = 2  # bad command line or bad profile
    UNAVAILABLE = 3  # a backend needed for the command is unavailable
    INTERRUPTED = 130


def exit_code_for(err: BaseException) -> ExitCode:
    """One place mapping exception types to exit codes."""
    from wasmscope.profiles import ProfileError
    from wasmscope.workloads.bench import UsageError
    from wasmscope.workloads.errors import Cancelled, RuntimeUnavailable

    from wasmscope.workloads.advice.questions import AnswersError
    from wasmscope.workloads.advice.rules import RulesError

    if isinstance(err, (ProfileError, UsageError, AnswersError, RulesError)):
        return ExitCode.USAGE
    if isinstance(err, RuntimeUnavailable):
        return ExitCode.UNAVAILABLE
    if isinstance(err, (KeyboardInterrupt, Cancelled)):
        return ExitCode.INTERRUPTED
    return ExitCode.FAILURE


def _csv(value: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list, e.g. wasmtime,docker")
    return items


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=(
        "Measure, on this machine, how WebAssembly runtimes compare with containers and native code."))
    parser.add_argument("--profile", default="quick",
                        help="profile the app opens: a file, or a shipped name (quick, article)")
    parser.add_argument("--demo", nargs="?", const="", metavar="PROFILE",
                        help="meetup mode: loop through the profile's benchmark on its own")
    parser.add_argument("--replay", action="store_true",
                        help="show the profile's stored results without driving any runtime")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    bench = sub.add_parser("bench", help="run a profile's measurements and print the comparison tables")
    bench.add_argument("--profile", default="quick", help="profile file, or a shipped name: quick, article")
    bench.add_argument("--runtimes", type=_csv, help="comma-separated runtimes (default: the profile's)")
    bench.add_argument("--workloads", type=_csv,
                       help="comma-separated workloads or measurements, e.g. hello,fib or startup")
    bench.add_argument("--runs", type=int, help="runs per runtime for startup and compute")
    bench.add_argument("--connections", type=_csv,
                       help="HTTP: connections of the closed-loop load; several (1,8,32,128) = a sweep")
    bench.add_argument("--rate", type=_csv,
                       help="HTTP: fixed-rate load at R req/s (open loop); several (500,1000,2000) = a sweep")
    bench.add_argument("--duration", type=float, help="HTTP: seconds of load per target and round")
    bench.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    bench.add_argument("--save", metavar="FILE", help="write the results into this profile file")

    clean = sub.add_parser("clean", help="remove containers and images wasmscope left behind")
    clean.add_argument("--all", action="store_true", help="also containers of running wasmscope sessions")
    clean.add_argument("--images", action="store_true", help="also remove wasmscope's workload images")

    build = sub.add_parser("build-workloads", help="rebuild the committed .wasm workloads from C (needs clang)")
    build.add_argument("--out", help="output directory (default: the package's wasm/ folder)")
    build.add_argument("--component", action="store_true",
                       help="also rebuild the Python wasi:http component (needs componentize-py, spin-sdk)")

    sub.add_parser("runtimes", help="list runtimes with availability, version and mode")

    density = sub.add_parser("density", help="how many instances fit in 1 GiB, per runtime and hosting model")
    density.add_argument("--profile", default="quick", help="profile file, or a shipped name (its runtimes)")
    density.add_argument("--runtimes", type=_csv, help="comma-separated runtimes (default: the profile's)")
    density.add_argument("--max", type=int, default=1000, help="most instances per runtime (default 1000)")
    density.add_argument("--kib", type=int, default=64, help="KiB each instance touches (default 64)")
    density.add_argument("--floor-pct", type=float, default=25.0,
                         help="stop before available memory falls below this %% of RAM (default 25)")
    density.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    density.add_argument("--save", metavar="FILE", help="write the run into this profile's [density] table")

    sandbox = sub.add_parser("sandbox", help="what each runtime lets a guest reach: host files, env, "
                                             "network, processes (the probe workload, two settings)")
    sandbox.add_argument("--runtimes", type=_csv, help="comma-separated runtimes (default: every registered one)")
    sandbox.add_argument("--settings", type=_csv, default=["runtime-defaults", "wasmscope"],
                         help="runtime-defaults (as started from a shell), wasmscope (as benchmarks run), or both (default)")
    sandbox.add_argument("--json", action="store_true", help="print the matrix as JSON on stdout")

    report = sub.add_parser("report", help="a profile's stored results as four tables with the "
                                           "article's claims checked (Markdown for slides, or JSON)")
    report.add_argument("--profile", default="quick", help="profile file with [results], or a shipped name")
    report.add_argument("--format", choices=("md", "json"), default="md", help="output format (default md)")
    report.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    advise = sub.add_parser("advise", help="the decision wizard, headless: Wasm, containers or both?")
    advise.add_argument("--answers", metavar="FILE", help="answers TOML (keys: the questions below)")
    for q in _questions():
        flag = "--" + q.key.replace("_", "-")
        if q.kind == "bool":
            advise.add_argument(flag, dest=q.key, choices=["yes", "no"], help=q.prompt)
        elif q.kind == "choice":
            advise.add_argument(flag, dest=q.key, choices=[v for v, _ in q.choices], help=q.prompt)
        else:
            advise.add_argument(flag, dest=q.key, help=q.prompt)
    advise.add_argument("--profile", dest="advise_profile", metavar="FILE",
                        help="profile whose stored results are quoted as evidence")
    advise.add_argument("--rules", metavar="FILE", help="your own rules file (extends/overrides the shipped one)")
    advise.add_argument("--json", action="store_true", help="print the recommendation as JSON")
    advise.add_argument("--write", metavar="DIR", help="write starter deployment files into DIR")
    advise.add_argument("--force", action="store_true", help="with --write: replace existing files")
    advise.add_argument("--save", metavar="FILE", help="save answers and recommendation into this profile")

    serve = sub.add_parser("serve", help="serve the app to a browser (textual-serve)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--public", action="store_true",
                       help="allow a non-loopback --host (anyone who reaches it can start containers here)")
    return parser


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def cmd_bench(ns: argparse.Namespace) -> ExitCode:
    from rich.console import Console
    from rich.text import Text
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from wasmscope.profiles import load_profile, resolve_profile_path, save_results
    from wasmscope.workloads.bench import make_plan, override_io, run_benchmark
    from wasmscope.workloads.measurements.control import RunControl

    from .render.tables import RENDERERS, io_sweep_table, machine_line, runtimes_table
    from .render.plots import sweep_text

    path = resolve_profile_path(ns.profile)
    profile = override_io(load_profile(path), connections=ns.connections, rates=ns.rate,
                          duration_s=ns.duration)
    plan = make_plan(profile, runtimes=ns.runtimes, workloads=ns.workloads, runs=ns.runs)
    err = _stderr_console()
    err.print(f"[bold]{PROG}[/] bench: profile {path} — runtimes {', '.join(plan.runtimes)}; "
              f"measurements {', '.join(plan.measurements)}")
    if err.is_terminal:
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=err, transient=True)
        task = progress.add_task("starting", total=None)

        def on_progress(message: str, done: int, total: int) -> None:
            progress.update(task, description=message, completed=done, total=total or None)

        control = RunControl(progress=on_progress, log=lambda m: progress.console.log(m))
        with progress:
            results = run_benchmark(profile, plan, control)
    else:
        last = {"table": ""}

        def on_plain(message: str, done: int, total: int) -> None:
            table = message.split(":", 1)[0]
            if table != last["table"]:
                last["table"] = table
                print(f"{PROG}: measuring {table} ({done}/{total})", file=sys.stderr, flush=True)

        control = RunControl(progress=on_plain)
        results = run_benchmark(profile, plan, control)

    if ns.json:
        _print_json(results)
    else:
        out = Console(width=None if sys.stdout.isatty() else 132)  # piped: no 80-column wrap
        out.print(machine_line(results))
        out.print(runtimes_table(results))
        for name in plan.measurements:
            if name in results.tables:
                out.print(RENDERERS[name](results, profile.reference))
        if "io" in results.tables and (sweep := io_sweep_table(results)) is not None:
            out.print(sweep)
            out.print(Text.from_ansi(sweep_text(results, width=min(out.width, 110), height=22)))
    if ns.save:
        save_results(ns.save, results.to_dict(), template=path)
        err.print(f"{PROG}: results saved to {ns.save}")
    return _exit_for_failures(results)


def _print_json(results) -> None:
    from .render.tables import results_json

    json.dump(results_json(results), sys.stdout, indent=2)
    sys.stdout.write("\n")


def _exit_for_failures(results) -> ExitCode:
    """Each failed row as one line on stderr; exit 1 when a runtime failed a measurement."""
    failures = results.failures()
    for table, runtime, reason in failures:
        print(f"{PROG}: {table} on {runtime} failed: {reason}", file=sys.stderr)
    return ExitCode.FAILURE if failures else ExitCode.OK


def cmd_density(ns: argparse.Namespace) -> ExitCode:
    from rich.console import Console
    from rich.text import Text

    from wasmscope.profiles import load_profile, resolve_profile_path, save_table
    from wasmscope.workloads.bench import run_density
    from wasmscope.workloads.measurements.control import RunControl
    from wasmscope.workloads.measurements.density import DensitySpec

    from .render.tables import density_table, machine_line
    from .render.plots import density_text

    path = resolve_profile_path(ns.profile)
    profile = load_profile(path)
    spec = DensitySpec(max_instances=ns.max, kib=ns.kib, floor_pct=ns.floor_pct)
    last = {"name": ""}

    def on_progress(message: str, done: int, total: int) -> None:
        name = message.split()[1] if len(message.split()) > 1 else message
        if name != last["name"]:
            last["name"] = name
            print(f"{PROG}: density of {name}", file=sys.stderr, flush=True)

    results = run_density(profile, ns.runtimes, spec, RunControl(progress=on_progress))
    if ns.json:
        _print_json(results)
    else:
        out = Console(width=None if sys.stdout.isatty() else 132)  # piped: no 80-column wrap
        out.print(machine_line(results))
        out.print(density_table(results))
        out.print(Text.from_ansi(density_text(results, width=min(out.width, 110))))
    if ns.save:
        save_table(ns.save, "density", results.to_dict(), template=path)
        print(f"{PROG}: density saved to {ns.save} [density]", file=sys.stderr)
    return _exit_for_failures(results)


def cmd_sandbox(ns: argparse.Namespace) -> ExitCode:
    from rich.console import Console

    from wasmscope.workloads.bench import UsageError
    from wasmscope.workloads.measurements.control import RunControl
    from wasmscope.workloads.measurements.sandbox import CAPABILITIES, SETTINGS, run_sandbox
    from wasmscope.workloads.runtimes import KNOWN_RUNTIMES

    from .render.sandbox import sandbox_report

    runtimes = ns.runtimes or list(KNOWN_RUNTIMES)
    for name in runtimes:
        if name not in KNOWN_RUNTIMES:
            raise UsageError(f"--runtimes: unknown runtime {name!r} (known: {', '.join(KNOWN_RUNTIMES)})")
    for s in ns.settings:
        if s not in SETTINGS:
            raise UsageError(f"--settings: unknown setting {s!r} (expected {' or '.join(SETTINGS)})")
    rows = run_sandbox(runtimes, settings=ns.settings, control=RunControl(
        progress=lambda m, done, total: print(f"{PROG}: {m} ({done}/{total})", file=sys.stderr, flush=True)))
    if ns.json:
        json.dump({"capabilities": dict(CAPABILITIES), "rows": [r.to_dict() for r in rows]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        Console(width=None if sys.stdout.isatty() else 160).print(sandbox_report(rows))
    failed = [r for r in rows if r.error and not r.error.startswith("unavailable")]
    for r in failed:
        print(f"{PROG}: sandbox probe on {r.runtime} ({r.settings}) failed: {r.error}", file=sys.stderr)
    return ExitCode.FAILURE if failed else ExitCode.OK


def cmd_report(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles import ProfileError, load_profile, resolve_profile_path
    from wasmscope.profiles.store import write_atomic
    from wasmscope.workloads.model.results import Results

    from .render.markdown import report_json, report_markdown

    path = resolve_profile_path(ns.profile)
    profile = load_profile(path)
    if not profile.results:
        raise ProfileError(f"{path}: no [results] to report: run `wasmscope bench --profile "
                           f"{ns.profile} --save {path}` first")
    try:
        results = Results.from_dict(profile.results)
        if profile.density:  # a `wasmscope density --save` run: its table joins the report
            density = Results.from_dict(profile.density)
            results.tables.update(density.tables)
            results.runtimes = {**density.runtimes, **results.runtimes}
    except (TypeError, ValueError, KeyError) as err:
        raise ProfileError(f"{path}: results: not a wasmscope results table ({err})") from None
    if ns.format == "json":
        text = json.dumps(report_json(results, profile.reference), indent=2) + "\n"
    else:
        text = report_markdown(results, profile.reference, path.name)
    if ns.output:
        write_atomic(Path(ns.output), text)
        print(f"{PROG}: report written to {ns.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return ExitCode.OK


def cmd_clean(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.workloads.errors import RuntimeUnavailable
    from wasmscope.workloads.runtimes.docker_engine import DockerAdapter
    from wasmscope.workloads.system.sessions import CleanReport, clean, sweep_local

    from wasmscope.workloads.runtimes.podman import PodmanAdapter

    adapter = DockerAdapter()
    unavailable = None
    try:
        client = adapter.client()  # first contact already removes dead sessions' containers
    except RuntimeUnavailable as err:  # processes and build leftovers are still ours to clean
        unavailable = err
        report = CleanReport()
    else:
        report = clean(client, include_live=ns.all, images=ns.images, already=adapter.reaped)
    podman_lines: list[str] = []
    podman = PodmanAdapter()  # its own store: containers and images Docker cannot see
    try:
        if podman.executable() is not None and podman.availability().ok:
            extra = clean(podman.client(), include_live=ns.all, images=ns.images, already=podman.reaped)
            podman_lines = [f"podman: {line}" for line in extra.lines()]
    finally:
        podman.close()
    # Processes last: a dead run's Podman service served the pass above, and a killed build's
    # files are free once its processes are gone.
    report.merge(sweep_local())
    for line in report.lines() + podman_lines:
        print(line)
    if unavailable is not None:
        print(f"{PROG}: containers not cleaned: {unavailable}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    return ExitCode.OK


def _sweep_at_start() -> None:
    """A run's start removes what dead runs left (processes and build leftovers now, their
    containers on the first Docker contact) and says so, one line each on stderr."""
    from wasmscope.workloads import sessions

    sessions.set_reporter(lambda line: print(f"{PROG}: {line}", file=sys.stderr, flush=True))
    sessions.sweep_local()


def cmd_build(ns: argparse.Namespace) -> ExitCode:
    from pathlib import Path

    from wasmscope.workloads.guests.build import build_wasm

    built = build_wasm(Path(ns.out) if ns.out else None)
    for name, path in built.items():
        print(f"built {name}: {path} ({path.stat().st_size} bytes)")
    if ns.component:
        from wasmscope.workloads.guests.components.builder import COMMITTED, write_committed

        out = write_committed(Path(ns.out) / COMMITTED.name if ns.out else COMMITTED)
        print(f"built http-component: {out} ({out.stat().st_size} bytes; not byte-for-byte reproducible)")
    return ExitCode.OK


def cmd_runtimes(ns: argparse.Namespace) -> ExitCode:
    from rich.console import Console

    from wasmscope.workloads.bench import describe_runtimes
    from wasmscope.workloads.model.results import Results
    from wasmscope.workloads.runtimes import KNOWN_RUNTIMES, create_adapter

    from .render.tables import runtimes_table

    adapters = {n: create_adapter(n) for n in KNOWN_RUNTIMES}
    try:
        res = Results(profile="", started_at="", runtimes=describe_runtimes(adapters))
    finally:
        for a in adapters.values():
            a.close()
    Console().print(runtimes_table(res))
    for info in res.runtimes.values():
        if not info.available:
            print(f"{PROG}: {info.name}: {info.reason} — {info.hint}", file=sys.stderr)
    return ExitCode.OK


def _questions():
    from wasmscope.workloads.advice.questions import QUESTIONS

    return QUESTIONS


def cmd_advise(ns: argparse.Namespace) -> ExitCode:
    import tomllib
    from pathlib import Path

    from wasmscope.profiles import ProfileError, load_profile, resolve_profile_path, save_table
    from wasmscope.workloads.advice.deploy import starter_files, write_files
    from wasmscope.workloads.advice.evaluate import evaluate
    from wasmscope.workloads.advice.questions import BY_KEY, AnswersError, parse_answers
    from wasmscope.workloads.advice.report import recommendation_text
    from wasmscope.workloads.advice.rules import load_rules
    from wasmscope.workloads.model.results import Results

    given: dict = {}
    source = "command line"
    if ns.answers:
        source = ns.answers
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
    answers = parse_answers(given, source)
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
        json.dump({"answers": answers.to_dict(), "recommendation": rec.to_dict()}, sys.stdout, indent=2)
        sys.stdout.write("\n")
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


def cmd_app(ns: argparse.Namespace) -> ExitCode:
    from wasmscope.profiles import load_profile, resolve_profile_path

    from .app import run_app

    name = ns.demo if ns.demo else ns.profile
    profile = load_profile(resolve_profile_path(name))
    return ExitCode(run_app(profile, demo=ns.demo is not None, live=not ns.replay))


def cmd_serve(ns: argparse.Namespace) -> ExitCode:
    import shlex

    from textual_serve.server import Server

    import ipaddress

    from wasmscope.workloads.bench import UsageError

    try:
        loopback = ns.host == "localhost" or ipaddress.ip_address(ns.host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not ns.public:
        raise UsageError(f"--host {ns.host}: not a loopback address; the served app can start containers on "
                         f"this machine, so serving it beyond it needs --public")
    if not loopback:
        print(f"{PROG}: WARNING: serving on {ns.host}: anyone who reaches it can run workloads and start "
              "containers on this machine", file=sys.stderr)
    app_cmd = [sys.executable, "-m", "wasmscope.tui.cli", "--profile", ns.profile]
    if ns.replay:
        app_cmd.append("--replay")
    if ns.demo is not None:
        app_cmd += ["--demo", ns.demo or ns.profile]
    print(f"{PROG}: serving the app on http://{ns.host}:{ns.port}", file=sys.stderr)
    Server(shlex.join(app_cmd), host=ns.host, port=ns.port, title="wasmscope").serve()
    return ExitCode.OK


COMMANDS = {"bench": cmd_bench, "serve": cmd_serve, "advise": cmd_advise, "clean": cmd_clean, "build-workloads": cmd_build, "runtimes": cmd_runtimes,
            "report": cmd_report, "density": cmd_density, "sandbox": cmd_sandbox}


def _sigterm_to_interrupt(signum, frame) -> None:  # so `finally` blocks remove containers
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm_to_interrupt)
    from wasmscope.workloads.system.sessions import mark_environ

    mark_environ()  # whatever we start, even with the inherited environment, is traceable to us
    try:
        if ns.command in (None, "bench", "density"):
            _sweep_at_start()
        return int(COMMANDS[ns.command](ns) if ns.command else cmd_app(ns))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; containers it started were removed", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except Exception as err:  # every error is one plain line
        from wasmscope.workloads.errors import WasmscopeError

        if not isinstance(err, WasmscopeError) and not _is_profile_error(err):
            raise
        print(f"{PROG}: {err}", file=sys.stderr)
        return int(exit_code_for(err))


def _is_profile_error(err: BaseException) -> bool:
    from wasmscope.profiles import ProfileError

    return isinstance(err, ProfileError)


if __name__ == "__main__":
    sys.exit(main())
