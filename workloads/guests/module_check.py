"""A quick look at a `.wasm` file before a runtime gets it, so bad input fails in one clear line.

Runtimes disagree on what they say about a bad module (wasmtime: "failed to parse WebAssembly
module", wasm3: "malformed Wasm binary", WAMR: a segfault on an unknown import, the wasmtime CLI
spends 14 s on a component before failing). This reads only what is needed to name the
problem: the 8-byte preamble (magic, version, layer), the top-level section headers (id and
LEB128 size, to find a truncated file) and a core module's import section. It is not a
validator: a module that passes can still fail inside the runtime, whose adapter then reports
its own one-line error.

The file is read once per (path, mtime, size); later checks cost a dict lookup.
"""

from __future__ import annotations

import codecs
import mmap
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, Sequence

from ..errors import WorkloadError

Kind = Literal["core", "component"]

MAGIC = b"\0asm"
MAGIC_TEXT = r"\0asm (00 61 73 6d)"
CORE_VERSION = 1
COMPONENT_VERSION = 0x0D  # the component model's pre-standard encoding, as wasmtime 36+ reads it
COMPONENT_LAYER = 1

PREVIEW0 = "wasi_unstable"
PREVIEW1 = "wasi_snapshot_preview1"
WASIX = ("wasix_32v1", "wasix_64v1")

CORE_SECTIONS = ("custom", "type", "import", "function", "table", "memory", "global", "export",
                 "start", "element", "code", "data", "data count", "tag")
COMPONENT_SECTIONS = ("custom", "core module", "core instance", "core type", "component",
                      "instance", "alias", "type", "canon", "start", "import", "export", "value")

COMPONENT_HINT = "serve components with wasmtime serve (wasmscope bench --workloads component-http)"


@dataclass(frozen=True)
class ModuleInfo:
    """What the check read: the kind of binary, its size and (core modules) its imports."""

    path: Path
    kind: Kind
    size: int
    imports: tuple[tuple[str, str], ...] = ()


class _Bad(Exception):
    """A problem found while reading; becomes `WorkloadError(f"{name}: {message}")`.
    `if_component` replaces the message when a component was expected (a version mismatch
    reads differently then)."""

    def __init__(self, message: str, if_component: str = "") -> None:
        super().__init__(message)
        self.if_component = if_component or message


def wasi_version(module: str) -> str | None:
    """The WASI version an import module name belongs to, in words; None when it is not WASI."""
    if module == PREVIEW0:
        return f"WASI preview 0 ({PREVIEW0})"
    if module == PREVIEW1:
        return f"WASI preview 1 ({PREVIEW1})"
    if module in WASIX:
        return f"WASIX ({module})"
    if module.startswith("wasi:"):
        return f"WASI 0.2 ({module}), a component-model interface"
    if module.startswith("wasi"):
        return f"a WASI version this tool does not know ({module})"
    return None


# -- reading ------------------------------------------------------------------------------------

# Well-known file signatures: a file that is not Wasm is named by its kind, never by its
# content (a module path pointing at /etc/shadow must not print the file's first bytes).
_SIGNATURES = ((b"\x7fELF", "an ELF executable or library"), (b"#!", "a script"),
               (b"\x1f\x8b", "a gzip archive"), (b"PK\x03\x04", "a zip archive"),
               (b"\x89PNG", "a PNG image"), (b"%PDF", "a PDF document"))


def _file_kind(head: bytes) -> str:
    """What a non-Wasm file looks like, in words taken from our own table, not from the file."""
    for magic, words in _SIGNATURES:
        if head.startswith(magic):
            return words
    try:  # incremental: a character cut at the end of the head is not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "binary data"
    return "a text file" if all(ch.isprintable() or ch in "\t\r\n" for ch in text) else "binary data"


def _not_wasm(head: bytes) -> str:
    if not head:
        return f"empty file (expected a Wasm module starting with the magic {MAGIC_TEXT})"
    text = head.lstrip()
    for opening in (b"(module", b"(component"):
        if text.startswith(opening):
            return (f"WebAssembly text format (starts with {opening.decode()!r}), not a binary "
                    f"module; expected the magic {MAGIC_TEXT}: compile it first (wasm-tools parse, wat2wasm)")
    if head[:3] == MAGIC[:3]:  # a damaged magic: only the byte that differs is shown
        return (f"not a valid Wasm module (byte 3 of the magic is {head[3]:02x}; expected the magic "
                f"{MAGIC_TEXT})")
    return f"not a valid Wasm module ({_file_kind(head)}; expected the magic {MAGIC_TEXT})"


class _Buf:
    """A cursor over one section's bytes (the import section); `_Short` when it runs out."""

    class Short(Exception):
        pass

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise self.Short
        self.pos += 1
        return self.data[self.pos - 1]

    def leb(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise self.Short

    def name(self) -> str:
        n = self.leb()
        if self.pos + n > len(self.data):
            raise self.Short
        self.pos += n
        return self.data[self.pos - n:self.pos].decode("utf-8", errors="replace")

    def limits(self) -> None:
        flags = self.byte()
        self.leb()
        if flags & 1:
            self.leb()


def _imports(data: bytes) -> tuple[tuple[str, str], ...]:
    """(module, name) of each import. Stops quietly at an import description it does not know
    (a newer proposal): the names read so far still count, the runtime judges the rest."""
    buf = _Buf(data)
    out: list[tuple[str, str]] = []
    try:
        count = buf.leb()
        for _ in range(count):
            module, name = buf.name(), buf.name()
            out.append((module, name))
            kind = buf.byte()
            if kind == 0:  # function: type index
                buf.leb()
            elif kind == 1:  # table: reference type, limits
                if buf.byte() not in (0x70, 0x6F):
                    break
                buf.limits()
            elif kind == 2:  # memory: limits
                buf.limits()
            elif kind == 3:  # global: value type, mutability
                if buf.byte() in (0x63, 0x64):  # (ref null? heaptype)
                    buf.leb()
                buf.byte()
            elif kind == 4:  # tag: attribute, type index
                buf.byte()
                buf.leb()
            else:
                break
    except _Buf.Short:
        pass
    return tuple(out)


# The order the spec gives a core module's non-custom sections (each at most once): the data
# count section sits between element and code, the tag section between memory and global.
CORE_ORDER = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}
MAX_SECTIONS = 100_000  # far past any real module: a file with more is garbage with a Wasm header


def _header(f: BinaryIO) -> Kind:
    """The kind of binary the 8-byte preamble announces, or _Bad."""
    head = f.read(8)
    if len(head) < 8 or head[:4] != MAGIC:
        if head[:4] == MAGIC[:len(head[:4])] and head:
            raise _Bad(f"truncated: only {len(head)} bytes of the 8-byte Wasm header "
                       f"(magic {MAGIC_TEXT} and version)")
        raise _Bad(_not_wasm(head + f.read(24)))
    version = int.from_bytes(head[4:6], "little")
    layer = int.from_bytes(head[6:8], "little")
    if layer == 0:
        if version != CORE_VERSION:
            number = int.from_bytes(head[4:8], "little")
            raise _Bad(f"unsupported Wasm version {number} (expected {CORE_VERSION}, a core module)",
                       f"unsupported Wasm version {number} (expected a component: version "
                       f"{COMPONENT_VERSION}, layer {COMPONENT_LAYER})")
        return "core"
    if layer == COMPONENT_LAYER:
        if version != COMPONENT_VERSION:
            raise _Bad(f"is a component of encoding version {version}, layer {COMPONENT_LAYER} "
                       f"(expected a core module: version {CORE_VERSION}, layer 0)",
                       f"unsupported component encoding version {version} "
                       f"(expected {COMPONENT_VERSION}, layer {COMPONENT_LAYER})")
        return "component"
    raise _Bad(f"unknown Wasm layer {layer} in bytes 6-7 (expected 0, a core module)",
               f"unknown Wasm layer {layer} in bytes 6-7 (expected {COMPONENT_LAYER}, a component)")


def _leb_at(data, pos: int, end: int, what: str, at: int) -> tuple[int, int]:
    """An unsigned LEB128 u32 in `data` at `pos`: (value, position after it)."""
    result = shift = 0
    for i in range(5):
        if pos + i >= end:
            raise _Bad(f"truncated: the file ends at byte {end} inside the size of {what} at byte {at}")
        b = data[pos + i]
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos + i + 1
        shift += 7
    raise _Bad(f"malformed: the size of {what} at byte {at} is longer than 5 bytes (expected a LEB128 u32)")


def _read(path: Path, size: int) -> ModuleInfo:
    """One pass over the top-level section headers, reading only their ids and sizes (and a
    core module's import section): linear in the number of sections, and a file whose
    sections are out of order, unknown or absurdly many is rejected at the first bad one."""
    with open(path, "rb") as f:
        kind = _header(f)
        if size <= 8:
            return ModuleInfo(path=path, kind=kind, size=size)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _sections(path, data, size, kind)


def _sections(path: Path, data, size: int, kind: Kind) -> ModuleInfo:
    names = CORE_SECTIONS if kind == "core" else COMPONENT_SECTIONS
    imports: tuple[tuple[str, str], ...] = ()
    functions, has_code, last, count, pos = 0, False, 0, 0, 8
    while pos < size:
        count += 1
        if count > MAX_SECTIONS:
            raise _Bad(f"malformed: more than {MAX_SECTIONS:,} sections by byte {pos} (not a real module)")
        sid = data[pos]
        if sid >= len(names):
            raise _Bad(f"malformed: unknown section id {sid} at byte {pos} (expected 0 to {len(names) - 1})")
        label = f"section {sid} ({names[sid]})"
        length, body = _leb_at(data, pos + 1, size, label, pos)
        if length > size - body:
            raise _Bad(f"truncated: {label} at byte {pos} declares {length} bytes, only {size - body} remain")
        if sid == 0 and (length == 0 or _leb_at(data, body, body + length, label, pos)[0] > length - 1):
            raise _Bad(f"malformed: {label} at byte {pos} has no valid name")
        if kind == "core" and sid:
            order = CORE_ORDER[sid]
            if order <= last:
                raise _Bad(f"malformed: {label} at byte {pos} is out of order or repeated")
            last = order
            if sid == 2:
                imports = _imports(bytes(data[body:body + length]))
            elif sid == 3 and length:
                functions = _leb_at(data, body, body + length, label, pos)[0]
            elif sid == 10:
                has_code = True
        pos = body + length
    if functions and not has_code:
        raise _Bad(f"truncated: ends at byte {size} with no code section, though the function "
                   f"section declares {functions} functions")
    return ModuleInfo(path=path, kind=kind, size=size, imports=imports)


_cache: dict[tuple[str, int, int], ModuleInfo | _Bad] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 256


def read_module(path: Path, expect: Kind = "core") -> ModuleInfo:
    """Kind, size and imports of `path`; WorkloadError (one line naming the file) when it is
    missing, not Wasm, of an unknown version or truncated. Cached per (path, mtime, size)."""
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as err:
        raise WorkloadError(f"{path}: module file not found ({err.strerror})") from None
    key = (str(path.absolute()), st.st_mtime_ns, st.st_size)
    with _cache_lock:
        known = _cache.get(key)
    if known is None:
        try:
            known = _read(path, st.st_size)
        except _Bad as bad:
            known = bad
        except OSError as err:
            raise WorkloadError(f"{path}: cannot read the module ({err.strerror})") from None
        with _cache_lock:
            if len(_cache) >= _CACHE_MAX:
                _cache.clear()
            _cache[key] = known
    if isinstance(known, _Bad):
        raise WorkloadError(f"{path.name}: {known.if_component if expect == 'component' else known}")
    return known


def check_module(path: Path, *, expect: Kind = "core", runtime: str = "",
                 provides: Sequence[str] = (PREVIEW1,)) -> ModuleInfo:
    """Check `path` before `runtime` gets it; WorkloadError with one line naming the file and
    what was expected. With `runtime` given, a core module's imports must come from the
    modules it `provides` (the WASI versions it implements)."""
    info = read_module(path, expect)
    name = Path(path).name
    who = runtime or "this runtime"
    if expect == "core" and info.kind == "component":
        raise WorkloadError(f"{name}: is a component (layer {COMPONENT_LAYER}); {who} runs core "
                            f"modules — {COMPONENT_HINT}")
    if expect == "component" and info.kind == "core":
        raise WorkloadError(f"{name}: is a core module (Wasm version {CORE_VERSION}, layer 0); "
                            f"{who} serves components (layer {COMPONENT_LAYER}) — run a core module "
                            "as a workload (module = \"...\" in a profile's [workloads] table)")
    if runtime and info.kind == "core":
        _check_imports(name, info, runtime, tuple(provides))
    return info


def _check_imports(name: str, info: ModuleInfo, runtime: str, provides: tuple[str, ...]) -> None:
    missing = [(m, n) for m, n in info.imports if m not in provides]
    if not missing:
        return
    has = ", ".join(provides) or "nothing"
    wasi = [(m, n) for m, n in missing if wasi_version(m)]
    if wasi:
        module = wasi[0][0]
        raise WorkloadError(f"{name}: needs {wasi_version(module)}, which {runtime} lacks "
                            f"(it provides {has})")
    module, field = missing[0]
    more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
    raise WorkloadError(f"{name}: imports {module}.{field}{more}, which {runtime} cannot satisfy "
                        f"(it provides only {has})")
