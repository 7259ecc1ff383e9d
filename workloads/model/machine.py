"""What machine a result was measured on; recorded with every result.

Two VM hosts of one kind can both call themselves "AMD EPYC" with 2 cores and still give
compute figures 50 % apart, so a result records a fingerprint precise enough to tell them apart:
CPU vendor, family, model, stepping and full name, microcode, a hash of the CPU flags, core
count, memory, kernel release and build, whether it runs under a hypervisor and the DMI vendor
and product where readable. `compare` reads it to say "different machine" instead of "changed".
"""

from __future__ import annotations

import hashlib
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import psutil

CPUINFO = Path("/proc/cpuinfo")
DMI = Path("/sys/class/dmi/id")

# The fields that identify the machine (software versions are recorded beside them, not in them).
IDENTITY = ("cpu", "cpu_vendor", "cpu_family", "cpu_model_id", "cpu_stepping", "microcode", "cpu_flags_hash",
            "arch", "cores", "memory_gib", "kernel", "kernel_build", "hypervisor", "dmi_vendor", "dmi_product")
# What results stored before the fingerprint existed recorded of those.
LEGACY_IDENTITY = ("cpu", "arch", "cores", "memory_gib", "kernel")
SOFTWARE = ("os", "python", "wasmtime", "wasmscope", "docker")


def cpu_model() -> str:
    try:
        for line in open(CPUINFO, encoding="utf-8", errors="replace"):
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_facts(text: str) -> dict[str, str]:
    """Vendor, family, model, stepping, microcode, a hash of the flags and the hypervisor flag,
    from the first processor of /proc/cpuinfo's text ("" for what it does not say)."""
    first: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if first:
                break
            continue
        key, _, value = line.partition(":")
        first.setdefault(key.strip().lower(), value.strip())
    flags = sorted(set((first.get("flags") or first.get("features") or "").split()))
    return {
        "cpu_vendor": first.get("vendor_id", ""),
        "cpu_family": first.get("cpu family", ""),
        "cpu_model_id": first.get("model", ""),
        "cpu_stepping": first.get("stepping", ""),
        "microcode": first.get("microcode", ""),
        "cpu_flags_hash": hashlib.sha256(" ".join(flags).encode()).hexdigest()[:12] if flags else "",
        "hypervisor": "yes" if "hypervisor" in flags else "no",
    }


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def fingerprint(info: dict) -> str:
    """A short hash of the fields that identify the machine."""
    text = "\n".join(f"{k}={info.get(k, '')}" for k in IDENTITY)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def machine_info(docker_version: str | None = None) -> dict[str, str | int | float]:
    """The machine (its identity and fingerprint) and the software versions a result depends on."""
    info: dict[str, str | int | float] = {
        "cpu": cpu_model(),
        **cpu_facts(_read(CPUINFO)),
        "arch": platform.machine(),
        "cores": os.cpu_count() or 0,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "kernel_build": platform.version(),
        "dmi_vendor": _read(DMI / "sys_vendor") or "unreadable",
        "dmi_product": _read(DMI / "product_name") or "unreadable",
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "wasmtime": _pkg("wasmtime"),
        "wasmscope": _pkg("wasmscope"),
    }
    info["docker"] = docker_version or "Docker not measured"
    info["fingerprint"] = fingerprint(info)
    return info


def same_machine(a: dict, b: dict) -> tuple[bool | None, list[str]]:
    """Whether two results come from the same machine: True / False with the fields that
    differ ('kernel: 6.18.44-fc-v669 → 6.18.44-fc-v857'), or None when an older result lacks the
    fingerprint and the fields both recorded agree (cannot tell)."""
    keys = IDENTITY if a.get("fingerprint") and b.get("fingerprint") else LEGACY_IDENTITY
    diffs = [f"{k}: {a.get(k, '?')} → {b.get(k, '?')}" for k in keys
             if (k in a or k in b) and str(a.get(k, "")) != str(b.get(k, ""))]
    if diffs:
        return False, diffs
    if a.get("fingerprint") and b.get("fingerprint"):
        return a["fingerprint"] == b["fingerprint"], []
    return None, []


def software_changes(a: dict, b: dict) -> list[str]:
    """Software versions that differ between two results ('wasmtime: 50.0.1 → 51.0.0')."""
    return [f"{k}: {a.get(k, '?')} → {b.get(k, '?')}" for k in SOFTWARE
            if k in a and k in b and str(a[k]) != str(b[k])]
