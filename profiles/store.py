"""Reading profiles fast (tomllib) and writing them safely (tomlkit, atomic replace).

Writes keep every comment and the key order of the user's file, and go through a temp file
+ rename so a crash never leaves a half-written profile.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import tomlkit

from wasmscope.workloads.system.paths import not_a_file

from .errors import ProfileError
from .schema import Profile, build_profile

SHIPPED_DIR = Path(str(resources.files(__package__)))


class ProfileSaveError(ProfileError, OSError):
    """A profile (or report) could not be written; the file on disk is as it was.

    Also an OSError, with the failing call's `errno`, so callers that caught the OSError of a
    failed write still do; the message is the usual one line naming the file and the reason.
    """


def _reason(err: BaseException) -> str:
    """An OSError's own words ('No space left on device'), else the exception's first line."""
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    lines = str(err).splitlines()
    return lines[0] if lines else type(err).__name__


def shipped_profiles() -> dict[str, Path]:
    return {p.stem: p for p in sorted(SHIPPED_DIR.glob("*.toml"))}


def default_profile_path() -> Path:
    return shipped_profiles()["quick"]


def resolve_profile_path(name_or_path: str | Path) -> Path:
    """An existing file as is; else a shipped profile's name (quick, article)."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    shipped = shipped_profiles()
    if str(name_or_path) in shipped:
        return shipped[str(name_or_path)]
    problem = not_a_file(path)
    if problem:
        raise ProfileError(f"{name_or_path}: {problem}, not a profile file (expected a TOML file)")
    raise ProfileError(f"{name_or_path}: no such profile file, and not a shipped profile "
                       f"(shipped: {', '.join(shipped)})")


def save_target_problem(path: str | Path) -> str | None:
    """Why results cannot be saved to `path`, in one line; None when it is a regular file or a
    new file in a writable directory. Checked before measuring: a FIFO would block the save
    once the results exist, a directory or a device would lose them."""
    err = _save_target_error(Path(path).expanduser())
    return str(err) if err is not None else None


def check_save_target(path: str | Path) -> None:
    """Raise ProfileSaveError (one line, with an errno where one applies) when results cannot
    be saved to `path`."""
    err = _save_target_error(Path(path).expanduser())
    if err is not None:
        raise err


def _save_target_error(path: Path) -> ProfileSaveError | None:
    def error(message: str, code: int | None = None) -> ProfileSaveError:
        made = ProfileSaveError(f"{path}: {message}")
        made.errno = code
        return made

    problem = not_a_file(path)
    if problem:
        return error(f"{problem}; results are saved only into a regular file (or a new one)")
    target = path.resolve() if path.is_symlink() else path  # a dangling link: its target is new
    parent = target.parent
    if not parent.is_dir():
        what = not_a_file(parent) or "does not exist"
        return error(f"cannot write: the directory {parent} {what}", errno.ENOENT)
    if not os.access(parent, os.W_OK):
        try:
            read_only = bool(os.statvfs(parent).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        code = errno.EROFS if read_only else errno.EACCES
        kept = "; the file on disk is unchanged" if os.path.lexists(path) else ""
        return error(f"cannot write: {os.strerror(code)}{kept}", code)
    return None


def load_profile(path: str | Path) -> Profile:
    """Read and validate a profile; raises the first ProfileError."""
    path = Path(path)
    source = str(path)
    problem = not_a_file(path)
    if problem:  # never opened: reading a FIFO blocks, /dev/zero never ends
        raise ProfileError(f"{source}: {problem}, not a profile file (expected a TOML file)")
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (Notepad's UTF-8) is not part of the TOML
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(f"{source}: cannot read: {_reason(err)}") from None
    return build_profile(_parse(text, source), path.resolve(), source)


def _parse(text: str, source: str) -> dict[str, Any]:
    """tomllib.loads, with the errors it lets through (deep nesting, endless integers) as ProfileError."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(f"{source}: not valid TOML: {_reason(err)}") from None
    except ValueError:  # int() past the digit limit: tomllib does not wrap it
        raise ProfileError(f"{source}: not valid TOML: an integer has more than "
                           f"{sys.get_int_max_str_digits()} digits") from None
    except RecursionError:
        raise ProfileError(f"{source}: not valid TOML: arrays or inline tables nested too deeply") from None


def write_atomic(path: str | Path, text: str) -> None:
    """Replace `path` with `text` atomically, keeping its permission bits.

    A symlink is followed (its target is replaced, the link stays); a new file gets the
    usual umask-derived mode rather than mkstemp's private 0600. A failed write (read-only
    file system, disk full) raises ProfileSaveError and leaves the old file and no temp file.
    """
    path = Path(path)
    check_save_target(path)  # a FIFO or a device is never opened, never replaced
    try:
        _replace(path, text)
    except OSError as err:
        kept = "; the file on disk is unchanged" if os.path.lexists(path) else ""
        error = ProfileSaveError(f"{path}: cannot write: {_reason(err)}{kept}")
        error.errno = err.errno
        raise error from None


def _replace(path: Path, text: str) -> None:
    if path.is_symlink():
        path = path.resolve()
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _check_no_none(value: Any, where: str) -> None:
    """TOML has no null: refuse None (and non-string keys) so the caller fixes its data."""
    if value is None:
        raise ValueError(f"{where}: None cannot be written to TOML")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError(f"{where}: key {k!r} is not a string; TOML keys are strings")
            _check_no_none(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_no_none(v, f"{where}[{i}]")


def _read_document(path: Path, template: Path | None) -> tomlkit.TOMLDocument:
    if path.exists():
        source = path
    elif template is not None:
        source = template
    else:
        return tomlkit.document()
    try:
        text = source.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(f"{source}: cannot read, not overwritten: {_reason(err)}") from None
    try:
        return tomlkit.parse(text)
    except Exception as err:  # tomlkit raises its own ParseError subclasses
        raise ProfileError(f"{source}: not valid TOML, not overwritten: {_reason(err)}") from None


def save_table(path: str | Path, key: str, table: dict, *, template: Path | None = None) -> None:
    """Write `table` as the profile's top-level [key] table, keeping everything else as it was.

    A new `path` starts as a copy of `template` (the profile that was run), comments included.
    """
    path = Path(path)
    check_save_target(path)  # before reading it: a FIFO would block
    _check_no_none(table, key)
    doc = _read_document(path, template)
    if key in doc:
        del doc[key]
    doc[key] = table
    write_atomic(path, tomlkit.dumps(doc))


def save_results(path: str | Path, results: dict, *, template: Path | None = None) -> None:
    """Write `results` as the profile's [results] table, keeping everything else as it was."""
    save_table(path, "results", results, template=template)


def save_runs(path: str | Path, local: dict | None, remote: dict[str, dict], *,
              template: Path | None = None) -> None:
    """Write one run over one or several hosts: this machine's as [results] (removed when it
    was not measured), each remote host's as [remote_results."user@host:port"]. Both tables
    are replaced whole, so a profile never holds hosts of different runs; the rest is kept."""
    path = Path(path)
    _check_no_none(local or {}, "results")
    _check_no_none(remote, "remote_results")
    doc = _read_document(path, template)
    for key in ("results", "remote_results"):
        if key in doc:
            del doc[key]
    if local is not None:
        doc["results"] = local
    if remote:
        doc["remote_results"] = remote
    write_atomic(path, tomlkit.dumps(doc))


def set_value(path: str | Path, dotted_key: str, value: Any) -> None:
    """Set one key (e.g. `bench.runtimes`) keeping comments and order.

    The edited profile is validated before it is written, so a bad value raises ProfileError
    and leaves the file as it was (a profile that no longer loads is never saved).
    """
    path = Path(path)
    check_save_target(path)
    _check_no_none(value, dotted_key)
    doc = _read_document(path, None)
    parts = dotted_key.split(".")
    if not all(parts):
        raise ValueError(f"{dotted_key!r}: not a dotted key like 'bench.runtimes'")
    *parents, leaf = parts
    node: Any = doc
    for i, part in enumerate(parents):
        if part not in node:
            node[part] = tomlkit.table()
        node = node[part]
        if not isinstance(node, dict):
            raise ProfileError(f"{path}: {'.'.join(parts[:i + 1])}: expected a table, got {node!r}")
    node[leaf] = value
    text = tomlkit.dumps(doc)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(f"{path}: {dotted_key}: cannot be written as valid TOML: {err}") from None
    build_profile(data, path.resolve(), str(path))
    write_atomic(path, text)

