"""wasmscope's HTTP workload in CPython (standard library only): the same answer as the C
server and the Python wasi:http component — 200, `hello from wasmscope\\n` — so that a
container serving it answers "Python on Wasm vs Python in a container".

Runs as `python3 http_server.py PORT [ADDR]`: keep-alive HTTP/1.1, one thread per connection,
prints `ready port=N` once listening."""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"hello from wasmscope\n"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive

    def _answer(self, body: bool) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        if body:
            self.wfile.write(BODY)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(True)

    do_POST = do_PUT = do_DELETE = do_GET

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(False)

    def log_message(self, *args) -> None:  # no access log: it would cost more than the answer
        pass


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    addr = sys.argv[2] if len(sys.argv) > 2 else "0.0.0.0"
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer((addr, port), Handler)
    print(f"ready port={server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
