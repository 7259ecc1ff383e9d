"""Serving model 2: one fresh instance per request (serverless / CGI / WAGI style).

`spawners` makes one isolated instance of the `handler` workload per request (or none, the
front's own ceiling); `front` is wasmscope's small asyncio HTTP/1.1 front that hands each
request to a spawner; `launch` starts and stops a front as a child process.
"""
