"""The live view's hosts: what state each is in (this machine; a remote host connecting,
connected, unreachable or disconnected with its one-line reason), said in the host bar over the
panels — one cell per host column when the hosts show side by side — and in a heading over each
host's rows in the list."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.app import ComposeResult
from textual.containers import Horizontal

from wasmscope.workloads.remote.address import LOCAL

from ..widgets.readout import Readout

UP, WAITING, DOWN = "-up", "-waiting", "-down"


@dataclass
class HostState:
    host: str
    status: str  # "local", "replay", "connecting", "connected", "unreachable", "disconnected"
    detail: str = ""  # the agent's hello in a few words, or the reason
    peer: dict = field(default_factory=dict)  # the agent's hello (its pid, host name, Python)

    @property
    def usable(self) -> bool:
        return self.status in ("local", "connected")

    @property
    def css(self) -> str:
        return UP if self.usable else (DOWN if self.status in ("unreachable", "disconnected") else WAITING)

    def line(self) -> str:
        mark = {UP: "●", WAITING: "◌", DOWN: "✖"}[self.css]
        if self.status == "local":
            return f"{mark} {LOCAL} (this machine)"
        word = {"replay": "stored run", "connected": "connected"}.get(self.status, self.status)
        return f"{mark} {self.host} · {word}" + (f": {self.detail}" if self.detail and not self.usable else
                                                   f" ({self.detail})" if self.detail else "")


def initial_states(hosts: list[str], live: bool) -> dict[str, HostState]:
    return {h: HostState(h, "local" if h == LOCAL else ("connecting" if live else "replay")) for h in hosts}


def peer_words(peer: dict) -> str:
    """The agent's hello in a few words: 'agent pid 123 on box, Python 3.11.2'."""
    return f"agent pid {peer.get('pid')} on {peer.get('host')}, Python {peer.get('python')}"


class HostCell(Readout):
    DEFAULT_CSS = """
    HostCell { width: 1fr; padding: 0 1; text-style: bold; }
    HostCell.-up { color: $success; }
    HostCell.-waiting { color: $text-muted; }
    HostCell.-down { color: $error; }
    HostCell.-hint { color: $text-muted; text-style: none; width: auto; }
    """


class HostBar(Horizontal):
    """One line over the panels: every host on screen (a cell per column when side by side),
    then how `H` changes what shows. Hidden with a single host."""

    DEFAULT_CSS = """
    HostBar { height: 1; background: $boost; }
    """

    def __init__(self, hosts: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.hosts = hosts
        self.display = len(hosts) > 1

    def compose(self) -> ComposeResult:
        for i, _ in enumerate(self.hosts):
            yield HostCell("", id=f"host-{i}")
        yield HostCell("", classes="-hint", id="host-hint")

    def show(self, states: dict[str, HostState], on_screen: list[str], hint: str) -> None:
        if not self.display:
            return
        side_by_side = len(on_screen) > 1
        for i, host in enumerate(self.hosts):
            cell = self.query_one(f"#host-{i}", HostCell)
            cell.display = host in on_screen
            last = side_by_side and host == on_screen[-1]  # the hint in the last column: cells stay over theirs
            cell.update(states[host].line() + (f"  ({hint})" if last and hint else ""))
            cell.set_classes(states[host].css)
        self.query_one("#host-hint", HostCell).display = not side_by_side
        self.query_one("#host-hint", HostCell).update(hint)


class HostHeading(Readout):
    """Over a host's rows in the list: the host and its state."""

    DEFAULT_CSS = """
    HostHeading { text-style: bold; }
    HostHeading.-up { color: $success; }
    HostHeading.-waiting { color: $text-muted; }
    HostHeading.-down { color: $error; }
    """

    def __init__(self, host: str, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.host = host

    def show(self, state: HostState) -> None:
        self.update(state.line())
        self.set_classes(state.css)
