"""Packs registered by pip-installed distributions in the ``kefu.pack`` entry-point namespace.

A vendor's distribution declares, in its pyproject.toml::

    [project.entry-points."kefu.pack"]
    acme-retail = "acme_kefu_pack:pack_path"

The entry point names a callable returning the pack's location (a source folder holding
pack.toml, or a built ``.tar.gz``), a string or path, or a package whose folder is the pack.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType
from typing import Any

from kefu import registry
from kefu.knowledge.errors import PackNotFoundError

NAMESPACE = "kefu.pack"


def registered() -> list[str]:
    """The names of the packs that installed distributions register."""
    return registry.installed_names(NAMESPACE)


def _as_path(value: Any, name: str) -> Path:
    if isinstance(value, ModuleType):
        paths = list(getattr(value, "__path__", []))
        if paths:
            return Path(paths[0])
        if value.__file__ is None:
            raise PackNotFoundError(f"pack {name!r}: module {value.__name__} has no location")
        return Path(value.__file__).parent
    if callable(value):
        value = value()
    if isinstance(value, (str, os.PathLike)):
        return Path(value)
    raise PackNotFoundError(
        f"pack {name!r}: its entry point gave {type(value).__name__}, not a path to the pack"
    )


def locate(name: str) -> Path:
    """Where the registered pack ``name`` lives; raises :class:`PackNotFoundError`."""
    if name not in registered():
        listing = ", ".join(registered()) or "none"
        raise PackNotFoundError(
            f"no pack {name!r} registered in {NAMESPACE} (registered: {listing})"
        )
    try:
        target = registry.load_class(NAMESPACE, name)
        path = _as_path(target, name)
    except registry.PluginError as exc:
        raise PackNotFoundError(str(exc)) from exc
    except (OSError, ValueError) as exc:
        raise PackNotFoundError(f"pack {name!r} could not be located: {exc}") from exc
    if not path.exists():
        raise PackNotFoundError(f"pack {name!r} is registered at {path}, which does not exist")
    return path
