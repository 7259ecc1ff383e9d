"""`wasmscope doctor --host`: what a remote host lacks for `bench --host`.

Three rows of its own first — SSH reaches it, Python 3.11+ is there, the same wasmscope
answers there — then, when the agent answers, that host's own doctor report (its runtimes and
prerequisites, checked there). Nothing is changed on the host unless `fix` is asked for, and
then only what its own doctor fixes (with `consent`, given here); Python and wasmscope
themselves are never installed by doctor: their rows say how.
"""

from __future__ import annotations

import subprocess
import time
from typing import TYPE_CHECKING, Any, Callable

from ..errors import HostUnavailable
from ..setup.doctor import HOST, MISSING, PRESENT
from . import protocol
from .address import HostAddress
from .link import AgentLink
from .runs import profile_request

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

PYTHON_MIN = (3, 11)
PROBE_TIMEOUT_S = 40.0
_PROBE = "python3 -c 'import sys; print(\"%d.%d.%d\" % sys.version_info[:3])'"


def _row(name: str, title: str, ok: bool, detail: str, manual: str = "") -> dict[str, Any]:
    """A host row in the shape of doctor's report rows (Row.to_dict)."""
    return {"name": name, "title": title, "kind": HOST, "status": PRESENT if ok else MISSING, "detail": detail,
            "required": True, "needs": [], "used_by": [], "manual": "" if ok else manual, "waits_for": "", "fix": []}


def probe(address: HostAddress) -> tuple[dict[str, Any], dict[str, Any]]:
    """Plain SSH (no agent): can we log in, and which python3 is there."""
    argv = address.ssh_argv(_PROBE)
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return (_row("ssh", "SSH to the host", False, f"no answer in {PROBE_TIMEOUT_S:g} s", _SSH_HELP),
                _row("python", "Python 3.11+ on the host", False, "not checked (no SSH)"))
    except OSError as err:
        return (_row("ssh", "SSH to the host", False, f"cannot start {argv[0]}: {err.strerror or err}", _SSH_HELP),
                _row("python", "Python 3.11+ on the host", False, "not checked (no SSH)"))
    said = [ln for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("Warning: Permanently")]
    if proc.returncode == 255:
        return (_row("ssh", "SSH to the host", False, said[-1] if said else "ssh failed (exit 255)", _SSH_HELP),
                _row("python", "Python 3.11+ on the host", False, "not checked (no SSH)"))
    ssh = _row("ssh", "SSH to the host", True, f"{address.destination} (key or agent, no password prompt)")
    found = proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 and proc.stdout.strip() else ""
    try:
        ok = tuple(int(x) for x in found.split(".")[:2]) >= PYTHON_MIN
    except ValueError:
        ok = False
    detail = f"python3 {found}" if found else (said[-1] if said else "no python3 on the PATH of a non-interactive shell")
    return ssh, _row("python", "Python 3.11+ on the host", ok, detail,
                     "install Python 3.11 or newer there (Debian 12: apt-get install -y python3)")


_SSH_HELP = ("key-based SSH (ssh-copy-id, or a key in your ssh-agent), the host key accepted once "
             "(ssh to it by hand), user/port/jump host in ~/.ssh/config")


def diagnose_host(address: HostAddress, profile: "Profile | None" = None, remote_command: str | None = None, *,
                  fix: bool = False, consent: bool = False, on_log: Callable[[str], None] | None = None,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The host's rows, then its own doctor report (with `fix`: after its plan was carried
    out there). The shape of doctor's `Report.to_dict()`, plus `fixed` when fixes ran."""
    t0 = time.monotonic()
    link = AgentLink(address, remote_command, on_log)
    if progress:
        progress(f"connecting to {address.label}")
    try:
        peer = link.open()
    except HostUnavailable as err:
        ssh, python = probe(address)
        why = (f"`{link.remote_command}` did not start there: {link.not_found}" if link.not_found
               else str(err) if ssh["status"] == PRESENT else "not checked (no SSH)")
        wasmscope = _row("wasmscope", f"wasmscope {protocol.WASMSCOPE_VERSION} on the host", False, why,
                         f"install wasmscope {protocol.WASMSCOPE_VERSION} there (the version of this one), "
                         "or point --remote-command / WASMSCOPE_REMOTE_COMMAND at it")
        return {"scope": f"host {address.label}", "ok": False, "took_s": round(time.monotonic() - t0, 2),
                "rows": [ssh, python, wasmscope], "plan": []}
    try:
        rows = [_row("ssh", "SSH to the host", True, f"{address.destination} (key or agent, no password prompt)"),
                _row("python", "Python 3.11+ on the host", True, f"python3 {peer.get('python')}"),
                _row("wasmscope", f"wasmscope {protocol.WASMSCOPE_VERSION} on the host", True,
                     f"wasmscope {peer.get('wasmscope')} (protocol {peer.get('protocol')}) on {peer.get('host')}")]
        request = profile_request(profile) if profile is not None else {}

        def on_message(message: dict[str, Any]) -> None:
            if message.get("t") == "progress" and progress:
                progress(str(message.get("message", "")))
            elif message.get("t") == "log" and on_log:
                on_log(f"{address.label}: {message.get('line')}")

        reply = link.request("doctor", fix=fix, consent=consent, **request).wait(on_message=on_message)
    finally:
        link.close()
    report = reply["report"]
    report["rows"] = rows + report["rows"]
    report["scope"] = f"host {address.label}: {report['scope']}"
    report["took_s"] = round(time.monotonic() - t0, 2)
    if "fix" in reply:
        report["fixed"] = reply["fix"]
    return report
