"""wasmscope's HTTP workload as a wasi:http component, in Python (built by componentize-py).

Answers every request with 200 and the same body as the C server (`src/http.c`). This file
runs inside the component, not on the host: `wit_world` and `componentize_py_types` are the
bindings componentize-py generates from `../wit/world.wit`.
"""

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports.types import Fields, OutgoingBody, OutgoingResponse, ResponseOutparam

BODY = b"hello from wasmscope\n"


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request, response_out):
        headers = Fields.from_list([("content-type", b"text/plain"),
                                    ("content-length", str(len(BODY)).encode())])
        response = OutgoingResponse(headers)
        response.set_status_code(200)
        body = response.body()
        ResponseOutparam.set(response_out, Ok(response))
        try:
            # the stream is a child of the body: drop it (leave the `with`) before finishing
            with body.write() as stream:
                stream.blocking_write_and_flush(BODY)
            OutgoingBody.finish(body, None)
        except Err:
            pass  # the client hung up: not the handler's fault, and must not trap the instance
