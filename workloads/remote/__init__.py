"""Measuring remote hosts over SSH, side by side with this machine.

- `address.py`: `ssh://[user@]host[:port]` and the system `ssh` command line.
- `protocol.py`: the versioned JSON-lines protocol (hello, requests by id, errors).
- `link.py`: the local end (`AgentLink`): ssh as a child process, requests multiplexed over it.
- `agent.py`: the remote end (`wasmscope agent`): serves benchmarks, doctor and a live session;
  when its stdin closes it cancels and removes everything it started.
- `runs.py`: a benchmark on a host, and the whole measurement over several hosts.
- `live_wire.py`, `session.py`: `RemoteSession`, LiveSession's interface over the link (the app).
- `doctor.py`: what a remote host lacks (SSH, Python, wasmscope, then its own doctor report).

Nothing here imports Textual; ratios stay within one host's `Results`.
"""
