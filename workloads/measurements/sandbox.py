"""The isolation matrix: what each runtime lets the `probe` guest reach, under two settings.

The probe (one C source, built for Wasm and native/containers) tries each capability and
prints `probe CAP allowed|denied|absent DETAIL`. The guest's word is not trusted alone: the
host checks each "allowed" against its own side — is that its /etc/passwd (size and FNV-1a),
its `/` listing, its secret, a file in its directory, a connection its listener saw? — so a
cell says whether the guest reached the *host's* resource or only a copy of its own (an
image's file, a runtime's virtual filesystem, the container's own loopback).

Settings: `runtime-defaults` runs the guest as the runtime does when a user starts it from a
shell (whole environment, nothing granted, no container hardening); `wasmscope` runs it as
every benchmark does (minimal environment, hardened containers) and grants Wasm guests one
scratch directory as ".".
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Literal

from ..guests.catalogue import Workload, builtin_workloads
from ..errors import WasmscopeError
from ..runtimes import create_adapter
from ..system.sessions import make_temp_dir
from .control import RunControl

CAPABILITIES: tuple[tuple[str, str], ...] = (
    ("read-file", "read the host's /etc/passwd"),
    ("list-root", "list the host's /"),
    ("read-env", "read $WASMSCOPE_SECRET set on the host"),
    ("write-cwd", "create a file in its working directory"),
    ("tcp-connect", "open TCP to a listener on the host's 127.0.0.1"),
    ("resolve", "resolve a hostname"),
    ("spawn", "start a process"),
    ("clock", "read the wall clock"),
    ("random", "get random bytes"),
)
SETTINGS: tuple[str, ...] = ("runtime-defaults", "wasmscope")
SECRET_VAR = "WASMSCOPE_SECRET"
PROBE_FILE = "wasmscope-probe.txt"
CLOCK_TOLERANCE_S = 60.0

# host: reached the host's own resource · granted: reached the host, but only the directory it
# was granted · own: only the guest's own copy · denied · absent:
# the platform has no call for it · allowed: granted, nothing host-specific to compare ·
# wrong: answered, but not what the call promises · missing: the probe printed no line
Verdict = Literal["host", "granted", "own", "denied", "absent", "allowed", "wrong", "missing"]


@dataclass(frozen=True)
class Cell:
    verdict: Verdict
    detail: str  # the guest's own words (or the error it got)
    note: str = ""  # what the host saw, or where this differs from what the runtime documents


@dataclass
class ProbeRow:
    runtime: str
    display: str
    kind: str  # wasm / native / container
    settings: str  # runtime-defaults / wasmscope
    cells: dict[str, Cell] = field(default_factory=dict)
    granted: str = ""  # what these settings grant the guest, in words
    command: str = ""
    error: str = ""  # the row could not be measured (runtime unavailable, probe failed)

    def to_dict(self) -> dict:
        return asdict(self)


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts (the probe's target)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port: int = self.sock.getsockname()[1]
        self.accepted = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, name="wasmscope-probe-listener", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # closed
            with self._lock:
                self.accepted += 1
            conn.close()

    def count(self) -> int:
        with self._lock:
            return self.accepted

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=2)


@dataclass(frozen=True)
class HostFacts:
    """The host's side of each comparison."""

    passwd: tuple[int, str]  # size, fnv1a hex of /etc/passwd
    root_entries: tuple[str, ...]  # readdir order of /
    secret: str


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return text or type(err).__name__


def fnv1a(data: bytes) -> str:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return f"{h:08x}"


def host_facts(secret: str) -> HostFacts:
    try:
        data = Path("/etc/passwd").read_bytes()
        passwd = (len(data), fnv1a(data))
    except OSError:
        passwd = (-1, "")
    return HostFacts(passwd, tuple(os.listdir("/")), secret)


def parse_probe(stdout: str) -> dict[str, tuple[str, str]]:
    """`probe CAP VERDICT DETAIL` lines → {cap: (verdict, detail)}."""
    out: dict[str, tuple[str, str]] = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 3)
        if len(parts) >= 3 and parts[0] == "probe" and parts[2] in ("allowed", "denied", "absent"):
            out[parts[1]] = (parts[2], parts[3] if len(parts) > 3 else "")
    return out


def classify(cap: str, said: tuple[str, str] | None, *, facts: HostFacts, granted: bool, workdir: Path,
             connections: int, now: float) -> Cell:
    """One cell: the guest's verdict checked against what the host saw."""
    if said is None:
        return Cell("missing", "the probe printed no line for it")
    verdict, detail = said
    if verdict == "absent":
        return Cell("absent", detail)
    if cap == "tcp-connect":  # the listener's count decides, whatever the guest says
        if connections:
            return Cell("host", detail, f"the host's listener accepted {connections} connection(s)")
        if verdict == "allowed":
            return Cell("own", detail, "connected, but not to the host's listener (its own loopback)")
        return Cell("denied", detail, "the host's listener saw no connection")
    if verdict == "denied":
        return Cell("denied", detail)
    if cap == "read-file":
        size, digest = facts.passwd
        if f"{size} bytes, fnv1a {digest}," in detail:
            return Cell("host", detail, "the host's /etc/passwd, byte for byte")
        return Cell("own", detail, "an /etc/passwd, but not the host's (the image's or the runtime's own)")
    if cap == "list-root":
        names = detail.split(": ", 1)[1] if ": " in detail else ""
        head = names.split(",") if names else []
        count = detail.split(" ", 1)[0]
        if count == str(len(facts.root_entries)) and head == list(facts.root_entries[: len(head)]):
            return Cell("host", detail, "the host's / listing")
        if granted and set(head) <= set(os.listdir(workdir)):
            return Cell("granted", detail, "its / is the granted directory")
        return Cell("own", detail, f"a / of its own (the host's has {len(facts.root_entries)} entries)")
    if cap == "read-env":
        if detail.endswith(f"={facts.secret}"):
            return Cell("host", detail.replace(facts.secret, "<host's value>"), "the host's secret")
        return Cell("own", detail, "a WASMSCOPE_SECRET, but not the host's value")
    if cap == "write-cwd":
        landed = workdir / PROBE_FILE
        if landed.is_file() and granted:
            return Cell("granted", detail, "the file appeared in the granted directory on the host")
        if landed.is_file():
            return Cell("host", detail, "the file appeared on the host, in its working directory")
        return Cell("own", detail, "written inside the guest's own filesystem; nothing reached the host")
    if cap == "clock":
        try:
            guest = float(detail.split()[1])
        except (IndexError, ValueError):
            return Cell("wrong", detail, "no time in the probe's line")
        if abs(guest - now) > CLOCK_TOLERANCE_S:
            return Cell("wrong", detail, f"CLOCK_REALTIME is {guest:.0f} s, the host's wall clock {now:.0f} s: not wall-clock time")
        return Cell("allowed", detail)
    return Cell("allowed", detail)


def documented_differences(row: ProbeRow) -> None:
    """Add a note where a cell contradicts what the runtime documents."""
    for cap, cell in row.cells.items():
        if row.kind == "wasm" and cell.verdict == "host" and cap in ("read-file", "list-root", "read-env", "tcp-connect"):
            row.cells[cap] = Cell(cell.verdict, cell.detail, cell.note + " — differs from 'nothing unless granted'")
        elif row.kind == "wasm" and cell.verdict == "own" and cap in ("list-root", "write-cwd"):
            row.cells[cap] = Cell(cell.verdict, cell.detail, cell.note + " — the runtime gives the guest a filesystem of its own that nobody granted")
        elif cell.verdict == "wrong" and cap == "clock":
            row.cells[cap] = Cell(cell.verdict, cell.detail, cell.note + " — WASI documents the realtime clock as wall-clock time since the epoch")


def granted_words(adapter, kind: str, settings: str) -> str:
    if settings == "runtime-defaults":
        if kind == "wasm" and adapter.IN_PROCESS:
            return "the embedding API's defaults (a fresh WASI config) in a wasmscope host process"
        return {"wasm": "the runtime's defaults, started with the whole environment",
                "native": "the whole environment, the working directory",
                "container": "`run IMAGE` defaults: root, default capabilities, bridge network"}.get(kind, "defaults")
    if kind == "wasm":
        return ("a scratch directory as \".\"" if adapter.GRANTS_DIR
                else "nothing (this adapter has no way to grant a directory)")
    if kind == "native":
        return "a minimal environment, a scratch working directory"
    return "read-only root, no capabilities, no-new-privileges, user nobody, no network"


def probe_runtime(name: str, settings: str, *, workload: Workload, listener: Listener, facts: HostFacts,
                  options: dict | None = None, timeout_s: float = 60.0) -> ProbeRow:
    """Run the probe once on one runtime under one setting; never raises for the guest's faults."""
    workdir = make_temp_dir("sandbox-")
    os.chmod(workdir, 0o777)  # containers run as nobody: a granted dir must be writable for them too
    adapter = create_adapter(name, {**(options or {}), "sandbox": settings, "workdir": str(workdir)})
    row = ProbeRow(name, adapter.display_name, adapter.kind, settings)
    try:
        avail = adapter.availability()
        if not avail.ok:
            row.error = f"unavailable: {avail.reason}"
            return row
        row.granted = granted_words(adapter, adapter.kind, settings)
        reason = adapter.supports(workload)
        if reason:
            row.error = reason
            return row
        args = [str(listener.port), "localhost"]
        row.command = adapter.command_line(workload, args)
        adapter.prepare(workload)
        before = listener.count()
        try:
            result = adapter.run(workload, args, timeout_s=timeout_s)
            stdout = result.stdout
        except WasmscopeError as err:
            stdout = getattr(err, "output", "") or ""
            if not parse_probe(stdout):
                row.error = one_line(err)
                return row
        except Exception as err:  # an engine's own error (e.g. the Docker API): the row, not the run, fails
            row.error = one_line(err)
            return row
        time.sleep(0.05)  # the listener thread may still be accepting
        said = parse_probe(stdout)
        connections = listener.count() - before
        now = time.time()
        for cap, _ in CAPABILITIES:
            row.cells[cap] = classify(cap, said.get(cap), facts=facts, granted=adapter.kind == "wasm"
                                      and adapter.granted_dir is not None and adapter.GRANTS_DIR, workdir=workdir, connections=connections, now=now)
        documented_differences(row)
        return row
    finally:
        adapter.close()
        shutil.rmtree(workdir, ignore_errors=True)


def run_sandbox(runtimes: Iterable[str], *, settings: Iterable[str] = SETTINGS,
                options: dict[str, dict] | None = None, control: RunControl | None = None) -> list[ProbeRow]:
    """The matrix: every runtime × setting, with a host secret set only while it runs.
    `control` reports progress and cancels between probes (Cancelled)."""
    control = control or RunControl()
    runtimes, settings = list(runtimes), list(settings)
    control.total = len(runtimes) * len(settings)
    workload = builtin_workloads()["probe"]
    secret = secrets.token_hex(8)
    saved = os.environ.get(SECRET_VAR)
    os.environ[SECRET_VAR] = secret
    listener = Listener()
    rows: list[ProbeRow] = []
    try:
        facts = host_facts(secret)
        for name in runtimes:
            for s in settings:
                control.check()
                # said before: a first probe on a container runtime builds its image (a minute)
                control.doing(f"sandbox: probing {name}, {s} ({control.done + 1}/{control.total})…")
                rows.append(probe_runtime(name, s, workload=workload, listener=listener, facts=facts,
                                          options=(options or {}).get(name)))
                control.step(f"sandbox: probed {name} ({s})")
    finally:
        listener.close()
        if saved is None:
            os.environ.pop(SECRET_VAR, None)
        else:
            os.environ[SECRET_VAR] = saved
    return rows
