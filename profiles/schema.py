"""The profile schema: typed settings with defaults, and validation to one-line errors.

Every key is optional; unknown keys are rejected with a suggestion, so a typo never silently
falls back to a default.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from wasmscope.workloads.guests.catalogue import Workload, builtin_workloads
from wasmscope.workloads.measurements import bench_names
from wasmscope.workloads.measurements.quiet import QuietSpec
from wasmscope.workloads.model.bounds import (BLOCK, IO_CONNECTIONS, IO_DURATION_S, IO_RATE, QUIET_MAX_WAIT_S,
                                              QUIET_PCT, QUIET_RETAKES, QUIET_WINDOW_S, ROUNDS, RUNS, Bound, plain)
from wasmscope.workloads.model.bounds import finite as _finite
from wasmscope.workloads.model.results import Results
from wasmscope.workloads.runtimes import known_runtimes
from wasmscope.workloads.race import RaceState

from .errors import ProfileError, suggestion
from .workloads import parse_workload, workload_data
from .stored import check_stored

IO_MODELS = ("server", "per-request")




@dataclass(frozen=True)
class BenchSettings:
    runtimes: tuple[str, ...] = ("wasmtime", "native", "docker")
    measurements: tuple[str, ...] = ("startup", "memory", "compute")  # io on demand: it takes minutes
    timeout_s: float = 60.0
    memory_limit_mib: int = 512
    sample_hz: float = 4.0
    hosts: tuple[str, ...] = ()  # remote hosts measured too: "ssh://[user@]host[:port]"
    local: bool = True  # measure this machine as well as the hosts
    block: int = 5  # samples of one runtime in a row before the next runtime's block


@dataclass(frozen=True)
class StartupSpec:
    workload: str = "hello"
    runs: int = 20  # per round
    warmup: int = 3
    rounds: int = 1  # full interleaved passes; intervals come from their spread


@dataclass(frozen=True)
class ComputeSpec:
    workload: str = "fib"
    n: int = 35
    runs: int = 5  # per round
    warmup: int = 1
    rounds: int = 1


@dataclass(frozen=True)
class MemorySpec:
    workload: str = "idle"
    mib: int = 16
    samples: int = 8  # per instance; one instance per runtime and round
    interval_s: float = 0.25
    rounds: int = 1


@dataclass(frozen=True)
class IoSpec:
    """HTTP I/O: which serving models, and the load each target gets."""

    server_workload: str = "http"  # long-running server (serving model 1)
    handler_workload: str = "handler"  # one fresh instance per request (serving model 2)
    models: tuple[str, ...] = IO_MODELS
    mode: str = "closed"  # closed (max throughput) | fixed-rate (open loop at `rate`)
    connections: int = 32
    per_request_connections: int = 4
    duration_s: float = 5.0
    warmup_s: float = 1.0
    rate: float = 0.0
    rounds: int = 1
    generator: str = "auto"  # auto | wrk | builtin
    timeout_s: float = 5.0
    sweep: tuple[float, ...] = ()  # connections (closed) or rates (fixed-rate), server model
    sweep_duration_s: float = 2.0
    serve_component: bool = True  # add a `wasmtime serve` row where the wasmtime CLI is measured


@dataclass(frozen=True)
class AppSettings:
    """How the app shows this profile (`[app]`); the CLI ignores it."""

    hide_unavailable: bool = False  # live view: only the runtimes this machine can run
    layout: str = "grid"  # live view: "grid" of panels, or "list" (one line per runtime)
    race_runtimes: tuple[str, ...] = ()  # who races (`R`); empty: the selected one against the baselines
    race_seconds: float = 5.0
    presentation: bool = False  # larger figures, fewer words (also `--demo`)


@dataclass(frozen=True)
class Profile:
    path: Path | None
    name: str = "unnamed"
    description: str = ""
    bench: BenchSettings = BenchSettings()
    startup: StartupSpec = StartupSpec()
    compute: ComputeSpec = ComputeSpec()
    memory: MemorySpec = MemorySpec()
    io: IoSpec = IoSpec()
    quiet: QuietSpec = QuietSpec()
    workloads: dict[str, Workload] = field(default_factory=builtin_workloads)
    reference: dict | None = None
    results: Results | None = None  # the stored benchmark run
    advice: dict | None = None  # the wizard's answers and recommendation (validated by its loader)
    density: Results | None = None  # a stored `wasmscope density` run (one "density" table)
    # [runtimes.NAME]: options of a runtime's adapter, as written (checked against what it declares)
    runtime_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    remote_results: dict[str, Results] = field(default_factory=dict)  # stored runs of remote hosts, by host

    def adapter_options(self, runtime: str) -> dict[str, Any]:
        """What a runtime's adapter is created with: the bench's memory limit, then the
        profile's own options for it."""
        return {"memory_limit_mib": self.bench.memory_limit_mib, **self.runtime_options.get(runtime, {})}
    app: AppSettings = AppSettings()
    race: RaceState | None = None  # a stored race (the app's race view), shown as stored

    def workload(self, name: str) -> Workload:
        try:
            return self.workloads[name]
        except KeyError:
            raise ProfileError(f"{self.path or self.name}: unknown workload {show(name)} "
                               f"(known: {_known(self.workloads)})") from None

    def to_data(self) -> dict[str, Any]:
        """What to measure as plain TOML data `build_profile` reads back into this profile (the
        settings, the user's workloads, the article's figures; no stored results): how a profile
        travels to a remote host's agent."""
        data: dict[str, Any] = {"profile": {"name": self.name, "description": self.description}}
        for key in ("bench", "startup", "compute", "memory", "io", "quiet"):
            data[key] = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(getattr(self, key)).items()}
        data["workloads"] = {name: workload_data(w) for name, w in self.workloads.items() if not w.builtin}
        if self.runtime_options:
            data["runtimes"] = {name: dict(opts) for name, opts in self.runtime_options.items()}
        if self.reference is not None:
            data["reference"] = dict(self.reference)
        return data




# -- validators ---------------------------------------------------------------------------------

def _type_name(v: Any) -> str:
    return type(v).__name__


class _ShortRepr(reprlib.Repr):
    """repr() cut to a readable size: a value 3000 tables deep or 5000 digits long is still one short line."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother, self.maxlong = 3, 60, 80, 70
        self.maxlist = self.maxtuple = 8
        self.maxdict = 4

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 200:  # repr() itself refuses past sys.get_int_max_str_digits() digits
            digits = int(x.bit_length() * math.log10(2)) + 1
            return f"{'-' if x < 0 else ''}<an integer of about {digits} digits>"
        return super().repr_int(x, level)


def show(v: Any) -> str:
    """A user's value in a message: a Python repr (escapes newlines), bounded in depth and length."""
    return _ShortRepr().repr(v)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def dotted(*parts: str) -> str:
    """Key parts as a TOML dotted key: a part that is not a bare key is quoted and escaped.

    So `workloads."a.b".kind` is not read as three tables, and a key holding a newline stays
    on the message's one line.
    """
    return ".".join(p if _BARE_KEY.fullmatch(p) else _quoted(p) for p in parts)


def _quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\u{ord(ch):04X}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08X}")
    return '"' + "".join(out) + '"'


def _known(names: Iterable[str]) -> str:
    """Workload names for a 'known:' list; a user's name with a newline in it is shown quoted."""
    return ", ".join(n if n.isprintable() else show(n) for n in sorted(names))


def _suggest(word: str, names: Iterable[str]) -> str:
    """suggestion() among the names that print on one line (a suggestion is quoted as is)."""
    return suggestion(word, [n for n in names if n.isprintable()])


def _path_text(path: Path | str) -> str:
    """A path as written when it prints on one line, else its repr."""
    text = str(path)
    return text if text.isprintable() and len(text) <= 300 else show(text)


class _Checker:
    """Validates one file; every error names the file and the dotted key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> ProfileError:
        return ProfileError(f"{self.source}: {key}: {message}")

    def table(self, data: Any, key: str) -> dict:
        if not isinstance(data, dict):
            raise self.fail(key, f"expected a table, got {show(data)} ({_type_name(data)})")
        return data

    def known_keys(self, data: dict, key: str, allowed: Iterable[str]) -> None:
        allowed = list(allowed)
        for k in data:
            if k not in allowed:
                full = f"{key}.{dotted(k)}" if key else dotted(k)
                close = difflib.get_close_matches(k, allowed, n=1)
                if close:
                    raise self.fail(full, f"unknown key (did you mean '{key + '.' if key else ''}{close[0]}'?)")
                raise self.fail(full, f"unknown key (expected one of: {', '.join(allowed)})")

    def within(self, bound: Bound) -> Callable[[Any, str], Any]:
        """A validator for one setting's shared bound (the same words as its command-line flag)."""
        return lambda v, k: self.bounded(v, k, bound)

    def flag(self, v: Any, key: str) -> bool:
        if not isinstance(v, bool):
            raise self.fail(key, f"expected true or false, got {show(v)} ({_type_name(v)})")
        return v

    def integer(self, v: Any, key: str, lo: int, hi: int | None = None) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            bounds = f">= {lo}" if hi is None else f"between {lo} and {hi}"
            raise self.fail(key, f"expected an integer {bounds}, got {show(v)} ({_type_name(v)})")
        return v

    def bounded(self, v: Any, key: str, bound: Bound) -> Any:
        if not bound.admits(v):
            raise self.fail(key, f"expected {bound.expected()}, got {show(v)} ({_type_name(v)})")
        return v if bound.integer else float(v)

    def number(self, v: Any, key: str, lo: float, hi: float | None = None, *, strict_lo: bool = False) -> float:
        x = _finite(v)
        if x is None or not (x > lo if strict_lo else x >= lo) or (hi is not None and x > hi):
            bounds = (f"> {lo:g}" if strict_lo else f">= {lo:g}") if hi is None else f"between {lo:g} and {hi:g}"
            raise self.fail(key, f"expected a number {bounds}, got {show(v)} ({_type_name(v)})")
        return x

    def string(self, v: Any, key: str) -> str:
        if not isinstance(v, str):
            raise self.fail(key, f"expected a string, got {show(v)} ({_type_name(v)})")
        return v

    def names(self, v: Any, key: str, known: tuple[str, ...], what: str) -> tuple[str, ...]:
        if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
            raise self.fail(key, f"expected a non-empty list of {what} names, got {show(v)}")
        for x in v:
            if x not in known:
                raise self.fail(key, f"unknown {what} {show(x)} "
                                     f"(known: {', '.join(sorted(known))}{suggestion(x, known)})")
        if len(set(v)) != len(v):
            raise self.fail(key, f"lists a {what} twice: {show(v)}")
        return tuple(v)


REFERENCE_TABLES = ("startup_ms", "memory_mib", "compute_ms", "http_rps", "http_p99_ms")
_SECTIONS = ("profile", "bench", "startup", "compute", "memory", "io", "quiet", "workloads", "reference",
             "results", "density", "advice", "remote_results", "runtimes", "app", "race")
LAYOUTS = ("grid", "list")


def _section(c: _Checker, data: dict, name: str, keys: dict[str, Callable[[Any, str], Any]]) -> dict:
    raw = c.table(data.get(name, {}), name)
    c.known_keys(raw, name, keys)
    return {k: keys[k](v, f"{name}.{k}") for k, v in raw.items()}


def build_profile(data: dict, path: Path | None, source: str) -> Profile:
    """Validate parsed TOML into a Profile; raises the first ProfileError."""
    c = _Checker(source)
    c.known_keys(data, "", _SECTIONS)
    meta = _section(c, data, "profile", {"name": c.string, "description": c.string})
    bench = _bench(c, data)
    startup = StartupSpec(**_section(c, data, "startup", {
        "workload": c.string, "runs": c.within(RUNS),
        "warmup": lambda v, k: c.integer(v, k, 0), "rounds": c.within(ROUNDS)}))
    compute = ComputeSpec(**_section(c, data, "compute", {
        "workload": c.string, "n": lambda v, k: c.integer(v, k, 1, 50),
        "runs": c.within(RUNS), "warmup": lambda v, k: c.integer(v, k, 0),
        "rounds": c.within(ROUNDS)}))
    memory = MemorySpec(**_section(c, data, "memory", {
        "workload": c.string, "mib": lambda v, k: c.integer(v, k, 0, 4096),
        "samples": lambda v, k: c.integer(v, k, 1),
        "interval_s": lambda v, k: c.number(v, k, 0, strict_lo=True), "rounds": c.within(ROUNDS)}))
    quiet = QuietSpec(**_section(c, data, "quiet", {
        "enabled": c.flag, "busy_pct": c.within(QUIET_PCT), "steal_pct": c.within(QUIET_PCT),
        "window_s": c.within(QUIET_WINDOW_S), "max_wait_s": c.within(QUIET_MAX_WAIT_S),
        "retakes": c.within(QUIET_RETAKES)}))
    io = _io(c, data)
    workloads = builtin_workloads()
    base_dir = path.parent if path else Path.cwd()
    for name, entry in c.table(data.get("workloads", {}), "workloads").items():
        workloads[name] = parse_workload(c, name, entry, workloads.get(name), base_dir)
    for spec, section in ((startup, "startup"), (compute, "compute"), (memory, "memory")):
        _known_workload(c, f"{section}.workload", spec.workload, workloads)
        measure = workloads[spec.workload].measure
        if measure and section not in measure:
            raise c.fail(f"{section}.workload", f"workload {show(spec.workload)} says measure = "
                         f"{list(measure)}: {section} does not apply to it")
    for key in ("server_workload", "handler_workload"):
        _known_workload(c, f"io.{key}", getattr(io, key), workloads)
    reference = _reference(c, data["reference"]) if "reference" in data else None
    results = _stored_results(c, data, "results")
    advice = data.get("advice")
    if advice is not None:
        c.table(advice, "advice")
    density = _stored_results(c, data, "density")
    remote = {host: _stored_results(c, {host: raw}, host, f"remote_results.{dotted(host)}")
              for host, raw in c.table(data.get("remote_results", {}), "remote_results").items()}
    return Profile(path=path, name=meta.get("name", path.stem if path else "unnamed"),
                   description=meta.get("description", ""), bench=bench, startup=startup,
                   compute=compute, memory=memory, io=io, quiet=quiet, workloads=workloads, reference=reference,
                   results=results, advice=advice, density=density, remote_results=remote,
                   runtime_options=_runtime_options(c, data), app=_app(c, data), race=_stored_race(c, data))


def _bench(c: _Checker, data: dict) -> BenchSettings:
    return BenchSettings(**_section(c, data, "bench", {
        "runtimes": lambda v, k: c.names(v, k, known_runtimes(), "runtime"),
        "measurements": lambda v, k: c.names(v, k, bench_names(), "measurement"),
        "timeout_s": lambda v, k: c.number(v, k, 0, strict_lo=True),
        "memory_limit_mib": lambda v, k: c.integer(v, k, 16),
        "sample_hz": lambda v, k: c.number(v, k, 0.5, 50),
        "hosts": lambda v, k: _hosts(c, v, k),
        "local": c.flag,
        "block": c.within(BLOCK),
    }))


def _known_workload(c: _Checker, key: str, name: str, workloads: dict) -> None:
    """A section's workload must be one the profile knows (built in or its own [workloads])."""
    if name not in workloads:
        raise c.fail(key, f"unknown workload {show(name)} (known: {_known(workloads)}{_suggest(name, workloads)})")


def _app(c: _Checker, data: dict) -> AppSettings:
    def layout(v: Any, k: str) -> str:
        if v not in LAYOUTS:
            raise c.fail(k, f"expected one of {', '.join(LAYOUTS)}, got {show(v)}{_suggest(str(v), LAYOUTS)}")
        return v

    return AppSettings(**_section(c, data, "app", {
        "hide_unavailable": c.flag, "presentation": c.flag, "layout": layout,
        "race_runtimes": lambda v, k: c.names(v, k, known_runtimes(), "runtime"),
        "race_seconds": lambda v, k: c.number(v, k, 0.5, 600)}))


def _stored_race(c: _Checker, data: dict) -> RaceState | None:
    """A stored race (`[race]`), read once here."""
    raw = data.get("race")
    if raw is None:
        return None
    try:
        return RaceState.from_dict(c.table(raw, "race"))
    except (TypeError, ValueError) as err:
        raise c.fail("race", f"not a wasmscope race table ({str(err).splitlines()[0][:120]})") from None


def _runtime_options(c: _Checker, data: dict) -> dict[str, dict[str, Any]]:
    """`[runtimes.NAME]` tables, each checked against the options its adapter declares."""
    from wasmscope.workloads.runtimes import adapter_class
    from wasmscope.workloads.runtimes.options import OptionError, validate

    out: dict[str, dict[str, Any]] = {}
    for name, entry in c.table(data.get("runtimes", {}), "runtimes").items():
        key = f"runtimes.{dotted(name)}"
        if name not in known_runtimes():
            raise c.fail(key, f"unknown runtime {show(name)} (known: {', '.join(sorted(known_runtimes()))}"
                              f"{_suggest(name, known_runtimes())})")
        entry = c.table(entry, key)
        try:
            validate(name, adapter_class(name).all_options(), entry)
        except OptionError as err:
            raise c.fail(f"{key}.{dotted(err.option)}", err.detail) from None
        out[name] = dict(entry)
    return out


# What a stored run's tables hold (Results.to_dict): the keys each entry needs, by part.


def _hosts(c: _Checker, v: Any, key: str) -> tuple[str, ...]:
    """Remote hosts, each `ssh://[user@]host[:port]`, none twice."""
    from wasmscope.workloads.remote.address import BadHostAddress, parse_host

    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise c.fail(key, f"expected a list of \"ssh://[user@]host[:port]\" strings, got {show(v)}")
    for x in v:
        try:
            parse_host(x)
        except BadHostAddress:
            raise c.fail(key, f"expected ssh://[user@]host[:port], got {show(x)}") from None
    if len(set(v)) != len(v):
        raise c.fail(key, f"lists a host twice: {show(v)}")
    return tuple(v)


def _stored_results(c: _Checker, data: dict, key: str, where: str = "") -> Results | None:
    """A stored run (`[results]`, `[density]`, a remote host's) read into the typed model, once, here."""
    raw = data.get(key)
    if raw is None:
        return None
    check_stored(c.table(raw, where or key), where or key, c.fail, show, dotted)
    return Results.from_dict(raw)


def _io(c: _Checker, data: dict) -> IoSpec:
    def choice(options: tuple[str, ...]) -> Callable[[Any, str], str]:
        def check(v: Any, k: str) -> str:
            if v not in options:
                raise c.fail(k, f"expected one of {', '.join(options)}, got {show(v)}")
            return v
        return check

    def sweep(v: Any, k: str) -> tuple[float, ...]:
        if not isinstance(v, list) or not all((x := _finite(n)) is not None and x > 0 for n in v):
            raise c.fail(k, f"expected a list of numbers > 0 (connections or rates), got {show(v)}")
        return tuple(v)

    io = IoSpec(**_section(c, data, "io", {
        "server_workload": c.string, "handler_workload": c.string,
        "models": lambda v, k: c.names(v, k, IO_MODELS, "serving model"),
        "mode": choice(("closed", "fixed-rate")),
        "connections": c.within(IO_CONNECTIONS),
        "per_request_connections": lambda v, k: c.integer(v, k, 1, 256),
        "duration_s": c.within(IO_DURATION_S),
        "warmup_s": lambda v, k: c.number(v, k, 0, 600),
        "rate": c.within(IO_RATE),
        "rounds": c.within(ROUNDS),
        "generator": choice(("auto", "wrk", "builtin")),
        "timeout_s": lambda v, k: c.number(v, k, 0, 600, strict_lo=True),
        "sweep": sweep,
        "sweep_duration_s": lambda v, k: c.number(v, k, 0, 600, strict_lo=True),
        "serve_component": c.flag,
    }))
    if io.mode == "fixed-rate" and io.rate <= 0:
        raise c.fail("io.rate", f"mode 'fixed-rate' needs a rate > 0 (requests/s), got {io.rate:g}")
    if io.generator == "wrk" and io.mode == "fixed-rate":
        raise c.fail("io.generator", "wrk has no fixed-rate mode (use 'builtin' or 'auto')")
    if io.mode == "closed":  # a closed-loop sweep point is a connection count, as `connections` is
        bad = [x for x in io.sweep if not float(x).is_integer() or not IO_CONNECTIONS.admits(int(x))]
        if bad:
            raise c.fail("io.sweep", f"mode 'closed' sweeps connections: expected whole numbers between "
                                     f"{plain(IO_CONNECTIONS.lo)} and {plain(IO_CONNECTIONS.hi)}, got {show(bad[0])}")
    elif any(not IO_RATE.admits(x) for x in io.sweep):
        raise c.fail("io.sweep", f"mode 'fixed-rate' sweeps rates: expected numbers up to {plain(IO_RATE.hi)} requests/s, "
                                 f"got {show(max(io.sweep))}")
    return io


def _reference(c: _Checker, raw: Any) -> dict:
    """The article's figures: free-form row labels mapping to numbers, so the report can show them."""
    raw = c.table(raw, "reference")
    c.known_keys(raw, "reference", ("source", "note") + REFERENCE_TABLES)
    out: dict[str, Any] = {}
    for k, v in raw.items():
        key = f"reference.{dotted(k)}"
        if k in ("source", "note"):
            out[k] = c.string(v, key)
            continue
        table = c.table(v, key)
        for label, n in table.items():
            c.number(n, f"{key}.{dotted(label)}", 0)  # validated; kept as written (300 stays 300)
        out[k] = dict(table)
    return out
