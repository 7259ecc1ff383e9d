"""Where a remote host is and how SSH reaches it: `ssh://[user@]host[:port]`, and the `ssh`
command line (the system client, so the user's keys, agent, ~/.ssh/config and jump hosts apply).

`WASMSCOPE_SSH_COMMAND` replaces `ssh` (with options of its own, as GIT_SSH_COMMAND does for
git); `WASMSCOPE_REMOTE_COMMAND` replaces the command run there (`wasmscope agent`).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..bench import UsageError
from ..model.results import LOCAL  # noqa: F401 - where front ends have always found it

SSH_COMMAND_ENV = "WASMSCOPE_SSH_COMMAND"
REMOTE_COMMAND_ENV = "WASMSCOPE_REMOTE_COMMAND"
DEFAULT_REMOTE_COMMAND = "wasmscope agent"
# Options the user's own (WASMSCOPE_SSH_COMMAND, ~/.ssh/config) may override: ssh keeps the
# first value it reads of each, and the user's come first. BatchMode: never a password prompt
# (the protocol owns stdin; use keys or an agent); ServerAlive*: a dead link ends in ~15 s.
SSH_DEFAULTS = ("-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=5",
                "-o", "ServerAliveCountMax=3")


class BadHostAddress(UsageError):
    """A host that is not `ssh://[user@]host[:port]`."""


@dataclass(frozen=True)
class HostAddress:
    url: str  # as written
    host: str
    user: str = ""
    port: int | None = None

    @property
    def label(self) -> str:
        """How tables name the host: `user@host:port` (what was written, without the scheme)."""
        return (f"{self.user}@" if self.user else "") + _bracketed(self.host) + (f":{self.port}" if self.port else "")

    @property
    def destination(self) -> str:
        return (f"{self.user}@" if self.user else "") + self.host

    def ssh_argv(self, remote_command: str | None = None) -> list[str]:
        """The ssh command that runs `remote_command` there (the agent by default, whose
        stdin/stdout then carry the protocol)."""
        base = shlex.split(os.environ.get(SSH_COMMAND_ENV) or "ssh")
        port = ["-p", str(self.port)] if self.port else []
        return [*base, "-T", *SSH_DEFAULTS, *port, self.destination, remote_command or default_remote_command()]


def default_remote_command() -> str:
    return os.environ.get(REMOTE_COMMAND_ENV) or DEFAULT_REMOTE_COMMAND


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def parse_host(text: str) -> HostAddress:
    """`ssh://[user@]host[:port]` → HostAddress; BadHostAddress (one line) otherwise."""
    expected = "expected ssh://[user@]host[:port]"
    if not isinstance(text, str) or not text.startswith("ssh://"):
        raise BadHostAddress(f"--host {text!r}: {expected}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as err:
        raise BadHostAddress(f"--host {text!r}: {expected} ({err})") from None
    host, user = parts.hostname or "", parts.username or ""
    if not host or parts.path not in ("", "/") or parts.query or parts.fragment or parts.password:
        raise BadHostAddress(f"--host {text!r}: {expected} (no password, path or query)")
    if host.startswith("-") or user.startswith("-") or any(c.isspace() for c in text):
        raise BadHostAddress(f"--host {text!r}: {expected} (a name may not start with '-' or hold spaces)")
    # urlsplit lower-cases the host name; keep it as written (ssh config Host patterns match it)
    written = parts.netloc.rsplit("@", 1)[-1]
    if written.startswith("["):
        written = written[1:written.index("]")]
    elif ":" in written:
        written = written.rsplit(":", 1)[0]
    return HostAddress(url=text, host=written, user=user, port=port)
