"""Profiles: TOML files saying what to measure, with optional stored results.

Never imports Textual (nor docker/wasmtime): front ends and the engine both read profiles.
"""

from .errors import ProfileError
from .schema import BenchSettings, ComputeSpec, MemorySpec, Profile, StartupSpec
from .store import (
    check_save_target,
    default_profile_path,
    load_profile,
    resolve_profile_path,
    save_results,
    save_runs,
    save_table,
    save_target_problem,
    set_value,
    shipped_profiles,
    write_atomic,
)

__all__ = [
    "BenchSettings", "ComputeSpec", "MemorySpec", "Profile", "ProfileError", "StartupSpec",
    "check_save_target", "default_profile_path", "load_profile", "resolve_profile_path", "save_results",
    "save_runs", "save_table", "save_target_problem", "set_value", "shipped_profiles", "write_atomic",
]
