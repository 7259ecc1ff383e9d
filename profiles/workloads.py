"""A profile's own workloads (`[workloads.NAME]`): how the program runs and what it must produce.

Each key is checked here, one line per error naming the file and the dotted key: paths exist
(relative ones are read from the profile's folder), directories are granted as
host → guest (read-only unless "rw"), expected files lie in a writable directory, a stdout
pattern is a valid regular expression.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from wasmscope.workloads.errors import WorkloadError
from wasmscope.workloads.guests.catalogue import Workload, user_workload
from wasmscope.workloads.guests.fetch import NpmFile
from wasmscope.workloads.guests.run_spec import COMPARABLE, Expect, ExpectFile, Grant, relative_to

if TYPE_CHECKING:
    from .schema import _Checker

WORKLOAD_KEYS = ("module", "image", "source", "native", "command", "args", "env", "stdin", "dirs", "kind",
                 "ready", "network", "listen_args", "measure", "expect", "description")
EXPECT_KEYS = ("exit_code", "stdout", "files", "compare", "accept_different")
FILE_KEYS = ("path", "min_size", "size", "sha256")
MEASURES = ("startup", "compute", "memory", "io")


def parse_workload(c: "_Checker", name: str, entry: Any, base: Workload | None, base_dir: Path) -> Workload:
    from .schema import dotted

    key = f"workloads.{dotted(name)}"
    entry = c.table(entry, key)
    c.known_keys(entry, key, WORKLOAD_KEYS)
    at = lambda k: f"{key}.{k}"  # noqa: E731 - the dotted key of one field
    fetch = _fetched(c, entry["module"], at("module")) if isinstance(entry.get("module"), dict) else None
    fields: dict[str, Any] = {
        "module": fetch.path if fetch else
        _path(c, entry, "module", at("module"), base_dir, "file") if "module" in entry else None,
        "fetch": fetch,
        "source": _path(c, entry, "source", at("source"), base_dir, "file") if "source" in entry else None,
        "image": c.string(entry["image"], at("image")) if "image" in entry else None,
        "native": _strings(c, entry, "native", at("native"), non_empty=True),
        "command": _strings(c, entry, "command", at("command"), non_empty=True),
        "args": _strings(c, entry, "args", at("args")),
        "listen_args": _strings(c, entry, "listen_args", at("listen_args")),
        "env": _env(c, entry.get("env", {}), at("env")),
        "stdin": _stdin(c, entry["stdin"], at("stdin"), base_dir) if "stdin" in entry else None,
        "dirs": _dirs(c, entry.get("dirs", []), at("dirs"), base_dir),
        "measure": _measures(c, entry, at("measure")),
        "ready": c.string(entry["ready"], at("ready")) if "ready" in entry else None,
        "description": c.string(entry["description"], at("description")) if "description" in entry else "",
        "kind": _choice(c, entry.get("kind"), at("kind"), ("run", "serve")),
        "network": _flag(c, entry.get("network"), at("network")),
    }
    if fields["source"] is not None and fields["source"].suffix != ".c":
        raise c.fail(at("source"), f"expected a C source (.c), got {fields['source'].name}")
    if base is None and not any(fields[k] for k in ("module", "image", "source", "native")):
        raise c.fail(key, "a new workload needs module = \"path.wasm\", image = \"repo:tag\", "
                          "source = \"prog.c\" and/or native = [\"prog\", ...]")
    if "expect" in entry:
        fields["expect"] = _expect(c, entry["expect"], at("expect"), fields["dirs"])
    return user_workload(name, base=base, **fields)


def _fetched(c: "_Checker", raw: dict, key: str) -> NpmFile:
    """`module = { npm = "pkg@version", file = "x.wasm", sha256 = "…" }`: fetched on first use."""
    from .schema import show

    c.known_keys(raw, key, ("npm", "file", "sha256"))
    spec, file = c.string(raw.get("npm"), f"{key}.npm"), c.string(raw.get("file"), f"{key}.file")
    if "@" not in spec.lstrip("@"):
        raise c.fail(f"{key}.npm", f"expected a pinned package, name@version, got {show(spec)}")
    sha = raw.get("sha256")
    if sha is not None and not (isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha)):
        raise c.fail(f"{key}.sha256", f"expected 64 hex digits, got {show(sha)}")
    return NpmFile(spec, file, sha)


def _path(c: "_Checker", entry: dict, field: str, key: str, base_dir: Path, kind: str) -> Path:
    from .schema import _path_text, show

    raw = c.string(entry[field] if isinstance(entry, dict) else entry, key)
    try:
        path = Path(raw).expanduser()
        path = (path if path.is_absolute() else base_dir / path).resolve()
        found = path.is_file() if kind == "file" else path.is_dir()
    except (OSError, ValueError, RuntimeError) as err:  # NUL byte, ~nosuchuser, name too long
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise c.fail(key, f"cannot use the path {show(raw)}: {reason}") from None
    if not found:
        raise c.fail(key, f"{'file' if kind == 'file' else 'directory'} not found: {_path_text(path)}")
    return path


def _strings(c: "_Checker", entry: dict, field: str, key: str, non_empty: bool = False) -> tuple[str, ...]:
    from .schema import show

    value = entry.get(field, [])
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value) or (non_empty and field in entry
                                                                                    and not value):
        what = "a non-empty list of strings" if non_empty else "a list of strings"
        raise c.fail(key, f"expected {what}, got {show(value)}")
    return tuple(value)


def _env(c: "_Checker", raw: Any, key: str) -> tuple[tuple[str, str], ...]:
    from .schema import dotted, show

    table = c.table(raw, key)
    for k, v in table.items():
        if not isinstance(v, str):
            raise c.fail(f"{key}.{dotted(k)}", f"expected a string, got {show(v)}")
        if not k or "=" in k:
            raise c.fail(f"{key}.{dotted(k)}", "an environment variable's name cannot be empty or hold '='")
    return tuple(table.items())


def _stdin(c: "_Checker", raw: Any, key: str, base_dir: Path) -> bytes:
    """`stdin = "text"` or `stdin = { file = "input.txt" }`."""
    from .schema import show

    if isinstance(raw, str):
        return raw.encode()
    if isinstance(raw, dict) and set(raw) == {"file"}:
        return _path(c, raw, "file", f"{key}.file", base_dir, "file").read_bytes()
    raise c.fail(key, f"expected a string or {{ file = \"path\" }}, got {show(raw)}")


def _dirs(c: "_Checker", raw: Any, key: str, base_dir: Path) -> tuple[Grant, ...]:
    """`dirs = [{ host = "out", guest = "/out", mode = "rw" }, "data:/data"]` (mode ro by default)."""
    from .schema import show

    if not isinstance(raw, list):
        raise c.fail(key, f"expected a list of directories, got {show(raw)}")
    grants: list[Grant] = []
    for i, item in enumerate(raw):
        at = f"{key}[{i}]"
        if isinstance(item, str):
            parts = item.split(":")
            if len(parts) not in (2, 3):
                raise c.fail(at, f"expected \"HOST:GUEST\" or \"HOST:GUEST:rw\", got {show(item)}")
            item = {"host": parts[0], "guest": parts[1], **({"mode": parts[2]} if len(parts) == 3 else {})}
        item = c.table(item, at)
        c.known_keys(item, at, ("host", "guest", "mode"))
        mode = _choice(c, item.get("mode", "ro"), f"{at}.mode", ("ro", "rw"))
        if "guest" not in item or ("host" not in item and mode != "rw"):
            raise c.fail(at, "expected host = \"dir\" and guest = \"/path\" (host may be left out with "
                             "mode = \"rw\": a fresh empty directory per run)")
        host = _path(c, item, "host", f"{at}.host", base_dir, "dir") if "host" in item else None
        guest = c.string(item["guest"], f"{at}.guest")
        if guest != "." and (not guest.startswith("/") or ".." in PurePosixPath(guest).parts):
            raise c.fail(f"{at}.guest", f"expected an absolute guest path or \".\", got {show(guest)}")
        if any(g.guest == guest for g in grants):
            raise c.fail(f"{at}.guest", f"{show(guest)} is granted twice")
        grants.append(Grant(host, guest.rstrip("/") or "/", mode == "rw"))
    return tuple(grants)


def _measures(c: "_Checker", entry: dict, key: str) -> tuple[str, ...]:
    if "measure" not in entry:
        return ()
    return c.names(entry["measure"], key, MEASURES, "measurement")


def _choice(c: "_Checker", value: Any, key: str, options: tuple[str, ...]) -> Any:
    from .schema import show

    if value is not None and value not in options:
        raise c.fail(key, f"expected {' or '.join(repr(o) for o in options)}, got {show(value)}")
    return value


def _flag(c: "_Checker", value: Any, key: str) -> bool | None:
    from .schema import show

    if value is not None and not isinstance(value, bool):
        raise c.fail(key, f"expected true or false, got {show(value)}")
    return value


def _expect(c: "_Checker", raw: Any, key: str, grants: tuple[Grant, ...]) -> Expect:
    from wasmscope.workloads.runtimes import known_runtimes

    from .schema import show

    table = c.table(raw, key)
    c.known_keys(table, key, EXPECT_KEYS)
    exit_code = c.integer(table.get("exit_code", 0), f"{key}.exit_code", 0, 255)
    pattern = c.string(table["stdout"], f"{key}.stdout") if "stdout" in table else None
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as err:
            raise c.fail(f"{key}.stdout", f"not a valid regular expression ({err}): {show(pattern)}") from None
    files = tuple(_expect_file(c, item, f"{key}.files[{i}]", grants)
                  for i, item in enumerate(table.get("files", [])))
    compare = c.names(table["compare"], f"{key}.compare", COMPARABLE, "output") if table.get("compare") else \
        (() if table.get("compare") == [] else COMPARABLE)
    accept = c.names(table["accept_different"], f"{key}.accept_different", known_runtimes(), "runtime") \
        if "accept_different" in table else ()
    return Expect(exit_code, pattern, files, compare, accept)


def _expect_file(c: "_Checker", item: Any, key: str, grants: tuple[Grant, ...]) -> ExpectFile:
    from .schema import show

    item = {"path": item} if isinstance(item, str) else c.table(item, key)
    c.known_keys(item, key, FILE_KEYS)
    path = c.string(item.get("path"), f"{key}.path")
    under = [g for g in grants if g.writable and relative_to(g, path) is not None]
    if not under:
        raise c.fail(f"{key}.path", f"{show(path)} is not under a writable directory of dirs "
                                    "(grant one with mode = \"rw\")")
    sha = item.get("sha256")
    if sha is not None and not (isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha)):
        raise c.fail(f"{key}.sha256", f"expected 64 hex digits, got {show(sha)}")
    sizes = {k: c.integer(item[k], f"{key}.{k}", 0) for k in ("min_size", "size") if k in item}
    return ExpectFile(path, sizes.get("min_size"), sizes.get("size"), sha.lower() if sha else None)


def workload_data(w: Workload) -> dict[str, Any]:
    """A user's workload as the TOML data parse_workload() reads back (how a profile travels to
    a remote host: paths stay as they are here, so a directory must exist there too)."""
    entry: dict[str, Any] = {"args": list(w.args), "kind": w.kind, "description": w.description}
    for key in ("image", "ready", "network"):
        if getattr(w, key) not in (None, False):
            entry[key] = getattr(w, key)
    for key in ("module", "source"):
        if getattr(w, key) is not None:
            entry[key] = str(getattr(w, key))
    for key in ("native", "command", "listen_args", "measure"):
        if getattr(w, key):
            entry[key] = list(getattr(w, key))
    if w.env:
        entry["env"] = dict(w.env)
    if w.stdin is not None:
        try:
            entry["stdin"] = w.stdin.decode()
        except UnicodeDecodeError:
            raise WorkloadError(f"workload {w.name!r}: its stdin is binary and cannot travel in a profile "
                                "(give it as a file on that host)") from None
    if w.dirs:
        entry["dirs"] = [{"guest": g.guest, "mode": "rw" if g.writable else "ro",
                          **({"host": str(g.host)} if g.host is not None else {})} for g in w.dirs]
    if w.expect is not None:
        entry["expect"] = _expect_data(w.expect)
    return entry


def _expect_data(e: Expect) -> dict[str, Any]:
    files = [{"path": f.path, **{k: v for k, v in (("min_size", f.min_size), ("size", f.size), ("sha256", f.sha256))
                                 if v is not None}} for f in e.files]
    out: dict[str, Any] = {"exit_code": e.exit_code, "files": files, "compare": list(e.compare),
                           "accept_different": list(e.accept_different)}
    if e.stdout is not None:
        out["stdout"] = e.stdout
    return out


DEFAULT_MEASURES = {"run": ("startup", "compute", "memory"), "serve": ("memory",)}


def measures_of(workload: Workload) -> tuple[str, ...]:
    """The measurements a workload takes part in: its own `measure`, else those of its kind."""
    if workload.measure:
        return workload.measure
    return ("io", "memory") if workload.network else DEFAULT_MEASURES[workload.kind]


def command_line_workload(entry: dict[str, Any], name: str, base_dir: Path, source: str = "command line") -> Workload:
    """`wasmscope bench --module x.wasm -- ARGS` (and the app's open workload, `source`): the
    same keys a profile's [workloads.NAME] takes, checked by the same code (errors start with
    `source` and name the key)."""
    from .schema import _Checker

    return parse_workload(_Checker(source), name, entry, None, base_dir)


def with_workload(profile, workload: Workload):
    """The profile measuring `workload` alone: it is the startup, compute and memory workload
    (and the I/O server) wherever it takes part; the bench runs exactly its measurements."""
    from dataclasses import replace

    chosen = measures_of(workload)
    changes: dict[str, Any] = {"workloads": {**profile.workloads, workload.name: workload}}
    for section in ("startup", "compute", "memory"):
        if section in chosen:
            changes[section] = replace(getattr(profile, section), workload=workload.name)
    if "io" in chosen:
        changes["io"] = replace(profile.io, server_workload=workload.name, models=("server",), serve_component=False)
    bench = replace(profile.bench, measurements=tuple(m for m in ("startup", "memory", "compute", "io") if m in chosen))
    return replace(profile, bench=bench, **changes)
