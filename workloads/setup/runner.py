"""Runs doctor's commands: each printed (through `say`) before it runs, as root directly or
through sudo, in an environment without wasmscope's owner mark (a dockerd we start must never
look like a leftover of this run to the next wasmscope's sweep)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Callable, Sequence

from ..errors import SetupError
from ..system.sessions import OWNER_ENV
from .host import NO_ROOT, SUDO, Host

COMMAND_TIMEOUT_S = 1800.0  # apt-get on a slow mirror


def system_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != OWNER_ENV}
    env.update(extra)
    return env


def _last_lines(text: str, n: int = 2) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " / ".join(lines[-n:]) if lines else "no output"


class Runner:
    """`interactive`: sudo may ask for a password on the terminal (the CLI); the app passes
    False, so sudo fails at once (`-n`) instead of waiting for a prompt nobody sees."""

    def __init__(self, host: Host, say: Callable[[str], None], *, interactive: bool = True) -> None:
        self.host = host
        self.say = say
        self.interactive = interactive
        self.ran: list[list[str]] = []  # every command, as run

    def full(self, argv: Sequence[str], *, root: bool) -> list[str]:
        """The command as it runs: with sudo in front when it needs root and we are not."""
        if root and self.host.privilege == SUDO:
            return ["sudo", *([] if self.interactive else ["-n"]), "--", *argv]
        if root and self.host.privilege == NO_ROOT:
            raise SetupError(f"`{shlex.join(argv)}` needs root, and this is not root and has no sudo")
        return list(argv)

    def run(self, argv: Sequence[str], *, root: bool = True, timeout_s: float = COMMAND_TIMEOUT_S) -> str:
        """Run to exit; its stdout. SetupError (one line, with its last output) when it fails."""
        full = self.full(argv, root=root)
        self.say(f"$ {shlex.join(full)}")
        self.ran.append(full)
        try:
            proc = subprocess.run(full, env=system_env(), stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise SetupError(f"`{shlex.join(full)}` took more than {timeout_s:g} s") from None
        except OSError as err:
            raise SetupError(f"`{shlex.join(full)}` could not start: {err.strerror or err}") from None
        if proc.returncode != 0:
            raise SetupError(f"`{shlex.join(full)}` failed (exit {proc.returncode}): "
                             f"{_last_lines(proc.stderr or proc.stdout)}")
        return proc.stdout

    def spawn(self, argv: Sequence[str], *, log: Path, root: bool = True) -> subprocess.Popen:
        """Start a daemon in its own session, its output appended to `log`; it outlives us."""
        full = self.full(argv, root=root)
        self.say(f"$ {shlex.join(full)} >>{shlex.quote(str(log))} 2>&1 &")
        self.ran.append(full)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            try:
                return subprocess.Popen(full, env=system_env(), stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as err:
                raise SetupError(f"`{shlex.join(full)}` could not start: {err.strerror or err}") from None
