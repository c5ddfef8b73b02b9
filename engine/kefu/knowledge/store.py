"""The installed packs under ``<data_dir>/packs``: versions, the active one, and its history.

Layout::

    packs/.lock               serialises every change (a file lock)
    packs/<name>/<version>/   an extracted, verified archive (manifest.json, pack/, model/)
    packs/<name>/state.json   {"active", "history", "versions": {version: record}}

A version directory appears by one rename of a fully extracted and checked staging directory,
and ``state.json`` is replaced atomically, so readers (a running Kefu) never see half an install
and a refused install changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from kefu.knowledge.archive import extract_verified, manifest_bytes
from kefu.knowledge.errors import InstallError, PackNotFoundError
from kefu.knowledge.packtoml import NAME, SEMVER

STATE = "state.json"
LOCK = ".lock"

#: Called with the extracted directory and its manifest before it is installed; raises to refuse.
Check = Callable[[Path, dict[str, Any]], None]


@dataclass(frozen=True, slots=True)
class InstalledVersion:
    """One installed version of a pack, as ``kefu pack list`` shows it."""

    name: str
    version: str
    vertical: str
    active: bool
    installed_at: str
    path: Path
    eval: dict[str, Any] | None
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "name": self.name,
            "version": self.version,
            "vertical": self.vertical,
            "active": self.active,
            "installed_at": self.installed_at,
            "path": str(self.path),
            "eval": self.eval,
            "source": self.source,
        }


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InstallError(f"{path} is unreadable: {exc}") from exc
    if not isinstance(data, dict):
        raise InstallError(f"{path} must hold a JSON object")
    return data


def _write_json(path: Path, data: dict[str, Any]) -> None:
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True, ensure_ascii=False)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def content_digest(manifest: dict[str, Any]) -> str:
    """What makes two builds the same version: source files, plugins and embedding model.

    Trained artefacts are left out: a library may pickle a model with incidental differences
    (object ids) that do not change what the pack answers.
    """
    files = manifest.get("files", {})
    identity = {
        "sources": {k: v for k, v in files.items() if k.startswith("pack/")},
        "plugins": manifest.get("plugins"),
        "embedding": manifest.get("embedding"),
    }
    return hashlib.sha256(manifest_bytes(identity)).hexdigest()


class PackStore:
    """Installs, lists, activates and rolls back packs in ``<data_dir>/packs``."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "packs"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.root / LOCK), timeout=120):
            yield

    def _state(self, name: str) -> dict[str, Any]:
        path = self.root / name / STATE
        if not path.is_file():
            return {"active": None, "history": [], "versions": {}}
        return _read_json(path)

    def names(self) -> list[str]:
        """The names of the installed packs."""
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{STATE}"))

    def versions(self, name: str | None = None) -> list[InstalledVersion]:
        """Every installed version (of one pack, or of all), by name then install time."""
        found: list[InstalledVersion] = []
        for pack in [name] if name else self.names():
            state = self._state(pack)
            for version, record in state["versions"].items():
                found.append(
                    InstalledVersion(
                        name=pack,
                        version=version,
                        vertical=str(record.get("vertical", "")),
                        active=state["active"] == version,
                        installed_at=str(record.get("installed_at", "")),
                        path=self.root / pack / version,
                        eval=record.get("eval"),
                        source=str(record.get("source", "")),
                    )
                )
        found.sort(key=lambda v: (v.name, v.installed_at, v.version))
        return found

    def active(self, name: str) -> InstalledVersion:
        """The active version of ``name``; raises :class:`PackNotFoundError` when there is none."""
        for version in self.versions(name):
            if version.active:
                return version
        installed = ", ".join(self.names()) or "none"
        raise PackNotFoundError(
            f"no active version of pack {name!r} (installed packs: {installed})"
        )

    def install_archive(
        self,
        archive: Path,
        *,
        activate: bool = True,
        check: Check | None = None,
        source: str | None = None,
    ) -> InstalledVersion:
        """Verify, check and install a built archive; activate it unless told otherwise.

        ``source`` is what the listing says the version came from (the archive's path when
        not given; an upload names its file, not the temporary path it was received at).

        Installing the same build of a version again only (re)activates it; a different build
        under an installed version number is refused. Any failure leaves the store unchanged.
        """
        with self._locked():
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
            try:
                manifest = extract_verified(archive, staging)
                name, version = self._identity(manifest, archive)
                if check is not None:
                    check(staging, manifest)
                digest = content_digest(manifest)
                state = self._state(name)
                target = self.root / name / version
                known = state["versions"].get(version)
                if known is not None and target.is_dir():
                    if known.get("digest") != digest:
                        raise InstallError(
                            f"pack {name} {version} is already installed with different content; "
                            "raise [pack] version in pack.toml and build again"
                        )
                else:
                    if target.exists():
                        shutil.rmtree(target)  # left by an interrupted install, never recorded
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(staging, target)
                    state["versions"][version] = {
                        "installed_at": datetime.now(UTC).isoformat(timespec="seconds"),
                        "digest": digest,
                        "vertical": manifest.get("pack", {}).get("vertical", ""),
                        "source": source or str(archive),
                        "eval": manifest.get("eval"),
                    }
                if activate:
                    self._activate(state, version)
                _write_json(self.root / name / STATE, state)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return next(v for v in self.versions(name) if v.version == version)

    def activate(self, name: str, version: str) -> InstalledVersion:
        """Make an installed version the active one."""
        with self._locked():
            state = self._state(name)
            if version not in state["versions"]:
                listed = ", ".join(state["versions"]) or "none"
                raise PackNotFoundError(
                    f"pack {name!r} has no installed version {version!r} (installed: {listed})"
                )
            self._activate(state, version)
            _write_json(self.root / name / STATE, state)
        return self.active(name)

    def rollback(self, name: str) -> InstalledVersion:
        """Re-activate the version that was active before the current one."""
        with self._locked():
            state = self._state(name)
            history: list[str] = list(state["history"])
            if not state["versions"]:
                raise PackNotFoundError(f"pack {name!r} is not installed")
            previous = [v for v in history[:-1] if v in state["versions"]]
            if not previous:
                raise InstallError(
                    f"pack {name!r} has no earlier version to roll back to "
                    f"(active: {state['active']})"
                )
            history = history[:-1]
            while history and history[-1] not in state["versions"]:
                history.pop()
            state["history"] = history
            state["active"] = history[-1]
            _write_json(self.root / name / STATE, state)
        return self.active(name)

    def record_eval(self, name: str, version: str, figures: dict[str, Any]) -> None:
        """Remember evaluation figures of an installed version (shown by ``kefu pack list``)."""
        with self._locked():
            state = self._state(name)
            if version not in state["versions"]:
                raise PackNotFoundError(f"pack {name!r} has no installed version {version!r}")
            state["versions"][version]["eval"] = figures
            _write_json(self.root / name / STATE, state)

    @staticmethod
    def _activate(state: dict[str, Any], version: str) -> None:
        state["active"] = version
        history: list[str] = state["history"]
        if not history or history[-1] != version:
            history.append(version)

    @staticmethod
    def _identity(manifest: dict[str, Any], archive: Path) -> tuple[str, str]:
        meta = manifest.get("pack")
        name = meta.get("name") if isinstance(meta, dict) else None
        version = meta.get("version") if isinstance(meta, dict) else None
        if not isinstance(name, str) or not NAME.match(name):
            raise InstallError(f"{archive}: the manifest names no valid pack ({name!r})")
        if not isinstance(version, str) or not SEMVER.match(version):
            raise InstallError(f"{archive}: the manifest has no valid version ({version!r})")
        return name, version
