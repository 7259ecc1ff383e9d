"""Property tests: whatever a profile file holds, loading it gives a Profile or one ProfileError line.

A user's profile is hand-edited text, so the loader meets anything. The CLI prints a
ProfileError as one line and lets every other exception through as a traceback, so here any
exception other than ProfileError fails the test, and a ProfileError must be one line that
starts with the file name and, when the file is valid TOML, names the key as a TOML dotted key
(checked by parsing it back, so a key with quotes, dots or newlines must be quoted).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
import re
import tomllib
from pathlib import Path
from typing import Any, Iterator

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasmscope.profiles import Profile, ProfileError, load_profile, resolve_profile_path
from wasmscope.profiles.schema import (
    IO_MODELS,
    REFERENCE_TABLES,
    BenchSettings,
    ComputeSpec,
    IoSpec,
    MemorySpec,
    StartupSpec,
)
from wasmscope.workloads.guests.catalogue import builtin_workloads
from wasmscope.workloads.measurements import bench_names
from wasmscope.workloads.runtimes import KNOWN_RUNTIMES

ROOT = Path(__file__).resolve().parent.parent
REAL_PROFILES = {
    "quick": ROOT / "profiles" / "quick.toml",
    "article": ROOT / "profiles" / "article.toml",
    "replay": ROOT / "tests" / "tui" / "data" / "replay.toml",  # a saved profile with [results]
}

# Reproducible in CI: the same examples every run, and no example database in the work tree.
# max_examples keeps the file near 15 s on an idle 2-core machine (under 40 s when busy).
PROPS = settings(deadline=None, derandomize=True, database=None, max_examples=250,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CHEAP_PROPS = settings(PROPS, max_examples=600)  # small files: more examples for the same time


@pytest.fixture(scope="module")
def profile_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file rewritten by every example; a space and an accent so the name must be shown as is."""
    return tmp_path_factory.mktemp("props") / "my profile é.toml"


# -- the property ---------------------------------------------------------------------------------

def named_key(message: str, path: Path) -> tuple[str, ...] | None:
    """The dotted key a message names right after the file name, parsed back as TOML; None if none.

    The key ends at the first ': ' after which the text before it parses as a TOML key, so a
    quoted key holding ': ' is still found whole.
    """
    rest = message[len(f"{path}: "):]
    for m in re.finditer(": ", rest):
        candidate = rest[:m.start()]
        try:
            data = tomllib.loads(f"{candidate} = 0")
        except tomllib.TOMLDecodeError:
            continue
        parts: list[str] = []
        node: Any = data
        while isinstance(node, dict) and len(node) == 1:
            (k, node), = node.items()
            parts.append(k)
        if node == 0 and parts:
            return tuple(parts)
    return None


def load_or_error(path: Path) -> Profile | ProfileError:
    """Load as the CLI does (`--profile FILE`); a ProfileError is returned after its shape is checked.

    Any other exception propagates: that is the traceback a user would see.
    """
    try:
        profile = load_profile(resolve_profile_path(path))
    except ProfileError as err:
        msg = str(err)
        assert len(msg.splitlines()) == 1 and "\n" not in msg and "\r" not in msg, f"not one line: {msg!r}"
        assert msg.startswith(f"{path}: "), f"does not start with the file name: {msg!r}"
        assert len(msg) < 2000, f"message of {len(msg)} characters"
        return err
    check_usable(profile)
    return profile


def check_usable(profile: Profile) -> None:
    """A profile that loads holds finite numbers within the schema's own bounds (no inf connections)."""
    for spec in (profile.bench, profile.startup, profile.compute, profile.memory, profile.io):
        for f in dataclasses.fields(spec):
            v = getattr(spec, f.name)
            for x in (v if isinstance(v, tuple) else (v,)):
                if isinstance(x, (int, float)) and not isinstance(x, bool):
                    assert math.isfinite(x) and x >= 0, f"{f.name} = {x!r} loaded"
    assert all(x > 0 for x in profile.io.sweep)
    if profile.io.mode == "closed":
        assert all(float(x).is_integer() and 1 <= x <= 10_000 for x in profile.io.sweep), profile.io.sweep


def lookup(data: Any, key: tuple[str, ...]) -> bool:
    """Whether `key` addresses a value in `data`, or a missing key of a table in it (a default)."""
    node = data
    for i, part in enumerate(key):
        if not isinstance(node, dict):
            return False
        if part not in node:
            return i == len(key) - 1
        node = node[part]
    return True


# Every message about a key says what would be accepted, in one of these ways.
GUIDANCE = re.compile(r"expected|\(known: |did you mean|needs |\(use |twice|not found|cannot use the path")


def check_valid_toml_file(path: Path, data: dict) -> Profile | ProfileError:
    """For a file that is valid TOML, an error must name a key of the file (or a default of its table)."""
    result = load_or_error(path)
    if isinstance(result, ProfileError):
        key = named_key(str(result), path)
        assert key is not None, f"names no dotted key: {result}"
        assert lookup(data, key), f"names {key}, not a key of the file: {result}"
        assert GUIDANCE.search(str(result)), f"does not say what was expected: {result}"
    return result


# -- strategies -----------------------------------------------------------------------------------

HUGE_INTS = st.one_of(st.integers(), st.integers(min_value=2**63, max_value=10**400),
                      st.integers(min_value=-10**400, max_value=-2**63))
SCALARS = st.one_of(
    HUGE_INTS,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=6).map(lambda s: s + "\n\x00\u2028\x85"),
    st.booleans(),
    st.datetimes(timezones=st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5))])),
    st.dates(),
    st.times(),
)
KEYS = st.one_of(st.text(max_size=10), st.sampled_from(["a.b", "x: y", '"q"', "é", "runs", "n", "bench"]))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=8,
)


def plausible(spec_cls: type) -> dict[str, st.SearchStrategy]:
    """Each field of a schema dataclass: its default, a nearby value of the same type, or anything."""
    out: dict[str, st.SearchStrategy] = {}
    for f in dataclasses.fields(spec_cls):
        default = f.default
        if isinstance(default, bool):
            near: st.SearchStrategy = st.booleans()
        elif isinstance(default, int):
            near = st.integers(min_value=-2, max_value=max(2 * default, 60))
        elif isinstance(default, float):
            near = st.floats(min_value=-1, max_value=max(2 * default, 100)) | st.integers(-1, 100)
        elif isinstance(default, str):
            near = st.sampled_from([default, "closed", "fixed-rate", "wrk", "builtin", "hello", "helo", ""])
        else:
            near = st.lists(st.integers(-1, 200) | st.floats(), max_size=4)
        out[f.name] = st.one_of(st.just(default), near, VALUES)
    return out


BENCH = plausible(BenchSettings) | {
    "runtimes": st.lists(st.sampled_from(sorted(KNOWN_RUNTIMES) + ["wasmtme"]), max_size=4) | VALUES,
    "measurements": st.lists(st.sampled_from(bench_names() + ("cpu",)), max_size=3) | VALUES,
}
IO = plausible(IoSpec) | {"models": st.lists(st.sampled_from(IO_MODELS + ("lambda",)), max_size=3) | VALUES}
HELLO = str(builtin_workloads()["hello"].module)
MODULE_PATHS = st.sampled_from([HELLO, "hello.wasm", "", "~nosuchuser/x.wasm", "a\x00b.wasm", "x" * 5000,
                                "dir\nname.wasm", "/proc/self/mem/x"]) | st.text(max_size=12)
WORKLOAD = st.fixed_dictionaries({}, optional={
    "module": MODULE_PATHS | VALUES, "image": st.just("alpine:3") | VALUES,
    "args": st.lists(st.text(max_size=4), max_size=2) | VALUES, "kind": st.sampled_from(["run", "serve"]) | VALUES,
    "ready": st.text(max_size=5) | VALUES, "description": st.text(max_size=5) | VALUES,
}) | VALUES
WORKLOAD_NAMES = st.sampled_from(["hello", "fib", "http", "mine", "a.b", "new\nline", "x: y"]) | st.text(max_size=6)
REFERENCE = st.fixed_dictionaries({}, optional={
    "source": st.text(max_size=8) | VALUES, "note": st.text(max_size=8) | VALUES,
    **{t: st.dictionaries(WORKLOAD_NAMES, st.floats() | HUGE_INTS | VALUES, max_size=3) | VALUES
       for t in REFERENCE_TABLES},
})


def section(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy:
    """A table with some of the schema's keys and, now and then, a key it does not know."""
    known = st.fixed_dictionaries({}, optional=fields)
    return st.one_of(known, known, known, st.tuples(known, KEYS, VALUES).map(lambda t: {**t[0], t[1]: t[2]}),
                     VALUES)


DOCUMENTS = st.fixed_dictionaries({}, optional={
    "profile": section({"name": st.text(max_size=8) | VALUES, "description": st.text(max_size=8) | VALUES}),
    "bench": section(BENCH),
    "startup": section(plausible(StartupSpec)),
    "compute": section(plausible(ComputeSpec)),
    "memory": section(plausible(MemorySpec)),
    "io": section(IO),
    "workloads": st.dictionaries(WORKLOAD_NAMES, WORKLOAD, max_size=3) | VALUES,
    "reference": REFERENCE | VALUES,
    "results": st.dictionaries(KEYS, VALUES, max_size=3) | VALUES,
    "density": st.dictionaries(KEYS, VALUES, max_size=3) | VALUES,
    "advice": st.dictionaries(KEYS, VALUES, max_size=2) | VALUES,
}).flatmap(lambda doc: st.one_of(st.just(doc), st.tuples(KEYS, VALUES).map(lambda kv: {**doc, kv[0]: kv[1]})))

# Pieces of TOML, and of things that are not TOML, joined into arbitrary text.
FRAGMENTS = st.sampled_from([
    "[bench]\n", "[io]\n", "[workloads.mine]\n", "[reference.startup_ms]\n", "[[results]]\n", "[results.tables]\n",
    "timeout_s = ", "runs = ", "n = ", "sweep = ", "module = ", "mode = 'fixed-rate'\n", "rate = ",
    "1" + "0" * 5000, "0x" + "f" * 5000, "1e400", "-1", "nan", "inf", "-inf", "0", "3.5", "1979-05-27T07:32:00Z",
    "[" * 3000, "{a=" * 1000, '"', "'", '"""', "\\u0000", "\n", "\r\n", "\r", "=", ".", " ", "\ufeff", "\x00",
    "\x85", "\u2028", "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "# comment\n",
    '"a\\nb" = 1\n', "x.y.z = 1\n", "a." * 2000 + "b = 1\n", 'runtimes = ["wasmtime", "wasmtme"]\n',
])
TEXTS = st.one_of(
    st.text(),
    st.binary().map(lambda b: b.decode("utf-8", errors="replace")),
    st.lists(FRAGMENTS | st.text(max_size=4), max_size=12).map("".join),
    st.text().map(lambda s: "\ufeff" + s),
)


# -- arbitrary text and bytes -------------------------------------------------------------------

@CHEAP_PROPS
@given(text=TEXTS)
def test_arbitrary_text_loads_or_gives_one_line(profile_file: Path, text: str) -> None:
    """Text, valid TOML or not: a Profile, or one line naming the file (and the key when it parses)."""
    profile_file.write_bytes(text.encode("utf-8"))
    try:
        data = tomllib.loads(text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff"))
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):
        data = None
    if data is None:
        load_or_error(profile_file)
    else:
        check_valid_toml_file(profile_file, data)


@PROPS
@given(raw=st.binary() | st.binary().map(lambda b: b"[bench]\nruns = 1\n" + b))
def test_arbitrary_bytes_load_or_give_one_line(profile_file: Path, raw: bytes) -> None:
    """Bytes that may not be UTF-8 at all (a binary picked by mistake): one line, never a traceback."""
    profile_file.write_bytes(raw)
    load_or_error(profile_file)


# -- arbitrary TOML shaped like a profile -----------------------------------------------------------

@PROPS
@given(doc=DOCUMENTS)
def test_arbitrary_toml_documents(profile_file: Path, doc: dict) -> None:
    """Tables and keys the schema knows, plus unknown ones, holding values of every TOML type."""
    text = tomlkit.dumps(doc)
    profile_file.write_text(text, encoding="utf-8")
    check_valid_toml_file(profile_file, tomllib.loads(text))


# -- real profiles with one key replaced ----------------------------------------------------------

def key_paths(node: Any, prefix: tuple[str, ...] = (), depth: int = 8) -> Iterator[tuple[str, ...]]:
    """Every table and key of a parsed document, to `depth` (arrays are values, not descended into)."""
    if isinstance(node, dict) and depth > 0:
        for k, v in node.items():
            yield prefix + (k,)
            yield from key_paths(v, prefix + (k,), depth - 1)


FREE_FORM = ("results", "density", "advice")  # checked only as tables: their insides matter little here
REAL_DATA = {name: tomllib.loads(path.read_text(encoding="utf-8")) for name, path in REAL_PROFILES.items()}
REAL_KEYS = sorted({(name, key) for name, data in REAL_DATA.items() for sec in data
                    for key in key_paths({sec: data[sec]}, depth=2 if sec in FREE_FORM else 8)})
# Each top-level table dumped once: an example dumps again only the table it changes (the
# saved results alone take tomlkit 0.15 s).
SECTION_TEXT = {(name, sec): tomlkit.dumps({sec: value}) for name, data in REAL_DATA.items()
                for sec, value in data.items()}
# A replaced key may make a key that depends on it the one at fault (fixed-rate needs a rate).
DEPENDENTS = {("io", "mode"): {("io", "rate"), ("io", "generator"), ("io", "sweep")},
              ("io", "generator"): {("io", "generator")}}


def at(data: Any, key: tuple[str, ...]) -> Any:
    for part in key:
        data = data[part]
    return data


def mutated(name: str, table: tuple[str, ...], key: str, value: Any) -> tuple[str, dict]:
    """A real profile as TOML text, and as data, with `table`.`key` set to `value`.

    The parsed data is changed and dumped, so tomlkit never has to fit a scalar where a table
    header stood; comments do not matter to the loader.
    """
    data = dict(REAL_DATA[name])
    path = table + (key,)
    top = path[0]
    data[top] = value if len(path) == 1 else copy.deepcopy(data[top])
    if len(path) > 1:
        at(data, path[:-1])[path[-1]] = value
    parts = [SECTION_TEXT[name, sec] if sec != top else "" for sec in data]
    text = tomlkit.dumps({top: data[top]})
    if not isinstance(data[top], dict):  # a plain key goes before the first table header
        return text + "".join(parts), data
    return "".join(parts) + text, data


@PROPS
@given(target=st.sampled_from(REAL_KEYS), value=VALUES)
def test_real_profile_with_one_value_replaced(profile_file: Path, target: tuple[str, tuple[str, ...]],
                                             value: Any) -> None:
    """The shipped and saved profiles with one key (or whole table) replaced: an error names that key."""
    name, key = target
    text, data = mutated(name, key[:-1], key[-1], value)
    profile_file.write_text(text, encoding="utf-8")
    result = check_valid_toml_file(profile_file, data)
    if isinstance(result, ProfileError):
        named = named_key(str(result), profile_file)
        assert named is not None
        assert named[:len(key)] == key or named in DEPENDENTS.get(key, ()), f"replaced {key}: {result}"


TABLES = [(name, ()) for name in REAL_DATA] + [
    (name, key) for name, key in REAL_KEYS if len(key) <= 2 and isinstance(at(REAL_DATA[name], key), dict)]


@PROPS
@given(target=st.sampled_from(TABLES), new=KEYS, value=VALUES)
def test_real_profile_with_one_key_added(profile_file: Path, target: tuple[str, tuple[str, ...]], new: str,
                                         value: Any) -> None:
    """A key added to a real profile's table: loads (free-form tables) or an error names the new key."""
    name, table = target
    if new in at(REAL_DATA[name], table):
        return
    text, data = mutated(name, table, new, value)
    profile_file.write_text(text, encoding="utf-8")
    result = check_valid_toml_file(profile_file, data)
    if isinstance(result, ProfileError):
        named = named_key(str(result), profile_file)
        key = table + (new,)
        assert named is not None and named[:len(key)] == key, f"added {key}: {result}"


# -- the checks themselves can fail -----------------------------------------------------------------

def test_named_key_reads_quoted_keys_back() -> None:
    """The key parser the properties rely on: quoted parts, ': ' inside quotes, and no key at all."""
    p = Path("/x/p.toml")
    assert named_key(f'{p}: reference.startup_ms."Docker (Alpine)": expected', p) == (
        "reference", "startup_ms", "Docker (Alpine)")
    assert named_key(f'{p}: workloads."x: y".module: file not found', p) == ("workloads", "x: y", "module")
    assert named_key(f'{p}: workloads."a\\nb": needs', p) == ("workloads", "a\nb")
    assert named_key(f"{p}: not valid TOML: Invalid value (at line 1, column 5)", p) is None
    assert named_key(f"{p}: bench.a\nb: unknown key", p) is None  # a raw newline is no TOML key


def test_known_bad_inputs_found_by_the_properties(tmp_path: Path) -> None:
    """The inputs that escaped as tracebacks or broke the one-line rule before the fixes, kept as cases."""
    cases = {
        "[bench]\ntimeout_s = 1" + "0" * 400 + "\n": ("bench", "timeout_s"),  # OverflowError
        "[compute]\nn = 1" + "0" * 5000 + "\n": None,  # ValueError: int max str digits
        "[compute]\nn = 0x" + "f" * 5000 + "\n": ("compute", "n"),  # ValueError in repr()
        "[reference.startup_ms]\nx = 1" + "0" * 400 + "\n": ("reference", "startup_ms", "x"),
        "a = " + "[" * 3000 + "]" * 3000 + "\n": None,  # RecursionError in tomllib
        "[profile]\n" + "name." * 3000 + "x = 1\n": ("profile", "name"),  # RecursionError in repr()
        '[workloads.x]\nmodule = "a\\u0000b"\n': ("workloads", "x", "module"),  # ValueError: null byte
        '[workloads.x]\nmodule = "~nosuchuser/x.wasm"\n': ("workloads", "x", "module"),  # RuntimeError
        '[workloads.x]\nmodule = "' + "a" * 5000 + '"\n': ("workloads", "x", "module"),  # ENAMETOOLONG
        '[workloads.x]\nmodule = "a\\nb"\n': ("workloads", "x", "module"),  # path on two lines
        '[bench]\n"a\\nb" = 1\n': ("bench", "a\nb"),  # key on two lines
        '"x: y" = 1\n': ("x: y",),
        '[reference.startup_ms]\n"a\\u2028b" = "x"\n': ("reference", "startup_ms", "a\u2028b"),
        '[workloads."a.b"]\nkind = "jump"\nimage = "x"\n': ("workloads", "a.b", "kind"),
        "[io]\nsweep = [inf]\n": ("io", "sweep"),  # loaded: inf connections
        "[io]\nsweep = [2.5]\n": ("io", "sweep"),  # loaded: 2.5 connections, run as 2
    }
    p = tmp_path / "p.toml"
    for text, key in cases.items():
        p.write_text(text, encoding="utf-8")
        result = load_or_error(p)
        assert isinstance(result, ProfileError), text[:40]
        assert named_key(str(result), p) == key, str(result)[:300]


def test_a_bom_is_read_as_the_editor_meant(tmp_path: Path) -> None:
    """Notepad writes UTF-8 with a BOM; the profile under it is read, not refused as bad TOML."""
    p = tmp_path / "bom.toml"
    p.write_bytes("\ufeff[startup]\nruns = 4\n".encode("utf-8"))
    assert load_profile(p).startup.runs == 4


def test_a_workload_name_with_a_newline_is_quoted_in_the_known_list(tmp_path: Path) -> None:
    """The 'known:' list and 'did you mean' quote a user's workload name, so the line stays one line."""
    p = tmp_path / "p.toml"
    p.write_text('[workloads."hellp\\n"]\nimage = "x"\n[startup]\nworkload = "hellp\\r"\n', encoding="utf-8")
    err = load_or_error(p)
    assert isinstance(err, ProfileError) and named_key(str(err), p) == ("startup", "workload")
    assert "'hellp\\n'" in str(err)
