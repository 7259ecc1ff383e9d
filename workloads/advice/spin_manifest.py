"""A checker for Spin application manifests (spin.toml, version 2), from Spin's documented rules.

Spin cannot run here, so the generated manifest is checked against the rules Spin's manifest
loader applies: known fields only, kebab-case component ids (words of lower-case letters and
digits, the first word starting with a letter), snake-case variable names, a semver
application version, HTTP triggers with a route and a component that exists, unique routes,
well-formed outbound hosts, and template variables that are declared.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

KEBAB_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
SNAKE_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
HOST = re.compile(r"^(\*|[a-z][a-z0-9+.-]*)://(\*|[A-Za-z0-9.*-]+|\{\{ *[a-z0-9_]+ *\}\})(:(\*|\d+|\d+\.\.\d+))?$")
TEMPLATE = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")
TOP = {"spin_manifest_version", "application", "variables", "trigger", "component"}
APPLICATION = {"name", "version", "description", "authors", "targets", "trigger", "tool"}
VARIABLE = {"description", "required", "default", "secret"}
COMPONENT = {"source", "description", "variables", "environment", "files", "exclude_files", "allowed_http_hosts",
             "allowed_outbound_hosts", "key_value_stores", "sqlite_databases", "ai_models", "build", "tool",
             "dependencies_inherit_configuration", "dependencies", "profile"}
BUILD = {"command", "workdir", "watch"}
EXECUTORS = {"spin", "wagi"}


def check_spin_manifest(text: str) -> list[str]:
    """Every rule the manifest breaks, one line each (empty: it follows Spin's rules)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return [f"not valid TOML: {err}"]
    problems = [f"{k}: unknown top-level field" for k in doc if k not in TOP]
    if doc.get("spin_manifest_version") != 2:
        problems.append(f"spin_manifest_version: expected 2, got {doc.get('spin_manifest_version')!r}")
    problems += _application(doc.get("application"))
    variables = doc.get("variables", {})
    problems += _variables(variables)
    components = doc.get("component", {})
    if not isinstance(components, dict):
        return problems + ["component: expected tables [component.ID]"]
    for cid, comp in components.items():
        problems += _component(cid, comp, set(variables) if isinstance(variables, dict) else set())
    problems += _triggers(doc.get("trigger"), set(components))
    return problems


def _application(app: Any) -> list[str]:
    if not isinstance(app, dict):
        return ["application: missing table [application]"]
    out = [f"application.{k}: unknown field" for k in app if k not in APPLICATION]
    if not isinstance(app.get("name"), str) or not app["name"]:
        out.append("application.name: expected a non-empty string")
    version = app.get("version", "")
    if version and (not isinstance(version, str) or not SEMVER.match(version)):
        out.append(f"application.version: {version!r} is not a semantic version (like 0.1.0)")
    return out


def _variables(variables: Any) -> list[str]:
    if not isinstance(variables, dict):
        return ["variables: expected a table"]
    out = []
    for name, var in variables.items():
        if not SNAKE_ID.match(name):
            out.append(f"variables.{name}: not a lower-case snake_case name")
        if not isinstance(var, dict) or set(var) - VARIABLE:
            out.append(f"variables.{name}: expected a table of {', '.join(sorted(VARIABLE))}")
        elif not var.get("required") and not isinstance(var.get("default"), str):
            out.append(f"variables.{name}: needs a string default unless required = true")
    return out


def _component(cid: str, comp: Any, declared: set[str]) -> list[str]:
    where = f"component.{cid}"
    out = [] if KEBAB_ID.match(cid) else [f"{where}: {cid!r} is not a Spin component id (kebab-case words of "
                                          "lower-case letters and digits, the first starting with a letter)"]
    if not isinstance(comp, dict):
        return out + [f"{where}: expected a table"]
    out += [f"{where}.{k}: unknown field" for k in comp if k not in COMPONENT]
    source = comp.get("source")
    if not (isinstance(source, str) and source) and not (
            isinstance(source, dict) and ({"url", "digest"} <= set(source) or {"package", "version"} <= set(source))):
        out.append(f"{where}.source: expected a path, {{ url, digest }} or {{ registry, package, version }}")
    build = comp.get("build")
    if build is not None:
        command = build.get("command") if isinstance(build, dict) else None
        if not isinstance(build, dict) or set(build) - BUILD or not (
                isinstance(command, str) or (isinstance(command, list) and all(isinstance(c, str) for c in command))):
            out.append(f"{where}.build: expected command (a string or a list of strings), optional workdir and watch")
    for host in comp.get("allowed_outbound_hosts", []):
        if not isinstance(host, str) or not HOST.match(host):
            out.append(f"{where}.allowed_outbound_hosts: {host!r} is not scheme://host[:port]")
    for name, value in (comp.get("variables") or {}).items():
        if not SNAKE_ID.match(name) or not isinstance(value, str):
            out.append(f"{where}.variables.{name}: expected a snake_case name and a string value")
            continue
        out += [f"{where}.variables.{name}: uses {{{{ {v} }}}}, not declared in [variables]"
                for v in TEMPLATE.findall(value) if v not in declared]
    return out


def _triggers(triggers: Any, components: set[str]) -> list[str]:
    if not isinstance(triggers, dict) or not triggers:
        return ["trigger: expected at least one trigger ([[trigger.http]])"]
    out, routes = [], set()
    for kind, entries in triggers.items():
        if not isinstance(entries, list):
            out.append(f"trigger.{kind}: expected an array of tables ([[trigger.{kind}]])")
            continue
        for i, t in enumerate(entries):
            where = f"trigger.{kind}[{i}]"
            ref = t.get("component") if isinstance(t, dict) else None
            if isinstance(ref, str) and ref not in components:
                out.append(f"{where}.component: {ref!r} names no [component.{ref}]")
            elif not isinstance(ref, (str, dict)):
                out.append(f"{where}.component: expected a component id or an inline component")
            if kind == "http" and isinstance(t, dict):
                out += _http(where, t, routes)
    return out


def _http(where: str, t: dict, routes: set) -> list[str]:
    out = []
    route = t.get("route")
    if isinstance(route, str):
        if not route.startswith("/"):
            out.append(f"{where}.route: {route!r} must start with '/'")
        elif route in routes:
            out.append(f"{where}.route: {route!r} is routed twice")
        routes.add(route)
    elif route != {"private": True}:
        out.append(f"{where}.route: expected a path or {{ private = true }}")
    executor = t.get("executor")
    if executor is not None and (not isinstance(executor, dict) or executor.get("type") not in EXECUTORS):
        out.append(f"{where}.executor: expected {{ type = \"spin\" }} or {{ type = \"wagi\" }}")
    return out
