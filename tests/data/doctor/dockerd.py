"""Stand-in for dockerd in doctor's tests: answers the Engine API calls doctor and the Docker
adapters make (/_ping, /version, /info listing the runtimes of its daemon.json), re-reads that
file on SIGHUP and keeps a pid file, as dockerd does. Each start and reload is appended to
$STANDIN_LOG. Stops on SIGTERM (removing its socket and pid file)."""

import json
import os
import signal
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler

ARGS = sys.argv[1:]


def option(name: str, default: str) -> str:
    return ARGS[ARGS.index(name) + 1] if name in ARGS else default


CONFIG = option("--config-file", "/etc/docker/daemon.json")
SOCKET = option("--host", "unix:///var/run/docker.sock").removeprefix("unix://")
PIDFILE = option("--pidfile", "/var/run/docker.pid")
RUNTIMES: dict = {}


def log(line: str) -> None:
    with open(os.environ["STANDIN_LOG"], "a") as f:
        f.write(line + "\n")


def load_config() -> None:
    try:
        with open(CONFIG) as f:
            config = json.load(f)
    except FileNotFoundError:
        config = {}
    RUNTIMES.clear()
    RUNTIMES.update({"runc": {"path": "runc"}, **config.get("runtimes", {})})


class Handler(BaseHTTPRequestHandler):
    def address_string(self) -> str:
        return "unix"

    def log_message(self, *args) -> None:
        pass

    def reply(self, code: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        last = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
        if last == "_ping":
            self.reply(200, b"OK", "text/plain")
        elif last == "version":
            self.reply(200, json.dumps({"Version": "20.10.24-standin", "ApiVersion": "1.41",
                                        "MinAPIVersion": "1.12", "Os": "linux", "Arch": "amd64"}).encode())
        elif last == "info":
            self.reply(200, json.dumps({"Runtimes": RUNTIMES, "DefaultRuntime": "runc"}).encode())
        else:
            self.reply(404, json.dumps({"message": f"stand-in dockerd has no {self.path}"}).encode())

    do_HEAD = do_GET


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main() -> None:
    load_config()
    os.makedirs(os.path.dirname(SOCKET), exist_ok=True)
    if os.path.exists(SOCKET):
        os.unlink(SOCKET)
    server = Server(SOCKET, Handler)
    with open(PIDFILE, "w") as f:
        f.write(f"{os.getpid()}\n")
    log("dockerd start " + " ".join(ARGS))
    signal.signal(signal.SIGHUP, lambda *_: (load_config(), log("dockerd SIGHUP")))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        for path in (SOCKET, PIDFILE):
            if os.path.exists(path):
                os.unlink(path)


main()
