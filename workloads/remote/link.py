"""The local end of a remote host: `ssh … wasmscope agent` as a child process whose stdin and
stdout carry the protocol, requests multiplexed over it by id.

Closing the link closes the agent's stdin: the agent then cancels what runs and removes every
container and process it started. The same happens when this process dies (kill -9): the pipe
closes with it, ssh sends EOF, the agent cleans up.
"""

from __future__ import annotations

import itertools
import queue
import subprocess
import threading
import time
from collections import deque
from typing import Any, Callable

from ..errors import HostDisconnected, HostUnavailable
from ..model.results import Results
from . import protocol
from .address import HostAddress, default_remote_command

HELLO_TIMEOUT_S = 90.0  # ssh connect (15 s) + a cold Python importing wasmscope on a slow host
CLOSE_TIMEOUT_S = 60.0  # the agent's own cleanup after `bye` (it gives a measurement 20 s to stop)
_CLOSED = {"t": "closed"}  # put into every waiting request's queue when the link ends


class AgentLink:
    """One SSH session to one host's agent. Thread-safe: requests may run side by side."""

    def __init__(self, address: HostAddress, remote_command: str | None = None,
                 on_log: Callable[[str], None] | None = None, on_end: Callable[[str], None] | None = None) -> None:
        self.address = address
        self.remote_command = remote_command or default_remote_command()
        self.on_log = on_log  # the agent's stderr, line by line (its own progress notes, errors)
        self.on_end = on_end  # called once with the reason when the link ends without close()
        self._closing = False
        self._ready = False  # hellos exchanged: from then on the agent's stderr goes to on_log
        self.peer: dict[str, Any] = {}  # the agent's hello: version, host name, pid
        self.reason = ""  # why the link ended, once it has
        self.not_found = ""  # the shell's words when the remote command does not exist there
        self._proc: subprocess.Popen | None = None
        self._send_lock = threading.Lock()
        self._requests: dict[int, queue.Queue] = {}
        self._ids = itertools.count(1)
        self._ended = threading.Event()
        self._hello: queue.Queue = queue.Queue(maxsize=1)
        self._stderr: deque[str] = deque(maxlen=20)
        self._before_hello: list[str] = []
        self._threads: list[threading.Thread] = []

    @property
    def label(self) -> str:
        return self.address.label

    @property
    def connected(self) -> bool:
        return bool(self.peer) and not self._ended.is_set()

    # -- opening ---------------------------------------------------------------------------------
    def open(self, timeout_s: float = HELLO_TIMEOUT_S) -> dict[str, Any]:
        """Start ssh, exchange hellos; HostUnavailable (one line) when the host cannot be used."""
        argv = self.address.ssh_argv(self.remote_command)
        try:  # its own session: a Ctrl+C in the terminal reaches us, and we end the link in order
            self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, start_new_session=True)
        except OSError as err:
            raise HostUnavailable(f"{self.label}: cannot start {argv[0]}: {err.strerror or err}") from None
        self._threads = [threading.Thread(target=target, name=f"link-{target.__name__}-{self.label}", daemon=True)
                         for target in (self._read_replies, self._read_stderr)]
        for t in reversed(self._threads):  # stderr's reader first: the replies' end joins it
            t.start()
        try:
            peer = self._hello.get(timeout=timeout_s)
        except queue.Empty:
            self.close(timeout_s=5)
            raise HostUnavailable(f"{self.label}: no answer from `{self.remote_command}` in {timeout_s:g} s") from None
        if peer is None:
            raise HostUnavailable(f"{self.label}: {self.reason}")
        self._send(protocol.hello("local"))  # the agent checks ours too, and logs a mismatch there
        if (line := protocol.mismatch(peer, self.label)) is not None:
            self.close(timeout_s=10)
            raise HostUnavailable(line)
        self._ready = True
        beat = threading.Thread(target=self._heartbeat, name=f"link-ping-{self.label}", daemon=True)
        beat.start()
        return peer

    # -- requests ----------------------------------------------------------------------------------
    def request(self, kind: str, **fields: Any) -> "Call":
        """Send a request; its replies arrive on the returned Call."""
        rid = next(self._ids)
        replies: queue.Queue = queue.Queue()
        self._requests[rid] = replies
        if self._ended.is_set():
            replies.put(_CLOSED)
        else:
            self._send({"t": kind, "id": rid, **fields})
        return Call(self, rid, replies)

    def tell(self, kind: str, **fields: Any) -> None:
        """A request whose replies nobody waits for (they are dropped as they come)."""
        call = self.request(kind, **fields)
        self._forget(call.id)

    def call(self, method: str, *args: Any, timeout_s: float | None = None) -> Any:
        """One live call (the agent's LiveSession) and its value."""
        return self.request("call", method=method, args=list(args)).wait(timeout_s=timeout_s)["value"]

    def _send(self, message: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        data = protocol.encode(message)
        with self._send_lock:
            try:
                self._proc.stdin.write(data)
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                raise HostDisconnected(f"{self.label}: connection lost: {self._why_ended()}") from None

    def _forget(self, rid: int) -> None:
        self._requests.pop(rid, None)

    # -- reading ---------------------------------------------------------------------------------
    def _read_replies(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for raw in iter(self._proc.stdout.readline, b""):
            try:
                message = protocol.decode(raw)
            except ValueError:
                if not self.peer:  # a login banner or a shell's chatter before the agent started
                    self._before_hello.append(raw.decode("utf-8", "replace").strip())
                    continue
                self.reason = f"not a wasmscope agent reply: {raw[:80]!r}"
                break
            if not self.peer:
                if message.get("t") == "hello":
                    self.peer = message
                    self._hello.put(message)
                continue
            replies = self._requests.get(message.get("id"))  # type: ignore[arg-type]
            if replies is not None:
                replies.put(message)
            elif message.get("t") == "error":  # the agent refused the session itself
                self.reason = str(message.get("message", "the agent refused the session"))
        self._end()

    def _read_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for raw in iter(self._proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            self._stderr.append(line)  # before the handshake: only the reason's last words
            if self.on_log is not None and self._ready:
                self.on_log(f"{self.label}: {line}")

    def _end(self) -> None:
        """The agent's stdout closed: tell every waiting request, and say why."""
        assert self._proc is not None
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for t in self._threads[1:]:  # its stderr: the reason's last words
            t.join(timeout=2)
        self.reason = self.reason or self._why_ended()
        self._ended.set()
        if not self.peer:
            self._hello.put(None)
        for replies in list(self._requests.values()):
            replies.put(_CLOSED)
        if self.on_end is not None and not self._closing:
            self.on_end(self.reason)

    def _why_ended(self) -> str:
        code = self._proc.poll() if self._proc is not None else None
        said = [ln for ln in self._stderr if not ln.startswith("Warning: Permanently added")]
        last = said[-1] if said else (self._before_hello[-1] if self._before_hello else "")
        if code == 127 or "command not found" in last or "No module named" in last:
            self.not_found = last or "exit 127"
            return (f"`{self.remote_command}` is not installed there ({last or 'exit 127'}): install "
                    f"wasmscope {protocol.WASMSCOPE_VERSION} on that host, or set WASMSCOPE_REMOTE_COMMAND "
                    f"(`wasmscope doctor --host {self.address.url}` says what is missing)")
        if code == 255:
            return f"ssh failed: {last or 'exit 255'}"
        if code is None:
            return last or "the agent stopped answering"
        return f"the agent ended (exit {code})" + (f": {last}" if last else "")

    def _heartbeat(self) -> None:
        while not self._ended.wait(protocol.PING_S):
            try:
                self._send({"t": "ping"})
            except HostDisconnected:
                return

    # -- closing ---------------------------------------------------------------------------------
    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Say bye and close the agent's stdin; it cleans up and exits, then ssh does."""
        proc = self._proc
        if proc is None:
            return
        self._closing = True
        if proc.poll() is None and not self._ended.is_set():
            try:
                self._send({"t": "bye"})
            except HostDisconnected:
                pass
        try:
            assert proc.stdin is not None
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._ended.wait(timeout=15)
        for t in self._threads:
            t.join(timeout=5)


class Call:
    """One request's replies: `wait` follows them to the final result (or raises its error)."""

    def __init__(self, link: AgentLink, rid: int, replies: queue.Queue) -> None:
        self.link = link
        self.id = rid
        self._replies = replies

    def cancel(self) -> None:
        try:
            self.link._send({"t": "cancel", "id": self.id})
        except HostDisconnected:
            pass

    def wait(self, on_message: Callable[[dict[str, Any]], None] | None = None,
             cancel: threading.Event | None = None, timeout_s: float | None = None) -> dict[str, Any]:
        """Hand each progress/log/sample/tick message to `on_message`; return the result
        message, or raise the error it stands for (HostDisconnected when the link ends).
        A set `cancel` event is passed on to the agent once."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        asked = False
        try:
            while True:
                if cancel is not None and cancel.is_set() and not asked:
                    self.cancel()
                    asked = True
                try:
                    message = self._replies.get(timeout=0.1)
                except queue.Empty:
                    if deadline is not None and time.monotonic() > deadline:
                        self.cancel()
                        raise HostDisconnected(f"{self.link.label}: no reply in {timeout_s:g} s") from None
                    continue
                kind = message.get("t")
                if kind == "result":
                    return message
                if kind == "error":
                    raise protocol.error_from(message, self.link.label)
                if kind == "closed":
                    raise HostDisconnected(f"{self.link.label}: connection lost: {self.link.reason}")
                if on_message is not None:
                    on_message(message)
        finally:
            self.link._forget(self.id)


def results_from(message: dict[str, Any], host: str) -> Results:
    """The `Results` a bench reply carries, marked with the host it was measured on."""
    results = Results.from_dict(message["results"])
    results.host = host
    return results
