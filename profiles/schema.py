"""The profile schema: typed settings with defaults, and validation to one-line errors.

Every key is optional; unknown keys are rejected with a suggestion, so a typo never silently
falls back to a default.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from wasmscope.workloads.guests.catalogue import Workload, builtin_workloads, user_workload
from wasmscope.workloads.measurements import bench_names
from wasmscope.workloads.measurements.quiet import QuietSpec
from wasmscope.workloads.model.results import Results
from wasmscope.workloads.runtimes import KNOWN_RUNTIMES

from .errors import ProfileError, suggestion

IO_MODELS = ("server", "per-request")


@dataclass(frozen=True)
class Bound:
    """The range a setting accepts, shared by every key (and flag) that sets it."""

    lo: float
    hi: float | None = None
    integer: bool = False


ROUNDS = Bound(1, 100, integer=True)  # rounds of a measurement: startup, compute, memory, io.rounds, --repeat
BLOCK = Bound(1, 1000, integer=True)  # samples of one runtime in a row (bench.block)
QUIET_PCT = Bound(0, 100)  # quiet.busy_pct, quiet.steal_pct
QUIET_WINDOW_S = Bound(0.05, 5)  # /proc/stat counts in 10 ms ticks: shorter windows read noise
QUIET_MAX_WAIT_S = Bound(0, 60)
QUIET_RETAKES = Bound(0, 10, integer=True)


@dataclass(frozen=True)
class BenchSettings:
    runtimes: tuple[str, ...] = ("wasmtime", "native", "docker")
    measurements: tuple[str, ...] = ("startup", "memory", "compute")  # io on demand: it takes minutes
    timeout_s: float = 60.0
    memory_limit_mib: int = 512
    sample_hz: float = 4.0
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

    def workload(self, name: str) -> Workload:
        try:
            return self.workloads[name]
        except KeyError:
            raise ProfileError(f"{self.path or self.name}: unknown workload {show(name)} "
                               f"(known: {_known(self.workloads)})") from None


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

    def bounded(self, bound: Bound) -> Callable[[Any, str], Any]:
        """A validator for a setting's shared bound: an integer when the bound is, else a number."""
        if bound.integer:
            hi = None if bound.hi is None else int(bound.hi)
            return lambda v, k: self.integer(v, k, int(bound.lo), hi)
        return lambda v, k: self.number(v, k, bound.lo, bound.hi)

    def flag(self, v: Any, key: str) -> bool:
        if not isinstance(v, bool):
            raise self.fail(key, f"expected true or false, got {show(v)} ({_type_name(v)})")
        return v

    def integer(self, v: Any, key: str, lo: int, hi: int | None = None) -> int:
        if isinstance(v, bool) or not isinstance(v, int) or v < lo or (hi is not None and v > hi):
            bounds = f">= {lo}" if hi is None else f"between {lo} and {hi}"
            raise self.fail(key, f"expected an integer {bounds}, got {show(v)} ({_type_name(v)})")
        return v

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


def _finite(v: Any) -> float | None:
    """`v` as a finite float, or None (not a number, a bool, nan, inf, or an int past float range)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    try:
        x = float(v)
    except OverflowError:
        return None
    return x if math.isfinite(x) else None


REFERENCE_TABLES = ("startup_ms", "memory_mib", "compute_ms", "http_rps", "http_p99_ms")
_SECTIONS = ("profile", "bench", "startup", "compute", "memory", "io", "quiet", "workloads", "reference",
             "results", "density", "advice")
_WORKLOAD_KEYS = ("module", "image", "args", "kind", "ready", "description")


def _section(c: _Checker, data: dict, name: str, keys: dict[str, Callable[[Any, str], Any]]) -> dict:
    raw = c.table(data.get(name, {}), name)
    c.known_keys(raw, name, keys)
    return {k: keys[k](v, f"{name}.{k}") for k, v in raw.items()}


def build_profile(data: dict, path: Path | None, source: str) -> Profile:
    """Validate parsed TOML into a Profile; raises the first ProfileError."""
    c = _Checker(source)
    c.known_keys(data, "", _SECTIONS)
    meta = _section(c, data, "profile", {"name": c.string, "description": c.string})
    bench = BenchSettings(**_section(c, data, "bench", {
        "runtimes": lambda v, k: c.names(v, k, KNOWN_RUNTIMES, "runtime"),
        "measurements": lambda v, k: c.names(v, k, bench_names(), "measurement"),
        "timeout_s": lambda v, k: c.number(v, k, 0, strict_lo=True),
        "memory_limit_mib": lambda v, k: c.integer(v, k, 16),
        "sample_hz": lambda v, k: c.number(v, k, 0.5, 50),
        "block": c.bounded(BLOCK),
    }))
    startup = StartupSpec(**_section(c, data, "startup", {
        "workload": c.string, "runs": lambda v, k: c.integer(v, k, 1),
        "warmup": lambda v, k: c.integer(v, k, 0), "rounds": c.bounded(ROUNDS)}))
    compute = ComputeSpec(**_section(c, data, "compute", {
        "workload": c.string, "n": lambda v, k: c.integer(v, k, 1, 50),
        "runs": lambda v, k: c.integer(v, k, 1), "warmup": lambda v, k: c.integer(v, k, 0),
        "rounds": c.bounded(ROUNDS)}))
    memory = MemorySpec(**_section(c, data, "memory", {
        "workload": c.string, "mib": lambda v, k: c.integer(v, k, 0, 4096),
        "samples": lambda v, k: c.integer(v, k, 1),
        "interval_s": lambda v, k: c.number(v, k, 0, strict_lo=True), "rounds": c.bounded(ROUNDS)}))
    quiet = QuietSpec(**_section(c, data, "quiet", {
        "enabled": c.flag, "busy_pct": c.bounded(QUIET_PCT), "steal_pct": c.bounded(QUIET_PCT),
        "window_s": c.bounded(QUIET_WINDOW_S), "max_wait_s": c.bounded(QUIET_MAX_WAIT_S),
        "retakes": c.bounded(QUIET_RETAKES)}))
    io = _io(c, data)
    workloads = builtin_workloads()
    base_dir = path.parent if path else Path.cwd()
    for name, entry in c.table(data.get("workloads", {}), "workloads").items():
        workloads[name] = _user_workload(c, name, entry, workloads.get(name), base_dir)
    for spec, section in ((startup, "startup"), (compute, "compute"), (memory, "memory")):
        if spec.workload not in workloads:
            raise c.fail(f"{section}.workload", f"unknown workload {show(spec.workload)} "
                         f"(known: {_known(workloads)}{_suggest(spec.workload, workloads)})")
    for key in ("server_workload", "handler_workload"):
        name = getattr(io, key)
        if name not in workloads:
            raise c.fail(f"io.{key}", f"unknown workload {show(name)} "
                         f"(known: {_known(workloads)}{_suggest(name, workloads)})")
    reference = _reference(c, data["reference"]) if "reference" in data else None
    results = _stored_results(c, data, "results")
    advice = data.get("advice")
    if advice is not None:
        c.table(advice, "advice")
    density = _stored_results(c, data, "density")
    return Profile(path=path, name=meta.get("name", path.stem if path else "unnamed"),
                   description=meta.get("description", ""), bench=bench, startup=startup,
                   compute=compute, memory=memory, io=io, quiet=quiet, workloads=workloads, reference=reference,
                   results=results, advice=advice, density=density)


def _stored_results(c: _Checker, data: dict, key: str) -> Results | None:
    """A stored run (`[results]`, `[density]`) read into the typed model, once, here."""
    raw = data.get(key)
    if raw is None:
        return None
    c.table(raw, key)
    try:
        return Results.from_dict(raw)
    except (TypeError, ValueError, KeyError, AttributeError) as err:
        why = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise c.fail(key, f"not a wasmscope results table ({why}); expected the [{key}] table that "
                          f"`wasmscope {'density' if key == 'density' else 'bench'} --save` writes") from None


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
        "connections": lambda v, k: c.integer(v, k, 1, 10000),
        "per_request_connections": lambda v, k: c.integer(v, k, 1, 256),
        "duration_s": lambda v, k: c.number(v, k, 0, 3600, strict_lo=True),
        "warmup_s": lambda v, k: c.number(v, k, 0, 600),
        "rate": lambda v, k: c.number(v, k, 0, 10_000_000),
        "rounds": c.bounded(ROUNDS),
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
        bad = [x for x in io.sweep if not float(x).is_integer() or not 1 <= x <= 10000]
        if bad:
            raise c.fail("io.sweep", f"mode 'closed' sweeps connections: expected whole numbers between 1 "
                                     f"and 10000, got {show(bad[0])}")
    elif any(x > 10_000_000 for x in io.sweep):
        raise c.fail("io.sweep", "mode 'fixed-rate' sweeps rates: expected numbers up to 10000000 requests/s, "
                                 f"got {show(max(io.sweep))}")
    return io


def _user_workload(c: _Checker, name: str, entry: Any, base: Workload | None, base_dir: Path) -> Workload:
    key = f"workloads.{dotted(name)}"
    entry = c.table(entry, key)
    c.known_keys(entry, key, _WORKLOAD_KEYS)
    module = None
    if "module" in entry:
        raw = c.string(entry["module"], f"{key}.module")
        try:
            module = Path(raw).expanduser()
            module = module if module.is_absolute() else (base_dir / module)
            module = module.resolve()
            found = module.is_file()
        except (OSError, ValueError, RuntimeError) as err:  # NUL byte, ~nosuchuser, name too long
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            raise c.fail(f"{key}.module", f"cannot use the path {show(raw)}: {reason}") from None
        if not found:
            raise c.fail(f"{key}.module", f"file not found: {_path_text(module)}")
    image = c.string(entry["image"], f"{key}.image") if "image" in entry else None
    if base is None and module is None and image is None:
        raise c.fail(key, "a new workload needs module = \"path.wasm\" and/or image = \"repo:tag\"")
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise c.fail(f"{key}.args", f"expected a list of strings, got {show(args)}")
    kind = entry.get("kind")
    if kind is not None and kind not in ("run", "serve"):
        raise c.fail(f"{key}.kind", f"expected 'run' or 'serve', got {show(kind)}")
    ready = c.string(entry["ready"], f"{key}.ready") if "ready" in entry else None
    desc = c.string(entry["description"], f"{key}.description") if "description" in entry else ""
    return user_workload(name, base=base, module=module, image=image, args=tuple(args), kind=kind,
                         ready=ready, description=desc)


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
