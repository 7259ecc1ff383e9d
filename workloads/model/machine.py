"""What machine a result was measured on; recorded with every result."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version

import psutil


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8", errors="replace"):
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine_info(docker_version: str | None = None) -> dict[str, str | int]:
    """CPU model, cores, memory, kernel, Python, wasmtime and Docker engine versions."""
    info: dict[str, str | int] = {
        "cpu": cpu_model(),
        "arch": platform.machine(),
        "cores": os.cpu_count() or 0,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "wasmtime": _pkg("wasmtime"),
        "wasmscope": _pkg("wasmscope"),
    }
    info["docker"] = docker_version or "Docker not measured"
    return info
