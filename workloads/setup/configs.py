"""Merging one entry into a system config file, keeping everything else (other keys, comments):
the engine's daemon.json runtimes entry and Podman's containers.conf ulimits. Pure functions:
text in, text out (None when the entry is there already)."""

from __future__ import annotations

import json

import tomlkit
from tomlkit.exceptions import TOMLKitError

from ..errors import SetupError


def merged_daemon_json(text: str | None, runtime: str, path: str, source: str) -> str | None:
    """daemon.json with `runtimes.<runtime> = {"path": path}` added, other keys kept as they
    are; None when that runtime is registered already (whatever its path: the user's choice)."""
    try:
        config = json.loads(text) if text and text.strip() else {}
    except json.JSONDecodeError as err:
        raise SetupError(f"{source}: not valid JSON ({err}); left as it is") from None
    if not isinstance(config, dict) or not isinstance(config.get("runtimes", {}), dict):
        raise SetupError(f"{source}: expected a JSON object with a `runtimes` object; left as it is")
    runtimes = config.get("runtimes", {})
    if isinstance(runtimes.get(runtime), dict) and runtimes[runtime].get("path"):
        return None
    config["runtimes"] = {**runtimes, runtime: {"path": path}}
    return json.dumps(config, indent=2) + "\n"


def daemon_json_runtimes(text: str | None) -> set[str]:
    """The runtimes a daemon.json registers (none when it is absent or unreadable)."""
    try:
        config = json.loads(text) if text and text.strip() else {}
    except json.JSONDecodeError:
        return set()
    runtimes = config.get("runtimes") if isinstance(config, dict) else None
    return set(runtimes) if isinstance(runtimes, dict) else set()


def _parse_toml(text: str | None, source: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(text or "")
    except TOMLKitError as err:
        raise SetupError(f"{source}: not valid TOML ({err}); left as it is") from None


def _ulimit_names(values: object) -> set[str]:
    return {str(v).split("=", 1)[0].strip() for v in values} if isinstance(values, list) else set()


def missing_ulimits(text: str | None, wanted: list[str], source: str) -> list[str]:
    """The entries of `wanted` ("nofile=N:N") whose limit `[containers] default_ulimits` does not set."""
    containers = _parse_toml(text, source).get("containers") or {}
    have = _ulimit_names(containers.get("default_ulimits", []))
    return [u for u in wanted if u.split("=", 1)[0] not in have]


def merged_containers_conf(text: str | None, wanted: list[str], source: str) -> str | None:
    """containers.conf with the missing `wanted` ulimits appended to `[containers]
    default_ulimits`, comments and other settings kept; None when none is missing."""
    missing = missing_ulimits(text, wanted, source)
    if not missing:
        return None
    doc = _parse_toml(text, source)
    if "containers" not in doc:
        doc["containers"] = tomlkit.table()
    table = doc["containers"]
    current = list(table.get("default_ulimits", []))  # type: ignore[union-attr]
    values = tomlkit.array()
    values.extend([str(v) for v in current] + missing)
    table["default_ulimits"] = values  # type: ignore[index]
    return tomlkit.dumps(doc)
