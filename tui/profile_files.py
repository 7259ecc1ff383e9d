"""ctrl+o and ctrl+s: where they point, and what opening and saving a profile do.

A save never writes into a profile shipped inside the package (site-packages): by default it
goes to the user's own profile, or to a file named after the profile in the current directory.
It starts as a copy of the opened profile, comments kept, with this session's results in it
(this machine's as [results], each remote host's as [remote_results."user@host:port"]: one run).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wasmscope.profiles import (Profile, ProfileError, load_profile, save_runs, save_table, shipped_profiles,
                                write_atomic)
from wasmscope.workloads.errors import WasmscopeError
from wasmscope.workloads.model.results import Results
from wasmscope.workloads.race import RaceState

from .screens.path_dialog import PathDialog
from .views.density import DensityView
from .views.race import RaceView
from .views.results import stored_note

if TYPE_CHECKING:
    from .app import WasmscopeApp


def is_shipped(path: Path | None) -> bool:
    return path is not None and path.resolve() in {p.resolve() for p in shipped_profiles().values()}


def user_default_path(profile: Profile) -> Path:
    """The opened profile when it is the user's own file, else `./wasmscope-NAME.toml`."""
    if profile.path is not None and not is_shipped(profile.path):
        return profile.path
    return Path.cwd() / f"wasmscope-{profile.name}.toml"


def save_session(path: Path, profile: Profile, results: Results | None, density: Results | None,
                 race: RaceState | None = None, remote: dict[str, Results] | None = None) -> str | None:
    """Write this session's results (and each remote host's), density run and race into `path`
    ([results] and [remote_results], replaced together; [density], [race]); without any, a copy
    of the profile. Returns how the log says what was written, None when nothing was. Raises
    what the writes raise."""
    remote = remote or {}
    tables = [(key, data.to_dict()) for key, data in (("results", results), ("density", density), ("race", race))
              if data is not None]
    if remote and not results:
        tables.insert(0, ("results", None))  # remote hosts' runs alone (this machine was not measured)
    for i, (key, table) in enumerate(tables):  # the first starts as a copy of the opened profile
        template = profile.path if i == 0 else None
        if key == "results":  # one run over its hosts: every host's, or none of an older run's
            save_runs(path, table, {h: r.to_dict() for h, r in remote.items()}, template=template)
        else:
            save_table(path, key, table, template=template)
    if tables:
        hosts = f" (and {', '.join(remote)})" if remote else ""
        return " with this session's " + ", ".join(WORDS[key] + (hosts if key == "results" else "")
                                                   for key, _ in tables)
    if profile.path is not None and path.resolve() != profile.path:
        write_atomic(path, profile.path.read_text(encoding="utf-8"))
        return ""
    return None


WORDS = {"results": "results", "density": "density run", "race": "race"}


def ask_to_open(app: "WasmscopeApp") -> None:
    dialog = PathDialog("Open a profile (TOML)", str(user_default_path(app.profile)), must_exist=True)
    app.push_screen(dialog, lambda path: open_chosen(app, path))


def open_chosen(app: "WasmscopeApp", path: Path | None) -> None:
    if path is None:
        return
    try:
        profile = load_profile(path)
    except ProfileError as err:
        app.notify(str(err), severity="error", timeout=8)
        app.log_line(f"error: {err}")
        return
    app.log_line(f"opened profile {path}")
    app.live_view.forget_target()  # the keys act on the new profile's workloads
    app.live_view.use_profile(profile)  # measured from now on, here and on every host
    app.sub_title = app.profile_label()
    show_stored(app, profile)


def ask_to_save(app: "WasmscopeApp") -> None:
    dialog = PathDialog("Save the profile with this session's results", str(user_default_path(app.profile)))
    app.push_screen(dialog, lambda path: save_chosen(app, path))


def save_chosen(app: "WasmscopeApp", path: Path | None) -> None:
    if path is None:
        return
    try:
        what = save_session(path, app.profile, app.results, app.density, app.race, app.remote_results)
    except (OSError, ValueError, WasmscopeError) as err:
        # a failed save names the file itself (ProfileSaveError); other errors get it here
        msg = str(err) if str(err).startswith(str(path)) else f"{path}: not saved: {err}"
        app.notify(msg, severity="error", timeout=8)
        app.log_line(f"error: {msg}")
        return
    if what is None:
        app.notify("nothing measured yet: the profile is unchanged")
        return
    app.notify(f"saved {path}")
    app.log_line(f"saved profile {path}{what}")


def show_stored(app: "WasmscopeApp", profile: Profile) -> None:
    """A profile's stored runs, shown without re-running anything — its results on screen, at
    the top, the same at start and after ctrl+o."""
    if profile.density:
        app.density = profile.density
        app.query_one(DensityView).show(app.density, "stored, not re-run")
    if profile.race:
        app.race = profile.race
        app.query_one(RaceView).show(profile.race, stored_note(profile, "race"))
    if profile.results is not None or profile.remote_results:
        app.results, app.results_note = profile.results, stored_note(profile)
        app.remote_results = dict(profile.remote_results)
        app.log_line(app.results_note)
        app.refresh_results()
        app.action_view("results")
        app.results_view.scroll_home(animate=False)
