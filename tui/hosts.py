"""The hosts the app drives: this machine's LiveSession and one RemoteSession per remote host
(`wasmscope --host ssh://…`, else the profile's `bench.hosts`), by host label.

Nothing here blocks the UI thread: connecting, describing and closing a remote host are done by
workers (connect and the calls) or on the way out (`close_all`). A remote host whose connection
drops says so once, from the link's reader thread, as a `HostDown` message posted to the live
view (`post`, set when it mounts; posting is thread-safe and never waits for the UI thread).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Sequence

from textual.message import Message

from wasmscope.workloads.bench import UsageError
from wasmscope.workloads.live import LiveSession
from wasmscope.workloads.remote.address import LOCAL, parse_host
from wasmscope.workloads.remote.session import RemoteSession

from .messages import HostDown, LogLine

if TYPE_CHECKING:
    from wasmscope.profiles import Profile

Session = LiveSession | RemoteSession


class HostSessions:
    def __init__(self, local: LiveSession | None, urls: Sequence[str], profile: "Profile",
                 runtimes: Sequence[str], stored: Sequence[str] = ()) -> None:
        """`local`: this machine's session (None in replay: no host is driven or connected, and
        the hosts shown are those of the stored run, `stored`)."""
        addresses = [parse_host(u) for u in urls]
        if len({a.label for a in addresses}) < len(addresses):
            raise UsageError(f"--host: a host is named twice: {', '.join(a.url for a in addresses)}")
        self.post: Callable[[Message], object] | None = None
        self.local = local
        self.stored = list(stored)
        self.remote: list[RemoteSession] = [] if local is None else [
            RemoteSession(profile, a, runtimes, on_log=self._log, on_end=self._ended(a.label)) for a in addresses]

    def _send(self, message: Message) -> None:
        if self.post is not None:
            self.post(message)

    def _log(self, line: str) -> None:
        self._send(LogLine(line))

    def _ended(self, host: str) -> Callable[[str], None]:
        return lambda reason: self._send(HostDown(host, reason, dropped=True))

    @property
    def labels(self) -> list[str]:
        return [LOCAL] + ([s.host for s in self.remote] if self.local is not None else self.stored)

    def get(self, host: str) -> Session | None:
        if host == LOCAL:
            return self.local
        return next((s for s in self.remote if s.host == host), None)

    def connected(self) -> list[RemoteSession]:
        return [s for s in self.remote if s.connected]

    def use_profile(self, profile: "Profile") -> None:
        """Every session uses `profile`: this machine's at once; a remote host's from its next
        connect, or now when it is connected (a worker sends it there: `RemoteSession.use_profile`
        blocks while the user's modules travel)."""
        if self.local is not None:
            self.local.profile = profile

    def close_all(self) -> None:
        """Stop every workload and remove every container, here and on each remote host (each
        closes in its own thread: a host's bye blocks until it has removed its containers,
        up to 60 s)."""
        closers = [threading.Thread(target=s.close, name=f"close-{s.host}", daemon=True) for s in self.remote]
        for t in closers:
            t.start()
        if self.local is not None:
            self.local.close()
        for t in closers:
            t.join(timeout=75)
